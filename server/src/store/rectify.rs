//! Tickets of the bad-rating loop, their audit log, evidence, feedback
//! links, common problems and the working-day calendar.

use super::reports::{rollup_ratings, Reach};
use super::tx::Tx;
use super::BeginWrite;
use super::{with_pool, Scope, Store, StoreError};

/// Appends one line to the audit log inside a transaction (both pools).
macro_rules! insert_event {
    ($tx:expr, $e:expr) => {{
        let e: &NewEvent<'_> = $e;
        sqlx::query(
            "INSERT INTO ticket_events (ticket_id, actor_id, actor_role, action, from_status, to_status, note, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.ticket_id)
        .bind(e.actor_id)
        .bind(e.actor_role)
        .bind(e.action)
        .bind(e.from_status)
        .bind(e.to_status)
        .bind(e.note)
        .bind(e.at)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// A ticket's stored state plus what the lists show of its rating.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketRow {
    pub id: i64,
    pub rating_id: String,
    pub place_id: i64,
    /// The district of the ticket's place (0 for a city-level place).
    pub district_id: i64,
    pub window_id: Option<i64>,
    pub department_id: Option<i64>,
    pub service_item_id: Option<i64>,
    pub status: String,
    pub opened_at: i64,
    pub has_phone: bool,
    pub contact_due: i64,
    pub appeal_due: i64,
    pub rectify_due: Option<i64>,
    pub contacted_at: Option<i64>,
    pub verdict: Option<String>,
    pub proposed: Option<String>,
    pub appealed: bool,
    pub resume: Option<String>,
    pub requested_due: Option<i64>,
    pub extended: bool,
    pub outcome: Option<String>,
    pub description: Option<String>,
    pub archived_at: Option<i64>,
    pub on_time: Option<bool>,
    pub spot_check: Option<bool>,
    pub feedback_level: Option<i32>,
    pub closed_at: Option<i64>,
    pub common_id: Option<i64>,
    pub version: i32,
    /// Routed through the 12345 hotline.
    pub via_hotline: bool,
    // From the rating and the organisation.
    pub level: i32,
    pub channel: String,
    pub reasons: String,
    pub comment: String,
    pub case_no: Option<String>,
    pub place_name: String,
    pub window_name: Option<String>,
    pub department_name: Option<String>,
    pub service_item_name: Option<String>,
    /// Only ever shown masked, or to the reveal endpoint (logged).
    pub evaluator_phone: Option<String>,
    pub evaluator_id_no: Option<String>,
}

/// At most this many tickets per `tickets_after` read.
pub const TICKETS_AFTER_LIMIT: usize = 100;

const TICKET_SELECT: &str = "SELECT t.id, t.rating_id, t.place_id, \
    CAST(COALESCE(CASE g0.level WHEN 'district' THEN g0.id WHEN 'town' THEN g1.id WHEN 'village' THEN g2.id END, 0) AS BIGINT) AS district_id, \
    t.window_id, t.department_id, t.service_item_id, \
    t.status, t.opened_at, t.has_phone, t.contact_due, t.appeal_due, t.rectify_due, t.contacted_at, t.verdict, \
    t.proposed, t.appealed, t.resume, t.requested_due, t.extended, t.outcome, t.description, t.archived_at, t.on_time, \
    t.spot_check, t.feedback_level, t.closed_at, t.common_id, t.version, t.via_hotline, \
    r.level, r.channel, r.reasons, r.comment, r.case_no, p.name AS place_name, w.name AS window_name, \
    d.name AS department_name, si.name AS service_item_name, \
    COALESCE(r.evaluator_phone, c.applicant_phone) AS evaluator_phone, \
    COALESCE(r.evaluator_id_no, c.applicant_id_no) AS evaluator_id_no \
    FROM tickets t JOIN ratings r ON r.id = t.rating_id JOIN places p ON p.id = t.place_id \
    JOIN regions g0 ON g0.id = p.region_id LEFT JOIN regions g1 ON g1.id = g0.parent_id \
    LEFT JOIN regions g2 ON g2.id = g1.parent_id \
    LEFT JOIN windows w ON w.id = t.window_id LEFT JOIN departments d ON d.id = t.department_id \
    LEFT JOIN service_items si ON si.id = t.service_item_id LEFT JOIN cases c ON c.id = r.case_id ";

/// A bad rating without a ticket yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BadRatingRow {
    pub id: String,
    pub rated_at: i64,
    pub place_id: i64,
    pub window_id: Option<i64>,
    pub department_id: Option<i64>,
    pub service_item_id: Option<i64>,
    pub staff_id: Option<i64>,
    pub has_phone: bool,
}

/// The new state of a ticket after a step (what `apply` may change).
pub struct TicketUpdate<'a> {
    pub status: &'a str,
    pub rectify_due: Option<i64>,
    pub contacted_at: Option<i64>,
    pub verdict: Option<&'a str>,
    pub proposed: Option<&'a str>,
    pub appealed: bool,
    pub resume: Option<&'a str>,
    pub requested_due: Option<i64>,
    pub extended: bool,
    pub outcome: Option<&'a str>,
    pub description: Option<&'a str>,
    pub archived_at: Option<i64>,
    pub on_time: Option<bool>,
    pub spot_check: Option<bool>,
    pub feedback_level: Option<i32>,
    pub closed_at: Option<i64>,
}

/// One line of the audit log.
pub struct NewEvent<'a> {
    pub ticket_id: i64,
    pub actor_id: Option<i64>,
    pub actor_role: &'a str,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub note: &'a str,
    pub at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub at: i64,
    pub actor: Option<String>,
    pub actor_role: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EvidenceRow {
    pub id: i64,
    pub ticket_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub purpose: String,
    pub uploaded_at: i64,
}

/// What window staff see: no evaluator identity is even selected.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MyTicketRow {
    pub id: i64,
    pub status: String,
    pub level: i32,
    pub opened_at: i64,
    pub reasons: String,
    pub comment: String,
    pub verdict: Option<String>,
    pub outcome: Option<String>,
    pub description: Option<String>,
    pub closed_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommonRow {
    pub id: i64,
    pub key_by: String,
    pub key_value: String,
    pub title: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CalendarDayRow {
    pub day: String,
    pub kind: String,
    pub name: String,
}

/// A ticket's state, for counting.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketState {
    pub status: String,
    pub contact_due: i64,
    pub rectify_due: Option<i64>,
    pub archived_at: Option<i64>,
    pub on_time: Option<bool>,
    pub feedback_level: Option<i32>,
}

fn scope_sql(alias: &str) -> String {
    Scope::sql(
        &format!("{alias}.place_id"),
        &format!("{alias}.department_id"),
    )
}

/// Tickets opened: (ticket id, rating id).
pub type OpenedTickets = Vec<(i64, String)>;

/// What opening a bad rating's ticket needs: the working-day calendar and
/// the loop's deadlines (`domain::rectify::Ticket::open`).
#[derive(Clone, Copy)]
pub struct Deadlines<'a> {
    pub calendar: &'a domain::calendar::Calendar,
    pub policy: &'a domain::rectify::LoopPolicy,
}

