//! The front end's static files. `cargo leptos build --release` names the
//! wasm, js and css after their content (`hash-files`, the hashes in
//! `hash.txt` beside the server binary) and precompresses every file of the
//! site with brotli and gzip (`--precompress`). `/pkg` is served from those
//! files, with `Cache-Control: immutable` when the names carry a hash; the
//! service worker is made here, with this build's file names in it. HTML is
//! rendered per request and never cached (see `startup::router`).

use std::path::{Path, PathBuf};

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;

const SW_TEMPLATE: &str = include_str!("assets/sw.js");

/// Files besides `/pkg` that a kiosk needs offline.
const OFFLINE_FILES: &[&str] = &[
    "/manifest.webmanifest",
    "/icons/icon-192.png",
    "/icons/icon-512.png",
];

/// This build's front-end file names.
#[derive(Clone, Debug)]
pub struct Assets {
    pub pkg_dir: PathBuf,
    /// The terminal and staff bundles' files (`hcp-terminal.*`,
    /// `hcp-staff.*`), each built into its own site root beside the
    /// citizen one (`target/site-terminal/pkg`, `target/site-staff/pkg`).
    pub terminal_pkg_dir: PathBuf,
    pub staff_pkg_dir: PathBuf,
    pub site_pkg_dir: String,
    pub js: String,
    pub wasm: String,
    pub css: String,
    /// The terminal bundle's js and wasm: what a kiosk needs offline.
    pub terminal_js: String,
    pub terminal_wasm: String,
    /// The names carry content hashes (a release build).
    pub hashed: bool,
}

impl Assets {
    /// Reads `hash.txt` beside the running binary, as Leptos does; without
    /// it (tests, a debug build) the names are unhashed.
    pub fn load(site_root: &str, site_pkg_dir: &str, output_name: &str) -> Assets {
        let read = |file: &str| {
            std::env::current_exe()
                .ok()
                .and_then(|p| p.parent().map(|d| d.join(file)))
                .and_then(|p| std::fs::read_to_string(p).ok())
                .map(|s| parse_hashes(&s))
                .unwrap_or_default()
        };
        let hashes = read("hash.txt");
        let terminal_hashes = read("hash-terminal.txt");
        let name = |hashes: &[(String, String)], bundle: &str, ext: &str| match hashes
            .iter()
            .find(|(k, _)| k == ext)
        {
            Some((_, h)) => format!("{bundle}.{h}.{ext}"),
            None => format!("{bundle}.{ext}"),
        };
        let terminal = format!("{output_name}-terminal");
        Assets {
            pkg_dir: Path::new(site_root).join(site_pkg_dir),
            terminal_pkg_dir: Path::new(&format!("{site_root}-terminal")).join(site_pkg_dir),
            staff_pkg_dir: Path::new(&format!("{site_root}-staff")).join(site_pkg_dir),
            site_pkg_dir: site_pkg_dir.to_string(),
            js: name(&hashes, output_name, "js"),
            wasm: name(&hashes, output_name, "wasm"),
            css: name(&hashes, output_name, "css"),
            terminal_js: name(&terminal_hashes, &terminal, "js"),
            terminal_wasm: name(&terminal_hashes, &terminal, "wasm"),
            hashed: ["js", "wasm", "css"]
                .iter()
                .all(|e| hashes.iter().any(|(k, _)| k == e)),
        }
    }

    /// What the service worker keeps for offline use: the terminal bundle
    /// (a kiosk's or pad's), the citizen bundle and the home page, the
    /// stylesheet they share.
    pub fn precache(&self) -> Vec<String> {
        let pkg = &self.site_pkg_dir;
        let mut list = vec!["/".to_string()];
        list.extend(
            [
                &self.terminal_js,
                &self.terminal_wasm,
                &self.js,
                &self.wasm,
                &self.css,
            ]
            .iter()
            .map(|f| format!("/{pkg}/{f}")),
        );
        list.extend(OFFLINE_FILES.iter().map(|s| s.to_string()));
        list
    }

    /// The service worker with this build's names; its asset cache is named
    /// after them, so a new build replaces the old files.
    pub fn service_worker(&self) -> String {
        let precache = serde_json::to_string(&self.precache()).unwrap_or_else(|_| "[]".into());
        let cache = format!("hcp-assets-{}", short_digest(&precache));
        SW_TEMPLATE
            .replace("__ASSET_CACHE__", &cache)
            .replace("__PRECACHE__", &precache)
    }

    /// `/pkg`: precompressed files (brotli, gzip) when the client takes
    /// them; hashed names never change, so browsers keep them for a year.
    /// The citizen bundle's directory first, then the terminal bundle's,
    /// then the staff bundle's.
    pub fn pkg_service(&self) -> SetResponseHeader<ServeDir<ServeDir<ServeDir>>, HeaderValue> {
        let cache = if self.hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        SetResponseHeader::overriding(
            ServeDir::new(&self.pkg_dir)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(
                    ServeDir::new(&self.terminal_pkg_dir)
                        .precompressed_br()
                        .precompressed_gzip()
                        .fallback(
                            ServeDir::new(&self.staff_pkg_dir)
                                .precompressed_br()
                                .precompressed_gzip(),
                        ),
                ),
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache),
        )
    }
}

fn parse_hashes(s: &str) -> Vec<(String, String)> {
    s.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .collect()
}

fn short_digest(s: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(s.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `GET /sw.js`: always revalidated, so a new build reaches every device.
pub async fn service_worker(
    axum::extract::State(assets): axum::extract::State<std::sync::Arc<Assets>>,
) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            // The worker's own policy: it fetches (and caches) this
            // server's files, nothing else.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; frame-ancestors 'none'",
            ),
        ],
        assets.service_worker(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_file_names_each_front_end_file() {
        let h = parse_hashes("js: AbC\nwasm: dEf\ncss: x1\nmanifest: m\n\n");
        assert_eq!(h[0], ("js".into(), "AbC".into()));
        assert_eq!(h.len(), 4);
    }

    #[test]
    fn the_service_worker_names_this_builds_files() {
        let a = Assets {
            pkg_dir: "target/site/pkg".into(),
            terminal_pkg_dir: "target/site-terminal/pkg".into(),
            staff_pkg_dir: "target/site-staff/pkg".into(),
            site_pkg_dir: "pkg".into(),
            js: "hcp.AAA.js".into(),
            wasm: "hcp.BBB.wasm".into(),
            css: "hcp.CCC.css".into(),
            terminal_js: "hcp-terminal.EEE.js".into(),
            terminal_wasm: "hcp-terminal.FFF.wasm".into(),
            hashed: true,
        };
        let sw = a.service_worker();
        assert!(sw.contains("\"/pkg/hcp.BBB.wasm\""));
        // A kiosk reloaded offline hydrates with the terminal bundle.
        assert!(sw.contains("\"/pkg/hcp-terminal.FFF.wasm\""));
        assert!(sw.contains("\"/pkg/hcp-terminal.EEE.js\""));
        assert!(!sw.contains("__PRECACHE__") && !sw.contains("__ASSET_CACHE__"));
        let mut b = a.clone();
        b.wasm = "hcp.DDD.wasm".into();
        // Another build, another cache: old files are dropped on activation.
        let cache = |s: &str| {
            s.lines()
                .find(|l| l.starts_with("const ASSETS"))
                .map(str::to_string)
        };
        assert_ne!(cache(&sw), cache(&b.service_worker()));
    }
}
