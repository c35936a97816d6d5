//! The sync engine: uploads the queue in batches on start, on the `online`
//! event, after each rating's undo window, every 30 s while anything is
//! pending, and after a failure on a doubling backoff capped at 5 minutes.
//! One tab of the origin syncs at a time (a Web Lock).

use std::collections::HashMap;

use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::queue::{self, Entry, QueueError, LOCAL_BUDGET_UNITS};
use app::api::client::ClientError;
use app::api::endpoints;
use app::api::types::{DeviceConfig, ItemResult, SyncRequest};
use app::web;
use domain::case::RatingKind;
use domain::sync::{backoff_ms, plan_batch, ItemStatus, QueueState, UNDO_WINDOW_MS};
use domain::RatingRecord;

const LAST_SYNC_KEY: &str = "hcp.last_sync";
const LOCK_NAME: &str = "hcp-sync";
const PERIODIC_MS: u32 = 30_000;
/// Warn staff when less than this remains of the browser's estimate.
const LOW_QUOTA_BYTES: f64 = 20.0 * 1024.0 * 1024.0;

/// Everything the page shows about the queue. Copy: all fields are signals.
#[derive(Clone, Copy)]
pub struct SyncState {
    pub pending: RwSignal<usize>,
    pub needs_review: RwSignal<Vec<Entry>>,
    /// Ratings the device could not write to storage; held in memory and sent first.
    pub unsaved: RwSignal<Vec<RatingRecord>>,
    pub online: RwSignal<bool>,
    pub syncing: RwSignal<bool>,
    pub last_sync: RwSignal<Option<i64>>,
    pub last_error: RwSignal<Option<String>>,
    pub storage_warning: RwSignal<Option<String>>,
    pub persisted: RwSignal<Option<bool>>,
    /// The server's answer per stored rating: first or 追加评价.
    pub kinds: RwSignal<HashMap<Uuid, RatingKind>>,
    /// The server no longer accepts this device's token (not enrolled, or
    /// enrolled again elsewhere): the page asks for an enrolment code.
    pub needs_enrol: RwSignal<bool>,
    /// When the oldest rating still waiting for upload was given: staff
    /// are told (and citizens reassured) only once it has waited a while.
    pub oldest_pending: RwSignal<Option<i64>>,
    failures: RwSignal<u32>,
    rerun: RwSignal<bool>,
    device: RwSignal<Option<DeviceConfig>>,
}

impl Default for SyncState {
    fn default() -> Self {
        Self::new()
    }
}

impl SyncState {
    /// Plain defaults, identical on the server and in the browser, so that
    /// hydration matches; `start` fills them in the browser.
    pub fn new() -> Self {
        SyncState {
            pending: RwSignal::new(0),
            needs_review: RwSignal::new(vec![]),
            unsaved: RwSignal::new(vec![]),
            online: RwSignal::new(true),
            syncing: RwSignal::new(false),
            last_sync: RwSignal::new(None),
            last_error: RwSignal::new(None),
            storage_warning: RwSignal::new(None),
            persisted: RwSignal::new(None),
            kinds: RwSignal::new(HashMap::new()),
            needs_enrol: RwSignal::new(false),
            oldest_pending: RwSignal::new(None),
            failures: RwSignal::new(0),
            rerun: RwSignal::new(false),
            device: RwSignal::new(None),
        }
    }

    /// Browser only: loads the queue's state and starts syncing for `device`.
    pub fn start(self, device: DeviceConfig) {
        let first_start = self.device.get_untracked().is_none();
        self.device.set(Some(device));
        self.online.set(web::is_online());
        self.last_sync.set(LocalStorage::get(LAST_SYNC_KEY).ok());
        self.refresh();
        if first_start {
            web::on_connectivity_change(move |online| {
                self.online.set(online);
                if online {
                    self.failures.set(0);
                    self.sync_now();
                }
            });
            gloo_timers::callback::Interval::new(PERIODIC_MS, move || {
                if self.pending.get_untracked() + self.unsaved.with_untracked(Vec::len) > 0 {
                    self.sync_now();
                }
                spawn_local(self.check_storage());
            })
            .forget();
            spawn_local(async move {
                self.persisted
                    .set(Some(web::request_persistent_storage().await));
                self.check_storage().await;
            });
        }
        self.sync_now();
    }

    /// Re-reads the queue: pending count and what needs review.
    pub fn refresh(self) {
        let entries = queue::all();
        let mut review: Vec<Entry> = entries
            .iter()
            .filter(|e| matches!(e.queue, QueueState::NeedsReview { .. }))
            .cloned()
            .collect();
        review.sort_by_key(|e| e.record.seq);
        let oldest = entries
            .iter()
            .filter(|e| matches!(e.queue, QueueState::Pending { .. }))
            .map(|e| e.record.device_time)
            .chain(
                self.unsaved
                    .with_untracked(|u| u.iter().map(|r| r.device_time).min()),
            )
            .min();
        self.oldest_pending.set(oldest);
        self.pending.set(entries.len() - review.len());
        self.needs_review.set(review);
    }

