//! The organisation behind the ratings: regions (city → district → town →
//! village), departments (city and district), places (hall, town centre,
//! village point), windows, service items (事项) and public-service
//! providers (water, power, gas, heat, telecom). One input shape for the
//! admin screens and the CSV import, checked here.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrgType {
    Region,
    Department,
    Place,
    Window,
    ServiceItem,
    Provider,
}

impl OrgType {
    pub const ALL: [OrgType; 6] = [
        OrgType::Region,
        OrgType::Department,
        OrgType::Place,
        OrgType::Window,
        OrgType::ServiceItem,
        OrgType::Provider,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgType::Region => "region",
            OrgType::Department => "department",
            OrgType::Place => "place",
            OrgType::Window => "window",
            OrgType::ServiceItem => "service_item",
            OrgType::Provider => "provider",
        }
    }

    pub fn parse(s: &str) -> Option<OrgType> {
        OrgType::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            OrgType::Region => "行政区划",
            OrgType::Department => "部门",
            OrgType::Place => "服务场所",
            OrgType::Window => "窗口",
            OrgType::ServiceItem => "政务服务事项",
            OrgType::Provider => "公共服务企业",
        }
    }

    /// What `parent_code` names for this type.
    pub fn parent(self) -> OrgType {
        match self {
            OrgType::Region | OrgType::Department | OrgType::Place | OrgType::Provider => {
                OrgType::Region
            }
            OrgType::Window => OrgType::Place,
            OrgType::ServiceItem => OrgType::Department,
        }
    }

    /// The allowed values of `kind` (empty: the type has none).
    pub fn kinds(self) -> &'static [&'static str] {
        match self {
            OrgType::Region => &["city", "district", "town", "village"],
            OrgType::Place => &["hall", "town_centre", "village_point"],
            OrgType::Provider => &["water", "power", "gas", "heat", "telecom"],
            _ => &[],
        }
    }
}

/// One organisation unit as an admin types it or a CSV row holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgInput {
    #[serde(rename = "type")]
    pub org_type: OrgType,
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub parent_code: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    /// A window's department (optional).
    #[serde(default)]
    pub department_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgError {
    #[error("code must be 1 to 32 letters, digits, '-' or '_'")]
    CodeInvalid,
    #[error("name must be 1 to 64 characters")]
    NameInvalid,
    #[error("kind must be one of {0}")]
    KindInvalid(String),
    #[error("a parent ({0}) is required")]
    ParentMissing(&'static str),
    #[error("a city has no parent region")]
    ParentUnexpected,
    #[error("only a window has a department here")]
    DepartmentUnexpected,
    #[error("a {child} cannot sit under a {parent}")]
    LevelMismatch {
        child: &'static str,
        parent: &'static str,
    },
}

impl OrgError {
    pub fn code(&self) -> &'static str {
        match self {
            OrgError::CodeInvalid => "org_code_invalid",
            OrgError::NameInvalid => "org_name_invalid",
            OrgError::KindInvalid(_) => "org_kind_invalid",
            OrgError::ParentMissing(_) => "org_parent_missing",
            OrgError::ParentUnexpected => "org_parent_unexpected",
            OrgError::DepartmentUnexpected => "org_department_unexpected",
            OrgError::LevelMismatch { .. } => "org_level_mismatch",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            OrgError::CodeInvalid => "编码应为 1 至 32 位字母、数字、“-”或“_”".into(),
            OrgError::NameInvalid => "名称应为 1 至 64 个字".into(),
            OrgError::KindInvalid(allowed) => format!("类型应为以下之一：{allowed}"),
            OrgError::ParentMissing(what) => format!("必须填写上级（{what}）编码"),
            OrgError::ParentUnexpected => "市级行政区划没有上级".into(),
            OrgError::DepartmentUnexpected => "只有窗口可以填写所属部门".into(),
            OrgError::LevelMismatch { child, parent } => {
                format!("“{}”不能隶属于“{}”", level_zh(child), level_zh(parent))
            }
        }
    }

    pub fn message_en(&self) -> String {
        let s = self.to_string();
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    }
}

pub fn level_zh(level: &str) -> &'static str {
    match level {
        "city" => "市",
        "district" => "区县",
        "town" => "乡镇街道",
        "village" => "村社区",
        _ => "未知层级",
    }
}

