//! Typed settings from the environment. Secrets are never logged.

use std::net::SocketAddr;

#[derive(Clone)]
pub struct Settings {
    /// `sqlite://path` (the default, no setup) or `postgres://…`.
    pub database_url: String,
    /// Reports, trends and the ratings export read here when set
    /// (`DATABASE_READ_URL`, a PostgreSQL read replica); never migrated.
    pub database_read_url: Option<String>,
    pub addr: SocketAddr,
    pub site_root: String,
    pub site_pkg_dir: String,
    pub output_name: String,
    /// Load demo data into an empty database.
    pub demo: bool,
    /// Demo admin password; random (and printed) when unset.
    pub demo_password: Option<String>,
    /// With the demo, a small generated city with two months of ratings
    /// for the reports (`HCP_DEMO_CITY=0` leaves it out).
    pub demo_city: bool,
    /// Mark the session cookie `Secure` (set behind HTTPS).
    pub secure_cookies: bool,
    /// Base of links sent to citizens (SMS, QR posters), e.g.
    /// `https://hcp.example.gov.cn`; the listening address when unset.
    pub public_url: Option<String>,
    /// Also write each SMS as a JSON line to this file (`HCP_SMS_FILE`):
    /// for demos and tests, where no phone receives it.
    pub sms_file: Option<String>,
    pub policy: Policy,
    /// How many tasks store ratings on PostgreSQL, each merging the sync
    /// batches that wait into one transaction (`HCP_INGEST_WRITERS`, 1–64,
    /// default 2; `coalesce`). SQLite always has one.
    pub ingest_writers: usize,
    /// Limits that keep the server and its figures safe (docs/security.md).
    pub security: Security,
    /// The provincial 好差评 platform (`HCP_PROVINCE_URL` and its
    /// settings, README); `None`: nothing is queued or sent.
    pub province: Option<Destination>,
    /// The 12345 hotline (`HCP_HOTLINE_URL`, …): bad ratings of the
    /// regions in `HCP_HOTLINE_REGIONS` go to it as work orders.
    pub hotline: Option<Destination>,
    /// An HTTP SMS gateway (`HCP_SMS_GATEWAY_URL`, …); `None`: messages
    /// stay in the `sms_outbox` table (the default gateway).
    pub sms_gateway: Option<Destination>,
}

/// An upstream system the delivery worker sends to (`crate::upstream`).
#[derive(Clone)]
pub struct Destination {
    /// `province`: the outbox rows' destination.
    pub name: &'static str,
    /// Where batches are `POST`ed (JSON).
    pub url: String,
    /// Sent as `Authorization: Bearer …` (`HCP_PROVINCE_TOKEN`).
    pub token: Option<String>,
    /// Signs each body (`X-HCP-Signature: t=…,v1=hex(HMAC-SHA256(key,
    /// "t.body"))`, `HCP_PROVINCE_SIGNING_KEY`).
    pub signing_key: Option<String>,
    /// Records per request (`HCP_PROVINCE_BATCH`, 100).
    pub batch: usize,
    /// One request's time limit (`HCP_PROVINCE_TIMEOUT_SECS`, 10).
    pub timeout_ms: u64,
    /// Tries before a dead letter (`HCP_PROVINCE_MAX_ATTEMPTS`, 16) and
    /// the backoff between them.
    pub retry: domain::upstream::RetryPolicy,
    /// How long a worker holds records it claimed: longer than a request.
    pub lease_ms: i64,
    /// How often an idle worker looks for new records.
    pub poll_ms: u64,
    /// Codes and the evaluator field (`HCP_PROVINCE_PROFILE`: gbt39046 or
    /// reversed7; `HCP_PROVINCE_EVALUATOR`: masked, full or none).
    pub profile: domain::upstream::Profile,
    /// Queue records but send nothing (`HCP_PROVINCE_PAUSED=1`): while
    /// the link is being set up, nothing is lost.
    pub paused: bool,
    /// The token the other side presents when it calls us: the
    /// province's feed of bad ratings (`HCP_PROVINCE_INBOUND_TOKEN`), the
    /// hotline's callback (`HCP_HOTLINE_INBOUND_TOKEN`), the SMS gateway's
    /// delivery receipts (`HCP_SMS_GATEWAY_INBOUND_TOKEN`); unset: refused.
    pub inbound_token: Option<String>,
    /// The hotline: region codes whose bad ratings go to it
    /// (`HCP_HOTLINE_REGIONS`, comma-separated, or `*` for all).
    pub regions: Vec<String>,
    /// The SMS gateway: the request body (`HCP_SMS_GATEWAY_TEMPLATE`,
    /// JSON with `{phone}`, `{body}`, `{key}`, `{purpose}`).
    pub template: String,
    /// The SMS gateway: where its answer carries its message id
    /// (`HCP_SMS_GATEWAY_ID_POINTER`, a JSON pointer, `/message_id`).
    pub id_pointer: String,
}

