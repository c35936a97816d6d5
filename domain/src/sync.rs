//! Exactly-once upload of ratings from devices that are often offline.
//!
//! The device gives every rating a UUIDv7 and keeps it until the server has
//! answered `accepted` or `duplicate`. The server stores the first content it
//! sees under an id; the same content again is a harmless replay, different
//! content under a known id is a conflict kept for review and never counted.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most ratings in one upload. The device sends batches of this size.
pub const MAX_BATCH: usize = 500;
/// Retry delays double from this…
pub const BACKOFF_BASE_MS: u64 = 2_000;
/// …and never exceed five minutes.
pub const BACKOFF_CAP_MS: u64 = 300_000;
/// A citizen may undo a rating for this long; it is not uploaded before.
pub const UNDO_WINDOW_MS: i64 = 10_000;

/// The server's answer for one item of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Stored now.
    Accepted,
    /// Stored before with identical content: a replay, treated as success.
    Duplicate,
    /// Stored before with different content: kept for review, not counted.
    Conflict,
    /// Failed validation: kept for review, not counted.
    Rejected,
}

impl ItemStatus {
    /// The device deletes its copy only once the server holds the rating.
    pub fn device_may_forget(self) -> bool {
        matches!(self, ItemStatus::Accepted | ItemStatus::Duplicate)
    }
}

/// Which items are the first occurrence of their id within one batch: only
/// those go to the store; [`resolve`] answers the repeats.
pub fn first_occurrences(ids: impl IntoIterator<Item = Uuid>) -> Vec<bool> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter().map(|id| seen.insert(id)).collect()
}

/// The answer for a first occurrence, given what the store held before it.
pub fn against_stored(stored: Option<&str>, incoming: &str) -> ItemStatus {
    match stored {
        None => ItemStatus::Accepted,
        Some(s) if s == incoming => ItemStatus::Duplicate,
        Some(_) => ItemStatus::Conflict,
    }
}

/// Resolves a whole batch against the store's prior contents, in order.
/// `stored` answers with the content held for an id before this batch.
/// Each item is compared with what the store holds once the items before
/// it are applied: the first content ever received under an id.
pub fn resolve<'a>(
    items: &[(Uuid, &'a str)],
    stored: impl Fn(&Uuid) -> Option<&'a str>,
) -> Vec<ItemStatus> {
    let mut held: std::collections::HashMap<Uuid, &'a str> = std::collections::HashMap::new();
    items
        .iter()
        .map(|&(id, content)| match held.get(&id) {
            Some(&h) => against_stored(Some(h), content),
            None => {
                let before = stored(&id);
                held.insert(id, before.unwrap_or(content));
                against_stored(before, content)
            }
        })
        .collect()
}

/// The rating time on the server's clock. The device sends its own clock
/// reading (`device_sent_at`) with every batch; the difference to the
/// server's receipt time is the skew (network delay is ignored: seconds at
/// most, against device clocks that can be off by days). A corrected time
/// never lies in the future of the receipt.
pub fn corrected_time(device_time: i64, device_sent_at: i64, server_received_at: i64) -> i64 {
    let skew = server_received_at.saturating_sub(device_sent_at);
    device_time.saturating_add(skew).min(server_received_at)
}

/// Why a kiosk's or pad's rating time is in doubt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Late {
    /// Dated before the device was enrolled.
    BeforeEnrolment,
    /// Older than the offline window when it arrived.
    TooOld { days: i64 },
}

impl Late {
    pub fn detail_zh(self) -> String {
        match self {
            Late::BeforeEnrolment => "评价时间早于该设备的启用时间".into(),
            Late::TooOld { days } => {
                format!("评价时间距上传已超过 {days} 天（离线过久或设备时钟有误）")
            }
        }
    }
}

/// A device rating's time (`rated_at`, after clock correction) checked
/// against when the device was enrolled and the offline window: village
/// points may deliver days late, but not before they existed, nor beyond
/// the window. Such a rating is stored and flagged, never dropped.
pub fn lateness(
    rated_at: i64,
    received_at: i64,
    enrolled_at: Option<i64>,
    window_days: i64,
) -> Option<Late> {
    const DAY_MS: i64 = 86_400_000;
    if enrolled_at.is_some_and(|e| rated_at < e) {
        return Some(Late::BeforeEnrolment);
    }
    (received_at - rated_at > window_days * DAY_MS).then_some(Late::TooOld { days: window_days })
}

