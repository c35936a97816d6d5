//! The local queue: every rating under its own localStorage key
//! (`hcp.q.<id>`), written before the thank-you screen shows. One rating is
//! one `setItem`, whatever the queue's length, and it survives a reload or a
//! power cut. Entries leave only when the server holds the rating.

use gloo_storage::{errors::StorageError, LocalStorage, Storage};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use domain::sync::QueueState;
use domain::RatingRecord;

const QUEUE_PREFIX: &str = "hcp.q.";
const SEQ_PREFIX: &str = "hcp.seq.";
/// The smallest localStorage allowance among current browsers, in UTF-16
/// units (Chromium and Firefox allow about 5 million per origin).
pub const LOCAL_BUDGET_UNITS: usize = 5_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub record: RatingRecord,
    pub queue: QueueState,
}

/// Why a rating could not be written to the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueError {
    /// The origin's storage is full.
    Full,
    /// Storage is unavailable (private mode, disabled by policy).
    Unavailable(String),
}

impl QueueError {
    pub fn message(&self) -> String {
        match self {
            QueueError::Full => {
                "本机存储空间已满，评价暂存于内存，请保持设备通电并尽快联网同步".into()
            }
            QueueError::Unavailable(e) => {
                format!("本机存储不可用（{e}），评价暂存于内存，请尽快联网同步")
            }
        }
    }
}

fn classify(e: StorageError) -> QueueError {
    let text = e.to_string();
    if text.contains("Quota") || text.contains("quota") {
        QueueError::Full
    } else {
        QueueError::Unavailable(text)
    }
}

fn key(id: &Uuid) -> String {
    format!("{QUEUE_PREFIX}{id}")
}

pub fn put(entry: &Entry) -> Result<(), QueueError> {
    LocalStorage::set(key(&entry.record.id), entry).map_err(classify)
}

pub fn get(id: &Uuid) -> Option<Entry> {
    LocalStorage::get(key(id)).ok()
}

pub fn remove(id: &Uuid) {
    LocalStorage::delete(key(id));
}

/// The next per-device sequence number, persisted before it is used.
pub fn next_seq(device_id: &Uuid) -> Result<u64, QueueError> {
    let k = format!("{SEQ_PREFIX}{device_id}");
    let next = LocalStorage::get::<u64>(&k).unwrap_or(0) + 1;
    LocalStorage::set(&k, next).map_err(classify)?;
    Ok(next)
}

fn queue_keys() -> Vec<String> {
    let storage = LocalStorage::raw();
    let n = storage.length().unwrap_or(0);
    (0..n)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(QUEUE_PREFIX))
        .collect()
}

/// Every queued entry, in no particular order. Reading is O(queue); writing
/// never is.
pub fn all() -> Vec<Entry> {
    queue_keys()
        .into_iter()
        .filter_map(|k| LocalStorage::get::<Entry>(&k).ok())
        .collect()
}

/// UTF-16 units this origin's localStorage holds, to warn before it is full.
pub fn units_used() -> usize {
    let storage = LocalStorage::raw();
    let n = storage.length().unwrap_or(0);
    (0..n)
        .filter_map(|i| storage.key(i).ok().flatten())
        .map(|k| {
            let v = storage.get_item(&k).ok().flatten().unwrap_or_default();
            k.encode_utf16().count() + v.encode_utf16().count()
        })
        .sum()
}