/// The SMS gateway's request body unless `HCP_SMS_GATEWAY_TEMPLATE` says
/// otherwise.
pub const DEFAULT_SMS_TEMPLATE: &str =
    r#"{"phone":"{phone}","content":"{body}","out_id":"{key}","purpose":"{purpose}"}"#;

impl Destination {
    /// A destination at `url` with the defaults.
    pub fn new(name: &'static str, url: &str) -> Destination {
        Destination {
            name,
            url: url.to_string(),
            token: None,
            signing_key: None,
            batch: 100,
            timeout_ms: 10_000,
            retry: domain::upstream::RetryPolicy::default(),
            lease_ms: 60_000,
            poll_ms: 1_000,
            profile: domain::upstream::Profile::NATIONAL,
            paused: false,
            inbound_token: None,
            regions: Vec::new(),
            template: DEFAULT_SMS_TEMPLATE.to_string(),
            id_pointer: "/message_id".to_string(),
        }
    }

    /// A record key unique to this destination's kind of message.
    pub fn is_sms(&self) -> bool {
        self.name == "sms"
    }
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("name", &self.name)
            .field("url", &redact(&self.url))
            .field("batch", &self.batch)
            .field("profile", &self.profile)
            .field("paused", &self.paused)
            .finish_non_exhaustive()
    }
}

/// "At most `count` per `per_secs`" (a token bucket: `count` at once, then
/// refilled evenly); `count` 0 turns the limit off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub count: u32,
    pub per_secs: u64,
}

impl Quota {
    pub const fn new(count: u32, per_secs: u64) -> Quota {
        Quota { count, per_secs }
    }
}

/// Limits against abuse, each from the environment (README, docs/security.md).
#[derive(Clone, Debug)]
pub struct Security {
    /// A client sends its request headers within this (`HCP_HEADER_TIMEOUT_SECS`).
    pub header_timeout_secs: u64,
    /// ... and its request body within this (`HCP_BODY_TIMEOUT_SECS`).
    pub body_timeout_secs: u64,
    /// Open connections at most (`HCP_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// The header a reverse proxy puts the client's address in
    /// (`HCP_CLIENT_IP_HEADER`, e.g. `X-Real-IP`); unset: the peer address.
    pub client_ip_header: Option<String>,
    /// Web ratings (phones, PCs) per client address: a hall's phones may
    /// share one address behind its Wi-Fi (`HCP_LIMIT_WEB_ADDRESS`).
    pub web_per_address: Quota,
    /// Web ratings per window (`HCP_LIMIT_WEB_WINDOW`) and per place rated
    /// without a window (`HCP_LIMIT_WEB_PLACE`).
    pub web_per_window: Quota,
    pub web_per_place: Quota,
    /// Sign-in attempts per client address (`HCP_LIMIT_LOGIN_ADDRESS`).
    pub login_per_address: Quota,
    /// Wrong passwords for one account before it is locked, within and for
    /// this many seconds (`HCP_LOGIN_LOCKOUT`, `5/900`).
    pub lockout_failures: u32,
    pub lockout_secs: i64,
    /// Password hashes computed at once (argon2 takes 19 MiB each).
    pub hash_concurrency: usize,
    /// Enrolment attempts per client address (`HCP_LIMIT_ENROL_ADDRESS`);
    /// a code is burnt after this many wrong tries (`HCP_ENROL_TRIES`).
    pub enrol_per_address: Quota,
    /// Requests per calling system to the callbacks (the province's feed,
    /// the hotline's events, the SMS gateway's receipts;
    /// `HCP_LIMIT_CALLBACKS`): a runaway peer cannot flood the loop.
    pub callbacks: Quota,
    pub enrol_tries: u32,
    /// A kiosk or pad rating older than this when it arrives is stored,
    /// flagged `late` and kept out of valid figures until reviewed
    /// (`HCP_OFFLINE_WINDOW_DAYS`).
    pub offline_window_days: i64,
    /// A staff session untouched this long ends (`HCP_SESSION_IDLE_MINS`).
    pub session_idle_mins: i64,
}

