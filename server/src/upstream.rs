//! Delivery of the upstream outbox (issue 16): a worker per destination
//! leases due records (`Store::claim_outbox`), builds each in the
//! destination's shape (`domain::upstream`), `POST`s them as one batch with
//! a key per record, and settles each as sent, retried later (exponential
//! backoff with jitter) or dead. The shape is zero2prod's issue-delivery
//! worker, with leases instead of a transaction held over the request:
//! a worker that dies lets its records go when the lease runs out, and the
//! platform recognises a record sent twice by its key.

use std::collections::HashMap;
use std::time::Duration;

use domain::upstream::{
    outcome_of_status, outcomes, BatchAnswer, Next, Outcome, RatingFacts, StepFacts,
};
use domain::{Channel, Level, RatingKind};
use serde_json::{json, Value};

use crate::config::Destination;
use crate::state::now_ms;
use crate::store::{OutboxItem, Settle, Store, StoreError};

/// The HTTP client every worker uses: no redirects (a record is never
/// sent somewhere it was not configured to go), no proxy from the
/// environment unless asked.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("hcp-upstream/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds")
}

/// Runs `dest`'s worker until the task is dropped.
pub fn spawn(store: Store, dest: Destination) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = client();
        loop {
            match deliver_once(&store, &dest, &client, now_ms()).await {
                Ok(0) => tokio::time::sleep(Duration::from_millis(dest.poll_ms)).await,
                Ok(_) => tokio::task::yield_now().await,
                Err(e) => {
                    tracing::warn!(error = ?e, destination = dest.name, "upstream delivery: the database failed; trying again");
                    tokio::time::sleep(Duration::from_millis(dest.poll_ms.max(1_000))).await;
                }
            }
        }
    })
}

/// One record ready to send.
struct Built {
    id: i64,
    attempts: u32,
    key: String,
    body: Value,
    /// The row it was built from (an SMS: its `sms_outbox` id).
    ref_id: i64,
}

/// Claims, sends and settles one batch; returns how many records it took.
pub async fn deliver_once(
    store: &Store,
    dest: &Destination,
    client: &reqwest::Client,
    now: i64,
) -> Result<usize, StoreError> {
    store
        .expand_rating_batches(dest.name, Some(dest.batch))
        .await?;
    let items = store
        .claim_outbox(dest.name, now, dest.lease_ms, dest.batch as i64)
        .await?;
    if items.is_empty() {
        return Ok(0);
    }
    let n = items.len();
    let (built, mut settled) = build(store, dest, &items).await?;
    if !built.is_empty() {
        let keys: Vec<String> = built.iter().map(|b| b.key.clone()).collect();
        let results: Vec<Outcome> = if dest.is_sms() {
            // A gateway takes one message per request; its answer names
            // the message's id for the delivery receipts.
            let answers =
                futures_util::future::join_all(built.iter().map(|b| send_one(client, dest, b)))
                    .await;
            let mut ids = Vec::new();
            let mut results = Vec::new();
            for (b, a) in built.iter().zip(answers) {
                match a {
                    Ok(provider) => {
                        ids.push((b.ref_id, provider));
                        results.push(Outcome::Delivered);
                    }
                    Err(o) => results.push(o),
                }
            }
            store.sms_sent(&ids, now_ms()).await?;
            results
        } else {
            match send(client, dest, &built).await {
                Ok(answer) => outcomes(&keys, &answer),
                Err(o) => keys.iter().map(|_| o.clone()).collect(),
            }
        };
        let finished = now_ms();
        for (b, outcome) in built.iter().zip(results) {
            settled.push(match outcome {
                Outcome::Delivered => Settle::Sent(b.id),
                Outcome::Refused(why) => Settle::Dead(b.id, why),
                Outcome::Retry(why) => {
                    let jitter = rand::random::<u16>() % 1001;
                    match dest.retry.after_failure(b.attempts, finished, jitter) {
                        Next::RetryAt(at) => Settle::Retry(b.id, at, why),
                        Next::Dead => Settle::Dead(
                            b.id,
                            format!(
                                "{} 次尝试均未送达 / not delivered after {} tries: {why}",
                                b.attempts, b.attempts
                            ),
                        ),
                    }
                }
            });
        }
    }
    let dead = settled
        .iter()
        .filter(|s| matches!(s, Settle::Dead(..)))
        .count();
    if dead > 0 {
        tracing::warn!(
            destination = dest.name,
            dead,
            "upstream records became dead letters"
        );
    }
    store.settle_outbox(&settled, now_ms()).await?;
    Ok(n)
}

