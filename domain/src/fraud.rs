//! Misuse patterns (seed 002 二(一)): ratings given by a staff member of the
//! rated unit (自评), one phone number rating many cases in a short time
//! (批量评价), and bursts on one kiosk. A flag never deletes anything: the
//! rating is kept, left out of assessment figures until a supervisor
//! reviews it (`metrics::RatingFact::flagged`). Thresholds are policy.

use serde::{Deserialize, Serialize};

/// Why a rating was flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    /// The evaluator is a staff member of the rated unit.
    SelfEvaluation,
    /// One phone number rated many cases within a short time.
    BatchPhone,
    /// Many ratings on one device within a short time.
    DeviceBurst,
    /// Many web ratings from one client address within a short time.
    AddressBurst,
    /// Many web ratings of one window (or place) within a short time.
    WebBurst,
    /// A kiosk or pad rating dated before the device was enrolled, or
    /// older than the offline window when it arrived.
    Late,
}

impl FlagReason {
    pub const ALL: [FlagReason; 6] = [
        FlagReason::SelfEvaluation,
        FlagReason::BatchPhone,
        FlagReason::DeviceBurst,
        FlagReason::AddressBurst,
        FlagReason::WebBurst,
        FlagReason::Late,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::SelfEvaluation => "self_evaluation",
            FlagReason::BatchPhone => "batch_phone",
            FlagReason::DeviceBurst => "device_burst",
            FlagReason::AddressBurst => "address_burst",
            FlagReason::WebBurst => "web_burst",
            FlagReason::Late => "late",
        }
    }
    pub fn parse(s: &str) -> Option<FlagReason> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            FlagReason::SelfEvaluation => "疑似自评（评价人为被评价单位工作人员）",
            FlagReason::BatchPhone => "疑似批量评价（同一手机号短时间内评价多件）",
            FlagReason::DeviceBurst => "疑似刷评（同一设备短时间内评价过多）",
            FlagReason::AddressBurst => "疑似刷评（同一网络地址短时间内评价过多）",
            FlagReason::WebBurst => "疑似刷评（同一窗口或场所的扫码评价短时间内过多）",
            FlagReason::Late => "评价时间存疑（早于设备启用或离线时间过长）",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            FlagReason::SelfEvaluation => {
                "Possible self-evaluation (the evaluator works at the rated unit)"
            }
            FlagReason::BatchPhone => "Possible batch rating (one phone, many cases, short time)",
            FlagReason::DeviceBurst => {
                "Possible burst (too many ratings on one device in a short time)"
            }
            FlagReason::AddressBurst => {
                "Possible burst (too many web ratings from one address in a short time)"
            }
            FlagReason::WebBurst => {
                "Possible burst (too many web ratings of one window or place in a short time)"
            }
            FlagReason::Late => {
                "Doubtful time (before the device was enrolled, or offline too long)"
            }
        }
    }
}

/// "At least `count` within `within_ms`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Window {
    pub count: usize,
    pub within_ms: i64,
}

/// The thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FraudPolicy {
    /// Distinct cases rated by one phone number.
    pub batch_phone: Window,
    /// Ratings on one kiosk or pad (a citizen takes more than a few seconds).
    pub device_burst: Window,
    /// Web ratings from one client address (a hall's phones may share one).
    pub address_burst: Window,
    /// Web ratings of one window, or of a place rated without a window.
    pub web_burst: Window,
}

impl Default for FraudPolicy {
    fn default() -> Self {
        FraudPolicy {
            batch_phone: Window {
                count: 5,
                within_ms: 3_600_000,
            },
            device_burst: Window {
                count: 10,
                within_ms: 60_000,
            },
            address_burst: Window {
                count: 20,
                within_ms: 60_000,
            },
            web_burst: Window {
                count: 5,
                within_ms: 60_000,
            },
        }
    }
}

/// Which of `times` (ms, any order) lie in some span of at most
/// `w.within_ms` holding at least `w.count` of them. O(n log n).
pub fn in_dense_window(times: &[i64], w: Window) -> Vec<bool> {
    let n = times.len();
    let mut out = vec![false; n];
    if w.count == 0 || n < w.count {
        return out;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (times[i], i));
    // For each start, the first `count` sorted items from it span
    // times[end] - times[start]; if that fits, all of them are dense.
    let mut mark_until = 0usize; // sorted positions < mark_until already marked
    for start in 0..=n - w.count {
        let end = start + w.count - 1;
        if times[order[end]] - times[order[start]] <= w.within_ms {
            for &i in &order[start.max(mark_until)..=end] {
                out[i] = true;
            }
            mark_until = end + 1;
        }
    }
    out
}