impl Default for Security {
    fn default() -> Self {
        Security {
            header_timeout_secs: 10,
            body_timeout_secs: 30,
            max_connections: 4096,
            client_ip_header: None,
            web_per_address: Quota::new(60, 60),
            web_per_window: Quota::new(10, 60),
            web_per_place: Quota::new(60, 60),
            login_per_address: Quota::new(30, 60),
            lockout_failures: 5,
            lockout_secs: 900,
            hash_concurrency: 2,
            enrol_per_address: Quota::new(10, 600),
            callbacks: Quota::new(600, 60),
            enrol_tries: 5,
            offline_window_days: 30,
            session_idle_mins: 60,
        }
    }
}

/// Rules a city sets (seed 004 leaves days and levels to policy).
#[derive(Clone, Debug)]
pub struct Policy {
    pub default_rating: domain::case::DefaultPolicy,
    pub reminders: domain::case::ReminderPolicy,
    /// Phone number on phone and PC rating pages.
    pub real_name: domain::case::RealName,
    /// Run the jobs (default ratings, SMS reminders) this often.
    pub jobs_every_secs: u64,
    /// Deadlines of the bad-rating loop (沟通, 申诉, 整改) and the spot-check share.
    pub rectify: domain::rectify::LoopPolicy,
    /// Misuse thresholds (批量评价, device bursts).
    pub fraud: domain::fraud::FraudPolicy,
    /// 001 §12: the bottom share of staff each month, and the fewest valid
    /// ratings a staff member needs in a month to be ranked.
    pub bottom_percent: u32,
    pub bottom_min_ratings: u64,
    /// A case asked to be rated on the window pad at 办结 gets its SMS
    /// invitation this many minutes later if still unrated (or when the
    /// clerk starts the next case).
    pub pad_invite_delay_mins: u32,
    /// The dimension set of phone and PC ratings (`HCP_WEB_DIMENSION_SET`).
    pub web_dimension_set: domain::DimensionSet,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            default_rating: Default::default(),
            reminders: Default::default(),
            real_name: domain::case::RealName::Optional,
            jobs_every_secs: 600,
            rectify: Default::default(),
            fraud: Default::default(),
            bottom_percent: 10,
            bottom_min_ratings: 10,
            pad_invite_delay_mins: 10,
            web_dimension_set: domain::DEFAULT_DIMENSION_SET,
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database", &redact(&self.database_url))
            .field("addr", &self.addr)
            .field("site_root", &self.site_root)
            .field("demo", &self.demo)
            .field("secure_cookies", &self.secure_cookies)
            .finish_non_exhaustive()
    }
}

/// The URL without any password.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// `HCP_FLAG_…=5/3600`: at least 5 within 3600 seconds; `0` turns the
/// detector off.
fn fraud_window(key: &str) -> anyhow::Result<Option<domain::fraud::Window>> {
    let Some(v) = env(key) else { return Ok(None) };
    if v == "0" {
        return Ok(Some(domain::fraud::Window {
            count: 0,
            within_ms: 0,
        }));
    }
    let parsed = v.split_once('/').and_then(|(n, s)| {
        Some(domain::fraud::Window {
            count: n.parse().ok().filter(|n| *n >= 2)?,
            within_ms: s.parse::<i64>().ok().filter(|s| *s > 0)? * 1000,
        })
    });
    parsed
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("{key} {v:?}: use COUNT/SECONDS, e.g. 5/3600, or 0 for off"))
}

/// `HCP_LIMIT_…=60/60`: at most 60 per 60 seconds; `0` turns it off.
fn quota(key: &str, default: Quota) -> anyhow::Result<Quota> {
    let Some(v) = env(key) else {
        return Ok(default);
    };
    if v == "0" {
        return Ok(Quota::new(0, 1));
    }
    v.split_once('/')
        .and_then(|(n, s)| {
            Some(Quota::new(
                n.parse().ok().filter(|n| *n >= 1)?,
                s.parse().ok().filter(|s| *s >= 1)?,
            ))
        })
        .ok_or_else(|| anyhow::anyhow!("{key} {v:?}: use COUNT/SECONDS, e.g. 60/60, or 0 for off"))
}

