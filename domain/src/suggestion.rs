//! 意见建议: what a citizen writes with a rating that is not bad. Seed 001
//! 三(四) asks units to "主动对好评建议进行分类分析": suggestions given with
//! good ratings are classified and analysed, not only complaints. A
//! suggestion is any comment on a rating that is not 不满意 or 非常不满意
//! (those are 差评 and go to the loop); its topic is found by keywords,
//! the first topic whose words occur winning, so the same text always
//! lands in the same place.

use serde::{Deserialize, Serialize};

use super::level::Level;

macro_rules! topics {
    ($($name:ident = $code:literal / $zh:literal / $en:literal : [$($kw:literal),*]),+ $(,)?) => {
        /// What a suggestion is about.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum Topic { $($name),+ }

        impl Topic {
            pub const ALL: &'static [Topic] = &[$(Topic::$name),+];
            pub fn as_str(self) -> &'static str { match self { $(Topic::$name => $code),+ } }
            pub fn label_zh(self) -> &'static str { match self { $(Topic::$name => $zh),+ } }
            pub fn label_en(self) -> &'static str { match self { $(Topic::$name => $en),+ } }
            pub fn parse(s: &str) -> Option<Topic> { Topic::ALL.iter().copied().find(|t| t.as_str() == s) }
            /// The words that put a suggestion under this topic.
            pub fn keywords(self) -> &'static [&'static str] { match self { $(Topic::$name => &[$($kw),*]),+ } }
        }
    };
}

topics! {
    Waiting = "waiting" / "排队等候" / "Waiting" : ["排队", "等候", "等待", "等了", "叫号", "取号", "人多", "窗口少"],
    Materials = "materials" / "申请材料" / "Documents" : ["材料", "证明", "复印", "表格", "填表", "原件", "证件"],
    Online = "online" / "网上办事" / "Online services" : ["网上", "线上", "网站", "系统", "小程序", "app", "APP", "手机办", "掌上", "自助"],
    Process = "process" / "办事流程与效率" / "Process and speed" : ["流程", "效率", "跑", "环节", "时限", "太慢", "慢", "快一点", "一次办", "审批"],
    Attitude = "attitude" / "服务态度" / "Attitude" : ["态度", "耐心", "热情", "微笑", "礼貌", "脸色", "不耐烦"],
    Guidance = "guidance" / "咨询引导" / "Guidance" : ["咨询", "引导", "指引", "告知", "一次性", "解释", "讲解", "标识", "指示"],
    Environment = "environment" / "大厅环境与设施" / "Hall and facilities" : ["环境", "座位", "椅子", "空调", "停车", "厕所", "卫生间", "饮水", "打印", "设施", "充电", "无障碍"],
    Praise = "praise" / "表扬" / "Praise" : ["感谢", "谢谢", "表扬", "点赞", "很好", "满意", "辛苦", "好评", "棒"],
    Other = "other" / "其他" / "Other" : [],
}

/// A comment with a rating that is not bad is a suggestion.
pub fn is_suggestion(level: Level, comment: &str) -> bool {
    !level.is_bad() && !comment.trim().is_empty()
}

/// The suggestion's topic: the first of [`Topic::ALL`] with a keyword in
/// the text (a suggestion that also thanks is filed under what it asks
/// for, since praise comes last), [`Topic::Other`] when none.
pub fn classify(comment: &str) -> Topic {
    Topic::ALL
        .iter()
        .copied()
        .find(|t| t.keywords().iter().any(|k| comment.contains(k)))
        .unwrap_or(Topic::Other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn suggestions_are_filed_under_what_they_ask_for() {
        assert_eq!(classify("希望增加取号机，高峰期排队太久"), Topic::Waiting);
        assert_eq!(classify("建议一次性告知需要的材料"), Topic::Materials);
        assert_eq!(classify("小程序上能办就更好了"), Topic::Online);
        assert_eq!(classify("大厅里座位少，老人站着等"), Topic::Environment);
        assert_eq!(classify("工作人员很耐心，谢谢"), Topic::Attitude);
        assert_eq!(classify("谢谢你们"), Topic::Praise);
        assert_eq!(classify("无"), Topic::Other);
    }

    #[test]
    fn only_comments_with_ratings_that_are_not_bad_are_suggestions() {
        assert!(is_suggestion(Level::Satisfied, "希望开通周末服务"));
        assert!(is_suggestion(Level::Basic, "希望开通周末服务"));
        assert!(!is_suggestion(Level::Dissatisfied, "等太久"));
        assert!(!is_suggestion(Level::VerySatisfied, "  "));
    }

    #[test]
    fn every_topic_has_a_code_and_labels_that_parse_back() {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(*t));
            assert!(!t.label_zh().is_empty() && !t.label_en().is_empty());
            assert_eq!(t.keywords().is_empty(), *t == Topic::Other);
        }
    }

    proptest! {
        #[test]
        fn a_text_holding_a_topics_keyword_never_lands_under_other(
            prefix in "\\PC{0,20}", suffix in "\\PC{0,20}", i in 0usize..8,
        ) {
            let t = Topic::ALL[i];
            let k = t.keywords()[0];
            let got = classify(&format!("{prefix}{k}{suffix}"));
            prop_assert_ne!(got, Topic::Other);
            // An earlier topic can win, never a later one.
            prop_assert!(got <= t);
        }
    }
}
