//! Administration: the organisation tree, staff accounts, the audit
//! history, the working-day calendar and the QR posters.

use serde::de::IgnoredAny;

use super::done;
use crate::api::client::{
    post_csv, staff_delete, staff_get, staff_post, staff_put, upload_file, ClientError,
};
use crate::api::types::{
    AuditEntry, CalendarYear, ImportReport, OrgRow, Poster, RequeueRequest, RequeueResult,
    StaffAccount, StaffAccountInput, UpstreamStatus,
};
use domain::calendar::{Date, SpecialDay};
use domain::org::{OrgInput, OrgType};

/// `GET /api/v1/admin/org/{type}`.
pub async fn org_units(t: OrgType) -> Result<Vec<OrgRow>, ClientError> {
    staff_get(&format!("/api/v1/admin/org/{}", t.as_str())).await
}

/// `POST /api/v1/admin/org/{type}`: a new unit of `input.org_type`.
pub async fn create_org_unit(csrf: &str, input: &OrgInput) -> Result<(), ClientError> {
    let url = format!("/api/v1/admin/org/{}", input.org_type.as_str());
    done(staff_post::<_, IgnoredAny>(&url, csrf, input).await)
}

/// `PUT /api/v1/admin/org/{type}/{id}`.
pub async fn update_org_unit(csrf: &str, id: i64, input: &OrgInput) -> Result<(), ClientError> {
    let url = format!("/api/v1/admin/org/{}/{id}", input.org_type.as_str());
    done(staff_put::<_, IgnoredAny>(&url, csrf, input).await)
}

/// `POST /api/v1/admin/org/{type}/{id}/active`.
pub async fn set_org_active(
    csrf: &str,
    t: OrgType,
    id: i64,
    active: bool,
) -> Result<(), ClientError> {
    let url = format!("/api/v1/admin/org/{}/{id}/active", t.as_str());
    done(staff_post::<_, IgnoredAny>(&url, csrf, &serde_json::json!({ "active": active })).await)
}

/// `POST /api/v1/admin/org/import`: the whole tree as one CSV file.
pub async fn import_org(csrf: &str, text: String) -> Result<ImportReport, ClientError> {
    post_csv("/api/v1/admin/org/import", csrf, text).await
}

/// `GET /api/v1/admin/audit?entity=&limit=`: the newest lines first.
pub async fn audit(entity: &str, limit: u32) -> Result<Vec<AuditEntry>, ClientError> {
    staff_get(&format!(
        "/api/v1/admin/audit?entity={entity}&limit={limit}"
    ))
    .await
}

/// `GET /api/v1/admin/staff`.
pub async fn staff_accounts() -> Result<Vec<StaffAccount>, ClientError> {
    staff_get("/api/v1/admin/staff").await
}

/// `POST /api/v1/admin/staff`.
pub async fn create_staff_account(csrf: &str, body: &StaffAccountInput) -> Result<(), ClientError> {
    done(staff_post::<_, IgnoredAny>("/api/v1/admin/staff", csrf, body).await)
}

/// `PUT /api/v1/admin/staff/{id}`.
pub async fn update_staff_account(
    csrf: &str,
    id: i64,
    body: &StaffAccountInput,
) -> Result<(), ClientError> {
    done(staff_put::<_, IgnoredAny>(&format!("/api/v1/admin/staff/{id}"), csrf, body).await)
}

/// `POST /api/v1/admin/staff/{id}/active` (deactivating ends the sessions).
pub async fn set_staff_active(csrf: &str, id: i64, active: bool) -> Result<(), ClientError> {
    done(
        staff_post::<_, IgnoredAny>(
            &format!("/api/v1/admin/staff/{id}/active"),
            csrf,
            &serde_json::json!({ "active": active }),
        )
        .await,
    )
}

/// `POST /api/v1/admin/staff/{id}/photo`: the clerk's photo, raw body.
pub async fn upload_staff_photo(
    csrf: &str,
    id: i64,
    file: &web_sys::File,
) -> Result<(), ClientError> {
    upload_file(&format!("/api/v1/admin/staff/{id}/photo"), csrf, file).await
}

/// `GET /api/v1/photos/{id}`: a staff photo, for an `<img>`.
pub fn photo_url(id: &str) -> String {
    format!("/api/v1/photos/{id}")
}

/// `GET /api/v1/admin/calendar?year=`.
pub async fn calendar(year: i32) -> Result<CalendarYear, ClientError> {
    staff_get(&format!("/api/v1/admin/calendar?year={year}")).await
}

/// `PUT /api/v1/admin/calendar/{date}`: a holiday or 调休 working day.
pub async fn save_special_day(
    csrf: &str,
    date: Date,
    day: &SpecialDay,
) -> Result<SpecialDay, ClientError> {
    staff_put(&format!("/api/v1/admin/calendar/{date}"), csrf, day).await
}

/// `DELETE /api/v1/admin/calendar/{date}`.
pub async fn delete_special_day(csrf: &str, date: Date) -> Result<(), ClientError> {
    staff_delete(&format!("/api/v1/admin/calendar/{date}"), csrf).await
}

/// `GET /api/v1/admin/posters`.
pub async fn posters() -> Result<Vec<Poster>, ClientError> {
    staff_get("/api/v1/admin/posters").await
}

/// `GET /api/v1/admin/upstream`: the upstream deliveries.
pub async fn upstream() -> Result<UpstreamStatus, ClientError> {
    staff_get("/api/v1/admin/upstream").await
}

/// `POST /api/v1/admin/upstream/{name}/requeue`: dead letters (`ids`, or
/// all) back to the queue.
pub async fn requeue_upstream(
    csrf: &str,
    name: &str,
    ids: Option<Vec<i64>>,
) -> Result<RequeueResult, ClientError> {
    let url = format!("/api/v1/admin/upstream/{name}/requeue");
    staff_post(&url, csrf, &RequeueRequest { ids }).await
}

/// `POST /api/v1/admin/province/import`: the province's monthly file of
/// bad ratings (CSV).
pub async fn import_province_file(
    csrf: &str,
    text: String,
) -> Result<crate::api::types::ImportReport, ClientError> {
    post_csv("/api/v1/admin/province/import", csrf, text).await
}

/// `POST /api/v1/admin/upstream/{name}/retry`: records waiting for a retry go now.
pub async fn retry_upstream(csrf: &str, name: &str) -> Result<RequeueResult, ClientError> {
    let url = format!("/api/v1/admin/upstream/{name}/retry");
    staff_post(&url, csrf, &serde_json::json!({})).await
}