fn number<T: std::str::FromStr>(
    key: &str,
    default: T,
    ok: impl Fn(&T) -> bool,
) -> anyhow::Result<T> {
    match env(key) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| ok(n))
            .ok_or_else(|| anyhow::anyhow!("{key} {v:?}: not an allowed number")),
    }
}

/// A destination's settings under `HCP_<PREFIX>_…`, when its URL is set.
fn destination(prefix: &str, name: &'static str) -> anyhow::Result<Option<Destination>> {
    let key = |k: &str| format!("HCP_{prefix}_{k}");
    let Some(url) = env(&key("URL")) else {
        return Ok(None);
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        anyhow::bail!(
            "{} {:?}: an http:// or https:// address",
            key("URL"),
            redact(&url)
        );
    }
    let mut d = Destination::new(name, &url);
    d.token = env(&key("TOKEN"));
    d.signing_key = env(&key("SIGNING_KEY"));
    d.batch = number(&key("BATCH"), d.batch, |n| (1..=1000).contains(n))?;
    d.timeout_ms = number(&key("TIMEOUT_SECS"), 10u64, |n| (1..=300).contains(n))? * 1000;
    d.lease_ms = (d.timeout_ms as i64 * 3).max(30_000);
    d.retry.max_attempts = number(&key("MAX_ATTEMPTS"), d.retry.max_attempts, |n| {
        (1..=100).contains(n)
    })?;
    if let Some(p) = env(&key("PROFILE")) {
        d.profile = domain::upstream::Profile::named(&p).ok_or_else(|| {
            anyhow::anyhow!("{} {p:?}: use gbt39046 or reversed7", key("PROFILE"))
        })?;
    }
    if let Some(e) = env(&key("EVALUATOR")) {
        d.profile.evaluator = domain::upstream::EvaluatorField::parse(&e).ok_or_else(|| {
            anyhow::anyhow!("{} {e:?}: use masked, full or none", key("EVALUATOR"))
        })?;
    }
    d.paused = flag(&key("PAUSED"));
    d.inbound_token = env(&key("INBOUND_TOKEN"));
    if d.inbound_token.as_ref().is_some_and(|t| t.len() < 16) {
        anyhow::bail!("{}: at least 16 characters", key("INBOUND_TOKEN"));
    }
    Ok(Some(d))
}

/// The provincial platform's settings, when `HCP_PROVINCE_URL` is set.
fn province() -> anyhow::Result<Option<Destination>> {
    destination("PROVINCE", "province")
}

/// The 12345 hotline's, when `HCP_HOTLINE_URL` is set; it needs the
/// regions it serves.
fn hotline() -> anyhow::Result<Option<Destination>> {
    let Some(mut d) = destination("HOTLINE", "hotline")? else {
        return Ok(None);
    };
    d.regions = env("HCP_HOTLINE_REGIONS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    if d.regions.is_empty() {
        anyhow::bail!(
            "HCP_HOTLINE_REGIONS: the region codes whose bad ratings go to 12345 (e.g. 410102,410105), or * for all"
        );
    }
    if d.regions.iter().any(|c| c.len() > 32) {
        anyhow::bail!("HCP_HOTLINE_REGIONS: a region code has at most 32 characters");
    }
    Ok(Some(d))
}

/// The HTTP SMS gateway's, when `HCP_SMS_GATEWAY_URL` is set: one message
/// per request, the body from a template checked here.
fn sms_gateway() -> anyhow::Result<Option<Destination>> {
    let Some(mut d) = destination("SMS_GATEWAY", "sms")? else {
        return Ok(None);
    };
    if let Some(t) = env("HCP_SMS_GATEWAY_TEMPLATE") {
        d.template = t;
    }
    domain::upstream::render_template(
        &d.template,
        &[
            ("phone", "13800000000"),
            ("body", "x"),
            ("key", "k"),
            ("purpose", "invitation"),
        ],
    )
    .map_err(|e| anyhow::anyhow!("HCP_SMS_GATEWAY_TEMPLATE: {e}"))?;
    if let Some(p) = env("HCP_SMS_GATEWAY_ID_POINTER") {
        if !p.starts_with('/') {
            anyhow::bail!("HCP_SMS_GATEWAY_ID_POINTER {p:?}: a JSON pointer such as /message_id");
        }
        d.id_pointer = p;
    }
    Ok(Some(d))
}

