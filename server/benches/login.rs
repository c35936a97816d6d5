//! `make bench`: a sign-in flood against the server binary, run as its own
//! process. 100 clients send wrong passwords as fast as they can for 30 s —
//! once all from one address, once from 100 addresses (127.0.0.2 …
//! 127.0.0.101: loopback takes any of 127/8) — while the right password
//! signs in from another address every 3 s. Prints the server's resident
//! memory after each flood (target under 300 MB: argon2 takes 19 MiB per
//! try, so tries are bounded) against its memory before, and the slowest
//! right sign-in (target under 2 s).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 100;
const FLOOD: Duration = Duration::from_secs(30);

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn client(from: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(from))
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn flood(base: &str, pid: u32, addresses: u8) -> (f64, u128, u64, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let (tried, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut tasks = vec![];
    for i in 0..CLIENTS {
        let from = Ipv4Addr::new(127, 0, 0, 2 + (i % usize::from(addresses)) as u8);
        let (c, url, stop) = (
            client(from),
            format!("{base}/api/v1/staff/login"),
            stop.clone(),
        );
        let (tried, refused) = (tried.clone(), refused.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let r = c
                    .post(&url)
                    .json(&serde_json::json!({ "username": format!("nobody{i}-{n}"), "password": "wrong-password-0" }))
                    .send()
                    .await;
                tried.fetch_add(1, Ordering::Relaxed);
                if r.is_ok_and(|r| r.status() == 429) {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // The right password, from an address of its own, every 3 s.
    let legit = client(Ipv4Addr::new(127, 0, 0, 200));
    let t0 = Instant::now();
    let mut slowest = 0u128;
    while t0.elapsed() < FLOOD {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let t = Instant::now();
        let r = legit
            .post(format!("{base}/api/v1/staff/login"))
            .json(&serde_json::json!({ "username": "admin", "password": "bench" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "the right password during the flood");
        slowest = slowest.max(t.elapsed().as_millis());
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    (
        rss_mb(pid),
        slowest,
        tried.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
    )
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("hcp-bench-login-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/login.db", dir.display()),
            )
            .env("HCP_DEMO", "1")
            .env("HCP_DEMO_CITY", "0")
            .env("HCP_DEMO_PASSWORD", "bench")
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the server binary starts");
        let base = format!("http://127.0.0.1:{port}");
        let up = reqwest::Client::new();
        for _ in 0..600 {
            if up
                .get(format!("{base}/api/v1/rate/place/HALL-DC"))
                .send()
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let pid = server.id();
        let before = rss_mb(pid);
        let mut lines = vec![format!(
            "BENCH login_flood_server_rss_before {before:.0} MB"
        )];
        for (name, addresses) in [("one_address", 1u8), ("100_addresses", 100u8)] {
            let (rss, slowest, tried, refused) = flood(&base, pid, addresses).await;
            lines.push(format!(
                "BENCH login_flood_{name}_server_rss_after_30s {rss:.0} MB"
            ));
            lines.push(format!(
                "BENCH login_flood_{name}_rss_vs_before_ratio {:.2} x",
                rss / before.max(1.0)
            ));
            lines.push(format!(
                "BENCH login_flood_{name}_right_password_slowest {slowest} ms"
            ));
            lines.push(format!(
                "BENCH login_flood_{name}_attempts {tried} requests"
            ));
            lines.push(format!(
                "BENCH login_flood_{name}_refused_429 {refused} requests"
            ));
        }
        let _ = server.kill();
        let _ = server.wait();
        let _ = std::fs::remove_dir_all(&dir);
        println!("\n{}", lines.join("\n"));
    });
}
