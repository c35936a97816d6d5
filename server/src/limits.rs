//! Rate limits and lockouts (docs/security.md). Token buckets per key from
//! `governor`, in memory per server: web ratings per client address and
//! per window or place, sign-in and enrolment attempts per address. The
//! lockout of an account after wrong passwords is in the database (it
//! survives restarts and holds across servers); its rule is [`lockout`].
//! Password hashing runs at most `hash_concurrency` at a time.

use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::DefaultKeyedRateLimiter;
use tokio::sync::Semaphore;

use crate::config::{Quota, Security};
use crate::error::ApiError;
use crate::state::AppState;

/// A keyed token bucket, or none when its quota is 0 (off).
struct Bucket<K: Hash + Eq + Clone>(Option<DefaultKeyedRateLimiter<K>>);

impl<K: Hash + Eq + Clone> Bucket<K> {
    fn new(q: Quota) -> Self {
        let limiter = NonZeroU32::new(q.count).and_then(|burst| {
            let every = Duration::from_millis((q.per_secs * 1000 / u64::from(q.count)).max(1));
            governor::Quota::with_period(every)
                .map(|quota| DefaultKeyedRateLimiter::keyed(quota.allow_burst(burst)))
        });
        Bucket(limiter)
    }

    /// Takes `n` tokens, or says how long until they are there.
    fn take(&self, key: &K, n: u32) -> Result<(), Duration> {
        let (Some(l), Some(n)) = (&self.0, NonZeroU32::new(n)) else {
            return Ok(());
        };
        match l.check_key_n(key, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(not_until.wait_time_from(DefaultClock::default().now())),
            // More than the whole bucket at once: never.
            Err(_) => Err(Duration::from_secs(3600)),
        }
    }

    fn retain_recent(&self) {
        if let Some(l) = &self.0 {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// Every limiter of a server.
pub struct Limiters {
    web_address: Bucket<IpAddr>,
    web_window: Bucket<(i64, i64)>,
    web_place: Bucket<i64>,
    login_address: Bucket<IpAddr>,
    enrol_address: Bucket<IpAddr>,
    callbacks: Bucket<&'static str>,
    /// Permits to compute a password hash (argon2: 19 MiB each).
    pub hashing: Arc<Semaphore>,
}

impl Limiters {
    pub fn new(s: &Security) -> Limiters {
        Limiters {
            web_address: Bucket::new(s.web_per_address),
            web_window: Bucket::new(s.web_per_window),
            web_place: Bucket::new(s.web_per_place),
            login_address: Bucket::new(s.login_per_address),
            enrol_address: Bucket::new(s.enrol_per_address),
            callbacks: Bucket::new(s.callbacks),
            hashing: Arc::new(Semaphore::new(s.hash_concurrency)),
        }
    }

    /// `addr_n` web ratings charged to `addr`, `n` to a window (or to the
    /// place itself).
    pub fn web(
        &self,
        addr: IpAddr,
        place: i64,
        window: Option<i64>,
        addr_n: u32,
        n: u32,
    ) -> Result<(), ApiError> {
        // The window first: a flood at one window must not use up the
        // budget of the hall's shared address for everyone else.
        match window {
            Some(w) => self.web_window.take(&(place, w), n),
            None => self.web_place.take(&place, n),
        }
        .map_err(|wait| too_many(wait, "rate_limited_unit"))?;
        self.web_address
            .take(&addr, addr_n)
            .map_err(|wait| too_many(wait, "rate_limited_address"))
    }

    pub fn login(&self, addr: IpAddr) -> Result<(), ApiError> {
        self.login_address
            .take(&addr, 1)
            .map_err(|wait| too_many(wait, "rate_limited_login"))
    }

    pub fn enrol(&self, addr: IpAddr) -> Result<(), ApiError> {
        self.enrol_address
            .take(&addr, 1)
            .map_err(|wait| too_many(wait, "rate_limited_enrol"))
    }

    /// One request of the calling system `who` (`province`, `hotline`,
    /// `sms`) to its callback.
    pub fn callback(&self, who: &'static str) -> Result<(), ApiError> {
        self.callbacks
            .take(&who, 1)
            .map_err(|wait| too_many(wait, "rate_limited_callback"))
    }

    /// Forgets keys whose buckets are full again (memory stays bounded).
    pub fn retain_recent(&self) {
        self.web_address.retain_recent();
        self.web_window.retain_recent();
        self.web_place.retain_recent();
        self.login_address.retain_recent();
        self.enrol_address.retain_recent();
        self.callbacks.retain_recent();
    }
}

fn too_many(wait: Duration, code: &'static str) -> ApiError {
    let secs = wait.as_secs().max(1);
    ApiError::TooMany {
        code,
        retry_after_secs: secs,
        zh: format!("提交过于频繁，请 {secs} 秒后再试（已填写的内容仍保留在本页）"),
        en: format!("Too many requests; please try again in {secs} s (what you entered is kept)"),
    }
}

/// The client's address: the peer, or the header the reverse proxy sets
/// (`HCP_CLIENT_IP_HEADER`) when configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl<S> FromRequestParts<S> for ClientAddr
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = state
            .settings
            .security
            .client_ip_header
            .as_deref()
            .and_then(|h| parts.headers.get(h))
            .and_then(|v| v.to_str().ok())
            // X-Forwarded-For lists the client first.
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        Ok(ClientAddr(
            forwarded
                .or(peer)
                .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
        ))
    }
}

/// An account's wrong-password record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lockout {
    pub failures: u32,
    /// When the current count started.
    pub since: i64,
    /// Locked until then (ms), if locked.
    pub until: Option<i64>,
}

/// After a wrong password at `now`: counts it (a count older than
/// `window_ms` starts again) and locks for `window_ms` at `max` failures.
pub fn lockout(prev: Lockout, now: i64, max: u32, window_ms: i64) -> Lockout {
    let fresh = now - prev.since > window_ms;
    let failures = if fresh { 1 } else { prev.failures + 1 };
    Lockout {
        failures,
        since: if fresh { now } else { prev.since },
        until: (failures >= max).then_some(now + window_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_locks_at_the_fifth_wrong_password_in_fifteen_minutes() {
        let w = 900_000;
        let mut l = Lockout::default();
        for i in 0..4 {
            l = lockout(l, 1_000 + i * 60_000, 5, w);
            assert_eq!(l.until, None);
        }
        l = lockout(l, 300_000, 5, w);
        assert_eq!(l.until, Some(300_000 + w));
        // Failures spread over more than the window start again.
        let slow = lockout(
            Lockout {
                failures: 4,
                since: 0,
                until: None,
            },
            w + 1,
            5,
            w,
        );
        assert_eq!((slow.failures, slow.until), (1, None));
    }

    #[test]
    fn a_bucket_refuses_past_its_burst_and_says_when() {
        let b: Bucket<u8> = Bucket::new(Quota::new(3, 60));
        assert!(b.take(&1, 2).is_ok());
        assert!(b.take(&1, 1).is_ok());
        let wait = b.take(&1, 1).unwrap_err();
        assert!(
            wait > Duration::from_secs(10) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        // Another key has its own bucket; an off quota never refuses.
        assert!(b.take(&2, 3).is_ok());
        let off: Bucket<u8> = Bucket::new(Quota::new(0, 60));
        assert!(off.take(&1, 1000).is_ok());
    }
}
