//! Load tool (issue 15): enrols N kiosks on a running server and has them
//! sync back to back for a while, as devices do after a network outage.
//!
//! ```text
//! target/release/hcp-load --url http://127.0.0.1:3000 --devices 200 --seconds 20
//! ```
//!
//! Talks to 127.0.0.1 only (refuses anything else); bounded in devices
//! (<= 1000), time (<= 300 s) and batch size (<= 500). The server must
//! allow enrolment from one address (HCP_LIMIT_ENROL_ADDRESS=0) and know the
//! demo accounts (HCP_DEMO=1, the password in --password). Prints
//! `BENCH <name> <value> <unit>` lines: latency percentiles, ratings/s,
//! errors (any answer that is not 200, split 4xx / 5xx / transport), and
//! the server's resident memory when its pid is given (--pid).
//!
//! It speaks only the public HTTP API (no `server::` code), on one thread:
//! a load tool that takes a core from the server it measures on a 2-core
//! machine measures itself (scripts/load.py, its predecessor, took 25 %).
//! `main.rs` parses the command line and prints; `run` is what the server's
//! integration tests drive.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

const DEMO_ADMIN: &str = "admin";

/// What to run; `Args::default()` is the command line without options.
pub struct Args {
    pub url: String,
    pub devices: usize,
    pub seconds: f64,
    pub batch: u64,
    pub bad_every: u64,
    pub cases: bool,
    pub notices: bool,
    pub password: String,
    pub place: String,
    pub name: String,
    pub pid: Option<u32>,
    pub trace: Option<String>,
}

pub const USAGE: &str = "hcp-load [--url http://127.0.0.1:3000] [--devices 50] [--seconds 10] \
[--batch 20] [--bad-every 10] [--no-cases] [--no-notices] [--password P] [--place HALL-DC] \
[--name sync] [--pid PID] [--trace FILE.csv]";

impl Default for Args {
    fn default() -> Self {
        Args {
            url: "http://127.0.0.1:3000".into(),
            devices: 50,
            seconds: 10.0,
            batch: 20,
            bad_every: 10,
            cases: true,
            notices: true,
            password: std::env::var("HCP_DEMO_PASSWORD").unwrap_or_default(),
            place: "HALL-DC".into(),
            name: "sync".into(),
            pid: None,
            trace: None,
        }
    }
}

impl Args {
    /// The options after the program's name; `Ok(None)` for `--help`.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
        let mut a = Args::default();
        let mut it = args.into_iter();
        while let Some(flag) = it.next() {
            let mut value = || {
                it.next()
                    .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
            };
            fn num<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
                v.parse().map_err(|_| format!("{flag}: not a number: {v}"))
            }
            match flag.as_str() {
                "--url" => a.url = value()?,
                "--devices" => a.devices = num(&flag, value()?)?,
                "--seconds" => a.seconds = num(&flag, value()?)?,
                "--batch" => a.batch = num(&flag, value()?)?,
                "--bad-every" => a.bad_every = num(&flag, value()?)?,
                "--no-cases" => a.cases = false,
                "--no-notices" => a.notices = false,
                "--password" => a.password = value()?,
                "--place" => a.place = value()?,
                "--name" => a.name = value()?,
                "--pid" => a.pid = Some(num(&flag, value()?)?),
                "--trace" => a.trace = Some(value()?),
                "-h" | "--help" => return Ok(None),
                _ => return Err(format!("unknown option {flag}\n{USAGE}")),
            }
        }
        Ok(Some(a))
    }
}

