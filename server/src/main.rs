use server::config::{redact, Settings};
use server::startup::Application;
use tracing_subscriber::EnvFilter;

/// Memory of 4 MiB and more is mapped for itself and unmapped when freed.
/// Without this, glibc's threshold grows after the first argon2 hash
/// (19 MiB) and later hashes land in per-thread arenas that keep their
/// pages: a sign-in flood left the server at 400 MB long after it ended.
fn large_allocations_return_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    }
}

fn main() -> anyhow::Result<()> {
    large_allocations_return_to_the_system();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let settings = Settings::from_env()?;
    let database = redact(&settings.database_url);
    // Maintenance commands: run against DATABASE_URL and exit.
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("rebuild-rollups") => {
            let store = server::store::Store::connect(&settings.database_url).await?;
            let t = std::time::Instant::now();
            store.rebuild_rollups().await?;
            tracing::info!(%database, seconds = t.elapsed().as_secs_f64(), "rollups rebuilt from the raw tables");
            return Ok(());
        }
        Some("generate") => {
            let ratings: u64 = match args.get(1) {
                Some(n) => n
                    .parse()
                    .map_err(|_| anyhow::anyhow!("generate N: N is a number of ratings"))?,
                None => 9_069_695,
            };
            let quarter = args.get(2).cloned().unwrap_or_else(|| "2022-Q4".into());
            let period = domain::report::Period::parse(None, Some(&quarter), None, None)
                .map_err(|e| anyhow::anyhow!("quarter {quarter:?}: {}", e.message_en()))?;
            let store = server::store::Store::connect(&settings.database_url).await?;
            let t = std::time::Instant::now();
            let made = server::generator::generate(
                &store,
                None,
                server::generator::Scale::zibo(ratings),
                period,
                "!",
            )
            .await?;
            tracing::info!(
                ?made,
                seconds = t.elapsed().as_secs_f64(),
                "generated; rebuilding the rollups"
            );
            store.rebuild_rollups().await?;
            // A supervisor to read the reports with.
            let password = server::auth::random_token()[..12].to_string();
            store
                .insert_staff(&server::store::NewStaff {
                    username: "supervisor",
                    display_name: "市政务服务管理办公室",
                    role: domain::Role::Supervisor,
                    department_id: None,
                    place_id: None,
                    window_id: None,
                    password_hash: &server::auth::hash_password(&password)?,
                })
                .await?;
            tracing::info!(%database, seconds = t.elapsed().as_secs_f64(), "done");
            tracing::info!("reports: serve this database and sign in as supervisor / {password}");
            return Ok(());
        }
        Some(other) => anyhow::bail!(
            "unknown command {other:?} (commands: generate [N] [YYYY-Qn], rebuild-rollups)"
        ),
        None => {}
    }
    let mut app = Application::build(settings.clone()).await?;
    let base = format!("http://{}:{}", settings.addr.ip(), app.port());
    tracing::info!(%database, store = app.store.kind(), "listening on {base}");
    if let Some(demo) = app.demo.as_mut() {
        remember_demo_password(demo);
        let mut lines = vec![format!("好差评 demo is running at {base}")];
        for (k, code) in &demo.kiosks {
            lines.push(format!(
                "  kiosk (自助终端):      {base}/kiosk/{k}   enrolment code 启用码 {code}"
            ));
        }
        for (k, code) in &demo.pads {
            lines.push(format!(
                "  window pad (评价器):   {base}/pad/{k}   enrolment code 启用码 {code}"
            ));
        }
        lines.push(format!("  phone (扫码评价):      {base}/q/HALL-DC/W01"));
        lines.push(format!(
            "  window staff tablet:  {base}/staff/login  (window1 / same password)"
        ));
        lines.push(format!("  staff (工作人员登录):  {base}/staff/login"));
        match &demo.admin_password {
            Some(p) => {
                lines.push(format!("  unit admin login:     {} / {p}", demo.admin_username));
                lines.push("  also: supervisor, sysadmin, window1…window4 (same password)".into());
                lines.push(format!(
                    "  business system token (POST /api/v1/cases): {}",
                    server::demo::integration_token(p)
                ));
            }
            None => lines.push(format!(
                "  unit admin login:     {} (password set when ./data was first created; delete ./data to reset)",
                demo.admin_username
            )),
        }
        // The one place the server writes to stdout: the operator asked for it.
        tracing::info!("\n{}", lines.join("\n"));
    }
    app.spawn_jobs();
    app.run_until_stopped().await?;
    Ok(())
}

/// The demo password is random; keep it beside the demo database so that
/// later starts can print it again.
fn remember_demo_password(demo: &mut server::demo::DemoSummary) {
    let path = std::path::Path::new("data/demo-admin-password.txt");
    match &demo.admin_password {
        Some(p) => {
            let _ = std::fs::create_dir_all("data");
            if let Err(e) = std::fs::write(path, p) {
                tracing::warn!(error = %e, "could not save the demo password");
            }
        }
        None => {
            demo.admin_password = std::fs::read_to_string(path)
                .ok()
                .map(|s| s.trim().to_string())
        }
    }
}