/// How many earlier (and later) ratings a burst detector must read on
/// each side of a batch: a dense run of `count` holding one of the batch's
/// ratings lies within `count - 1` positions of it.
pub fn neighbours(w: Window) -> usize {
    w.count.saturating_sub(1)
}

/// Which of the stored `times` a burst detector reads around a batch whose
/// ratings span `lo..=hi`: every one in the span, and the nearest
/// [`neighbours`] on each side (all ties of the farthest one included),
/// none more than `w.within_ms` outside the span. The server's query
/// selects the same rows. [`in_dense_window`] over them (with the batch)
/// marks exactly the ratings the whole history would mark that share a
/// dense run with the batch; a run without any of the batch's ratings was
/// dense, and flagged, when its last rating arrived.
pub fn reach(times: &[i64], (lo, hi): (i64, i64), w: Window) -> Vec<bool> {
    let k = neighbours(w);
    let mut before: Vec<i64> = times
        .iter()
        .copied()
        .filter(|&t| t < lo && t >= lo - w.within_ms)
        .collect();
    before.sort_unstable_by(|a, b| b.cmp(a));
    let mut after: Vec<i64> = times
        .iter()
        .copied()
        .filter(|&t| t > hi && t <= hi + w.within_ms)
        .collect();
    after.sort_unstable();
    // The k-th nearest on each side, or the window's edge when fewer.
    let from = if k == 0 {
        lo
    } else {
        before.get(k - 1).copied().unwrap_or(lo - w.within_ms)
    };
    let to = if k == 0 {
        hi
    } else {
        after.get(k - 1).copied().unwrap_or(hi + w.within_ms)
    };
    times.iter().map(|&t| t >= from && t <= to).collect()
}

/// One rating by a phone number, for 批量评价.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneRating {
    pub phone: String,
    pub case_id: Option<i64>,
    pub at: i64,
}

/// Which ratings belong to a burst of one phone number over at least
/// `count` distinct cases within the window. Ratings with no case count as
/// distinct (each is one service).
pub fn batch_phone(items: &[PhoneRating], w: Window) -> Vec<bool> {
    let mut out = vec![false; items.len()];
    let mut by_phone: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, it) in items.iter().enumerate() {
        by_phone.entry(it.phone.as_str()).or_default().push(i);
    }
    for idx in by_phone.values() {
        // The first rating of each case (repeats of one case are 追加评价, not batches).
        let mut firsts: Vec<usize> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut sorted = idx.clone();
        sorted.sort_by_key(|&i| (items[i].at, i));
        for i in sorted {
            if items[i].case_id.is_none_or(|c| seen.insert(c)) {
                firsts.push(i);
            }
        }
        let times: Vec<i64> = firsts.iter().map(|&i| items[i].at).collect();
        for (k, dense) in in_dense_window(&times, w).into_iter().enumerate() {
            if dense {
                out[firsts[k]] = true;
            }
        }
    }
    out
}

