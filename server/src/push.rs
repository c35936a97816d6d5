//! Server push to window pads (一机双屏): staff start a case on their tablet
//! and the pad at the same window shows it. One in-memory hub per server:
//! with several servers, a pad must be connected to the server the tablet
//! uses (a limitation noted in ARCHITECTURE.md; PostgreSQL LISTEN/NOTIFY
//! would lift it).

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