    async fn check_storage(self) {
        let used = queue::units_used();
        let mut warning = None;
        if used * 10 > LOCAL_BUDGET_UNITS * 8 {
            warning = Some(format!(
                "本机评价存储已用 {}%，请尽快联网同步",
                used * 100 / LOCAL_BUDGET_UNITS
            ));
        }
        if let Some((usage, quota)) = web::storage_estimate().await {
            if quota - usage < LOW_QUOTA_BYTES {
                warning = Some(format!(
                    "本机存储空间不足（剩余约 {:.1} MB），请尽快联网同步并联系管理员",
                    (quota - usage) / 1_048_576.0
                ));
            }
        }
        self.storage_warning.set(warning);
    }

    /// Queues a rating; it is uploaded once its undo window has passed. The
    /// rating is never lost: if storage refuses it, it is kept in memory,
    /// staff are warned, and it is sent first. One `setItem` and no reading
    /// of the queue: the cost is the same however many ratings wait.
    pub fn submit(self, record: RatingRecord) -> Result<(), QueueError> {
        let hold_until = web::now_ms() + UNDO_WINDOW_MS;
        let entry = Entry {
            record: record.clone(),
            queue: QueueState::Pending { hold_until },
        };
        if self.oldest_pending.get_untracked().is_none() {
            self.oldest_pending.set(Some(record.device_time));
        }
        let stored = queue::put(&entry);
        match &stored {
            Ok(()) => self.pending.update(|n| *n += 1),
            Err(e) => {
                self.unsaved.update(|u| u.push(record));
                self.storage_warning.set(Some(e.message()));
            }
        }
        gloo_timers::callback::Timeout::new(UNDO_WINDOW_MS as u32 + 100, move || self.sync_now())
            .forget();
        stored
    }

    /// Takes a rating back within its undo window. False once it has left.
    pub fn undo(self, id: Uuid) -> bool {
        let in_memory = self
            .unsaved
            .with_untracked(|u| u.iter().any(|r| r.id == id));
        if in_memory {
            self.unsaved.update(|u| u.retain(|r| r.id != id));
            return true;
        }
        match queue::get(&id) {
            Some(Entry {
                queue: QueueState::Pending { hold_until },
                ..
            }) if hold_until > web::now_ms() => {
                queue::remove(&id);
                self.pending.update(|n| *n = n.saturating_sub(1));
                true
            }
            _ => false,
        }
    }

    /// Keeps a rating on the device until `until` (the citizen is adding
    /// details to it). False once it has left or was never held.
    pub fn hold(self, id: Uuid, until: i64) -> bool {
        if self
            .unsaved
            .with_untracked(|u| u.iter().any(|r| r.id == id))
        {
            return true;
        }
        match queue::get(&id) {
            Some(mut entry) => match entry.queue {
                QueueState::Pending { hold_until } if hold_until > web::now_ms() => {
                    entry.queue = QueueState::Pending {
                        hold_until: hold_until.max(until),
                    };
                    queue::put(&entry).is_ok()
                }
                _ => false,
            },
            None => false,
        }
    }

    /// Replaces a held rating's content (same id: it was never sent) and
    /// uploads it. False if it had already left, so the caller can say so.
    pub fn amend(self, record: RatingRecord) -> bool {
        let id = record.id;
        let mut in_memory = false;
        self.unsaved.update(|u| {
            if let Some(r) = u.iter_mut().find(|r| r.id == id) {
                *r = record.clone();
                in_memory = true;
            }
        });
        if in_memory {
            self.sync_now();
            return true;
        }
        let held = matches!(
            queue::get(&id),
            Some(Entry { queue: QueueState::Pending { hold_until }, .. }) if hold_until > web::now_ms()
        );
        if !held {
            return false;
        }
        let stored = queue::put(&Entry {
            record,
            queue: QueueState::Pending { hold_until: 0 },
        })
        .is_ok();
        self.sync_now();
        stored
    }

    /// Ends the undo window early (the citizen pressed 完成) and uploads.
    pub fn release(self, id: Uuid) {
        if let Some(mut entry) = queue::get(&id) {
            if matches!(entry.queue, QueueState::Pending { .. }) {
                entry.queue = QueueState::Pending { hold_until: 0 };
                let _ = queue::put(&entry);
            }
        }
        self.sync_now();
    }

    pub fn sync_now(self) {
        spawn_local(self.run());
    }

