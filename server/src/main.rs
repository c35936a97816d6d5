use server::config::{redact, Settings};
use server::startup::Application;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let settings = Settings::from_env()?;
    let database = redact(&settings.database_url);
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
