//! Storing ratings, whatever the channel: device batches (`routes::sync`),
//! staff entry and the default-rating job all end here, so 一次一评 and
//! the single-use links hold for every channel alike.

use app::api::types::ErrorBody;
use axum::http::HeaderMap;
use domain::case::Stage;
use domain::link;
use domain::DeviceKind;
use domain::{Channel, RatingRecord};
use uuid::Uuid;

use crate::auth;
use crate::coalesce::Owned;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{DeviceRow, Ingested};

/// A validated rating with its case resolved.
pub struct Prepared {
    pub record: RatingRecord,
    pub case_id: Option<i64>,
    pub link_nonce: Option<String>,
}

fn item_error(code: &str, zh: impl Into<String>, en: impl Into<String>) -> ErrorBody {
    ErrorBody {
        code: code.into(),
        message: zh.into(),
        message_en: en.into(),
    }
}

/// Who sent a rating, for binding it to a case by its bare number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binder {
    /// A place's web endpoint (phones, PCs): anyone can type a number, so
    /// a bare `case_no` is kept as text and never binds; only a case link
    /// does.
    Web,
    /// A kiosk: a case of its own place.
    Kiosk,
    /// A window pad: a case of its own window.
    Pad { window_id: i64 },
    /// Staff entering a paper form or a call: a case of their place.
    Staff,
}

impl Binder {
    pub fn of(device: &DeviceRow) -> Binder {
        match (device.kind, device.window_id) {
            (DeviceKind::Kiosk, _) => Binder::Kiosk,
            (DeviceKind::WindowPad, Some(w)) => Binder::Pad { window_id: w },
            _ => Binder::Web,
        }
    }
}

/// The cases a batch's ratings name by number (those without a link), in
/// one query per place or window instead of one per rating: what
/// [`resolve_case_in`] looks them up in. Keyed by (place or window, number).
pub async fn cases_by_number<'a>(
    state: &AppState,
    records: impl Iterator<Item = &'a RatingRecord>,
    binder: Binder,
) -> Result<CaseNumbers, ApiError> {
    let mut wanted: std::collections::BTreeMap<i64, Vec<&str>> = Default::default();
    for r in records.filter(|r| r.link.is_none()) {
        let (Some(no), Some(unit)) = (&r.case_no, number_unit(r, binder)) else {
            continue;
        };
        wanted.entry(unit).or_default().push(no);
    }
    let mut found = CaseNumbers::default();
    for (unit, mut nos) in wanted {
        nos.sort_unstable();
        nos.dedup();
        let window = matches!(binder, Binder::Pad { .. });
        for (no, id) in state.store.case_ids_by_number(unit, window, &nos).await? {
            found.insert((unit, no), id);
        }
    }
    Ok(found)
}

/// Cases by (place or window, case number); see [`cases_by_number`].
pub type CaseNumbers = std::collections::HashMap<(i64, String), i64>;

/// Where a bare case number binds: the pad's window, the kiosk's or staff
/// member's place; nowhere for the web.
fn number_unit(record: &RatingRecord, binder: Binder) -> Option<i64> {
    match binder {
        Binder::Web => None,
        Binder::Pad { window_id } => Some(window_id),
        Binder::Kiosk | Binder::Staff => Some(record.place_id),
    }
}

/// [`resolve_case`] with the batch's case numbers looked up already
/// ([`cases_by_number`] over the same records and binder).
pub async fn resolve_case_in(
    state: &AppState,
    record: &RatingRecord,
    binder: Binder,
    numbers: &CaseNumbers,
) -> Result<Result<(Option<i64>, Option<String>), ErrorBody>, ApiError> {
    if record.link.is_none() {
        let case_id = match (&record.case_no, number_unit(record, binder)) {
            (Some(no), Some(unit)) => numbers.get(&(unit, no.clone())).copied(),
            _ => None,
        };
        return Ok(Ok((case_id, None)));
    }
    resolve_case(state, record, binder).await
}

