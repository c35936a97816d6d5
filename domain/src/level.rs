//! The five satisfaction levels (001 §7, 004 §15), their grouping into
//! 好评 / 中评 / 差评, and the two numeric code conventions met at the edges.

use serde::{Deserialize, Serialize};

/// One internal enum; external numeric codes are mapped explicitly with [`CodeMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    VerySatisfied,
    Satisfied,
    Basic,
    Dissatisfied,
    VeryDissatisfied,
}

/// 好评 (非常满意, 满意), 中评 (基本满意), 差评 (不满意, 非常不满意).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Good,
    Medium,
    Bad,
}

impl Level {
    /// Best first, the order the kiosk shows them in.
    pub const ALL: [Level; 5] = [
        Level::VerySatisfied,
        Level::Satisfied,
        Level::Basic,
        Level::Dissatisfied,
        Level::VeryDissatisfied,
    ];

    pub fn grade(self) -> Grade {
        match self {
            Level::VerySatisfied | Level::Satisfied => Grade::Good,
            Level::Basic => Grade::Medium,
            Level::Dissatisfied | Level::VeryDissatisfied => Grade::Bad,
        }
    }

    pub fn is_bad(self) -> bool {
        self.grade() == Grade::Bad
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::VerySatisfied => "非常满意",
            Level::Satisfied => "满意",
            Level::Basic => "基本满意",
            Level::Dissatisfied => "不满意",
            Level::VeryDissatisfied => "非常不满意",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Level::VerySatisfied => "Very satisfied",
            Level::Satisfied => "Satisfied",
            Level::Basic => "Basically satisfied",
            Level::Dissatisfied => "Dissatisfied",
            Level::VeryDissatisfied => "Very dissatisfied",
        }
    }

    /// The snake_case name used on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::VerySatisfied => "very_satisfied",
            Level::Satisfied => "satisfied",
            Level::Basic => "basic",
            Level::Dissatisfied => "dissatisfied",
            Level::VeryDissatisfied => "very_dissatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Rank 1 (best) … 5 (worst); the national convention, and our storage code.
    pub fn rank(self) -> u8 {
        match self {
            Level::VerySatisfied => 1,
            Level::Satisfied => 2,
            Level::Basic => 3,
            Level::Dissatisfied => 4,
            Level::VeryDissatisfied => 5,
        }
    }

    pub fn from_rank(rank: u8) -> Option<Level> {
        Level::ALL.get(usize::from(rank).checked_sub(1)?).copied()
    }
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Good => "good",
            Grade::Medium => "medium",
            Grade::Bad => "bad",
        }
    }
}

/// The numeric code conventions met at the system's edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CodeMap {
    /// GB/T 39046-2020 A.8: 1 = 非常满意 … 5 = 非常不满意.
    Gbt39046,
    /// The reverse provincial convention (e.g. Zhejiang): 1 = 非常不满意 … 5 = 非常满意.
    Reverse,
}

impl CodeMap {
    pub fn encode(self, level: Level) -> u8 {
        match self {
            CodeMap::Gbt39046 => level.rank(),
            CodeMap::Reverse => 6 - level.rank(),
        }
    }

    pub fn decode(self, code: u8) -> Option<Level> {
        match self {
            CodeMap::Gbt39046 => Level::from_rank(code),
            CodeMap::Reverse => Level::from_rank(6u8.checked_sub(code)?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn national_code_one_is_very_satisfied_and_reverse_code_one_is_very_dissatisfied() {
        assert_eq!(CodeMap::Gbt39046.decode(1), Some(Level::VerySatisfied));
        assert_eq!(CodeMap::Reverse.decode(1), Some(Level::VeryDissatisfied));
        assert_eq!(CodeMap::Gbt39046.encode(Level::Basic), 3);
        assert_eq!(CodeMap::Reverse.encode(Level::Satisfied), 4);
    }

    #[test]
    fn grades_follow_the_seed_grouping() {
        let grades: Vec<Grade> = Level::ALL.iter().map(|l| l.grade()).collect();
        assert_eq!(
            grades,
            [
                Grade::Good,
                Grade::Good,
                Grade::Medium,
                Grade::Bad,
                Grade::Bad
            ]
        );
    }

    #[test]
    fn codes_outside_one_to_five_are_refused() {
        for map in [CodeMap::Gbt39046, CodeMap::Reverse] {
            assert_eq!(map.decode(0), None);
            assert_eq!(map.decode(6), None);
        }
    }

    fn any_level() -> impl Strategy<Value = Level> {
        prop::sample::select(Level::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn every_level_round_trips_through_both_code_maps(level in any_level()) {
            for map in [CodeMap::Gbt39046, CodeMap::Reverse] {
                prop_assert_eq!(map.decode(map.encode(level)), Some(level));
            }
            prop_assert_eq!(Level::parse(level.as_str()), Some(level));
        }

        #[test]
        fn the_two_conventions_are_mirror_images(level in any_level()) {
            prop_assert_eq!(CodeMap::Gbt39046.encode(level) + CodeMap::Reverse.encode(level), 6);
        }

        #[test]
        fn any_byte_decodes_to_a_level_or_nothing_and_round_trips(code in any::<u8>()) {
            for map in [CodeMap::Gbt39046, CodeMap::Reverse] {
                if let Some(level) = map.decode(code) {
                    prop_assert_eq!(map.encode(level), code);
                }
            }
        }
    }
}
