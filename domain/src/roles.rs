//! Who a staff account is (its role) and what a registered device is (its
//! kind), each stored and sent as the same lowercase text it always was
//! (`"unit_admin"`, `"window_pad"`, …). Parse once where a row or session is
//! read, then compare the enums; the capabilities the server checks are
//! methods here, so each rule is written once.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::channel::Channel;

/// Text that names no known role or device kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {}: {:?}", self.what, self.name)
    }
}

impl std::error::Error for UnknownName {}

/// Who acts: a staff account's role, or the evaluator on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The rated staff member: sees the outcome, never the evaluator.
    WindowStaff,
    /// The unit's 好差评 administrator.
    UnitAdmin,
    /// The management body (hall / city centre).
    Supervisor,
    /// Configuration only (calendar, accounts).
    SystemAdmin,
    /// The evaluator, through a signed feedback link.
    Citizen,
    /// The 12345 hotline (002 一(三)): verifies a bad rating routed to it,
    /// hands it to the unit and invites the citizen to re-rate, through
    /// its authenticated callback; never a staff account.
    Hotline,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::WindowStaff,
        Role::UnitAdmin,
        Role::Supervisor,
        Role::SystemAdmin,
        Role::Citizen,
        Role::Hotline,
    ];
    /// The roles a staff account may have (not the citizen).
    pub const STAFF: [Role; 4] = [
        Role::WindowStaff,
        Role::UnitAdmin,
        Role::Supervisor,
        Role::SystemAdmin,
    ];

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::WindowStaff => "window_staff",
            Role::UnitAdmin => "unit_admin",
            Role::Supervisor => "supervisor",
            Role::SystemAdmin => "system_admin",
            Role::Citizen => "citizen",
            Role::Hotline => "hotline",
        }
    }
    /// Only these may see the evaluator's phone number (each reveal logged).
    pub fn may_reveal_phone(self) -> bool {
        matches!(self, Role::UnitAdmin | Role::Supervisor)
    }
    /// Who sees tickets with their full detail (not window staff).
    pub fn handles_tickets(self) -> bool {
        matches!(self, Role::UnitAdmin | Role::Supervisor)
    }
    /// Who reads the 通报 reports and the rating lists of their scope.
    pub fn reads_reports(self) -> bool {
        matches!(self, Role::UnitAdmin | Role::Supervisor)
    }
    /// Who registers and manages kiosks and pads (a unit's, or all).
    pub fn manages_devices(self) -> bool {
        matches!(self, Role::UnitAdmin | Role::SystemAdmin)
    }
    /// Sees everything city-wide unless bound to a district (supervisor)
    /// or to a unit (unit admin).
    pub fn is_unit_admin(self) -> bool {
        self == Role::UnitAdmin
    }
    pub fn is_supervisor(self) -> bool {
        self == Role::Supervisor
    }
    /// A staff account's role (not the citizen, not the hotline).
    pub fn is_staff(self) -> bool {
        Role::STAFF.contains(&self)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Role, UnknownName> {
        Role::parse(s).ok_or_else(|| UnknownName {
            what: "role",
            name: s.to_owned(),
        })
    }
}

impl TryFrom<String> for Role {
    type Error = UnknownName;
    fn try_from(s: String) -> Result<Role, UnknownName> {
        s.parse()
    }
}

/// What a registered device is: a hall's kiosk, a window's pad, or a
/// place's web endpoint (phones and PCs, staff entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    Kiosk,
    WindowPad,
    Web,
}

impl DeviceKind {
    pub const ALL: [DeviceKind; 3] = [DeviceKind::Kiosk, DeviceKind::WindowPad, DeviceKind::Web];

    pub fn parse(s: &str) -> Option<DeviceKind> {
        DeviceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Kiosk => "kiosk",
            DeviceKind::WindowPad => "window_pad",
            DeviceKind::Web => "web",
        }
    }
    /// A kiosk or pad: a terminal in the hall, enrolled with a code, with
    /// its own token, queue and voice; not a web endpoint.
    pub fn is_terminal(self) -> bool {
        self != DeviceKind::Web
    }
    /// The page a terminal of this kind opens (`/pad`, `/kiosk`).
    pub fn page(self) -> &'static str {
        match self {
            DeviceKind::WindowPad => "pad",
            DeviceKind::Kiosk | DeviceKind::Web => "kiosk",
        }
    }
    /// The channels a device of this kind may send.
    pub fn channels(self) -> &'static [Channel] {
        Channel::allowed_for_device_kind(self.as_str())
    }
    /// The channel a device of this kind produces by default.
    pub fn default_channel(self) -> Channel {
        Channel::for_device_kind(self.as_str()).unwrap_or(Channel::QrStatic)
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeviceKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<DeviceKind, UnknownName> {
        DeviceKind::parse(s).ok_or_else(|| UnknownName {
            what: "device kind",
            name: s.to_owned(),
        })
    }
}

impl TryFrom<String> for DeviceKind {
    type Error = UnknownName;
    fn try_from(s: String) -> Result<DeviceKind, UnknownName> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_parses_back_and_serialises_as_its_text() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
            assert_eq!(
                serde_json::from_str::<Role>(&format!("\"{r}\"")).unwrap(),
                r
            );
        }
        assert_eq!(
            [
                "window_staff",
                "unit_admin",
                "supervisor",
                "system_admin",
                "citizen",
                "hotline"
            ],
            Role::ALL.map(Role::as_str)
        );
        let e = "admin".parse::<Role>().unwrap_err();
        assert_eq!(e.to_string(), "unknown role: \"admin\"");
        assert!(Role::try_from(String::from("Supervisor")).is_err());
    }

    #[test]
    fn capabilities_follow_the_roles() {
        use Role::*;
        let who = |f: fn(Role) -> bool| Role::ALL.into_iter().filter(|r| f(*r)).collect::<Vec<_>>();
        assert_eq!(who(Role::reads_reports), [UnitAdmin, Supervisor]);
        assert_eq!(who(Role::handles_tickets), [UnitAdmin, Supervisor]);
        assert_eq!(who(Role::may_reveal_phone), [UnitAdmin, Supervisor]);
        assert_eq!(who(Role::manages_devices), [UnitAdmin, SystemAdmin]);
        assert_eq!(who(Role::is_staff), Role::STAFF);
    }

    #[test]
    fn every_device_kind_parses_back_and_serialises_as_its_text() {
        for k in DeviceKind::ALL {
            assert_eq!(k.as_str().parse::<DeviceKind>(), Ok(k));
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
        }
        assert_eq!(
            ["kiosk", "window_pad", "web"],
            DeviceKind::ALL.map(DeviceKind::as_str)
        );
        assert!("pad".parse::<DeviceKind>().is_err());
        assert!(DeviceKind::try_from(String::from("fax")).is_err());
    }

    #[test]
    fn terminals_send_their_own_channel_and_web_endpoints_the_web_ones() {
        assert!(DeviceKind::Kiosk.is_terminal() && DeviceKind::WindowPad.is_terminal());
        assert!(!DeviceKind::Web.is_terminal());
        assert_eq!(DeviceKind::Kiosk.channels(), [Channel::Kiosk]);
        assert_eq!(DeviceKind::WindowPad.default_channel(), Channel::WindowPad);
        assert_eq!(DeviceKind::Web.default_channel(), Channel::QrStatic);
        assert_eq!(DeviceKind::Web.channels(), Channel::WEB);
        assert_eq!(DeviceKind::WindowPad.page(), "pad");
        assert_eq!(DeviceKind::Kiosk.page(), "kiosk");
    }
}