impl Deadlines<'_> {
    /// Each row with its ticket's contact and appeal deadlines.
    pub fn due(self, rows: &[BadRatingRow]) -> Vec<(&BadRatingRow, i64, i64)> {
        rows.iter()
            .map(|r| {
                let t = domain::rectify::Ticket::open(
                    r.rated_at,
                    r.has_phone,
                    self.calendar,
                    self.policy,
                );
                (r, t.contact_due, t.appeal_due)
            })
            .collect()
    }

    /// Opens the tickets of the bad ratings `ids` that have none, inside
    /// `tx`, at `now`: (ticket id, rating id).
    pub async fn tickets(
        self,
        tx: &mut Tx<'_, '_>,
        ids: &[String],
        now: i64,
    ) -> Result<OpenedTickets, sqlx::Error> {
        let mut opened = vec![];
        for chunk in ids.chunks(500) {
            let rows = tx.bad_ratings_without_ticket(chunk).await?;
            opened.extend(tx.open_tickets(&self.due(&rows), now).await?);
        }
        opened.sort_unstable();
        Ok(opened)
    }
}

/// The SQL of the bad ratings without a ticket (`$1` the limit, then the
/// `ids` ids when a list is given), oldest first.
pub(crate) fn bad_ratings_sql(sqlite: bool, ids: Option<usize>) -> String {
    let only = match ids {
        Some(n) => format!("AND r.id IN ({})", super::reports::placeholders_from(2, n)),
        None => String::new(),
    };
    // A list of ids (a group of new ratings): each joined row found by
    // its key, so the work follows the list (`Reach`).
    let reach = match ids {
        Some(_) => Reach::for_ids(sqlite),
        None => Reach::Scan,
    };
    let fence = reach.fence();
    format!(
        // A bad rating the province forwarded (`inbound_ratings`) starts
        // its deadlines when it reached us, not when it was given: the
        // province sends them back monthly (000 二).
        "SELECT r.id, COALESCE((SELECT i.received_at FROM inbound_ratings i WHERE i.rating_id = r.id{fence}), r.rated_at) AS rated_at, \
                COALESCE(c.place_id, r.place_id) AS place_id, COALESCE(c.window_id, r.window_id) AS window_id, \
                COALESCE(w.department_id, si.department_id) AS department_id, c.service_item_id, c.staff_id, \
                (COALESCE(r.evaluator_phone, c.applicant_phone) IS NOT NULL) AS has_phone \
         FROM ratings r {} LEFT JOIN windows w ON w.id = COALESCE(c.window_id, r.window_id) \
         LEFT JOIN service_items si ON si.id = c.service_item_id \
         WHERE r.grade = 'bad' AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.rating_id = r.id{fence}) {only} \
         ORDER BY r.received_at, r.id LIMIT $1",
        reach.left_join("cases", "c", "c.id = r.case_id")
    )
}