    async fn run(self) {
        if self.syncing.get_untracked() {
            self.rerun.set(true);
            return;
        }
        let Some(device) = self.device.get_untracked() else {
            return;
        };
        web::with_lock_if_available(LOCK_NAME, async move {
            self.syncing.set(true);
            self.upload_all(device).await;
            self.syncing.set(false);
            self.refresh();
        })
        .await;
        // Asked again while this run was busy (a rating's undo window ended):
        // go once more rather than wait for the periodic tick.
        if self.rerun.get_untracked() && self.failures.get_untracked() == 0 {
            self.rerun.set(false);
            self.sync_now();
        }
    }

    async fn upload_all(self, device: DeviceConfig) {
        // The queue is read once per run; answers update this copy as they
        // update storage.
        let mut entries: HashMap<Uuid, Entry> =
            queue::all().into_iter().map(|e| (e.record.id, e)).collect();
        loop {
            self.rerun.set(false);
            let plan_input: Vec<_> = entries
                .values()
                .map(|e| (e.record.id, e.record.seq, e.queue.clone()))
                .collect();
            // Ratings held in memory go first, but also only once their undo
            // window has passed.
            let now = web::now_ms();
            let mut items: Vec<RatingRecord> = self.unsaved.with_untracked(|u| {
                u.iter()
                    .filter(|r| r.device_time + UNDO_WINDOW_MS <= now)
                    .cloned()
                    .collect()
            });
            // The stored state decides at the last moment: a rating whose
            // hold was extended after this run read the queue (the citizen
            // is adding details) stays.
            items.extend(plan_batch(&plan_input, now).into_iter().filter_map(
                |id| match queue::get(&id) {
                    Some(Entry {
                        queue: QueueState::Pending { hold_until },
                        record,
                    }) if hold_until <= now => Some(record),
                    _ => None,
                },
            ));
            items.truncate(domain::sync::MAX_BATCH);
            if items.is_empty() {
                return;
            }
            let req = SyncRequest {
                device_id: device.device_id,
                sent_at: web::now_ms(),
                items,
            };
            let token = web::device_token(&device.code);
            let results = match endpoints::sync::sync(&req, token.as_deref()).await {
                Ok(resp) => {
                    self.failures.set(0);
                    self.last_error.set(None);
                    let now = web::now_ms();
                    self.last_sync.set(Some(now));
                    let _ = LocalStorage::set(LAST_SYNC_KEY, now);
                    resp.results
                }
                // Some items failed validation and nothing was stored: set
                // those aside for review and send the rest at once.
                Err(ClientError::Api { status: 422, body }) if !body.results.is_empty() => {
                    body.results
                }
                Err(e) => {
                    if e.status() == Some(401) {
                        self.needs_enrol.set(true);
                    }
                    self.fail(e);
                    return;
                }
            };
            let progressed = self.apply(&req.items, &results, &mut entries);
            self.pending.set(
                entries
                    .values()
                    .filter(|e| matches!(e.queue, QueueState::Pending { .. }))
                    .count(),
            );
            if !progressed {
                return;
            }
        }
    }

    /// Applies per-item answers to storage and to `entries`; true if any
    /// item left the pending state.
    fn apply(
        self,
        sent: &[RatingRecord],
        results: &[ItemResult],
        entries: &mut HashMap<Uuid, Entry>,
    ) -> bool {
        let mut progressed = false;
        for r in results {
            let Some(record) = sent.get(r.index) else {
                continue;
            };
            if let Some(kind) = r.kind {
                self.kinds.update(|k| {
                    k.insert(record.id, kind);
                });
            }
            if r.status.device_may_forget() {
                queue::remove(&record.id);
                entries.remove(&record.id);
                self.unsaved.update(|u| u.retain(|x| x.id != record.id));
                progressed = true;
                continue;
            }
            let (code, message) = match &r.error {
                Some(e) => (e.code.clone(), e.message.clone()),
                None if r.status == ItemStatus::Conflict => (
                    "conflict".into(),
                    "服务器已有同一编号但内容不同的评价，已留待人工核对".into(),
                ),
                None => ("rejected".into(), "服务器拒收".into()),
            };
            let entry = Entry {
                record: record.clone(),
                queue: QueueState::NeedsReview {
                    status: r.status,
                    code,
                    message,
                },
            };
            if queue::put(&entry).is_ok() {
                self.unsaved.update(|u| u.retain(|x| x.id != record.id));
                entries.insert(record.id, entry);
                progressed = true;
            }
        }
        progressed
    }

    fn fail(self, e: ClientError) {
        let failures = self.failures.get_untracked().saturating_add(1);
        self.failures.set(failures);
        self.last_error.set(match e {
            ClientError::Network(_) => None, // the offline badge says it
            other => Some(other.message()),
        });
        let jitter = (js_sys::Math::random() * 1000.0) as u16;
        let delay = backoff_ms(failures, jitter);
        gloo_timers::callback::Timeout::new(delay as u32, move || self.sync_now()).forget();
    }
}
