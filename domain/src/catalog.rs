//! Configuration that travels with every rating: the itemized dimensions
//! (versioned sets, 001 §2) and the reason tags offered on a bad rating (000).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimension {
    pub code: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
}

/// A versioned set of dimensions. A rating names the set it was given against,
/// so a later change of the set never reinterprets old ratings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DimensionSet {
    pub code: &'static str,
    /// How an administrator chooses it.
    pub label_zh: &'static str,
    pub dimensions: &'static [Dimension],
}

/// The on-site set seen in the seeds: 服务效率 / 服务水平 / 服务态度.
pub const ONSITE_V1: DimensionSet = DimensionSet {
    code: "onsite-v1",
    label_zh: "三项：服务效率、服务水平、服务态度",
    dimensions: &[
        Dimension {
            code: "efficiency",
            label_zh: "服务效率",
            label_en: "Efficiency",
        },
        Dimension {
            code: "competence",
            label_zh: "服务水平",
            label_en: "Competence",
        },
        Dimension {
            code: "attitude",
            label_zh: "服务态度",
            label_en: "Attitude",
        },
    ],
};

/// Seed 001 附件 (张店区政务服务“好差评”评价指标): seven dimensions.
pub const SEVEN_V1: DimensionSet = DimensionSet {
    code: "seven-v1",
    label_zh: "七项：承诺履行、服务态度、申请材料、办事效率、跑趟次数、服务机制、勤政廉洁",
    dimensions: &[
        Dimension {
            code: "commitment",
            label_zh: "承诺履行",
            label_en: "Promises kept",
        },
        Dimension {
            code: "attitude",
            label_zh: "服务态度",
            label_en: "Attitude",
        },
        Dimension {
            code: "materials",
            label_zh: "申请材料",
            label_en: "Documents asked for",
        },
        Dimension {
            code: "efficiency",
            label_zh: "办事效率",
            label_en: "Efficiency",
        },
        Dimension {
            code: "trips",
            label_zh: "跑趟次数",
            label_en: "Trips needed",
        },
        Dimension {
            code: "mechanism",
            label_zh: "服务机制",
            label_en: "Service arrangements",
        },
        Dimension {
            code: "integrity",
            label_zh: "勤政廉洁",
            label_en: "Diligence and integrity",
        },
    ],
};

pub const DEFAULT_DIMENSION_SET: DimensionSet = ONSITE_V1;

/// Every set a device or channel may be given. Sets are never removed or
/// changed once shipped: a rating names its set, and is read under it.
pub const DIMENSION_SETS: &[DimensionSet] = &[ONSITE_V1, SEVEN_V1];

impl DimensionSet {
    pub fn find(code: &str) -> Option<DimensionSet> {
        DIMENSION_SETS.iter().copied().find(|s| s.code == code)
    }

    pub fn has(&self, dimension: &str) -> bool {
        self.dimensions.iter().any(|d| d.code == dimension)
    }
}

/// Why a citizen was dissatisfied. Seed 000's common complaints come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReasonTag {
    /// 服务态度差
    Attitude,
    /// 办事效率低
    Slow,
    /// 多头跑、多次跑
    Runaround,
    /// 材料要求不清楚
    UnclearMaterials,
    /// 等候时间长
    LongWait,
    /// 其他
    Other,
}

impl ReasonTag {
    pub const ALL: [ReasonTag; 6] = [
        ReasonTag::Attitude,
        ReasonTag::Slow,
        ReasonTag::Runaround,
        ReasonTag::UnclearMaterials,
        ReasonTag::LongWait,
        ReasonTag::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReasonTag::Attitude => "attitude",
            ReasonTag::Slow => "slow",
            ReasonTag::Runaround => "runaround",
            ReasonTag::UnclearMaterials => "unclear_materials",
            ReasonTag::LongWait => "long_wait",
            ReasonTag::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ReasonTag> {
        ReasonTag::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ReasonTag::Attitude => "服务态度差",
            ReasonTag::Slow => "办事效率低",
            ReasonTag::Runaround => "多头跑、多次跑",
            ReasonTag::UnclearMaterials => "材料要求不清楚",
            ReasonTag::LongWait => "等候时间长",
            ReasonTag::Other => "其他",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            ReasonTag::Attitude => "Poor attitude",
            ReasonTag::Slow => "Slow",
            ReasonTag::Runaround => "Sent between offices",
            ReasonTag::UnclearMaterials => "Unclear requirements",
            ReasonTag::LongWait => "Long wait",
            ReasonTag::Other => "Other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_001s_seven_dimensions_ship_beside_the_three_and_codes_are_unique() {
        let seven = DimensionSet::find("seven-v1").unwrap();
        let labels: Vec<&str> = seven.dimensions.iter().map(|d| d.label_zh).collect();
        assert_eq!(
            labels,
            [
                "承诺履行",
                "服务态度",
                "申请材料",
                "办事效率",
                "跑趟次数",
                "服务机制",
                "勤政廉洁"
            ]
        );
        assert_eq!(DimensionSet::find("onsite-v1"), Some(ONSITE_V1));
        for (i, a) in DIMENSION_SETS.iter().enumerate() {
            assert!(DIMENSION_SETS[i + 1..].iter().all(|b| b.code != a.code));
            let mut codes: Vec<&str> = a.dimensions.iter().map(|d| d.code).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), a.dimensions.len(), "{}", a.code);
        }
    }

    #[test]
    fn the_default_set_is_findable_and_has_unique_codes() {
        let set = DimensionSet::find(DEFAULT_DIMENSION_SET.code).unwrap();
        let mut codes: Vec<_> = set.dimensions.iter().map(|d| d.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), set.dimensions.len());
        assert!(set.has("attitude"));
        assert!(!set.has("honesty"));
        assert!(DimensionSet::find("onsite-v0").is_none());
    }

    #[test]
    fn every_reason_tag_round_trips() {
        for r in ReasonTag::ALL {
            assert_eq!(ReasonTag::parse(r.as_str()), Some(r));
        }
    }
}
