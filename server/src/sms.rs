//! SMS invitations (评价短信). The gateway is a trait; the default one
//! writes an outbox table (and a log line) that an operator can read or
//! forward to the city's SMS platform.

use std::future::Future;
use std::pin::Pin;

use domain::Channel;

use crate::error::ApiError;
use crate::ratings;
use crate::state::AppState;
use crate::store::{CaseRow, Store, StoreError};

pub struct Sms<'a> {
    pub case_id: Option<i64>,
    /// The bad-rating ticket a 回访 (feedback) message is about.
    pub ticket_id: Option<i64>,
    pub phone: &'a str,
    pub body: &'a str,
    pub link_nonce: Option<&'a str>,
    /// `invitation`, `reminder`, `feedback`, or to a unit administrator
    /// `alert` (a new bad rating, a deadline) and `digest` (daily).
    pub purpose: &'a str,
    pub now: i64,
    /// The staff member an `alert` or `digest` goes to.
    pub staff_id: Option<i64>,
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

pub trait SmsGateway: Send + Sync {
    /// Queues several messages at once (one transaction for the outbox).
    fn send_all<'a>(&'a self, all: Vec<Sms<'a>>) -> SendFuture<'a>;

    fn send<'a>(&'a self, sms: Sms<'a>) -> SendFuture<'a> {
        self.send_all(vec![sms])
    }
}

/// The default gateway: the `sms_outbox` table, and (`HCP_SMS_FILE`) a
/// file with one JSON line per message: where a demo's or a test's
/// "phone" reads what it was sent, links and all (the outbox page masks
/// numbers and cuts links).
pub struct OutboxGateway {
    store: Store,
    file: Option<std::path::PathBuf>,
}

impl OutboxGateway {
    pub fn new(store: Store, file: Option<std::path::PathBuf>) -> Self {
        OutboxGateway { store, file }
    }
}

impl SmsGateway for OutboxGateway {
    fn send_all<'a>(&'a self, all: Vec<Sms<'a>>) -> SendFuture<'a> {
        Box::pin(async move {
            if all.is_empty() {
                return Ok(());
            }
            let ids = self.store.insert_outbox_all(&all).await?;
            if let Some(path) = &self.file {
                let lines: String = ids
                    .iter()
                    .zip(&all)
                    .map(|(id, sms)| {
                        let line = serde_json::json!({
                            "id": id, "phone": sms.phone, "body": sms.body, "purpose": sms.purpose,
                            "case_id": sms.case_id, "ticket_id": sms.ticket_id, "created_at": sms.now,
                        });
                        format!("{line}\n")
                    })
                    .collect();
                let written = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .and_then(|mut f| std::io::Write::write_all(&mut f, lines.as_bytes()));
                if let Err(e) = written {
                    tracing::warn!(error = %e, "could not append to HCP_SMS_FILE");
                }
            }
            for (id, sms) in ids.iter().zip(&all) {
                tracing::info!(outbox_id = id, case_id = ?sms.case_id, purpose = sms.purpose, "SMS queued in outbox");
            }
            Ok(())
        })
    }
}

/// Sends the case's applicant a signed single-use link to rate it. Nothing
/// is sent without a phone number.
pub async fn invite(
    state: &AppState,
    case: &CaseRow,
    purpose: &str,
    now: i64,
) -> Result<bool, ApiError> {
    let Some(phone) = case.applicant_phone.as_deref() else {
        return Ok(false);
    };
    let link = ratings::make_link(state, case.id, Channel::Sms, None, now).await?;
    let what = case
        .service_name
        .clone()
        .unwrap_or_else(|| "政务服务".into());
    let body = format!(
        "【{}】您办理的“{what}”（办件编号 {}）已办结，请对本次服务作出评价：{}{}",
        case.place_name,
        case.case_no,
        state.public_url,
        ratings::link_path(&link.token)
    );
    state
        .sms
        .send(Sms {
            case_id: Some(case.id),
            ticket_id: None,
            phone,
            body: &body,
            link_nonce: Some(&link.nonce),
            purpose,
            now,
            staff_id: None,
        })
        .await?;
    Ok(true)
}
