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
//!
//! The writer also opens the tickets of the group's bad ratings, in the
//! ratings' own transaction under a savepoint (`Store::ingest_opening`; a
//! separate transaction cost SQLite's single writer a second BEGIN and
//! COMMIT per batch). The ratings do not depend on it: if opening fails,
//! that part alone is rolled back and the jobs' sweep opens the tickets.
//! Each request is told which tickets its ratings opened, to announce them.

use std::sync::Arc;

use domain::case::RatingKind;
use domain::fraud::FraudPolicy;
use domain::RatingRecord;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::rectify::CalendarCache;
use crate::store::{Deadlines, Held, Ingested, NewRating, OpenedTickets, Store, StoreError};

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
    /// The sending device, when its last contact is due (noted with the
    /// group's, before the answers).
    touch: Option<String>,
    received_at: i64,
    reply: oneshot::Sender<Result<Written, StoreError>>,
}

/// What a writer answers a request.
pub struct Written {
    /// Per item, in order.
    pub answers: Vec<Ingested>,
    /// The tickets its bad ratings opened (ids), to announce.
    pub tickets: Vec<i64>,
}

/// What a writer needs to open tickets: the calendar (the server's cache,
/// so a calendar edit reaches it) and the loop's policy.
#[derive(Clone)]
pub struct TicketOpening {
    pub calendar: Arc<CalendarCache>,
    pub policy: domain::rectify::LoopPolicy,
}

/// The queue in front of the writers; cloned into every request's state.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts `writers` writer tasks on `store` (one is right for SQLite,
    /// whose writes are serialised anyway).
    pub fn start(
        store: Store,
        fraud: FraudPolicy,
        tickets: TicketOpening,
        writers: usize,
    ) -> Writer {
        let (queue, jobs) = mpsc::channel::<Job>(1024);
        let jobs = Arc::new(Mutex::new(jobs));
        for _ in 0..writers.max(1) {
            tokio::spawn(run(store.clone(), fraud, tickets.clone(), jobs.clone()));
        }
        Writer { queue }
    }

    /// Stores `items` (received at `received_at`), merged with whatever
    /// other batches are waiting, and opens the tickets of the bad ones;
    /// answers per item, in order. `touch`: a device whose last contact is
    /// due (`ratings::contact_due`), written before the answer.
    pub async fn ingest(
        &self,
        items: Vec<Owned>,
        touch: Option<String>,
        received_at: i64,
    ) -> Result<Written, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            items,
            touch,
            received_at,
            reply,
        };
        // Only a server shutting down closes the queue.
        let closed = || StoreError::Db(sqlx::Error::PoolClosed);
        self.queue.send(job).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

async fn run(
    store: Store,
    fraud: FraudPolicy,
    tickets: TicketOpening,
    jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
) {
    // The writer's own connection (`store::Held`), taken before the first
    // batch arrives and kept; once lost (or after a panic) a fresh one is
    // taken for the next group.
    let mut held: Option<Held> = store.hold_for_writer().await.ok();
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
        if held.is_none() {
            // Without it the group is written all the same, through the pool.
            held = match store.hold_for_writer().await {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(error = ?e, "the ratings writer has no connection of its own");
                    None
                }
            };
        }
        // A panic answers the group's requests with an error (their reply
        // senders are dropped) but must not take a writer away for good.
        let written =
            std::panic::AssertUnwindSafe(write(&store, held.as_mut(), &fraud, &tickets, group));
        let lost = match futures_util::FutureExt::catch_unwind(written).await {
            Ok(lost) => lost,
            Err(_) => {
                tracing::error!(
                    "a ratings writer panicked; its batches were answered with an error"
                );
                true
            }
        };
        if lost {
            if let Some(h) = held.take() {
                h.close().await;
            }
        }
    }
}