/// Sends one batch: the platform's answer, or the one outcome of all.
async fn send(
    client: &reqwest::Client,
    dest: &Destination,
    built: &[Built],
) -> Result<BatchAnswer, Outcome> {
    let body = json!({
        "records": built.iter().map(|b| &b.body).collect::<Vec<_>>(),
    })
    .to_string();
    let text = post(client, dest, body).await?;
    Ok(serde_json::from_str::<BatchAnswer>(&text).unwrap_or_default())
}

/// Sends one SMS through the gateway (its body is the rendered template):
/// the provider's message id, when its answer carries one.
async fn send_one(
    client: &reqwest::Client,
    dest: &Destination,
    b: &Built,
) -> Result<Option<String>, Outcome> {
    let body = b.body.as_str().unwrap_or_default().to_string();
    let text = post(client, dest, body).await?;
    Ok(domain::upstream::message_id_at(&text, &dest.id_pointer))
}

/// `POST`s `body` with the destination's credentials: the answer's text
/// on a 2xx, or how to treat the failure.
async fn post(
    client: &reqwest::Client,
    dest: &Destination,
    body: String,
) -> Result<String, Outcome> {
    let mut req = client
        .post(&dest.url)
        .timeout(Duration::from_millis(dest.timeout_ms))
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    if let Some(t) = &dest.token {
        req = req.bearer_auth(t);
    }
    if let Some(k) = &dest.signing_key {
        req = req.header("X-HCP-Signature", signature(k, now_ms() / 1000, &body));
    }
    match req.body(body).send().await {
        Err(e) => Err(Outcome::Retry(format!(
            "{}: {e}",
            if e.is_timeout() {
                "超时 timeout"
            } else {
                "无法连接 unreachable"
            }
        ))),
        Ok(resp) => {
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            match outcome_of_status(status, &text) {
                Outcome::Delivered => Ok(text),
                other => Err(other),
            }
        }
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA-256 of "t.body">`: the platform
/// checks the body came from us and is fresh.
pub fn signature(key: &str, t: i64, body: &str) -> String {
    format!(
        "t={t},v1={}",
        crate::auth::keyed_hash(key.as_bytes(), &format!("{t}.{body}"))
    )
}

/// The records of `items` in the destination's shape; those that cannot be
/// built (their source is gone, no division code) are dead letters at once,
/// with the reason.
async fn build(
    store: &Store,
    dest: &Destination,
    items: &[OutboxItem],
) -> Result<(Vec<Built>, Vec<Settle>), StoreError> {
    let regions: HashMap<i64, (String, Option<i64>)> = store
        .region_codes()
        .await?
        .into_iter()
        .map(|(id, code, parent)| (id, (code, parent)))
        .collect();
    let chain = |mut id: Option<i64>| {
        let mut codes = Vec::new();
        while let Some((code, parent)) = id.and_then(|i| regions.get(&i)) {
            codes.push(code.as_str());
            if codes.len() > 8 {
                break;
            }
            id = *parent;
        }
        codes
    };
    let sender = sender_code(&regions);
    let rating_ids: Vec<String> = items
        .iter()
        .filter(|i| i.kind == "rating")
        .map(|i| i.ref_id.clone())
        .collect();
    let ticket_ids: Vec<i64> = items
        .iter()
        .filter(|i| i.kind == "rectify")
        .filter_map(|i| i.ref_id.parse().ok())
        .collect();
    let ratings: HashMap<String, crate::store::UpstreamRating> = store
        .upstream_ratings(&rating_ids)
        .await?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let ticket_ratings: HashMap<i64, String> = store
        .ticket_rating_ids(&ticket_ids)
        .await?
        .into_iter()
        .collect();
    let mut orders: HashMap<i64, crate::store::TicketRow> = HashMap::new();
    for i in items.iter().filter(|i| i.kind == "workorder") {
        if let Ok(id) = i.ref_id.parse() {
            if let Some(t) = store.ticket(id).await? {
                orders.insert(id, t);
            }
        }
    }
    let place_ids: Vec<i64> = orders.values().map(|t| t.place_id).collect();
    let place_regions: HashMap<i64, i64> =
        store.place_regions(&place_ids).await?.into_iter().collect();
    let case_ids: Vec<i64> = items
        .iter()
        .filter(|i| i.kind == "case")
        .filter_map(|i| i.ref_id.parse().ok())
        .collect();
    let cases: HashMap<i64, crate::store::UpstreamCase> = store
        .upstream_cases(&case_ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let sms_ids: Vec<i64> = items
        .iter()
        .filter(|i| i.kind == "sms")
        .filter_map(|i| i.ref_id.parse().ok())
        .collect();
    let messages: HashMap<i64, crate::store::SmsRow> = store
        .sms_rows(&sms_ids)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut built = Vec::new();
    let mut dead = Vec::new();
    for item in items {
        let attempts = item.attempts.max(1) as u32;
        let record = match item.kind.as_str() {
            "rating" => match ratings.get(&item.ref_id) {
                None => Err("评价记录不存在 / rating not found".to_string()),
                Some(r) => rating_facts(r, chain(Some(r.region_id)))
                    .map(|f| (f.id.clone(), serde_json::to_value(dest.profile.rating(&f)))),
            },
            "rectify" => {
                let facts: Option<StepFacts> = item
                    .payload
                    .as_deref()
                    .and_then(|p| serde_json::from_str(p).ok());
                match facts {
                    None => Err("整改记录无法读取 / unreadable step".to_string()),
                    Some(s) => match ticket_ratings.get(&s.ticket_id) {
                        None => Err("整改工单不存在 / ticket not found".to_string()),
                        Some(rating) => Ok((
                            format!("{sender}-{}", item.id),
                            serde_json::to_value(domain::upstream::step_record(
                                &s, rating, &sender,
                            )),
                        )),
                    },
                }
            }
            "workorder" => match item.ref_id.parse().ok().and_then(|id: i64| orders.get(&id)) {
                None => Err("整改工单不存在 / ticket not found".to_string()),
                Some(t) => {
                    work_order_facts(t, chain(place_regions.get(&t.place_id).copied())).map(|f| {
                        let w = domain::hotline::work_order(&f, &dest.profile, &sender);
                        (w.number.clone(), serde_json::to_value(w))
                    })
                }
            },
            "case" => match item.ref_id.parse().ok().and_then(|id: i64| cases.get(&id)) {
                None => Err("办件不存在 / case not found".to_string()),
                Some(c) => case_facts(c, chain(Some(c.region_id))).map(|f| {
                    (
                        format!("{sender}-case-{}", c.id),
                        serde_json::to_value(domain::upstream::case_record(&f)),
                    )
                }),
            },
            "sms" => match item
                .ref_id
                .parse()
                .ok()
                .and_then(|id: i64| messages.get(&id))
            {
                None => Err("短信不存在 / message not found".to_string()),
                Some(m) => {
                    let key = format!("hcp-sms-{}", m.id);
                    domain::upstream::render_template(
                        &dest.template,
                        &[
                            ("phone", &m.phone),
                            ("body", &m.body),
                            ("key", &key),
                            ("purpose", &m.purpose),
                        ],
                    )
                    .map(|body| (key, Ok(Value::String(body))))
                }
            },
            other => Err(format!("未知记录类型 / unknown kind {other}")),
        };
        let ref_id = item.ref_id.parse().unwrap_or_default();
        match record {
            Ok((key, Ok(data))) if item.kind == "sms" => built.push(Built {
                id: item.id,
                attempts,
                body: data,
                key,
                ref_id,
            }),
            Ok((key, Ok(data))) => built.push(Built {
                id: item.id,
                attempts,
                body: json!({ "key": key, "kind": item.kind, "data": data }),
                key,
                ref_id,
            }),
            Ok((_, Err(e))) => dead.push(Settle::Dead(item.id, format!("序列化失败 / {e}"))),
            Err(why) => dead.push(Settle::Dead(item.id, why)),
        }
    }
    Ok((built, dead))
}

/// The sender: this city's division code (its root region's), the prefix
/// of its ticket and work order numbers upstream.
fn sender_code(regions: &HashMap<i64, (String, Option<i64>)>) -> String {
    regions
        .iter()
        .filter(|(_, (_, parent))| parent.is_none())
        .min_by_key(|(id, _)| **id)
        .and_then(|(_, (code, _))| domain::upstream::division_code([code.as_str()]))
        .unwrap_or_else(|| "000000".into())
}

/// [`sender_code`] from the database.
pub async fn city_code(store: &Store) -> Result<String, StoreError> {
    let regions = store
        .region_codes()
        .await?
        .into_iter()
        .map(|(id, code, parent)| (id, (code, parent)))
        .collect();
    Ok(sender_code(&regions))
}

fn rating_facts(r: &crate::store::UpstreamRating, chain: Vec<&str>) -> Result<RatingFacts, String> {
    let division = domain::upstream::division_code(chain).ok_or_else(|| {
        "评价所在地区及其上级均无行政区划代码 / no division code on the place's region or above"
            .to_string()
    })?;
    Ok(RatingFacts {
        id: r.id.clone(),
        case_no: r.case_no.clone().filter(|c| !c.is_empty()),
        channel: serde_json::from_value::<Channel>(Value::String(r.channel.clone()))
            .map_err(|_| format!("未知评价渠道 / unknown channel {}", r.channel))?,
        evaluator_phone: r.evaluator_phone.clone(),
        evaluator_id_no: r.evaluator_id_no.clone(),
        rated_at: r.rated_at,
        kind: RatingKind::parse(&r.kind).unwrap_or(RatingKind::First),
        level: Level::from_rank(r.level as u8).ok_or_else(|| format!("level {}", r.level))?,
        comment: r.comment.clone(),
        division,
    })
}

fn work_order_facts(
    t: &crate::store::TicketRow,
    chain: Vec<&str>,
) -> Result<domain::hotline::WorkOrderFacts, String> {
    let division = domain::upstream::division_code(chain).ok_or_else(|| {
        "评价所在地区及其上级均无行政区划代码 / no division code on the place's region or above"
            .to_string()
    })?;
    let reasons: Vec<domain::ReasonTag> = serde_json::from_str(&t.reasons).unwrap_or_default();
    Ok(domain::hotline::WorkOrderFacts {
        ticket_id: t.id,
        rating_id: t.rating_id.clone(),
        case_no: t.case_no.clone().filter(|c| !c.is_empty()),
        channel: Channel::parse(&t.channel)
            .ok_or_else(|| format!("未知评价渠道 / unknown channel {}", t.channel))?,
        level: Level::from_rank(t.level as u8).ok_or_else(|| format!("level {}", t.level))?,
        rated_at: t.opened_at,
        reasons: reasons
            .into_iter()
            .map(|r| r.label_zh().to_string())
            .collect(),
        comment: t.comment.clone(),
        evaluator_phone: t.evaluator_phone.clone(),
        place: t.place_name.clone(),
        window: t.window_name.clone(),
        department: t.department_name.clone(),
        service_item: t.service_item_name.clone(),
        contact_due: t.contact_due,
        division,
    })
}

fn case_facts(
    c: &crate::store::UpstreamCase,
    chain: Vec<&str>,
) -> Result<domain::upstream::CaseFacts, String> {
    let division = domain::upstream::division_code(chain).ok_or_else(|| {
        "办件所在地区及其上级均无行政区划代码 / no division code on the place's region or above"
            .to_string()
    })?;
    Ok(domain::upstream::CaseFacts {
        case_no: c.case_no.clone(),
        service_code: c.service_code.clone(),
        service_name: c.service_name.clone(),
        department: c.department.clone(),
        place: c.place.clone(),
        window: c.window.clone(),
        applicant_type: c.applicant_type.clone(),
        started_at: c.started_at,
        finished_at: c.finished_at.ok_or("办件未办结 / case not finished")?,
        division,
    })
}
