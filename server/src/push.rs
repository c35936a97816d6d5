//! Server push. To window pads (一机双屏): staff start a case on their
//! tablet and the pad at the same window shows it (one in-memory hub per
//! server). To the tablets' 差评整改 lists: on PostgreSQL every server hears
//! each new ticket from the database (`LISTEN hcp_tickets`, announced by
//! the server that opened it once committed, [`TicketNotifier`]), so a
//! ticket committed after a higher id is never skipped and tickets opened
//! on another server arrive at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::api::types::PadEvent;
use tokio::sync::broadcast;

#[derive(Default, Clone)]
pub struct PadHub {
    windows: Arc<Mutex<HashMap<i64, Channel>>>,
}

struct Channel {
    tx: broadcast::Sender<PadEvent>,
    connected: usize,
}

/// Held by a connected pad's stream; counts it as online until dropped.
pub struct Connection {
    hub: PadHub,
    window_id: i64,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Ok(mut map) = self.hub.windows.lock() {
            if let Some(c) = map.get_mut(&self.window_id) {
                c.connected = c.connected.saturating_sub(1);
            }
        }
    }
}

impl PadHub {
    pub fn subscribe(&self, window_id: i64) -> (broadcast::Receiver<PadEvent>, Connection) {
        let mut map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let c = map.entry(window_id).or_insert_with(|| Channel {
            tx: broadcast::channel(16).0,
            connected: 0,
        });
        c.connected += 1;
        (
            c.tx.subscribe(),
            Connection {
                hub: self.clone(),
                window_id,
            },
        )
    }

    /// Sends to the window's pads; false when none is connected.
    pub fn publish(&self, window_id: i64, event: PadEvent) -> bool {
        let map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&window_id)
            .filter(|c| c.connected > 0)
            .is_some_and(|c| c.tx.send(event).is_ok())
    }

    pub fn online(&self, window_id: i64) -> bool {
        let map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&window_id).is_some_and(|c| c.connected > 0)
    }
}

/// What a server hears about new tickets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketSignal {
    /// This ticket was committed (on any server).
    Opened(i64),
    /// Notifications may have been missed (the listener reconnected):
    /// streams read what they have not sent yet.
    Resync,
}

/// A pad event on its way through the database to every server.
#[derive(serde::Serialize, serde::Deserialize)]
struct PadNote {
    window_id: i64,
    event: PadEvent,
}

/// A window pad's stream counts as connected while its server refreshes
/// it within this (every `PAD_LINK_BEAT_MS`).
pub const PAD_LINK_FRESH_MS: i64 = 45_000;
pub const PAD_LINK_BEAT_MS: u64 = 15_000;