fn flag(key: &str) -> bool {
    matches!(env(key).as_deref(), Some("1" | "true" | "yes"))
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Settings> {
        let addr = env("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        Ok(Settings {
            database_url: env("DATABASE_URL").unwrap_or_else(|| "sqlite://data/hcp.db".into()),
            database_read_url: env("DATABASE_READ_URL"),
            addr: addr
                .parse()
                .map_err(|e| anyhow::anyhow!("LEPTOS_SITE_ADDR {addr:?}: {e}"))?,
            site_root: env("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            site_pkg_dir: env("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".into()),
            output_name: env("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "hcp".into()),
            demo: flag("HCP_DEMO"),
            demo_password: env("HCP_DEMO_PASSWORD"),
            demo_city: env("HCP_DEMO_CITY").as_deref() != Some("0"),
            // Secure cookies whenever the public address is https.
            secure_cookies: flag("HCP_SECURE_COOKIES")
                || env("HCP_PUBLIC_URL").is_some_and(|u| u.starts_with("https://")),
            public_url: env("HCP_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string()),
            sms_file: env("HCP_SMS_FILE"),
            province: province()?,
            hotline: hotline()?,
            sms_gateway: sms_gateway()?,
            security: {
                let d = Security::default();
                let (lockout_failures, lockout_secs) = match env("HCP_LOGIN_LOCKOUT") {
                    None => (d.lockout_failures, d.lockout_secs),
                    Some(v) => v
                        .split_once('/')
                        .and_then(|(n, s)| {
                            Some((
                                n.parse().ok().filter(|n| *n >= 1)?,
                                s.parse().ok().filter(|s| *s >= 60)?,
                            ))
                        })
                        .ok_or_else(|| {
                            anyhow::anyhow!("HCP_LOGIN_LOCKOUT {v:?}: FAILURES/SECONDS, e.g. 5/900")
                        })?,
                };
                Security {
                    header_timeout_secs: number(
                        "HCP_HEADER_TIMEOUT_SECS",
                        d.header_timeout_secs,
                        |n| (1..=300).contains(n),
                    )?,
                    body_timeout_secs: number("HCP_BODY_TIMEOUT_SECS", d.body_timeout_secs, |n| {
                        (1..=3600).contains(n)
                    })?,
                    max_connections: number("HCP_MAX_CONNECTIONS", d.max_connections, |n| {
                        *n >= 16
                    })?,
                    client_ip_header: env("HCP_CLIENT_IP_HEADER"),
                    web_per_address: quota("HCP_LIMIT_WEB_ADDRESS", d.web_per_address)?,
                    web_per_window: quota("HCP_LIMIT_WEB_WINDOW", d.web_per_window)?,
                    web_per_place: quota("HCP_LIMIT_WEB_PLACE", d.web_per_place)?,
                    login_per_address: quota("HCP_LIMIT_LOGIN_ADDRESS", d.login_per_address)?,
                    lockout_failures,
                    lockout_secs,
                    hash_concurrency: number("HCP_HASH_CONCURRENCY", d.hash_concurrency, |n| {
                        (1..=64).contains(n)
                    })?,
                    enrol_per_address: quota("HCP_LIMIT_ENROL_ADDRESS", d.enrol_per_address)?,
                    callbacks: quota("HCP_LIMIT_CALLBACKS", d.callbacks)?,
                    enrol_tries: number("HCP_ENROL_TRIES", d.enrol_tries, |n| {
                        (1..=20).contains(n)
                    })?,
                    offline_window_days: number(
                        "HCP_OFFLINE_WINDOW_DAYS",
                        d.offline_window_days,
                        |n| (1..=365).contains(n),
                    )?,
                    session_idle_mins: number("HCP_SESSION_IDLE_MINS", d.session_idle_mins, |n| {
                        (5..=1440).contains(n)
                    })?,
                }
            },
            ingest_writers: number("HCP_INGEST_WRITERS", 2, |n| (1..=64).contains(n))?,
            policy: {
                let mut p = Policy::default();
                if let Some(d) = env("HCP_DEFAULT_RATING_DAYS") {
                    if d == "off" {
                        p.default_rating.enabled = false;
                    } else {
                        p.default_rating.after_days = d.parse().map_err(|e| {
                            anyhow::anyhow!(
                                "HCP_DEFAULT_RATING_DAYS {d:?}: a number of days or off ({e})"
                            )
                        })?;
                    }
                }
                if let Some(l) = env("HCP_DEFAULT_RATING_LEVEL") {
                    p.default_rating.level = domain::Level::parse(&l).ok_or_else(|| {
                        anyhow::anyhow!("HCP_DEFAULT_RATING_LEVEL {l:?}: use very_satisfied, satisfied or basic")
                    })?;
                }
                if let Some(d) = env("HCP_WEB_DIMENSION_SET") {
                    p.web_dimension_set = domain::DimensionSet::find(&d).ok_or_else(|| {
                        let known: Vec<&str> = domain::catalog::DIMENSION_SETS
                            .iter()
                            .map(|s| s.code)
                            .collect();
                        anyhow::anyhow!(
                            "HCP_WEB_DIMENSION_SET {d:?}: use one of {}",
                            known.join(", ")
                        )
                    })?;
                }
                if let Some(r) = env("HCP_REAL_NAME") {
                    p.real_name = domain::case::RealName::parse(&r).ok_or_else(|| {
                        anyhow::anyhow!("HCP_REAL_NAME {r:?}: use off, optional or required")
                    })?;
                }
                let span = |key: &str| -> anyhow::Result<Option<domain::calendar::DaySpan>> {
                    env(key)
                        .map(|v| {
                            domain::calendar::DaySpan::parse(&v).ok_or_else(|| {
                                anyhow::anyhow!(
                                    "{key} {v:?}: use e.g. 2w (working days) or 15n (natural days)"
                                )
                            })
                        })
                        .transpose()
                };
                if let Some(s) = span("HCP_CONTACT_DAYS")? {
                    p.rectify.contact = s;
                }
                if let Some(s) = span("HCP_APPEAL_DAYS")? {
                    p.rectify.appeal = s;
                }
                if let Some(s) = span("HCP_RECTIFY_DAYS")? {
                    p.rectify.rectify = s;
                }
                if let Some(v) = env("HCP_SPOT_CHECK_PERCENT") {
                    p.rectify.spot_check_percent = v
                        .parse()
                        .ok()
                        .filter(|n| (50..=100).contains(n))
                        .ok_or_else(|| anyhow::anyhow!("HCP_SPOT_CHECK_PERCENT {v:?}: 50 to 100 (seed 004 §20: at least 50)"))?;
                }
                if let Some(w) = fraud_window("HCP_FLAG_BATCH_PHONE")? {
                    p.fraud.batch_phone = w;
                }
                if let Some(w) = fraud_window("HCP_FLAG_DEVICE_BURST")? {
                    p.fraud.device_burst = w;
                }
                if let Some(w) = fraud_window("HCP_FLAG_ADDRESS_BURST")? {
                    p.fraud.address_burst = w;
                }
                if let Some(w) = fraud_window("HCP_FLAG_WEB_BURST")? {
                    p.fraud.web_burst = w;
                }
                if let Some(v) = env("HCP_BOTTOM_PERCENT") {
                    p.bottom_percent = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=50).contains(n))
                        .ok_or_else(|| anyhow::anyhow!("HCP_BOTTOM_PERCENT {v:?}: 1 to 50"))?;
                }
                if let Some(v) = env("HCP_BOTTOM_MIN_RATINGS") {
                    p.bottom_min_ratings = v.parse().map_err(|_| {
                        anyhow::anyhow!("HCP_BOTTOM_MIN_RATINGS {v:?}: a whole number")
                    })?;
                }
                if let Some(v) = env("HCP_PAD_INVITE_DELAY_MINS") {
                    p.pad_invite_delay_mins = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=1440).contains(n))
                        .ok_or_else(|| {
                            anyhow::anyhow!("HCP_PAD_INVITE_DELAY_MINS {v:?}: 1 to 1440")
                        })?;
                }
                p
            },
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:secret@db:5432/hcp"),
            "postgres://***@db:5432/hcp"
        );
        assert_eq!(
            super::redact("sqlite://data/hcp.db"),
            "sqlite://data/hcp.db"
        );
    }
}
