//! Group commit for ratings: the batches that arrive while a write is in
//! progress are stored together, in one transaction, by one writer task.
//!
//! Every batch costs the database about twenty statements whatever its size
//! (the 一次一评 check, the insert, the misuse detectors, the rollup facts
//! and deltas, the outbox row, the commit). Under 200 devices syncing at
//! once, most of the database's time went to that fixed cost, not to the
//! ratings (docs/scale.md). Merged, ten batches of 20 pay it once.
//!
//! What a merged write answers is what the same batches stored one after
//! the other, in arrival order, would answer: `Store::ingest` already takes
//! a list in which an id may repeat (the first is stored, a later one is a
//! duplicate or a conflict). If the merged transaction fails, each batch is
//! written again on its own, so one batch's fault (say, text PostgreSQL
//! refuses) is answered to that batch only.
//!
//! A request that gives up waiting (the client went away) does not take its
//! ratings back: they are stored, and the device's retry is answered
//! `duplicate`, as after any lost answer.

use std::sync::Arc;

use domain::case::RatingKind;
use domain::fraud::FraudPolicy;
use domain::RatingRecord;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::store::{Ingested, NewRating, Store, StoreError};

/// A writer stops taking waiting batches once it holds this many ratings
/// (a sync batch is at most 500, so a merged write holds fewer than 1,500).
const MERGE_MAX: usize = 1000;

/// How many writers merge batches: one on SQLite (one writer at a time
/// anyway), `configured` on PostgreSQL.
pub fn writers_for(store: &Store, configured: usize) -> usize {
    match store {
        Store::Sqlite(_) => 1,
        Store::Postgres(_) => configured.max(1),
    }
}

/// One rating as `Store::ingest` takes it, owned, to cross to the writer.
pub struct Owned {
    pub record: RatingRecord,
    pub canonical: String,
    pub rated_at: i64,
    pub case_id: Option<i64>,
    pub preset_kind: Option<RatingKind>,
    pub entered_by: Option<i64>,
    pub link_nonce: Option<String>,
    pub client_hash: Option<String>,
    pub late: Option<String>,
}

impl Owned {
    fn borrow(&self) -> NewRating<'_> {
        NewRating {
            case_id: self.case_id,
            preset_kind: self.preset_kind,
            entered_by: self.entered_by,
            link_nonce: self.link_nonce.clone(),
            client_hash: self.client_hash.clone(),
            late: self.late.clone(),
            ..NewRating::plain(&self.record, &self.canonical, self.rated_at)
        }
    }
}

struct Job {
    items: Vec<Owned>,
    received_at: i64,
    reply: oneshot::Sender<Result<Vec<Ingested>, StoreError>>,
}

/// The queue in front of the writers; cloned into every request's state.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts `writers` writer tasks on `store` (one is right for SQLite,
    /// whose writes are serialised anyway).
    pub fn start(store: Store, fraud: FraudPolicy, writers: usize) -> Writer {
        let (queue, jobs) = mpsc::channel::<Job>(1024);
        let jobs = Arc::new(Mutex::new(jobs));
        for _ in 0..writers.max(1) {
            tokio::spawn(run(store.clone(), fraud, jobs.clone()));
        }
        Writer { queue }
    }

    /// Stores `items` (received at `received_at`), merged with whatever
    /// other batches are waiting; answers per item, in order.
    pub async fn ingest(
        &self,
        items: Vec<Owned>,
        received_at: i64,
    ) -> Result<Vec<Ingested>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            items,
            received_at,
            reply,
        };
        // Only a server shutting down closes the queue.
        let closed = || StoreError::Db(sqlx::Error::PoolClosed);
        self.queue.send(job).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

async fn run(store: Store, fraud: FraudPolicy, jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        // Take the first waiting batch and whatever else waits behind it.
        let group = {
            let mut rx = jobs.lock().await;
            let Some(first) = rx.recv().await else {
                return;
            };
            let mut n = first.items.len();
            let mut group = vec![first];
            while n < MERGE_MAX {
                match rx.try_recv() {
                    Ok(job) => {
                        n += job.items.len();
                        group.push(job);
                    }
                    Err(_) => break,
                }
            }
            group
        };
        // A panic answers the group's requests with an error (their reply
        // senders are dropped) but must not take a writer away for good.
        let written = std::panic::AssertUnwindSafe(write(&store, &fraud, group));
        if futures_util::FutureExt::catch_unwind(written)
            .await
            .is_err()
        {
            tracing::error!("a ratings writer panicked; its batches were answered with an error");
        }
    }
}

async fn write(store: &Store, fraud: &FraudPolicy, group: Vec<Job>) {
    if group.len() > 1 {
        // The latest arrival's time: none of them was stored before it.
        let received_at = group
            .iter()
            .map(|j| j.received_at)
            .max()
            .unwrap_or_default();
        let merged: Vec<NewRating> = group
            .iter()
            .flat_map(|j| j.items.iter().map(Owned::borrow))
            .collect();
        match store.ingest(&merged, received_at, fraud).await {
            Ok(answers) if answers.len() == merged.len() => {
                let mut answers = answers.into_iter();
                for job in group {
                    let mine: Vec<Ingested> = answers.by_ref().take(job.items.len()).collect();
                    let _ = job.reply.send(Ok(mine));
                }
                return;
            }
            Ok(_) => tracing::error!(
                "a merged ingest answered the wrong number of items; writing each batch alone"
            ),
            Err(e) => {
                tracing::warn!(error = ?e, batches = group.len(), "a merged ingest failed; writing each batch alone")
            }
        }
    }
    for job in group {
        let items: Vec<NewRating> = job.items.iter().map(Owned::borrow).collect();
        let answer = store.ingest(&items, job.received_at, fraud).await;
        let _ = job.reply.send(answer);
    }
}