/// Listens on PostgreSQL for as long as the server runs: new tickets
/// (`hcp_tickets`, announced after commit by [`TicketNotifier`]) onto the returned
/// feed, and pad events (`hcp_pad`, from any server) into `hub`.
/// Reconnects after a lost connection, with a [`TicketSignal::Resync`]
/// after each (re)connection. Also keeps this server's pad links fresh.
pub fn cluster_feed(
    pool: sqlx::PgPool,
    hub: PadHub,
    store: crate::store::Store,
    instance: Arc<str>,
    calendar: Arc<crate::rectify::CalendarCache>,
) -> broadcast::Sender<TicketSignal> {
    let (tx, _) = broadcast::channel(8192);
    let feed = tx.clone();
    tokio::spawn(async move {
        loop {
            match listen(&pool, &feed, &hub, &calendar).await {
                Ok(()) => tracing::warn!("cluster feed: connection lost; reconnecting"),
                Err(e) => tracing::warn!(error = ?e, "cluster feed: listening failed; retrying"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
    tokio::spawn(async move {
        let mut beat = tokio::time::interval(std::time::Duration::from_millis(PAD_LINK_BEAT_MS));
        loop {
            beat.tick().await;
            let now = crate::state::now_ms();
            if let Err(e) = store
                .pad_links_alive(&instance, now, 10 * PAD_LINK_FRESH_MS)
                .await
            {
                tracing::warn!(error = ?e, "cluster feed: refreshing pad links failed");
            }
        }
    });
    tx
}

async fn listen(
    pool: &sqlx::PgPool,
    feed: &broadcast::Sender<TicketSignal>,
    hub: &PadHub,
    calendar: &crate::rectify::CalendarCache,
) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener
        .listen_all(["hcp_tickets", "hcp_pad", "hcp_calendar"])
        .await?;
    // Anything committed while nobody listened is read by the streams, and
    // a calendar edit may have been missed.
    let _ = feed.send(TicketSignal::Resync);
    calendar.forget();
    // `try_recv` answers `None` when the connection drops; a new listener
    // (and a resync) follows rather than its silent reconnect.
    while let Some(n) = listener.try_recv().await? {
        if n.channel() == "hcp_calendar" {
            calendar.forget();
            continue;
        }
        if n.channel() == "hcp_pad" {
            match serde_json::from_str::<PadNote>(n.payload()) {
                Ok(note) => {
                    hub.publish(note.window_id, note.event);
                }
                Err(e) => tracing::warn!(error = %e, "cluster feed: not a pad event"),
            }
            continue;
        }
        if n.payload() == RESYNC {
            let _ = feed.send(TicketSignal::Resync);
            continue;
        }
        for id in n.payload().split(',') {
            match id.parse::<i64>() {
                Ok(id) => {
                    let _ = feed.send(TicketSignal::Opened(id));
                }
                Err(_) => {
                    tracing::warn!(payload = n.payload(), "cluster feed: not a ticket id");
                    let _ = feed.send(TicketSignal::Resync);
                }
            }
        }
    }
    Ok(())
}

/// The `hcp_tickets` payload that makes every stream read what it has not
/// sent (any other payload is a comma-separated list of ticket ids).
const RESYNC: &str = "resync";

/// Longest `hcp_tickets` payload sent (PostgreSQL refuses 8000 bytes).
const NOTE_MAX: usize = 7_000;

/// Announces the tickets this server opened to every server's streams
/// (`hcp_tickets`), after they committed and outside the ingest: a NOTIFY
/// takes a database-wide lock at commit, held through the commit's flush,
/// so one in every ticket-opening transaction serialised all of them under
/// load. Here one task gathers the ids opened for 50 ms and sends them in
/// one small transaction that does not wait for its flush (notifications
/// are not durable anyway). Ids that fail to go out are kept and retried;
/// a server that stops between a commit and its announcement makes every
/// stream re-read at its next start ([`TicketNotifier::resync`]), and
/// opening is idempotent, so a ticket is never skipped, only late.
#[derive(Clone)]
pub struct TicketNotifier {
    tx: tokio::sync::mpsc::UnboundedSender<Note>,
}

enum Note {
    Opened(Vec<i64>),
    Resync,
}

impl TicketNotifier {
    /// The gathering window: at most one NOTIFY per this, per server.
    pub const EVERY: std::time::Duration = std::time::Duration::from_millis(50);

    pub fn start(pool: sqlx::PgPool) -> TicketNotifier {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Note>();
        tokio::spawn(async move {
            let mut ids: Vec<i64> = Vec::new();
            let mut resync = false;
            loop {
                if ids.is_empty() && !resync {
                    match rx.recv().await {
                        Some(n) => n.add_to(&mut ids, &mut resync),
                        None => return,
                    }
                    tokio::time::sleep(Self::EVERY).await;
                }
                while let Ok(n) = rx.try_recv() {
                    n.add_to(&mut ids, &mut resync);
                }
                match send(&pool, &ids, resync).await {
                    Ok(()) => {
                        ids.clear();
                        resync = false;
                    }
                    Err(e) => {
                        tracing::warn!(error = ?e, n = ids.len(), "announcing new tickets failed; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        TicketNotifier { tx }
    }

    /// These tickets committed: announce them.
    pub fn opened(&self, ids: Vec<i64>) {
        let _ = self.tx.send(Note::Opened(ids));
    }

    /// Make every server's streams read what they have not sent.
    pub fn resync(&self) {
        let _ = self.tx.send(Note::Resync);
    }
}

impl Note {
    fn add_to(self, ids: &mut Vec<i64>, resync: &mut bool) {
        match self {
            Note::Opened(v) => ids.extend(v),
            Note::Resync => *resync = true,
        }
    }
}

/// The payloads announcing `ids`, each under [`NOTE_MAX`] bytes.
fn payloads(ids: &[i64]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for id in ids {
        let s = id.to_string();
        if !cur.is_empty() && cur.len() + 1 + s.len() > NOTE_MAX {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(',');
        }
        cur.push_str(&s);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

async fn send(pool: &sqlx::PgPool, ids: &[i64], resync: bool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    let mut notes = payloads(ids);
    if resync {
        notes.push(RESYNC.to_string());
    }
    for p in notes {
        sqlx::query("SELECT pg_notify('hcp_tickets', $1)")
            .bind(p)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Sends `event` to the window's pad on whichever server it is connected
/// to; whether one is. Alone (SQLite) straight to this server's hub; on
/// PostgreSQL through the database, which every server listens to.
pub async fn publish_pad(
    state: &crate::state::AppState,
    window_id: i64,
    event: PadEvent,
) -> Result<bool, crate::store::StoreError> {
    if state.ticket_feed.is_none() {
        return Ok(state.pad_hub.publish(window_id, event));
    }
    let online = state.pad_hub.online(window_id)
        || state
            .store
            .pad_online_anywhere(window_id, crate::state::now_ms() - PAD_LINK_FRESH_MS)
            .await?;
    let note = serde_json::to_string(&PadNote { window_id, event })
        .map_err(|e| crate::store::StoreError::Db(sqlx::Error::Protocol(e.to_string())))?;
    state.store.notify_pad(&note).await?;
    Ok(online)
}

/// Counts a pad's stream on this server in the database (PostgreSQL) for
/// as long as it lives.
pub struct PadLink {
    store: crate::store::Store,
    instance: Arc<str>,
    window_id: i64,
}

impl PadLink {
    pub async fn open(
        state: &crate::state::AppState,
        window_id: i64,
    ) -> Result<PadLink, crate::store::StoreError> {
        state
            .store
            .pad_link(window_id, &state.instance, 1, crate::state::now_ms())
            .await?;
        Ok(PadLink {
            store: state.store.clone(),
            instance: state.instance.clone(),
            window_id,
        })
    }
}

impl Drop for PadLink {
    fn drop(&mut self) {
        let (store, instance, window_id) =
            (self.store.clone(), self.instance.clone(), self.window_id);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = store
                    .pad_link(window_id, &instance, -1, crate::state::now_ms())
                    .await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_ids_are_announced_in_payloads_postgres_accepts() {
        assert!(payloads(&[]).is_empty());
        assert_eq!(payloads(&[1, 22, 333]), vec!["1,22,333".to_string()]);
        let many: Vec<i64> = (1_000_000_000..1_000_002_000).collect();
        let notes = payloads(&many);
        assert!(notes.len() > 1 && notes.iter().all(|p| p.len() <= NOTE_MAX));
        let back: Vec<i64> = notes
            .iter()
            .flat_map(|p| p.split(',').map(|s| s.parse::<i64>().unwrap()))
            .collect();
        assert_eq!(back, many);
    }

    #[test]
    fn a_pad_is_online_while_its_connection_lives() {
        let hub = PadHub::default();
        assert!(!hub.online(1));
        assert!(!hub.publish(1, PadEvent::Idle));
        let (mut rx, conn) = hub.subscribe(1);
        assert!(hub.online(1) && !hub.online(2));
        assert!(hub.publish(1, PadEvent::Idle));
        assert_eq!(rx.try_recv().unwrap(), PadEvent::Idle);
        drop(conn);
        assert!(!hub.online(1));
    }
}