impl Store {
    // ---- opening tickets ----

    /// Bad ratings without a ticket: the oldest `limit`, or (`ids`) those
    /// of one request.
    pub async fn bad_ratings_without_ticket(
        &self,
        limit: i64,
        ids: Option<&[String]>,
    ) -> Result<Vec<BadRatingRow>, StoreError> {
        if ids.is_some_and(|v| v.is_empty()) {
            return Ok(vec![]);
        }
        let sql = bad_ratings_sql(matches!(self, Store::Sqlite(_)), ids.map(<[String]>::len));
        with_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, BadRatingRow>(&sql).bind(limit);
            for id in ids.unwrap_or_default() {
                q = q.bind(id);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }

    /// Opens tickets (rating, contact deadline, appeal deadline) and logs
    /// each, in one transaction ([`Tx::open_tickets`]); ratings that
    /// already have one are skipped. Returns the tickets opened, (ticket
    /// id, rating id), by ticket id.
    pub async fn open_tickets(
        &self,
        rows: &[(&BadRatingRow, i64, i64)],
        now: i64,
    ) -> Result<OpenedTickets, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let opened = Tx::from(&mut tx).open_tickets(rows, now).await?;
            tx.commit().await?;
            Ok(opened)
        })
    }

    // ---- reading ----

    pub async fn ticket(&self, id: i64) -> Result<Option<TicketRow>, StoreError> {
        let sql = format!("{TICKET_SELECT} WHERE t.id = $1");
        with_pool!(self, pool => Ok(sqlx::query_as::<_, TicketRow>(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// Tickets in `scope` opened (or, with `by_archive`, archived) in
    /// `[from, to)`, newest first.
    pub async fn tickets(
        &self,
        scope: Scope,
        by_archive: bool,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<TicketRow>, StoreError> {
        let col = if by_archive {
            "t.archived_at"
        } else {
            "t.opened_at"
        };
        let sql = format!(
            "{TICKET_SELECT} WHERE {} AND {col} >= $4 AND {col} < $5 ORDER BY t.opened_at DESC, t.id DESC LIMIT $6",
            scope_sql("t")
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, TicketRow>(&sql)
            .bind(scope.code()).bind(scope.place_id).bind(scope.department_id)
            .bind(from).bind(to).bind(limit)
            .fetch_all(pool).await?))
    }

    /// What the list's counts need of every ticket in scope: status,
    /// deadlines, archive and re-rating (a few columns, all tickets).
    pub async fn ticket_states(&self, scope: Scope) -> Result<Vec<TicketState>, StoreError> {
        let sql = format!(
            "SELECT t.status, t.contact_due, t.rectify_due, t.archived_at, t.on_time, t.feedback_level \
             FROM tickets t WHERE {}",
            scope_sql("t")
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, TicketState>(&sql)
            .bind(scope.code()).bind(scope.place_id).bind(scope.department_id)
            .fetch_all(pool).await?))
    }

    /// One page of the tickets in scope, newest first, optionally of some
    /// statuses and only the overdue ones (`Ticket::overdue`, in SQL).
    pub async fn tickets_page(
        &self,
        scope: Scope,
        statuses: Option<&[String]>,
        only_overdue: bool,
        now: i64,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<TicketRow>, i64), StoreError> {
        let mut filter = scope_sql("t");
        let mut n = 3;
        if let Some(list) = statuses {
            let marks: Vec<String> = (0..list.len()).map(|i| format!("${}", n + 1 + i)).collect();
            n += list.len();
            filter.push_str(&format!(" AND t.status IN ({})", marks.join(", ")));
        }
        if only_overdue {
            n += 1;
            filter.push_str(&format!(
                " AND ((t.status = 'open' AND t.contact_due <= ${n}) OR \
                 (t.status IN ('rectifying', 'extension_requested') AND t.rectify_due IS NOT NULL AND t.rectify_due <= ${n}))"
            ));
        }
        let count_sql = format!("SELECT COUNT(*) FROM tickets t WHERE {filter}");
        let page_sql = format!(
            "{TICKET_SELECT} WHERE {filter} ORDER BY t.opened_at DESC, t.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        with_pool!(self, pool => {
            let mut count = sqlx::query_scalar::<_, i64>(&count_sql)
                .bind(scope.code()).bind(scope.place_id).bind(scope.department_id);
            let mut page = sqlx::query_as::<_, TicketRow>(&page_sql)
                .bind(scope.code()).bind(scope.place_id).bind(scope.department_id);
            for st in statuses.unwrap_or_default() {
                count = count.bind(st.clone());
                page = page.bind(st.clone());
            }
            if only_overdue {
                count = count.bind(now);
                page = page.bind(now);
            }
            let total = count.fetch_one(pool).await?;
            let rows = page.bind(limit).bind(offset).fetch_all(pool).await?;
            Ok((rows, total))
        })
    }

    /// The newest ticket id in scope (for the push stream).
    pub async fn latest_ticket_id(&self, scope: Scope) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT COALESCE(MAX(t.id), 0) FROM tickets t WHERE {}",
            scope_sql("t")
        );
        with_pool!(self, pool => Ok(sqlx::query_scalar::<_, i64>(&sql)
            .bind(scope.code()).bind(scope.place_id).bind(scope.department_id)
            .fetch_one(pool).await?))
    }

    /// Tickets in scope with an id above `after`, oldest first.
    pub async fn tickets_after(
        &self,
        scope: Scope,
        after: i64,
    ) -> Result<Vec<TicketRow>, StoreError> {
        let sql = format!(
            "{TICKET_SELECT} WHERE {} AND t.id > $4 ORDER BY t.id LIMIT {TICKETS_AFTER_LIMIT}",
            scope_sql("t")
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, TicketRow>(&sql)
            .bind(scope.code()).bind(scope.place_id).bind(scope.department_id).bind(after)
            .fetch_all(pool).await?))
    }

    /// The tickets among `ids` in scope, oldest first.
    pub async fn tickets_by_ids(
        &self,
        scope: Scope,
        ids: &[i64],
    ) -> Result<Vec<TicketRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Integers only: written into the statement as they are.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let sql = format!(
            "{TICKET_SELECT} WHERE {} AND t.id IN ({list}) ORDER BY t.id",
            scope_sql("t")
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, TicketRow>(&sql)
            .bind(scope.code()).bind(scope.place_id).bind(scope.department_id)
            .fetch_all(pool).await?))
    }

    /// A window's (or a staff member's) tickets, for window staff.
    pub async fn my_tickets(
        &self,
        window_id: Option<i64>,
        staff_id: i64,
    ) -> Result<Vec<MyTicketRow>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, MyTicketRow>(
            "SELECT t.id, t.status, r.level, t.opened_at, r.reasons, r.comment, t.verdict, t.outcome, t.description, t.closed_at \
             FROM tickets t JOIN ratings r ON r.id = t.rating_id \
             WHERE t.window_id = $1 OR t.staff_id = $2 ORDER BY t.opened_at DESC, t.id DESC LIMIT 200")
            .bind(window_id).bind(staff_id).fetch_all(pool).await?))
    }

    pub async fn ticket_events(&self, id: i64) -> Result<Vec<EventRow>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, EventRow>(
            "SELECT e.at, s.display_name AS actor, e.actor_role, e.action, e.from_status, e.to_status, e.note \
             FROM ticket_events e LEFT JOIN staff s ON s.id = e.actor_id WHERE e.ticket_id = $1 ORDER BY e.id")
            .bind(id).fetch_all(pool).await?))
    }

    // ---- writing ----

    /// Stores a step if nobody changed the ticket since `version` was read;
    /// false if somebody did.
    pub async fn update_ticket(
        &self,
        id: i64,
        version: i32,
        u: &TicketUpdate<'_>,
        event: &NewEvent<'_>,
    ) -> Result<bool, StoreError> {
        // A ticket found invalid or malicious takes its rating out of the
        // valid counts: move its contribution in the same transaction.
        let excluding = u.status == "excluded";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let rating: Vec<String> = if excluding {
                sqlx::query_scalar("SELECT rating_id FROM tickets WHERE id = $1").bind(id).fetch_all(&mut *tx).await?
            } else {
                vec![]
            };
            rollup_ratings(&mut Tx::from(&mut tx), &rating, -1).await?;
            let n = sqlx::query(
                "UPDATE tickets SET status = $1, rectify_due = $2, contacted_at = $3, verdict = $4, proposed = $5, \
                 appealed = $6, resume = $7, requested_due = $8, outcome = $9, description = $10, archived_at = $11, \
                 on_time = $12, spot_check = $13, feedback_level = $14, closed_at = $15, version = version + 1, \
                 updated_at = $16, extended = $19 WHERE id = $17 AND version = $18")
                .bind(u.status).bind(u.rectify_due).bind(u.contacted_at).bind(u.verdict).bind(u.proposed)
                .bind(u.appealed).bind(u.resume).bind(u.requested_due).bind(u.outcome).bind(u.description)
                .bind(u.archived_at).bind(u.on_time).bind(u.spot_check).bind(u.feedback_level).bind(u.closed_at)
                .bind(event.at).bind(id).bind(version).bind(u.extended)
                .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Ok(false);
            }
            rollup_ratings(&mut Tx::from(&mut tx), &rating, 1).await?;
            insert_event!(tx, event);
            let step = domain::upstream::StepFacts {
                ticket_id: id, action: event.action.to_string(),
                from_status: event.from_status.map(str::to_string),
                to_status: event.to_status.map(str::to_string),
                note: event.note.to_string(), at: event.at,
            };
            Tx::from(&mut tx).enqueue_steps(std::slice::from_ref(&step), event.at).await?;
            Tx::from(&mut tx).enqueue_hotline_step(&step, event.actor_role, event.at).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Logs something that changes no state (a phone reveal, an upload).
    pub async fn log_event(&self, event: &NewEvent<'_>) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            insert_event!(tx, event);
            tx.commit().await?;
            Ok(())
        })
    }

    // ---- evidence ----

    pub async fn evidence_count(&self, ticket_id: i64) -> Result<i64, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM ticket_evidence WHERE ticket_id = $1").bind(ticket_id).fetch_one(pool).await?))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_evidence(
        &self,
        ticket_id: i64,
        purpose: &str,
        name: &str,
        content_type: &str,
        sha256: &str,
        body: &[u8],
        staff_id: i64,
        now: i64,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "INSERT INTO ticket_evidence (ticket_id, purpose, name, content_type, size, sha256, body, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(ticket_id).bind(purpose).bind(name).bind(content_type).bind(body.len() as i64)
            .bind(sha256).bind(body).bind(staff_id).bind(now)
            .fetch_one(pool).await?))
    }

    pub async fn evidence_list(&self, ticket_id: i64) -> Result<Vec<EvidenceRow>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, EvidenceRow>(
            "SELECT id, ticket_id, name, content_type, size, purpose, uploaded_at FROM ticket_evidence \
             WHERE ticket_id = $1 ORDER BY id").bind(ticket_id).fetch_all(pool).await?))
    }

    /// (metadata, bytes) of one file.
    pub async fn evidence_file(
        &self,
        id: i64,
    ) -> Result<Option<(EvidenceRow, Vec<u8>)>, StoreError> {
        with_pool!(self, pool => {
            let Some(meta) = sqlx::query_as::<_, EvidenceRow>(
                "SELECT id, ticket_id, name, content_type, size, purpose, uploaded_at FROM ticket_evidence WHERE id = $1")
                .bind(id).fetch_optional(pool).await? else { return Ok(None) };
            let body: Vec<u8> = sqlx::query_scalar("SELECT body FROM ticket_evidence WHERE id = $1")
                .bind(id).fetch_one(pool).await?;
            Ok(Some((meta, body)))
        })
    }

    // ---- feedback links ----

    pub async fn insert_feedback_link(
        &self,
        nonce: &str,
        ticket_id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO feedback_links (nonce, ticket_id, created_at) VALUES ($1, $2, $3)")
                .bind(nonce).bind(ticket_id).bind(now).execute(pool).await?;
            Ok(())
        })
    }

    /// (ticket id, used) of a feedback link.
    pub async fn feedback_link(&self, nonce: &str) -> Result<Option<(i64, bool)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, (i64, bool)>(
            "SELECT ticket_id, used_at IS NOT NULL FROM feedback_links WHERE nonce = $1")
            .bind(nonce).fetch_optional(pool).await?))
    }

    /// Marks the link used; false if it already was.
    pub async fn use_feedback_link(&self, nonce: &str, now: i64) -> Result<bool, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query(
            "UPDATE feedback_links SET used_at = $1 WHERE nonce = $2 AND used_at IS NULL")
            .bind(now).bind(nonce).execute(pool).await?.rows_affected() == 1))
    }

    // ---- common problems ----

    pub async fn insert_common(
        &self,
        key_by: &str,
        key_value: &str,
        title: &str,
        ticket_ids: &[i64],
        staff_id: i64,
        now: i64,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO common_problems (key_by, key_value, title, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(key_by).bind(key_value).bind(title).bind(staff_id).bind(now)
                .fetch_one(&mut *tx).await?;
            for t in ticket_ids {
                sqlx::query("UPDATE tickets SET common_id = $1 WHERE id = $2 AND common_id IS NULL")
                    .bind(id).bind(t).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    pub async fn commons(&self, scope: Scope) -> Result<Vec<(CommonRow, Vec<i64>)>, StoreError> {
        let sql = format!(
            "SELECT t.common_id, t.id FROM tickets t WHERE t.common_id IS NOT NULL AND {} ORDER BY t.common_id, t.id",
            scope_sql("t")
        );
        with_pool!(self, pool => {
            let pairs: Vec<(i64, i64)> = sqlx::query_as(&sql)
                .bind(scope.code()).bind(scope.place_id).bind(scope.department_id)
                .fetch_all(pool).await?;
            let mut out: Vec<(CommonRow, Vec<i64>)> = Vec::new();
            for (cid, tid) in pairs {
                match out.last_mut() {
                    Some((c, ids)) if c.id == cid => ids.push(tid),
                    _ => {
                        let c = sqlx::query_as::<_, CommonRow>(
                            "SELECT id, key_by, key_value, title FROM common_problems WHERE id = $1")
                            .bind(cid).fetch_one(pool).await?;
                        out.push((c, vec![tid]));
                    }
                }
            }
            Ok(out)
        })
    }

    pub async fn common_members(&self, id: i64) -> Result<Vec<i64>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "SELECT id FROM tickets WHERE common_id = $1 ORDER BY id").bind(id).fetch_all(pool).await?))
    }

    // ---- calendar ----

    /// Seeds the shipped years not seeded before (an admin's later edits
    /// are never overwritten).
    pub async fn seed_calendar(&self, now: i64) -> Result<(), StoreError> {
        use domain::calendar::{shipped_days, SHIPPED_YEARS};
        let days = shipped_days();
        with_pool!(self, pool => {
            for (year, _) in SHIPPED_YEARS {
                let mut tx = pool.begin_write().await?;
                let fresh = sqlx::query("INSERT INTO calendar_years (year, seeded_at) VALUES ($1, $2) ON CONFLICT (year) DO NOTHING")
                    .bind(*year).bind(now).execute(&mut *tx).await?.rows_affected() == 1;
                if fresh {
                    for d in days.iter().filter(|d| d.date.year == *year) {
                        sqlx::query("INSERT INTO calendar_days (day, kind, name, updated_by, updated_at) VALUES ($1, $2, $3, NULL, $4) \
                                     ON CONFLICT (day) DO NOTHING")
                            .bind(d.date.to_string()).bind(d.kind.as_str()).bind(&d.name).bind(now)
                            .execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
            }
            Ok(())
        })
    }

    pub async fn calendar_days(&self) -> Result<Vec<CalendarDayRow>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, CalendarDayRow>(
            "SELECT day, kind, name FROM calendar_days ORDER BY day").fetch_all(pool).await?))
    }

    pub async fn put_calendar_day(
        &self,
        day: &str,
        kind: &str,
        name: &str,
        staff_id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO calendar_days (day, kind, name, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at")
                .bind(day).bind(kind).bind(name).bind(staff_id).bind(now).execute(pool).await?;
            Ok(())
        })
    }

    pub async fn delete_calendar_day(&self, day: &str) -> Result<bool, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query("DELETE FROM calendar_days WHERE day = $1")
            .bind(day).execute(pool).await?.rows_affected() == 1))
    }
}