/// Finds the case a rating is about: through its signed link (phone, SMS,
/// PC), or by its case number at the kiosk's place, the pad's window or
/// the staff member's place (see [`Binder`]).
/// `Ok(Err(_))` refuses the item; `Err(_)` is a server failure.
pub async fn resolve_case(
    state: &AppState,
    record: &RatingRecord,
    binder: Binder,
) -> Result<Result<(Option<i64>, Option<String>), ErrorBody>, ApiError> {
    let Some(token) = &record.link else {
        let case_id = match (&record.case_no, binder) {
            (None, _) | (Some(_), Binder::Web) => None,
            (Some(no), Binder::Pad { window_id }) => {
                state.store.case_id_at_window(window_id, no).await?
            }
            (Some(no), Binder::Kiosk | Binder::Staff) => {
                state.store.case_id_at_place(record.place_id, no).await?
            }
        };
        return Ok(Ok((case_id, None)));
    };
    let claims = match link::verify(&state.link_key, token) {
        Ok(c) => c,
        Err(e) => return Ok(Err(item_error(e.code(), e.message_zh(), e.message_en()))),
    };
    let unknown = || {
        item_error(
            "link_unknown",
            "评价链接无效，请重新扫码或打开短信中的链接",
            "This rating link is not valid",
        )
    };
    let Some(row) = state.store.link(&claims.nonce).await? else {
        return Ok(Err(unknown()));
    };
    if row.case_id != claims.case_id || row.channel != record.channel.as_str() {
        return Ok(Err(unknown()));
    }
    if row.used_at.is_some() && row.rating_id.as_deref() != Some(&record.id.to_string()) {
        return Ok(Err(item_error(
            "link_used",
            "此评价链接已经使用过，每个链接只能评价一次",
            "This rating link has been used already; each link rates once",
        )));
    }
    if row.stage.as_deref().and_then(Stage::parse) != record.stage && row.stage.is_some() {
        return Ok(Err(item_error(
            "stage_mismatch",
            "评价的办理环节与链接不符",
            "The stage rated does not match the link",
        )));
    }
    let Some(case) = state.store.case(row.case_id).await? else {
        return Ok(Err(unknown()));
    };
    if case.place_id != record.place_id
        || record.case_no.as_deref() != Some(case.case_no.as_str())
        || (record.window_id.is_some() && record.window_id != case.window_id)
    {
        return Ok(Err(item_error(
            "case_mismatch",
            "评价的办件与链接不符",
            "The case rated does not match the link",
        )));
    }
    Ok(Ok((Some(case.id), Some(row.nonce))))
}

/// Stores prepared ratings in one transaction; answers per item.
pub async fn store(
    state: &AppState,
    items: &[Prepared],
    rated_at: impl Fn(&RatingRecord) -> i64,
    entered_by: Option<i64>,
    received_at: i64,
) -> Result<Vec<Ingested>, ApiError> {
    ingest(
        state,
        items,
        |r| (rated_at(r), None),
        entered_by,
        None,
        None,
        received_at,
    )
    .await
}

/// [`store`] for a device batch: `timing` gives each rating's time and why
/// it is in doubt (flagged `late`); `client_hash` marks web ratings;
/// `touch`, the device whose last contact the writer notes ([`contact_due`]).
pub async fn store_with(
    state: &AppState,
    items: &[Prepared],
    timing: impl Fn(&RatingRecord) -> (i64, Option<String>),
    client_hash: Option<String>,
    touch: Option<String>,
    received_at: i64,
) -> Result<Vec<Ingested>, ApiError> {
    ingest(state, items, timing, None, client_hash, touch, received_at).await
}