/// `http://host:port` when host is a loopback address, else refusal.
fn loopback_base(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("loopback only: the URL must be http://127.0.0.1:PORT")?;
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    if !matches!(host, "127.0.0.1" | "localhost" | "::1") {
        return Err("loopback only: this tool never loads another machine".into());
    }
    Ok(format!("http://{authority}"))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

async fn checked(r: reqwest::Result<reqwest::Response>, what: &str) -> Result<Value, String> {
    let r = r.map_err(|e| format!("{what}: {e}"))?;
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!(
            "{what}: {status} {}",
            text.chars().take(200).collect::<String>()
        ));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The device's configuration (as the server sent it) and its token.
struct Device {
    config: Value,
    token: String,
}

async fn enrol(a: &Args, base: &str, run: &str) -> Result<Vec<Device>, String> {
    let admin = reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let login = checked(
        admin
            .post(format!("{base}/api/v1/staff/login"))
            .json(&json!({ "username": DEMO_ADMIN, "password": a.password }))
            .send()
            .await,
        &format!("sign-in as {DEMO_ADMIN}"),
    )
    .await?;
    let csrf = login["csrf_token"].as_str().unwrap_or_default().to_string();
    if a.notices {
        // As in a deployed hall: its administrator is told of each bad
        // rating at once, by SMS (the outbox), so ticket notices are part
        // of the load.
        checked(
            admin
                .put(format!("{base}/api/v1/staff/settings"))
                .header("x-csrf-token", &csrf)
                .json(&json!({ "phone": "13800000000", "notify": "instant" }))
                .send()
                .await,
            "notice settings",
        )
        .await?;
    }
    let device_client = reqwest::Client::new();
    let mut devices = Vec::with_capacity(a.devices);
    for i in 0..a.devices {
        let code = format!("KIOSK-LOAD-{run}-{i:04}");
        let registered = checked(
            admin
                .post(format!("{base}/api/v1/admin/devices"))
                .header("x-csrf-token", &csrf)
                .json(&json!({ "code": code, "kind": "kiosk", "place_code": a.place }))
                .send()
                .await,
            &format!("registering {code}"),
        )
        .await?;
        let enrolled = checked(
            device_client
                .post(format!("{base}/api/v1/devices/enrol"))
                .json(&json!({ "device_code": code, "enrol_code": registered["enrol_code"] }))
                .send()
                .await,
            &format!("enrolling {code}"),
        )
        .await?;
        devices.push(Device {
            config: enrolled["config"].clone(),
            token: enrolled["token"].as_str().unwrap_or_default().to_string(),
        });
    }
    Ok(devices)
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    ok: u64,
    e4: u64,
    e5: u64,
    transport: u64,
    rated: u64,
    samples: Vec<String>,
    /// (start since the run began, latency) of each answered sync.
    trace: Vec<(Duration, Duration)>,
}

fn rating(config: &Value, seq: u64, bad: bool, case_no: Option<String>) -> Value {
    let level = if bad { "dissatisfied" } else { "satisfied" };
    let mut r = json!({
        "id": uuid::Uuid::now_v7(),
        "device_id": config["device_id"],
        "seq": seq,
        "device_time": now_ms(),
        "channel": "kiosk",
        "place_id": config["place_id"],
        "level": level,
        "dimension_set": config.get("dimension_set").cloned().unwrap_or(json!("basic3")),
        "items": [{ "dimension": "attitude", "level": level }],
        "reasons": if bad { json!(["slow"]) } else { json!([]) },
        "comment": if bad { "等了一个小时" } else { "" },
    });
    if let Some(case_no) = case_no {
        r["case_no"] = json!(case_no);
    }
    r
}

async fn device_loop(
    a: &Args,
    base: &str,
    device: &Device,
    start: Instant,
    until: Instant,
) -> Tally {
    // One connection per device, as a kiosk has.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a client with a timeout builds");
    let url = format!("{base}/api/v1/sync");
    let auth = format!("Bearer {}", device.token);
    let device_id = device.config["device_id"].as_str().unwrap_or_default();
    let short: String = device_id.chars().take(8).collect();
    let mut t = Tally::default();
    let mut seq = 0u64;
    while Instant::now() < until {
        let items: Vec<Value> = (0..a.batch)
            .map(|_| {
                seq += 1;
                let case_no = a.cases.then(|| format!("SP-LOAD-{short}-{seq}"));
                let bad = a.bad_every > 0 && seq.is_multiple_of(a.bad_every);
                rating(&device.config, seq, bad, case_no)
            })
            .collect();
        let body = json!({ "device_id": device_id, "sent_at": now_ms(), "items": items });
        let t0 = Instant::now();
        let answer = client
            .post(&url)
            .header("authorization", &auth)
            .json(&body)
            .send()
            .await;
        let (status, text) = match answer {
            Ok(r) => {
                let status = r.status().as_u16();
                match r.bytes().await {
                    Ok(b) => (status, b),
                    Err(_) => {
                        t.transport += 1;
                        continue;
                    }
                }
            }
            Err(_) => {
                t.transport += 1;
                continue;
            }
        };
        let latency = t0.elapsed();
        t.latencies.push(latency);
        if a.trace.is_some() {
            t.trace.push((t0 - start, latency));
        }
        if status == 200 {
            t.ok += 1;
            t.rated += a.batch;
            continue;
        }
        if status >= 500 {
            t.e5 += 1;
        } else {
            t.e4 += 1;
        }
        if t.samples.len() < 3 {
            let text = String::from_utf8_lossy(&text);
            t.samples.push(format!(
                "{status} {}",
                text.chars().take(600).collect::<String>()
            ));
        }
    }
    t
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// The p-th percentile, nearest rank on the sorted list (as load.py had it).
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// What a run measured.
pub struct Report {
    /// Prefix of the BENCH names: `<name>_<devices>dev`.
    pub prefix: String,
    /// Every answered sync's latency, sorted.
    pub latencies: Vec<Duration>,
    pub ratings_per_second: f64,
    /// Syncs answered 200, and the ratings they carried.
    pub batches_ok: u64,
    pub ratings_sent_ok: u64,
    pub errors_5xx: u64,
    pub errors_4xx: u64,
    pub errors_transport: u64,
    /// The server's peak resident memory in KiB, when its pid was given.
    pub server_rss_peak_kb: Option<u64>,
    /// Up to three error answers, status and start of body.
    pub samples: Vec<String>,
}

impl Report {
    /// The `BENCH <name> <value> <unit>` lines, then the error samples.
    pub fn lines(&self) -> Vec<String> {
        let n = &self.prefix;
        let ms = |d: Duration| format!("{:.0}", d.as_secs_f64() * 1000.0);
        let lat = &self.latencies;
        let mut out = vec![
            format!("BENCH {n}_p50 {} ms", ms(percentile(lat, 50.0))),
            format!("BENCH {n}_p95 {} ms", ms(percentile(lat, 95.0))),
            format!("BENCH {n}_p99 {} ms", ms(percentile(lat, 99.0))),
            format!(
                "BENCH {n}_max {} ms",
                ms(lat.last().copied().unwrap_or_default())
            ),
            format!(
                "BENCH {n}_throughput {:.0} ratings/s",
                self.ratings_per_second
            ),
            format!("BENCH {n}_batches {} ok", self.batches_ok),
            format!("BENCH {n}_errors_5xx {} count", self.errors_5xx),
            format!("BENCH {n}_errors_4xx {} count", self.errors_4xx),
            format!("BENCH {n}_errors_transport {} count", self.errors_transport),
        ];
        if let Some(kb) = self.server_rss_peak_kb {
            out.push(format!(
                "BENCH {n}_server_rss_peak {:.0} MiB",
                kb as f64 / 1024.0
            ));
        }
        out.extend(self.samples.iter().take(3).map(|s| format!("# e.g. {s}")));
        out
    }
}

/// Enrols the devices, has them sync until the time is up, and reports.
/// Refuses any host but this machine's loopback, and runs outside the
/// bounds (1..1000 devices, up to 300 s, 1..500 ratings a batch).
pub async fn run(a: &Args) -> Result<Report, String> {
    let base = loopback_base(&a.url)?;
    if !((1..=1000).contains(&a.devices)
        && a.seconds > 0.0
        && a.seconds <= 300.0
        && (1..=500).contains(&a.batch))
    {
        return Err("bounds: 1..1000 devices, up to 300 s, 1..500 ratings a batch".into());
    }
    let run_id: String = uuid::Uuid::now_v7().simple().to_string()[26..].to_string();
    let devices = enrol(a, &base, &run_id).await?;
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(a.seconds);
    let peak = std::cell::Cell::new(0u64);
    let sampler = async {
        if let Some(pid) = a.pid {
            loop {
                peak.set(peak.get().max(rss_kb(pid)));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        std::future::pending::<()>().await
    };
    let loops = futures_util::future::join_all(
        devices
            .iter()
            .map(|d| device_loop(a, &base, d, start, until)),
    );
    let tallies = tokio::select! {
        t = loops => t,
        _ = sampler => unreachable!("the sampler never ends"),
    };
    if let Some(pid) = a.pid {
        peak.set(peak.get().max(rss_kb(pid)));
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut all = Tally::default();
    for t in tallies {
        all.latencies.extend(t.latencies);
        all.trace.extend(t.trace);
        all.ok += t.ok;
        all.e4 += t.e4;
        all.e5 += t.e5;
        all.transport += t.transport;
        all.rated += t.rated;
        all.samples.extend(t.samples);
    }
    all.latencies.sort();
    if let Some(path) = &a.trace {
        all.trace.sort();
        let mut csv = String::from("start_s,latency_ms\n");
        for (t0, l) in &all.trace {
            csv.push_str(&format!(
                "{:.3},{:.1}\n",
                t0.as_secs_f64(),
                l.as_secs_f64() * 1000.0
            ));
        }
        std::fs::write(path, csv).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(Report {
        prefix: format!("{}_{}dev", a.name, a.devices),
        latencies: all.latencies,
        ratings_per_second: all.rated as f64 / elapsed,
        batches_ok: all.ok,
        ratings_sent_ok: all.rated,
        errors_5xx: all.e5,
        errors_4xx: all.e4,
        errors_transport: all.transport,
        server_rss_peak_kb: a.pid.map(|_| peak.get()),
        samples: all.samples,
    })
}
