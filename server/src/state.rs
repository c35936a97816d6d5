//! What every handler and service shares: the application state and the
//! clock. Built once by `startup`; everything else imports it from here.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::assets::Assets;
use crate::config::Settings;
use crate::push::PadHub;
use crate::sms::SmsGateway;
use crate::store::Store;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub store: Store,
    /// Where reports, trends and the ratings export read: a read replica
    /// when `DATABASE_READ_URL` is set, else `store` itself.
    #[from_ref(skip)]
    pub reads: Store,
    pub settings: Arc<Settings>,
    pub leptos_options: LeptosOptions,
    /// Signs case links; made on first start and kept in the database.
    pub link_key: Arc<Vec<u8>>,
    pub pad_hub: PadHub,
    pub sms: Arc<dyn SmsGateway>,
    /// Where citizens' links point (`Settings::public_url` or this server).
    pub public_url: Arc<str>,
    /// Rung when tickets open: wakes the tablets' push streams at once
    /// (they also poll the database, so other servers' tickets arrive too).
    pub loop_bell: Arc<tokio::sync::Notify>,
    /// On PostgreSQL: every ticket committed by any server, in commit
    /// order (`push::ticket_feed`). `None` on SQLite, whose writes are
    /// serialised, so ids become visible in order and polling suffices.
    #[from_ref(skip)]
    pub ticket_feed: Option<tokio::sync::broadcast::Sender<crate::push::TicketSignal>>,
    /// On PostgreSQL: announces the tickets this server opened to every
    /// server (`hcp_tickets`), after their commit, at most once per 50 ms.
    #[from_ref(skip)]
    pub ticket_notifier: Option<crate::push::TicketNotifier>,
    /// This server's copy of the working-day calendar.
    #[from_ref(skip)]
    pub calendar: Arc<crate::rectify::CalendarCache>,
    /// This build's front-end files (hashed names, service worker).
    pub assets: Arc<Assets>,
    /// Rate limits, and the password-hashing permits.
    pub limits: Arc<crate::limits::Limiters>,
    /// This server among those sharing the database (a fresh id each
    /// start): who claimed a jobs tick.
    #[from_ref(skip)]
    pub instance: Arc<str>,
    /// Keys client addresses (kept only as keyed hashes) and enrolment codes.
    #[from_ref(skip)]
    pub hash_key: Arc<Vec<u8>>,
    /// When this server last wrote each terminal's last contact.
    #[from_ref(skip)]
    pub last_contact: Arc<LastContact>,
    /// Sends the "at once" notices of new tickets (`notify`).
    #[from_ref(skip)]
    pub announcer: crate::notify::Announcer,
    /// Stores ratings, merging the batches that wait (`coalesce`).
    #[from_ref(skip)]
    pub writer: crate::coalesce::Writer,
}

/// A terminal's last contact (the devices page) is written at most once a
/// minute per server, so a device's sync batches do not each take the
/// write lock (SQLite) for an UPDATE that changes nothing.
#[derive(Default)]
pub struct LastContact(std::sync::Mutex<std::collections::HashMap<String, i64>>);

impl LastContact {
    /// How stale the devices page's "last contact" may be.
    pub const EVERY_MS: i64 = 60_000;

    /// True (and noted) when `device`'s last contact should be written now.
    pub fn due(&self, device: &str, now: i64) -> bool {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match seen.get(device) {
            Some(&at) if now - at < Self::EVERY_MS && now >= at => false,
            _ => {
                seen.insert(device.to_string(), now);
                true
            }
        }
    }
}

/// Milliseconds since the Unix epoch: the server's one clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::LastContact;

    #[test]
    fn a_devices_last_contact_is_written_once_a_minute() {
        let c = LastContact::default();
        assert!(c.due("k1", 1_000));
        assert!(!c.due("k1", 30_000));
        assert!(c.due("k2", 30_000), "each device on its own");
        assert!(c.due("k1", 61_000));
        assert!(!c.due("k1", 61_001));
        assert!(c.due("k1", 1_000), "a clock set back writes again");
    }
}