/// 自评: the evaluator's phone or ID number is one of the rated unit's
/// staff members'. Numbers are compared as given (validated upstream).
pub fn self_evaluation(
    evaluator_phone: Option<&str>,
    evaluator_id_no: Option<&str>,
    unit_staff: &[(Option<&str>, Option<&str>)],
) -> bool {
    unit_staff.iter().any(|(phone, id)| {
        (evaluator_phone.is_some() && evaluator_phone == *phone)
            || (evaluator_id_no.is_some()
                && evaluator_id_no.map(str::to_ascii_uppercase) == id.map(str::to_ascii_uppercase))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const W: Window = Window {
        count: 3,
        within_ms: 100,
    };

    #[test]
    fn three_within_a_hundred_ms_are_dense_and_stragglers_are_not() {
        assert_eq!(
            in_dense_window(&[0, 50, 100, 500], W),
            [true, true, true, false]
        );
        assert_eq!(in_dense_window(&[0, 50, 101], W), [false, false, false]);
        assert_eq!(
            in_dense_window(&[500, 0, 40, 80, 120], W),
            [false, true, true, true, true]
        );
        assert_eq!(in_dense_window(&[1, 2], W), [false, false]);
    }

    #[test]
    fn the_reach_is_the_span_and_two_neighbours_either_side_within_the_window() {
        // count 3: two neighbours each side; 0 and 1000 are out of the window.
        let earlier = [0, 300, 350, 360, 390, 410, 420, 450, 500, 1000];
        assert_eq!(
            reach(&earlier, (400, 405), W),
            [false, false, false, true, true, true, true, false, false, false]
        );
        // Ties of the farthest neighbour are all read.
        assert_eq!(
            reach(&[380, 390, 390, 395], (400, 400), W),
            [false, true, true, true]
        );
        // Fewer neighbours than needed: the window's edge.
        assert_eq!(reach(&[250, 310], (400, 400), W), [false, true]);
        assert_eq!(
            neighbours(Window {
                count: 0,
                within_ms: 5
            }),
            0
        );
    }

    #[test]
    fn one_phone_over_many_cases_is_a_batch_but_repeats_of_one_case_are_not() {
        let r = |phone: &str, case_id, at| PhoneRating {
            phone: phone.into(),
            case_id,
            at,
        };
        let items = [
            r("13800000001", Some(1), 0),
            r("13800000001", Some(2), 10),
            r("13800000001", Some(3), 20),
            r("13800000002", Some(4), 20),
            r("13800000003", Some(5), 0),
            r("13800000003", Some(5), 10),
            r("13800000003", Some(5), 20),
        ];
        assert_eq!(
            batch_phone(&items, W),
            [true, true, true, false, false, false, false]
        );
    }

    #[test]
    fn a_staff_members_own_phone_or_id_is_self_evaluation() {
        let staff = [
            (Some("13800000001"), None),
            (None, Some("11010519491231002X")),
        ];
        assert!(self_evaluation(Some("13800000001"), None, &staff));
        assert!(self_evaluation(None, Some("11010519491231002x"), &staff));
        assert!(!self_evaluation(Some("13900000000"), None, &staff));
        assert!(!self_evaluation(None, None, &[(None, None)]));
    }

    /// The obvious O(n²) definition.
    fn brute(times: &[i64], w: Window) -> Vec<bool> {
        times
            .iter()
            .map(|&t| {
                times.iter().any(|&s| {
                    s <= t
                        && t <= s + w.within_ms
                        && times
                            .iter()
                            .filter(|&&x| x >= s && x <= s + w.within_ms)
                            .count()
                            >= w.count
                })
            })
            .collect()
    }

    proptest! {
        #[test]
        fn the_fast_window_agrees_with_the_definition(
            times in prop::collection::vec(0i64..1000, 0..60),
            count in 1usize..6,
            within in 0i64..200,
        ) {
            let w = Window { count, within_ms: within };
            prop_assert_eq!(in_dense_window(&times, w), brute(&times, w));
        }

        #[test]
        fn reading_the_reach_marks_the_batch_as_the_whole_history_would(
            earlier in prop::collection::vec(0i64..2000, 0..80),
            batch in prop::collection::vec(800i64..1200, 1..15),
            count in 1usize..8,
            within in 0i64..300,
        ) {
            let w = Window { count, within_ms: within };
            let lo = *batch.iter().min().unwrap();
            let hi = *batch.iter().max().unwrap();
            // The whole history: earlier ratings, then the batch.
            let all: Vec<i64> = earlier.iter().chain(&batch).copied().collect();
            let whole = in_dense_window(&all, w);
            let read = reach(&earlier, (lo, hi), w);
            let kept: Vec<usize> = (0..earlier.len()).filter(|&i| read[i]).collect();
            let subset: Vec<i64> = kept.iter().map(|&i| earlier[i]).chain(batch.iter().copied()).collect();
            let near = in_dense_window(&subset, w);
            // The batch's ratings: the same verdict.
            prop_assert_eq!(&near[kept.len()..], &whole[earlier.len()..]);
            // An earlier rating read is marked only if the history marks it.
            for (j, &i) in kept.iter().enumerate() {
                prop_assert!(!near[j] || whole[i]);
            }
            // An earlier rating the history marks and the earlier ratings
            // alone do not (a run with the batch's) is read and marked.
            let before = in_dense_window(&earlier, w);
            for i in 0..earlier.len() {
                if whole[i] && !before[i] {
                    let j = kept.iter().position(|&x| x == i);
                    prop_assert!(j.is_some_and(|j| near[j]), "rating {} at {}", i, earlier[i]);
                }
            }
        }
    }
}
