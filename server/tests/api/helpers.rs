//! `spawn_app`: the real server on 127.0.0.1:0 with a fresh database per
//! test (an SQLite file, or a PostgreSQL database created and dropped here).

use app::api::types::DeviceConfig;
use serde_json::{json, Value};
use server::config::Settings;
use server::startup::Application;
use server::state::now_ms;
use server::store::{CountedTable, Store};
use sqlx::Connection;
use uuid::Uuid;

pub const ADMIN_PASSWORD: &str = "test-admin-密码";

#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Removes the test's database when the test ends, passed or failed.
enum DbGuard {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        match self {
            DbGuard::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            DbGuard::Postgres { admin_url, name } => {
                let (url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime: use a thread of our own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    // Bounded: a drop that hangs would hang the whole suite.
                    // (The timer is made inside the runtime it needs.)
                    rt.block_on(async {
                        let drop = async {
                            if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
                                let _ = sqlx::query(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .execute(&mut c)
                                .await;
                            }
                        };
                        let _ =
                            tokio::time::timeout(std::time::Duration::from_secs(60), drop).await;
                    })
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub store: Store,
    /// Keeps cookies, like a browser.
    pub client: reqwest::Client,
    pub kiosk: DeviceConfig,
    pub other_kiosk: DeviceConfig,
    /// Device tokens by device id (kiosks enrolled at spawn).
    pub tokens: std::collections::HashMap<Uuid, String>,
    /// The state this server's handlers and jobs share.
    pub state: server::state::AppState,
    /// What it was started with (a second server reuses them).
    pub settings: Settings,
    _db: DbGuard,
}

/// Enrols a demo device the way a hall does it: the unit admin asks for a
/// one-time code (own session, not the test's client), the device trades it.
pub async fn enrol(address: &str, code: &str) -> (DeviceConfig, String) {
    let admin = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = admin
        .post(format!("{address}/api/v1/staff/login"))
        .json(&json!({ "username": server::demo::ADMIN_USERNAME, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let issued: Value = admin
        .post(format!("{address}/api/v1/admin/devices/{code}/enrolment"))
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let enrol_code = issued["enrol_code"].as_str().expect("an enrolment code");
    enrol_with(address, code, enrol_code).await
}

/// A device trades its one-time code for its configuration and token.
pub async fn enrol_with(address: &str, code: &str, enrol_code: &str) -> (DeviceConfig, String) {
    let resp: Value = reqwest::Client::new()
        .post(format!("{address}/api/v1/devices/enrol"))
        .json(&json!({ "device_code": code, "enrol_code": enrol_code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = resp["token"].as_str().expect("a device token").to_string();
    (
        serde_json::from_value(resp["config"].clone()).unwrap(),
        token,
    )
}

/// Registers kiosk `code` at the demo hall through a signed-in unit
/// admin's client; the one-time enrolment code it was given.
pub async fn register_kiosk_as(
    app: &TestApp,
    admin: &reqwest::Client,
    csrf: &str,
    code: &str,
) -> String {
    let r = admin
        .post(app.url("/api/v1/admin/devices"))
        .header("x-csrf-token", csrf)
        .json(&json!({ "code": code, "kind": "kiosk", "place_code": "HALL-DC" }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let issued: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{issued}");
    issued["enrol_code"]
        .as_str()
        .expect("an enrolment code")
        .to_string()
}

pub fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `None` (after a loud message) when PostgreSQL is asked for but not reachable.
pub async fn spawn_app(db: Db, test: &str) -> Option<TestApp> {
    spawn_app_with(db, test, |_| {}).await
}

/// A client of its own with a cookie jar, signed in as `username`;
/// returns it with its CSRF token.
pub async fn signed_in(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = c
        .post(app.url("/api/v1/staff/login"))
        .json(&json!({ "username": username, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login as {username}");
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    (c, csrf)
}

/// As `spawn_app`, with settings changed by `tweak` (a policy, say).
pub async fn spawn_app_with(db: Db, test: &str, tweak: fn(&mut Settings)) -> Option<TestApp> {
    let (url, guard) = match db {
        Db::Sqlite => {
            let path =
                std::env::temp_dir().join(format!("hcp-test-{}.db", Uuid::now_v7().simple()));
            (
                format!("sqlite://{}", path.display()),
                DbGuard::Sqlite(path),
            )
        }
        Db::Postgres => {
            let admin_url = pg_admin_url();
            let connect = tokio::time::timeout(
                std::time::Duration::from_secs(3),
                sqlx::PgConnection::connect(&admin_url),
            );
            let mut conn = match connect.await {
                Ok(Ok(c)) => c,
                other => {
                    let why = match other {
                        Ok(Err(e)) => e.to_string(),
                        _ => "timed out".into(),
                    };
                    // Straight to stderr: libtest swallows eprintln! from passing tests.
                    use std::io::Write;
                    let _ = writeln!(
                        std::io::stderr(),
                        "\n!!!!! SKIPPED {test} on PostgreSQL: no server at {admin_url} ({why}) !!!!!\n"
                    );
                    return None;
                }
            };
            let name = format!("hcp_test_{}", Uuid::now_v7().simple());
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap();
            (
                format!("{base}/{name}"),
                DbGuard::Postgres { admin_url, name },
            )
        }
    };
    let settings = Settings {
        database_url: url,
        database_read_url: None,
        addr: "127.0.0.1:0".parse().unwrap(),
        site_root: "target/site".into(),
        site_pkg_dir: "pkg".into(),
        output_name: "hcp".into(),
        demo: true,
        demo_password: Some(ADMIN_PASSWORD.into()),
        demo_city: false,
        secure_cookies: false,
        public_url: None,
        sms_file: None,
        province: None,
        hotline: None,
        sms_gateway: None,
        policy: Default::default(),
        ingest_writers: 2,
        security: Default::default(),
    };
    let mut settings = settings;
    tweak(&mut settings);
    let app = Application::build(settings.clone())
        .await
        .expect("the app builds");
    let state = app.state();
    let address = format!("http://127.0.0.1:{}", app.port());
    let store = app.store.clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let (kiosk, kiosk_token) = enrol(&address, server::demo::KIOSKS[0]).await;
    let (other_kiosk, other_token) = enrol(&address, server::demo::KIOSKS[1]).await;
    // The hall's kiosks have been in service for a week: tests may date
    // ratings hours back without them being "before enrolment".
    let week_ago = now_ms() - 7 * 86_400_000;
    for d in [&kiosk, &other_kiosk] {
        let sql = format!(
            "UPDATE devices SET enrolled_at = {week_ago} WHERE id = '{}'",
            d.device_id
        );
        match &store {
            Store::Sqlite(p) => {
                sqlx::query(&sql).execute(p).await.unwrap();
            }
            Store::Postgres(p) => {
                sqlx::query(&sql).execute(p).await.unwrap();
            }
        }
    }
    let tokens = [
        (kiosk.device_id, kiosk_token),
        (other_kiosk.device_id, other_token),
    ]
    .into_iter()
    .collect();
    Some(TestApp {
        address,
        store,
        client,
        kiosk,
        other_kiosk,
        tokens,
        state,
        settings,
        _db: guard,
    })
}

impl TestApp {
    /// A second server on the same database (as behind a load balancer):
    /// its address and state. It stops with the test.
    pub async fn second_instance(&self) -> (String, server::state::AppState) {
        let mut settings = self.settings.clone();
        settings.demo = false;
        let app = Application::build(settings)
            .await
            .expect("the second server builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        tokio::spawn(app.run_until_stopped());
        (address, state)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A valid kiosk rating as the device makes it.
    pub fn rating(&self, seq: u64, level: &str) -> Value {
        rating_for(&self.kiosk, seq, level)
    }

    pub fn batch(&self, items: Vec<Value>) -> Value {
        json!({ "device_id": self.kiosk.device_id, "sent_at": now_ms(), "items": items })
    }

    /// Posts a batch with the token of the device it names, if enrolled.
    pub async fn post_sync(&self, body: &Value) -> reqwest::Response {
        let mut r = self.client.post(self.url("/api/v1/sync")).json(body);
        let id = body["device_id"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok());
        if let Some(t) = id.and_then(|id| self.tokens.get(&id)) {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }

    /// Signs this app's client in as a demo account; returns the CSRF token.
    pub async fn login_as(&self, username: &str) -> String {
        let r = self.login(username, ADMIN_PASSWORD).await;
        assert_eq!(r.status(), 200, "login as {username}");
        r.json::<Value>().await.unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn post_json(&self, path: &str, csrf: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .header("x-csrf-token", csrf)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post_raw(
        &self,
        body: impl Into<reqwest::Body>,
        content_type: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/sync"))
            .bearer_auth(&self.tokens[&self.kiosk.device_id])
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn count(&self, t: CountedTable) -> i64 {
        self.store.count(t).await.unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/staff/login"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// Signs in as the demo unit admin; returns the CSRF token.
    pub async fn login_admin(&self) -> String {
        let r = self
            .login(server::demo::ADMIN_USERNAME, ADMIN_PASSWORD)
            .await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Runs a statement on the test's database (to age a row, say).
    pub async fn exec(&self, sql: &str) {
        match &self.store {
            Store::Sqlite(p) => {
                sqlx::query(sql).execute(p).await.unwrap();
            }
            Store::Postgres(p) => {
                sqlx::query(sql).execute(p).await.unwrap();
            }
        }
    }

    /// [`TestApp::exec`], answering the database's refusal instead of
    /// failing the test.
    pub async fn try_exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        match &self.store {
            Store::Sqlite(p) => sqlx::query(sql).execute(p).await.map(drop),
            Store::Postgres(p) => sqlx::query(sql).execute(p).await.map(drop),
        }
    }

    /// One text value read straight from the test's database.
    pub async fn text(&self, sql: &str) -> Option<String> {
        match &self.store {
            Store::Sqlite(p) => sqlx::query_scalar(sql)
                .fetch_optional(p)
                .await
                .unwrap()
                .flatten(),
            Store::Postgres(p) => sqlx::query_scalar(sql)
                .fetch_optional(p)
                .await
                .unwrap()
                .flatten(),
        }
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
}

pub fn rating_for(device: &DeviceConfig, seq: u64, level: &str) -> Value {
    let bad = level.contains("dissatisfied");
    json!({
        "id": Uuid::now_v7(),
        "device_id": device.device_id,
        "seq": seq,
        "device_time": now_ms(),
        "channel": "kiosk",
        "place_id": device.place_id,
        "level": level,
        "dimension_set": device.dimension_set,
        "items": [{ "dimension": "attitude", "level": level }],
        "reasons": if bad { json!(["slow"]) } else { json!([]) },
        "comment": if bad { "等了一个小时" } else { "" },
    })
}

pub fn statuses(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}
/// How long one server test may run before it fails instead of hanging
/// the suite (the slowest, 200 devices syncing, takes well under a minute).
const TEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// Runs a test body, failing it by name if it outlasts `TEST_LIMIT`: a hung
/// request or a lock never released becomes a failure CI can report.
pub async fn within_limit(test: &str, body: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(TEST_LIMIT, body).await.is_err() {
        panic!(
            "{test} still running after {} s: hung",
            TEST_LIMIT.as_secs()
        );
    }
}
