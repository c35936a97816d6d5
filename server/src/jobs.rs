//! Periodic jobs, each idempotent and safe to rerun: 系统默认 ratings for
//! cases left unrated (seed 004 §15) and SMS reminders while unrated.

use app::api::types::JobsReport;
use domain::case::{default_due, default_rated_at, reminder_due, RatingKind, DAY_MS};
use domain::rating::new_rating_id;
use domain::{Channel, RatingRecord, DEFAULT_DIMENSION_SET};
use rand::RngCore;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::NewRating;

const BATCH: i64 = 500;

/// How far ahead the months of ratings are made on PostgreSQL: three
/// months and more, so that a month is made long before its first rating
/// (migration 0025: a month whose ids reached the default partition first
/// stays there).
const MONTHS_AHEAD_MS: i64 = 92 * DAY_MS;

/// One tick of the periodic jobs, run by exactly one server of those
/// sharing the database: the tick (`now` in whole periods of
/// `policy.jobs_every_secs`) is claimed first; `None` when another server
/// has it. Every job is idempotent besides, so a tick lost with a server
/// that died is caught up by the next.
pub async fn tick(state: &AppState, now: i64) -> Result<Option<JobsReport>, ApiError> {
    let every_ms = (state.settings.policy.jobs_every_secs.max(1) * 1000) as i64;
    if !state
        .store
        .claim_job_tick(now / every_ms, &state.instance, now)
        .await?
    {
        return Ok(None);
    }
    run(state, now).await.map(Some)
}

pub async fn run(state: &AppState, now: i64) -> Result<JobsReport, ApiError> {
    let idle = now - state.settings.security.session_idle_mins * 60_000;
    state.store.purge_sessions(now, idle).await?;
    // Each server also folds every second (`startup`); here too, so a run
    // on demand leaves no delta behind.
    state.store.fold_rollups().await?;
    Ok(JobsReport {
        default_ratings: default_ratings(state, now).await?,
        reminders: reminders(state, now).await?,
        invitations: crate::routes::staff::send_due_invitations(state, now, None).await?,
        notices: crate::notify::run(state, now).await?,
        tickets_opened: crate::rectify::open_new_tickets(state, now).await?,
        rating_months: state
            .store
            .make_rating_months(now, now + MONTHS_AHEAD_MS)
            .await?,
    })
}

/// Gives every finished case unrated for the policy's days its default
/// rating: 满意 unless policy says otherwise, kind 系统默认, not proactive,
/// dated when it fell due (finished + the policy's days). Reads only the
/// unrated cases (a partial index), so a tick costs what it finds.
pub async fn default_ratings(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let policy = &state.settings.policy.default_rating;
    if !policy.enabled {
        return Ok(0);
    }
    let cutoff = now.saturating_sub(i64::from(policy.after_days) * DAY_MS);
    let mut made = 0;
    let mut devices: std::collections::HashMap<i64, uuid::Uuid> = Default::default();
    loop {
        let due: Vec<_> = state
            .store
            .unrated_cases_finished_before(cutoff, BATCH)
            .await?
            .into_iter()
            .filter(|c| default_due(c.finished_at, now, policy))
            .collect();
        if due.is_empty() {
            return Ok(made);
        }
        let mut records = Vec::with_capacity(due.len());
        for c in &due {
            let device_id = match devices.get(&c.place_id) {
                Some(d) => *d,
                None => {
                    let d = state
                        .store
                        .web_device(
                            c.place_id,
                            state.settings.policy.web_dimension_set.code,
                            now,
                        )
                        .await?;
                    devices.insert(c.place_id, d);
                    d
                }
            };
            let at = default_rated_at(c.finished_at, policy);
            let mut random = [0u8; 10];
            rand::thread_rng().fill_bytes(&mut random);
            let record = RatingRecord {
                id: new_rating_id(at.max(0) as u64, &random),
                device_id,
                seq: c.id as u64,
                device_time: at,
                channel: Channel::System,
                case_no: Some(c.case_no.clone()),
                place_id: c.place_id,
                window_id: c.window_id,
                level: policy.level,
                dimension_set: DEFAULT_DIMENSION_SET.code.into(),
                items: vec![],
                reasons: vec![],
                comment: String::new(),
                stage: None,
                link: None,
                evaluator_phone: None,
                evaluator_id_no: None,
                evaluator_type: None,
            };
            records.push((
                record
                    .validate()
                    .map_err(|e| anyhow::anyhow!("default rating of case {}: {e}", c.id))?,
                c.id,
            ));
        }
        let canonical: Vec<String> = records.iter().map(|(r, _)| r.canonical()).collect();
        let new: Vec<NewRating> = records
            .iter()
            .zip(&canonical)
            .map(|((r, case_id), c)| NewRating {
                case_id: Some(*case_id),
                preset_kind: Some(RatingKind::SystemDefault),
                ..NewRating::plain(r, c, r.device_time)
            })
            .collect();
        state
            .store
            .ingest(&new, now, &state.settings.policy.fraud)
            .await?;
        made += new.len();
    }
}

/// Reminds applicants who have not rated, per the reminder policy.
pub async fn reminders(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let policy = &state.settings.policy.reminders;
    let mut sent = 0;
    for c in state.store.reminder_candidates(10_000).await? {
        if !reminder_due(c.sent as u32, c.last_sent_at, now, policy) {
            continue;
        }
        if let Some(case) = state.store.case(c.id).await? {
            if crate::sms::invite(state, &case, "reminder", now).await? {
                sent += 1;
            }
        }
    }
    Ok(sent)
}
