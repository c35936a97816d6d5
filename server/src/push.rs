//! Server push. To window pads (一机双屏): staff start a case on their
//! tablet and the pad at the same window shows it (one in-memory hub per
//! server). To the tablets' 差评整改 lists: on PostgreSQL every server hears
//! each new ticket from the database (`LISTEN hcp_tickets`, announced by a
//! trigger at commit), so a ticket committed after a higher id is never
//! skipped and tickets opened on another server arrive at once.

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
/// (`hcp_tickets`, announced by a trigger at commit) onto the returned
/// feed, and pad events (`hcp_pad`, from any server) into `hub`.
/// Reconnects after a lost connection, with a [`TicketSignal::Resync`]
/// after each (re)connection. Also keeps this server's pad links fresh.
pub fn cluster_feed(
    pool: sqlx::PgPool,
    hub: PadHub,
    store: crate::store::Store,
    instance: Arc<str>,
) -> broadcast::Sender<TicketSignal> {
    let (tx, _) = broadcast::channel(8192);
    let feed = tx.clone();
    tokio::spawn(async move {
        loop {
            match listen(&pool, &feed, &hub).await {
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
) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen_all(["hcp_tickets", "hcp_pad"]).await?;
    // Anything committed while nobody listened is read by the streams.
    let _ = feed.send(TicketSignal::Resync);
    // `try_recv` answers `None` when the connection drops; a new listener
    // (and a resync) follows rather than its silent reconnect.
    while let Some(n) = listener.try_recv().await? {
        if n.channel() == "hcp_pad" {
            match serde_json::from_str::<PadNote>(n.payload()) {
                Ok(note) => {
                    hub.publish(note.window_id, note.event);
                }
                Err(e) => tracing::warn!(error = %e, "cluster feed: not a pad event"),
            }
            continue;
        }
        match n.payload().parse::<i64>() {
            Ok(id) => {
                let _ = feed.send(TicketSignal::Opened(id));
            }
            Err(_) => tracing::warn!(payload = n.payload(), "cluster feed: not a ticket id"),
        }
    }
    Ok(())
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