/// Stores `ratings` on the writer's connection, or through the pool. A
/// connection that was lost (the database restarted, or ended that
/// backend) is not used again, and the same write is made once more
/// through the pool, whose connections are tested before use: the devices
/// are answered as if nothing happened.
async fn store_on(
    store: &Store,
    held: &mut Option<&mut Held>,
    ratings: &[NewRating<'_>],
    received_at: i64,
    fraud: &FraudPolicy,
    deadlines: Option<Deadlines<'_>>,
) -> Result<(Vec<Ingested>, OpenedTickets), StoreError> {
    if let Some(conn) = held {
        match store
            .ingest_opening_on(conn, ratings, received_at, fraud, deadlines)
            .await
        {
            Err(e) if lost_connection(&e) => {
                tracing::warn!(error = ?e, "the ratings writer lost its connection; writing through the pool");
                *held = None;
            }
            written => return written,
        }
    }
    store
        .ingest_opening(ratings, received_at, fraud, deadlines)
        .await
}

/// Whether `e` says the connection itself is gone (I/O, protocol, or
/// PostgreSQL's classes 08 "connection exception" and 57 "operator
/// intervention", such as a terminated backend), not the write's content.
fn lost_connection(e: &StoreError) -> bool {
    match e {
        StoreError::Db(
            sqlx::Error::Io(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed,
        ) => true,
        StoreError::Db(sqlx::Error::Database(db)) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57")),
        _ => false,
    }
}

/// Writes `group` and answers each of its requests; true when the
/// writer's connection was lost on the way (a write the database refused
/// for its content leaves the connection as it was).
async fn write(
    store: &Store,
    mut held: Option<&mut Held>,
    fraud: &FraudPolicy,
    tickets: &TicketOpening,
    group: Vec<Job>,
) -> bool {
    let had_connection = held.is_some();
    // The latest arrival's time: none of them was stored before it.
    let received_at = group
        .iter()
        .map(|j| j.received_at)
        .max()
        .unwrap_or_default();
    // The calendar the tickets' deadlines are counted on (cached); without
    // it the ratings are stored all the same and the jobs' sweep opens
    // their tickets.
    let calendar = match crate::rectify::calendar_in(&tickets.calendar, store).await {
        Ok(cal) => Some(cal),
        Err(e) => {
            tracing::error!(error = ?e, "reading the calendar failed; the jobs open the tickets");
            None
        }
    };
    let deadlines = calendar.as_deref().map(|calendar| Deadlines {
        calendar,
        policy: &tickets.policy,
    });
    let mut opened: OpenedTickets = vec![];
    let mut done: Vec<(Job, Result<Vec<Ingested>, StoreError>)> = Vec::with_capacity(group.len());
    let mut group = Some(group);
    if group.as_ref().is_some_and(|g| g.len() > 1) {
        let jobs = group.take().unwrap_or_default();
        let merged: Vec<NewRating> = jobs
            .iter()
            .flat_map(|j| j.items.iter().map(Owned::borrow))
            .collect();
        match store_on(store, &mut held, &merged, received_at, fraud, deadlines).await {
            Ok((answers, tickets)) if answers.len() == merged.len() => {
                drop(merged);
                opened.extend(tickets);
                let mut answers = answers.into_iter();
                for job in jobs {
                    let mine: Vec<Ingested> = answers.by_ref().take(job.items.len()).collect();
                    done.push((job, Ok(mine)));
                }
            }
            outcome => {
                match outcome {
                    Ok(_) => tracing::error!(
                        "a merged ingest answered the wrong number of items; writing each batch alone"
                    ),
                    Err(e) => tracing::warn!(
                        error = ?e,
                        batches = jobs.len(),
                        "a merged ingest failed; writing each batch alone"
                    ),
                }
                drop(merged);
                group = Some(jobs);
            }
        }
    }
    for job in group.unwrap_or_default() {
        let items: Vec<NewRating> = job.items.iter().map(Owned::borrow).collect();
        let answer = store_on(store, &mut held, &items, job.received_at, fraud, deadlines)
            .await
            .map(|(answers, tickets)| {
                opened.extend(tickets);
                answers
            });
        drop(items);
        done.push((job, answer));
    }
    // The devices page's last contact, of the whole group at once: one
    // statement, not one write per request (on SQLite each was a write
    // transaction of its own, queued behind the writer's: when 200 kiosks
    // first spoke at once, the last ones waited over a second). It is not
    // the ratings' business: a failure is logged, the ratings stand.
    let mut touched: Vec<String> = done.iter().filter_map(|(j, _)| j.touch.clone()).collect();
    touched.sort_unstable();
    touched.dedup();
    if let Err(e) = store.touch_devices(&touched, received_at).await {
        tracing::warn!(error = ?e, "noting the devices' last contact failed");
    }
    // A rating named by two batches of the group: its ticket is told to
    // the first.
    let mut opened: std::collections::HashMap<String, i64> = opened
        .into_iter()
        .map(|(ticket, rating)| (rating, ticket))
        .collect();
    for (job, answer) in done {
        let answer = answer.map(|answers| Written {
            tickets: job
                .items
                .iter()
                .filter(|o| o.record.level.is_bad())
                .filter_map(|o| opened.remove(&o.record.id.to_string()))
                .collect(),
            answers,
        });
        let _ = job.reply.send(answer);
    }
    had_connection && held.is_none()
}