async fn ingest(
    state: &AppState,
    items: &[Prepared],
    timing: impl Fn(&RatingRecord) -> (i64, Option<String>),
    entered_by: Option<i64>,
    client_hash: Option<String>,
    touch: Option<String>,
    received_at: i64,
) -> Result<Vec<Ingested>, ApiError> {
    let owned: Vec<Owned> = items
        .iter()
        .map(|p| {
            let (rated_at, late) = timing(&p.record);
            Owned {
                record: p.record.clone(),
                canonical: p.record.canonical(),
                rated_at,
                case_id: p.case_id,
                preset_kind: None,
                entered_by,
                link_nonce: p.link_nonce.clone(),
                client_hash: client_hash.clone(),
                late,
            }
        })
        .collect();
    // The writer also opens the bad ratings' tickets (a ticket that fails
    // to open there is opened by the jobs' sweep, or at start-up).
    let written = state.writer.ingest(owned, touch, received_at).await?;
    crate::rectify::announce(state, written.tickets, received_at);
    Ok(written.answers)
}

/// The device a batch claims to come from, checked against its token. A
/// place's web endpoint has no token: anyone may rate through it, but only
/// on the web channels and, for a case, only with that case's link.
pub async fn authenticate_device(
    state: &AppState,
    device_id: &Uuid,
    headers: &HeaderMap,
) -> Result<DeviceRow, ApiError> {
    let device = check_device(state, device_id, headers).await?;
    let now = crate::state::now_ms();
    if let Some(id) = contact_due(state, &device, now) {
        state.store.touch_devices(&[id], now).await?;
    }
    Ok(device)
}

/// The terminal's id when its last contact (the devices page) should be
/// written now: at most once a minute per device and server.
pub fn contact_due(state: &AppState, device: &DeviceRow, now: i64) -> Option<String> {
    (device.kind.is_terminal() && state.last_contact.due(&device.id, now))
        .then(|| device.id.clone())
}

/// [`authenticate_device`] without writing the last contact: a sync hands
/// it to the ratings writer, which writes those of a whole group at once
/// (`coalesce`), instead of one write per request.
pub async fn check_device(
    state: &AppState,
    device_id: &Uuid,
    headers: &HeaderMap,
) -> Result<DeviceRow, ApiError> {
    let not_registered = || ApiError::Forbidden {
        code: "device_not_registered",
        zh: "设备未登记；评价仍保留在设备上，请联系管理员".into(),
        en: "This device is not registered; its ratings stay on the device".into(),
    };
    let auth = state
        .store
        .device_with_auth(device_id)
        .await?
        .ok_or_else(not_registered)?;
    if auth.device.kind.is_terminal() {
        if auth.revoked_at.is_some() {
            return Err(ApiError::Forbidden {
                code: "device_revoked",
                zh: "此设备已被管理员停用，不能再上传评价；已录入的评价仍完整保存在本机，请联系管理员重新启用".into(),
                en: "This device was revoked by an administrator; the ratings on it are kept. Ask an administrator to re-enrol it".into(),
            });
        }
        let sent = auth::bearer(headers).map(auth::token_hash);
        if sent.is_none() || sent != auth.token_hash {
            return Err(ApiError::DeviceUnauthenticated {
                code: "device_not_enrolled",
                zh: "此设备尚未启用或启用凭证已失效，请输入管理员提供的启用码".into(),
                en: "This device is not enrolled or its token is no longer valid; enter an enrolment code".into(),
            });
        }
    }
    Some(auth.device)
        .filter(|d| d.active)
        .ok_or_else(not_registered)
}

/// A case link: the token to hand out and the nonce that makes it single-use.
pub struct Link {
    pub token: String,
    pub nonce: String,
}

/// Makes a signed single-use link to rate `case_id`.
pub async fn make_link(
    state: &AppState,
    case_id: i64,
    channel: Channel,
    stage: Option<Stage>,
    now: i64,
) -> Result<Link, ApiError> {
    let nonce = auth::random_token();
    state
        .store
        .insert_link(
            &nonce,
            case_id,
            channel.as_str(),
            stage.map(Stage::as_str),
            now,
        )
        .await?;
    Ok(Link {
        token: link::sign(&state.link_key, case_id, &nonce),
        nonce,
    })
}

pub fn link_path(token: &str) -> String {
    format!("/r/{token}")
}