fn code_ok(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl OrgInput {
    /// Trims and checks everything that needs no lookup.
    pub fn validate(self) -> Result<OrgInput, OrgError> {
        let t = self.org_type;
        let code = self.code.trim().to_string();
        if !code_ok(&code) {
            return Err(OrgError::CodeInvalid);
        }
        let name = self.name.trim().to_string();
        if !(1..=64).contains(&name.chars().count()) {
            return Err(OrgError::NameInvalid);
        }
        let kind = blank_to_none(self.kind);
        let kinds = t.kinds();
        match (&kind, kinds.is_empty()) {
            (Some(k), false) if kinds.contains(&k.as_str()) => {}
            (None, true) => {}
            (Some(_), true) => return Err(OrgError::KindInvalid("（无）".into())),
            _ => return Err(OrgError::KindInvalid(kinds.join("/"))),
        }
        let parent_code = blank_to_none(self.parent_code);
        let is_city = t == OrgType::Region && kind.as_deref() == Some("city");
        match (&parent_code, is_city) {
            (Some(_), true) => return Err(OrgError::ParentUnexpected),
            (None, false) => return Err(OrgError::ParentMissing(t.parent().label_zh())),
            _ => {}
        }
        let department_code = blank_to_none(self.department_code);
        if department_code.is_some() && t != OrgType::Window {
            return Err(OrgError::DepartmentUnexpected);
        }
        Ok(OrgInput {
            org_type: t,
            code,
            name,
            parent_code,
            kind,
            department_code,
        })
    }
}

/// Whether a unit of `t` (with its `kind`) may sit under a region of
/// `parent_level`: the region tree goes one level at a time; departments
/// sit at city or district level; places and providers anywhere.
pub fn parent_level_ok(t: OrgType, kind: Option<&str>, parent_level: &str) -> Result<(), OrgError> {
    let ok = match t {
        OrgType::Region => matches!(
            (kind.unwrap_or(""), parent_level),
            ("district", "city") | ("town", "district") | ("village", "town")
        ),
        OrgType::Department => matches!(parent_level, "city" | "district"),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        let child: &'static str = match (t, kind) {
            (OrgType::Region, Some("district")) => "district",
            (OrgType::Region, Some("town")) => "town",
            (OrgType::Region, Some("village")) => "village",
            (OrgType::Department, _) => "department",
            _ => "unknown",
        };
        let parent: &'static str = match parent_level {
            "city" => "city",
            "district" => "district",
            "town" => "town",
            "village" => "village",
            _ => "unknown",
        };
        Err(OrgError::LevelMismatch { child, parent })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input(t: OrgType, code: &str, kind: Option<&str>, parent: Option<&str>) -> OrgInput {
        OrgInput {
            org_type: t,
            code: code.into(),
            name: "名称".into(),
            parent_code: parent.map(Into::into),
            kind: kind.map(Into::into),
            department_code: None,
        }
    }

    #[test]
    fn a_city_has_no_parent_and_everything_else_needs_one() {
        assert!(input(OrgType::Region, "410400", Some("city"), None)
            .validate()
            .is_ok());
        assert_eq!(
            input(OrgType::Region, "410400", Some("city"), Some("X")).validate(),
            Err(OrgError::ParentUnexpected)
        );
        assert_eq!(
            input(OrgType::Region, "410402", Some("district"), None).validate(),
            Err(OrgError::ParentMissing("行政区划"))
        );
        assert_eq!(
            input(OrgType::Window, "W09", None, None).validate(),
            Err(OrgError::ParentMissing("服务场所"))
        );
    }

    #[test]
    fn kinds_are_checked_per_type() {
        assert!(
            input(OrgType::Provider, "WATER-1", Some("water"), Some("410400"))
                .validate()
                .is_ok()
        );
        assert!(matches!(
            input(OrgType::Provider, "P", Some("bank"), Some("410400")).validate(),
            Err(OrgError::KindInvalid(_))
        ));
        assert!(matches!(
            input(OrgType::Window, "W1", Some("hall"), Some("HALL")).validate(),
            Err(OrgError::KindInvalid(_))
        ));
        assert!(matches!(
            input(OrgType::Place, "HALL", None, Some("410400")).validate(),
            Err(OrgError::KindInvalid(_))
        ));
    }

    #[test]
    fn the_region_tree_goes_one_level_at_a_time() {
        assert!(parent_level_ok(OrgType::Region, Some("district"), "city").is_ok());
        assert!(parent_level_ok(OrgType::Region, Some("village"), "town").is_ok());
        assert!(parent_level_ok(OrgType::Region, Some("village"), "city").is_err());
        assert!(parent_level_ok(OrgType::Department, None, "district").is_ok());
        let e = parent_level_ok(OrgType::Department, None, "town").unwrap_err();
        assert!(e.message_zh().contains("乡镇街道"));
        assert!(parent_level_ok(OrgType::Place, Some("village_point"), "village").is_ok());
    }

    #[test]
    fn only_windows_name_a_department_and_blanks_are_dropped() {
        let mut w = input(OrgType::Window, " W05 ", None, Some("HALL-DC"));
        w.department_code = Some("DC-SC".into());
        w.kind = Some("  ".into());
        let v = w.validate().unwrap();
        assert_eq!((v.code.as_str(), v.kind), ("W05", None));
        let mut p = input(OrgType::Place, "HALL", Some("hall"), Some("410400"));
        p.department_code = Some("DC-SC".into());
        assert_eq!(p.validate(), Err(OrgError::DepartmentUnexpected));
    }

    #[test]
    fn every_type_name_parses_back() {
        for t in OrgType::ALL {
            assert_eq!(OrgType::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.as_str())
            );
        }
    }

    proptest! {
        #[test]
        fn validation_is_idempotent(code in "[A-Za-z0-9_-]{1,32}", name in "\\PC{1,64}") {
            prop_assume!(!name.trim().is_empty());
            let mut i = input(OrgType::ServiceItem, &code, None, Some("DEPT"));
            i.name = name;
            let v = i.validate().unwrap();
            prop_assert_eq!(v.clone().validate().unwrap(), v);
        }

        #[test]
        fn codes_outside_the_alphabet_are_refused(code in "[^A-Za-z0-9_-]{1,8}") {
            prop_assume!(!code.trim().is_empty());
            let i = input(OrgType::ServiceItem, &code, None, Some("DEPT"));
            prop_assert_eq!(i.validate(), Err(OrgError::CodeInvalid));
        }
    }
}
