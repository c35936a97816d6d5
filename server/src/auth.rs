//! Staff sign-in: argon2 password hashes, a random session token in an
//! HttpOnly SameSite=Strict cookie (only its SHA-256 is stored), and a
//! per-session CSRF token that every unsafe request must echo in
//! `X-CSRF-Token`. Cross-site unsafe requests are refused outright.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use domain::Role;
use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{Scope, SessionRow};

pub const SESSION_COOKIE: &str = "hcp_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const SESSION_HOURS: i64 = 12;

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Sessions untouched since then have gone idle.
pub fn idle_since(state: &crate::state::AppState) -> i64 {
    crate::state::now_ms() - state.settings.security.session_idle_mins * 60_000
}

/// [`verify_password`] holding one of the server's hashing permits: argon2
/// takes 19 MiB per try, so a flood of sign-ins waits instead of taking
/// gigabytes.
pub async fn verify_password_limited(
    state: &crate::state::AppState,
    password: String,
    hash: String,
) -> anyhow::Result<bool> {
    let _permit = state.limits.hashing.acquire().await?;
    verify_password(password, hash).await
}

/// [`hash_password`] on a blocking thread, holding a hashing permit.
pub async fn hash_password_limited(
    state: &crate::state::AppState,
    password: String,
) -> anyhow::Result<String> {
    let _permit = state.limits.hashing.acquire().await?;
    tokio::task::spawn_blocking(move || hash_password(&password)).await?
}

/// Verifies on a blocking thread: argon2 is deliberately slow.
pub async fn verify_password(password: String, hash: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
}

/// A hash of a password nobody has: verified against when the user is
/// unknown, so that the answer takes the same time either way.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_token()).expect("argon2 with default parameters"))
}

pub fn random_token() -> String {
    Alphanumeric.sample_string(&mut OsRng, 43)
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        SESSION_HOURS * 3600,
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The token of an `Authorization: Bearer` header (devices, integrations).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// A keyed hash (HMAC-SHA-256 with one of the server's keys), hex: for
/// values too guessable to store bare (8-digit enrolment codes, client
/// addresses).
pub fn keyed_hash(key: &[u8], value: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(value.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How an enrolment code is stored: keyed with the server's key, so a
/// stolen table cannot be turned back into the 8 digits by trying all 10⁸.
pub async fn enrol_code_hash(
    store: &crate::store::Store,
    code: &str,
) -> Result<String, crate::store::StoreError> {
    let key = store.secret("hash_key", random_token).await?;
    Ok(keyed_hash(key.as_bytes(), &format!("enrol:{code}")))
}

/// Whether the request carries a live staff session (no CSRF check: for
/// refusing, not for acting).
pub async fn has_staff_session(state: &crate::state::AppState, headers: &HeaderMap) -> bool {
    match cookie_value(headers, SESSION_COOKIE) {
        Some(token) => state
            .store
            .session(
                &token_hash(token),
                crate::state::now_ms(),
                idle_since(state),
            )
            .await
            .ok()
            .flatten()
            .is_some(),
        None => false,
    }
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses unsafe requests that a browser marks as coming from another
/// site, or whose `Origin` is not this host.
pub fn check_same_origin(method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site");
    let origin_mismatch = match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        _ => false,
    };
    if cross_site || origin_mismatch {
        return Err(ApiError::Forbidden {
            code: "cross_site",
            zh: "拒绝来自其他网站的请求".into(),
            en: "Cross-site requests are refused".into(),
        });
    }
    Ok(())
}

/// A signed-in staff member. Extracting it checks the session and, for
/// unsafe methods, the origin and the CSRF token.
#[derive(Debug, Clone)]
pub struct Staff {
    pub session: SessionRow,
    pub token_hash: String,
}

impl Staff {
    /// Which ratings this staff member may see. Window staff see none here:
    /// their feedback view (issue 4) never shows evaluator identity either.
    pub fn scope(&self) -> Result<Scope, ApiError> {
        let s = &self.session;
        match s.role {
            // A district's supervisor: its district only (004 §9 本地区).
            Role::Supervisor if s.district_id.is_some() => Ok(Scope {
                everything: false,
                place_id: None,
                department_id: None,
                district_id: s.district_id,
            }),
            Role::Supervisor | Role::SystemAdmin => Ok(Scope {
                everything: true,
                place_id: None,
                department_id: None,
                district_id: None,
            }),
            Role::UnitAdmin => Ok(Scope {
                everything: false,
                place_id: s.place_id,
                department_id: s.department_id,
                district_id: None,
            }),
            _ => Err(ApiError::Forbidden {
                code: "role",
                zh: "您的角色无权查看此内容".into(),
                en: "Your role may not see this".into(),
            }),
        }
    }
}

impl<S> FromRequestParts<S> for Staff
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = cookie_value(&parts.headers, SESSION_COOKIE).ok_or(ApiError::Unauthorized)?;
        let hash = token_hash(token);
        let session = state
            .store
            .session(&hash, crate::state::now_ms(), idle_since(&state))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            check_same_origin(&parts.method, &parts.headers)?;
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .map(|v| v.as_bytes())
                .unwrap_or_default();
            if !constant_time_eq(sent, session.csrf_token.as_bytes()) {
                return Err(ApiError::Forbidden {
                    code: "csrf",
                    zh: "页面已过期，请刷新后重试".into(),
                    en: "The page is stale (CSRF token missing or wrong); reload and retry".into(),
                });
            }
        }
        Ok(Staff {
            session,
            token_hash: hash,
        })
    }
}

