//! What the rated window clerk may read of a bad rating (seed 004 §14,
//! 001 §6: the evaluator stays unknown to them). Free text — the citizen's
//! comment, the administrator's description — goes to the clerk only after
//! numbers and names that could identify someone are blanked out.

/// Blanks phone and ID numbers (any run of 7 or more digits, with the
/// check letter of an ID number), e-mail addresses, and names in the
/// phrasings people use to give one (我叫…, 姓名…, 联系了…, …先生 / 女士).
pub fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        // Digits: a run of 7 or more (spaces and dashes inside allowed).
        if chars[i].is_ascii_digit() {
            let mut j = i;
            let mut digits = 0;
            while j < chars.len()
                && (chars[j].is_ascii_digit()
                    || (matches!(chars[j], ' ' | '-')
                        && j + 1 < chars.len()
                        && chars[j + 1].is_ascii_digit()))
            {
                digits += usize::from(chars[j].is_ascii_digit());
                j += 1;
            }
            if digits >= 7 {
                if j < chars.len() && matches!(chars[j], 'X' | 'x') {
                    j += 1;
                }
                out.push_str("[号码已隐去]");
            } else {
                out.extend(&chars[i..j]);
            }
            i = j;
            continue;
        }
        // An e-mail address: the word around an '@'.
        if chars[i] == '@' {
            while out.chars().last().is_some_and(is_mail_char) {
                out.pop();
            }
            let mut j = i + 1;
            while j < chars.len() && is_mail_char(chars[j]) {
                j += 1;
            }
            out.push_str("[邮箱已隐去]");
            i = j;
            continue;
        }
        // A name after the words that introduce one.
        if let Some(len) = NAME_INTRO
            .iter()
            .find(|w| starts_with(&chars, i, w))
            .map(|w| w.chars().count())
        {
            out.extend(&chars[i..i + len]);
            i += len;
            while i < chars.len() && matches!(chars[i], ':' | '：' | ' ') {
                out.push(chars[i]);
                i += 1;
            }
            let name = chars[i..].iter().take_while(|c| is_han(**c)).count().min(3);
            if name >= 2 {
                out.push_str("某某");
                i += name;
            }
            continue;
        }
        // A surname before a form of address: 张先生 → 某先生.
        if SURNAMES.contains(chars[i]) && TITLES.iter().any(|t| starts_with(&chars, i + 1, t)) {
            out.push('某');
            i += 1;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

const NAME_INTRO: [&str; 9] = [
    "我叫",
    "我是",
    "本人",
    "姓名",
    "名字",
    "联系人",
    "联系了",
    "评价人",
    "办事人",
];
const TITLES: [&str; 7] = ["先生", "女士", "小姐", "阿姨", "大爷", "大妈", "同志"];
/// The commonest surnames (most people carry one of these).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";

fn starts_with(chars: &[char], at: usize, word: &str) -> bool {
    let w: Vec<char> = word.chars().collect();
    chars.len() >= at + w.len() && chars[at..at + w.len()] == w[..]
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

fn is_mail_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_names_and_addresses_are_blanked() {
        assert_eq!(
            redact("我叫张三，电话13812345678，身份证11010519491231002X，请回电"),
            "我叫某某，电话[号码已隐去]，身份证[号码已隐去]，请回电"
        );
        assert_eq!(
            redact("座机 025-8765 4321 找李先生"),
            "座机 [号码已隐去] 找某先生"
        );
        assert_eq!(
            redact("邮件 zhang.san@example.cn 已回复"),
            "邮件 [邮箱已隐去] 已回复"
        );
        assert_eq!(
            redact("已电话联系了王芳，解释了原因"),
            "已电话联系了某某，解释了原因"
        );
        assert_eq!(redact("姓名：赵丽"), "姓名：某某");
    }

    #[test]
    fn ordinary_text_and_short_numbers_stay() {
        let t = "等了2个小时，跑了3趟，窗口态度差。";
        assert_eq!(redact(t), t);
        assert_eq!(redact("8号窗口 2026年11月"), "8号窗口 2026年11月");
        assert_eq!(redact("工作人员先生态度好"), "工作人员先生态度好");
    }

    proptest! {
        #[test]
        fn no_run_of_seven_digits_survives(s in "[0-9a-z一-十]{0,60}") {
            let r = redact(&s);
            let mut run = 0;
            for c in r.chars() {
                if c.is_ascii_digit() { run += 1; prop_assert!(run < 7, "{r}"); } else { run = 0; }
            }
        }

        #[test]
        fn a_phone_number_anywhere_is_gone(prefix in "[a-z一-十]{0,10}", n in 13_000_000_000u64..19_999_999_999, suffix in "[a-z一-十]{0,10}") {
            let r = redact(&format!("{prefix}{n}{suffix}"));
            prop_assert!(!r.contains(&n.to_string()));
        }
    }
}