/// Delay before the next attempt after `failures` failed attempts in a row.
/// `jitter_permille` (0..=1000) spreads devices that failed together.
pub fn backoff_ms(failures: u32, jitter_permille: u16) -> u64 {
    if failures == 0 {
        return 0;
    }
    let exp = BACKOFF_BASE_MS.saturating_mul(1u64 << (failures - 1).min(20));
    let jitter = u64::from(jitter_permille.min(1000));
    (exp.saturating_mul(1000 + jitter) / 1000).min(BACKOFF_CAP_MS)
}

/// What the device knows of a queued rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum QueueState {
    /// Waiting to upload (after `hold_until`, the end of the undo window).
    Pending { hold_until: i64 },
    /// The server refused it or holds other content under its id: kept on the
    /// device and shown to staff, never uploaded again automatically.
    NeedsReview {
        status: ItemStatus,
        code: String,
        message: String,
    },
}

/// The device's plan for the next upload: pending, out of the undo window,
/// oldest first by sequence number, at most [`MAX_BATCH`].
pub fn plan_batch(queue: &[(Uuid, u64, QueueState)], now: i64) -> Vec<Uuid> {
    let mut ready: Vec<(u64, Uuid)> = queue
        .iter()
        .filter(|(_, _, s)| matches!(s, QueueState::Pending { hold_until } if *hold_until <= now))
        .map(|(id, seq, _)| (*seq, *id))
        .collect();
    ready.sort();
    ready
        .into_iter()
        .take(MAX_BATCH)
        .map(|(_, id)| id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn a_rating_before_enrolment_or_past_the_offline_window_is_late() {
        let day = 86_400_000;
        let now = 100 * day;
        assert_eq!(lateness(now - 2 * day, now, Some(now - 10 * day), 30), None);
        assert_eq!(
            lateness(now - 11 * day, now, Some(now - 10 * day), 30),
            Some(Late::BeforeEnrolment)
        );
        assert_eq!(
            lateness(now - 31 * day, now, None, 30),
            Some(Late::TooOld { days: 30 })
        );
        assert_eq!(lateness(now - 30 * day, now, None, 30), None);
    }

    fn id(n: u8) -> Uuid {
        Uuid::from_u128(u128::from(n))
    }

    #[test]
    fn only_the_first_occurrence_of_an_id_goes_to_the_store() {
        assert_eq!(
            first_occurrences([id(1), id(2), id(1), id(3), id(2)]),
            [true, true, false, true, false]
        );
    }

    #[test]
    fn a_batch_sent_twice_is_accepted_then_duplicate() {
        let items = [(id(1), "a"), (id(2), "b")];
        let mut store: HashMap<Uuid, &str> = HashMap::new();
        let first = resolve(&items, |k| store.get(k).copied());
        assert_eq!(first, [ItemStatus::Accepted, ItemStatus::Accepted]);
        store.extend(items);
        let second = resolve(&items, |k| store.get(k).copied());
        assert_eq!(second, [ItemStatus::Duplicate, ItemStatus::Duplicate]);
    }

    #[test]
    fn an_item_repeated_in_a_batch_is_stored_once() {
        let items = [(id(1), "a"), (id(1), "a"), (id(1), "changed")];
        let got = resolve(&items, |_| None);
        assert_eq!(
            got,
            [
                ItemStatus::Accepted,
                ItemStatus::Duplicate,
                ItemStatus::Conflict
            ]
        );
    }

    #[test]
    fn a_repeat_matching_the_stored_content_is_a_duplicate_even_after_a_conflict() {
        // Found by the model test below: the store holds "c"; the batch
        // carries "a" then "c" under the same id.
        let got = resolve(&[(id(3), "a"), (id(3), "c")], |_| Some("c"));
        assert_eq!(got, [ItemStatus::Conflict, ItemStatus::Duplicate]);
    }

    #[test]
    fn changed_content_under_a_known_id_is_a_conflict() {
        let got = resolve(&[(id(1), "new")], |_| Some("old"));
        assert_eq!(got, [ItemStatus::Conflict]);
        assert!(!ItemStatus::Conflict.device_may_forget());
        assert!(ItemStatus::Duplicate.device_may_forget());
    }

    #[test]
    fn clock_skew_is_removed() {
        // Device clock is one hour slow; rated 5 minutes before sending.
        let hour = 3_600_000;
        let received = 1_800_000_000_000;
        let sent = received - hour;
        let rated = sent - 300_000;
        assert_eq!(corrected_time(rated, sent, received), received - 300_000);
    }

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(backoff_ms(0, 0), 0);
        assert_eq!(backoff_ms(1, 0), 2_000);
        assert_eq!(backoff_ms(2, 0), 4_000);
        assert_eq!(backoff_ms(8, 0), 256_000);
        assert_eq!(backoff_ms(9, 0), BACKOFF_CAP_MS);
        assert_eq!(backoff_ms(u32::MAX, 1000), BACKOFF_CAP_MS);
    }

    #[test]
    fn the_plan_skips_held_and_reviewed_items_and_takes_oldest_first() {
        let review = QueueState::NeedsReview {
            status: ItemStatus::Conflict,
            code: "conflict".into(),
            message: String::new(),
        };
        let queue = vec![
            (id(3), 3, QueueState::Pending { hold_until: 0 }),
            (id(1), 1, QueueState::Pending { hold_until: 0 }),
            (id(2), 2, review),
            (id(4), 4, QueueState::Pending { hold_until: 99 }),
        ];
        assert_eq!(plan_batch(&queue, 50), vec![id(1), id(3)]);
        assert_eq!(plan_batch(&queue, 100), vec![id(1), id(3), id(4)]);
    }

    fn batch_strategy() -> impl Strategy<Value = Vec<Vec<(u8, u8)>>> {
        // Batches of (id, content) drawn from small ranges, so that replays,
        // repeats and changed payloads all happen often.
        prop::collection::vec(prop::collection::vec((0u8..12, 0u8..3), 0..10), 1..8)
    }

    proptest! {
        /// A model of the server: whatever the order of batches, replays and
        /// changed payloads, each id is stored once with the first content
        /// seen, and every answer agrees with that store.
        #[test]
        fn any_sequence_of_batches_stores_each_id_once_with_its_first_content(batches in batch_strategy()) {
            let contents = ["a", "b", "c"];
            let mut store: HashMap<Uuid, &str> = HashMap::new();
            let mut first_seen: HashMap<Uuid, &str> = HashMap::new();
            for batch in batches {
                let items: Vec<(Uuid, &str)> = batch.iter().map(|&(i, c)| (id(i), contents[c as usize])).collect();
                let answers = resolve(&items, |k| store.get(k).copied());
                prop_assert_eq!(answers.len(), items.len());
                for (&(k, c), status) in items.iter().zip(&answers) {
                    let truth = *first_seen.entry(k).or_insert(c);
                    // The device may forget exactly when the server holds the same content.
                    prop_assert_eq!(status.device_may_forget(), truth == c);
                }
                for ((k, c), status) in items.iter().zip(&answers) {
                    if *status == ItemStatus::Accepted {
                        prop_assert!(store.insert(*k, c).is_none(), "accepted twice");
                    }
                }
            }
            prop_assert_eq!(store, first_seen);
        }

        #[test]
        fn corrected_times_never_pass_receipt_and_keep_order(
            t1 in -1_000_000_000i64..1_000_000_000, t2 in -1_000_000_000i64..1_000_000_000,
            sent in -1_000_000_000i64..1_000_000_000, received in 0i64..2_000_000_000,
        ) {
            let a = corrected_time(t1, sent, received);
            let b = corrected_time(t2, sent, received);
            prop_assert!(a <= received && b <= received);
            if t1 <= t2 { prop_assert!(a <= b); }
            if sent == received && t1 <= sent { prop_assert_eq!(a, t1); }
        }

        #[test]
        fn backoff_never_exceeds_the_cap_and_never_shrinks(f in 0u32..64, j in 0u16..=1000) {
            prop_assert!(backoff_ms(f, j) <= BACKOFF_CAP_MS);
            prop_assert!(backoff_ms(f + 1, j) >= backoff_ms(f, j));
        }

        #[test]
        fn plan_never_exceeds_a_batch_and_never_repeats(n in 0usize..1200, now in 0i64..10) {
            let queue: Vec<_> = (0..n).map(|i| (Uuid::from_u128(i as u128), i as u64, QueueState::Pending { hold_until: (i % 10) as i64 })).collect();
            let plan = plan_batch(&queue, now);
            prop_assert!(plan.len() <= MAX_BATCH);
            let mut sorted = plan.clone(); sorted.sort(); sorted.dedup();
            prop_assert_eq!(sorted.len(), plan.len());
        }
    }
}