/// `Option<Staff>`: `None` without a session, so a route can also accept
/// other credentials (an integration token).
impl<S> axum::extract::OptionalFromRequestParts<S> for Staff
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <Staff as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(s) => Ok(Some(s)),
            Err(ApiError::Unauthorized) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Staff {
    /// This account as the author of an audited change made now.
    pub fn audit_by(&self) -> crate::store::AuditBy {
        crate::store::AuditBy {
            staff_id: Some(self.session.staff_id),
            label: self.session.username.clone(),
            at: crate::state::now_ms(),
        }
    }

    /// A supervisor bound to a district's place or department acts only
    /// within that district (004 §9 本地区).
    pub fn district(&self) -> Option<i64> {
        self.session
            .role
            .is_supervisor()
            .then_some(self.session.district_id)
            .flatten()
    }

    /// Refuses a district's supervisor what is city-wide (the organisation,
    /// every place's QR posters and SMS, the audit log, misuse review, the
    /// city's rating export).
    pub fn require_city_wide(&self) -> Result<(), ApiError> {
        match self.district() {
            None => Ok(()),
            Some(_) => Err(ApiError::Forbidden {
                code: "district_scope",
                zh: "此功能面向全市，区县督查员只能查看和办理本区县的内容".into(),
                en: "This is city-wide; a district supervisor works within the district only"
                    .into(),
            }),
        }
    }

    /// The account's role, read once with its session.
    pub fn role(&self) -> Role {
        self.session.role
    }

    /// Refuses roles not in `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        self.require_that(roles.contains(&self.session.role))
    }

    /// Refuses a role without the capability (`Role::reads_reports`, …).
    pub fn require_can(&self, can: fn(Role) -> bool) -> Result<(), ApiError> {
        self.require_that(can(self.session.role))
    }

    fn require_that(&self, allowed: bool) -> Result<(), ApiError> {
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                code: "role",
                zh: "您的角色无权进行此操作".into(),
                en: "Your role may not do this".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let h = hash_password("正确的密码").unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert!(rt
            .block_on(verify_password("正确的密码".into(), h.clone()))
            .unwrap());
        assert!(!rt.block_on(verify_password("wrong".into(), h)).unwrap());
    }

    #[test]
    fn the_session_cookie_is_http_only_and_strict() {
        let c = session_cookie("abc", false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && !c.contains("Secure"));
        assert!(session_cookie("abc", true).ends_with("; Secure"));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; hcp_session=tok; b=2".parse().unwrap());
        assert_eq!(cookie_value(&h, SESSION_COOKIE), Some("tok"));
    }

    #[test]
    fn cross_site_posts_are_refused_and_same_site_ones_pass() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:3000".parse().unwrap());
        h.insert(header::ORIGIN, "http://127.0.0.1:3000".parse().unwrap());
        assert!(check_same_origin(&Method::POST, &h).is_ok());
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(check_same_origin(&Method::POST, &h).is_err());
        assert!(check_same_origin(&Method::GET, &h).is_ok());
    }
}
