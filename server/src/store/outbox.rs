//! The upstream outbox (`upstream_outbox`): records written in the
//! transaction of the change that caused them, leased by delivery workers,
//! settled as sent, retried later or dead. See `crate::upstream`.

use sqlx::QueryBuilder;

use super::reports::placeholders;
use super::{with_pool, BeginWrite, Store, StoreError};

/// A claimed record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub ref_id: String,
    pub payload: Option<String>,
    pub attempts: i32,
}

/// What the admin page shows per destination.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DestinationStats {
    pub name: String,
    pub enabled: bool,
    pub pending: i64,
    pub oldest_pending_at: Option<i64>,
    pub sent_since: i64,
    pub dead: i64,
}

/// A dead letter, for the admin page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeadLetter {
    pub id: i64,
    pub kind: String,
    pub ref_id: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// A rating with what its upstream record needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UpstreamRating {
    pub id: String,
    pub case_no: Option<String>,
    pub channel: String,
    pub evaluator_phone: Option<String>,
    pub evaluator_id_no: Option<String>,
    pub rated_at: i64,
    pub kind: String,
    pub level: i32,
    pub comment: String,
    pub region_id: i64,
}

/// An SMS as the gateway worker sends it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SmsRow {
    pub id: i64,
    pub phone: String,
    pub body: String,
    pub purpose: String,
}

/// A hotline event's id seen before?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventClaim {
    /// First time: apply it (or [`Store::release_hotline_event`] if that fails).
    New,
    /// The same event again.
    Duplicate,
    /// Other content under a known id: the first is kept.
    Conflict,
}

/// A finished case with what its upstream record carries.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UpstreamCase {
    pub id: i64,
    pub case_no: String,
    pub service_code: Option<String>,
    pub service_name: Option<String>,
    pub department: Option<String>,
    pub place: String,
    pub window: Option<String>,
    pub applicant_type: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub region_id: i64,
}

/// How a claimed record was settled.
#[derive(Debug, Clone)]
pub enum Settle {
    Sent(i64),
    /// Retry at the given time, with the error.
    Retry(i64, i64, String),
    Dead(i64, String),
}

impl Store {
    /// Records whether `name` is configured: ingest queues for it only then.
    pub async fn set_destination(
        &self,
        name: &str,
        enabled: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO upstream_destinations (name, enabled, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at")
                .bind(name).bind(enabled).bind(now).execute(pool).await?;
            Ok(())
        })
    }

    /// Expands the oldest queued rating batches of `destination` into
    /// per-rating records (a forwarded rating is left out: it came from the
    /// platform), each batch deleted in the transaction that queues its
    /// ratings, until at least `want` ratings were queued (`None`: all).
    /// A batch's records are due from when it was queued. On PostgreSQL a
    /// batch another instance is expanding is skipped. Returns how many
    /// ratings the expanded batches named.
    pub async fn expand_rating_batches(
        &self,
        destination: &str,
        want: Option<usize>,
    ) -> Result<usize, StoreError> {
        let lock = if matches!(self, Store::Postgres(_)) {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let next = format!(
            "SELECT id, rating_ids, created_at FROM upstream_rating_batches \
             WHERE destination = $1 ORDER BY id LIMIT 1{lock}"
        );
        with_pool!(self, pool => {
            // Most calls find nothing: they take no write lock for that.
            let queued: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM upstream_rating_batches WHERE destination = $1 LIMIT 1")
                .bind(destination).fetch_optional(pool).await?;
            if queued.is_none() {
                return Ok(0);
            }
            let mut tx = pool.begin_write().await?;
            let mut total = 0;
            while want.is_none_or(|w| total < w) {
                let Some((id, list, at)) = sqlx::query_as::<_, (i64, String, i64)>(&next)
                    .bind(destination).fetch_optional(&mut *tx).await? else {
                    break;
                };
                sqlx::query("DELETE FROM upstream_rating_batches WHERE id = $1")
                    .bind(id).execute(&mut *tx).await?;
                let ids: Vec<String> = serde_json::from_str(&list)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                for chunk in ids.chunks(500) {
                    let sql = format!(
                        "INSERT INTO upstream_outbox (destination, kind, subject, ref_id, next_attempt_at, created_at) \
                         SELECT $1, 'rating', r.id, r.id, $2, $2 FROM ratings r WHERE r.id IN ({}) \
                         AND NOT EXISTS (SELECT 1 FROM inbound_ratings i WHERE i.rating_id = r.id)",
                        super::reports::placeholders_from(3, chunk.len()));
                    let mut q = sqlx::query(&sql).bind(destination).bind(at);
                    for rid in chunk {
                        q = q.bind(rid);
                    }
                    q.execute(&mut *tx).await?;
                }
                total += ids.len();
            }
            tx.commit().await?;
            Ok(total)
        })
    }

    /// Leases up to `limit` due records of `destination` until
    /// `now + lease_ms`, oldest first, at most one per subject (a subject's
    /// later records wait until its earlier ones are settled; a rating is
    /// its own subject, so it never waits and the subject index leaves
    /// ratings out: migration 0018), counting
    /// the try. On PostgreSQL rows another worker is claiming are skipped
    /// (`SKIP LOCKED`), and the lease is checked again on the locked row,
    /// so two workers never hold one record.
    pub async fn claim_outbox(
        &self,
        destination: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let lock = if matches!(self, Store::Postgres(_)) {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        // The due ids are picked once (a materialised CTE): as a plain
        // `IN (… LIMIT n FOR UPDATE SKIP LOCKED)` subquery, PostgreSQL may
        // run the subquery again per row and claim far more than `limit`.
        let sql = format!(
            "WITH due AS MATERIALIZED ( \
               SELECT o.id FROM upstream_outbox o \
               WHERE o.destination = $3 AND o.status = 'pending' AND o.next_attempt_at <= $2 AND o.lease_until <= $2 \
               AND (o.kind = 'rating' OR NOT EXISTS (SELECT 1 FROM upstream_outbox p \
                 WHERE p.destination = o.destination AND p.subject = o.subject \
                 AND p.status = 'pending' AND p.kind <> 'rating' AND p.id < o.id)) \
               ORDER BY o.id LIMIT $4{lock}) \
             UPDATE upstream_outbox SET lease_until = $1, attempts = attempts + 1 \
             WHERE status = 'pending' AND lease_until <= $2 AND id IN (SELECT id FROM due) \
             RETURNING id, kind, subject, ref_id, payload, attempts"
        );
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut rows: Vec<OutboxItem> = sqlx::query_as(&sql)
                .bind(now + lease_ms).bind(now).bind(destination).bind(limit)
                .fetch_all(&mut *tx).await?;
            tx.commit().await?;
            rows.sort_by_key(|r| r.id);
            Ok(rows)
        })
    }

    /// Settles claimed records. A record another worker already sent (its
    /// lease ran out and it was sent again) stays sent.
    pub async fn settle_outbox(&self, settled: &[Settle], now: i64) -> Result<(), StoreError> {
        let sent: Vec<i64> = settled
            .iter()
            .filter_map(|s| match s {
                Settle::Sent(id) => Some(*id),
                _ => None,
            })
            .collect();
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for chunk in sent.chunks(500) {
                let sql = format!(
                    "UPDATE upstream_outbox SET status = 'sent', sent_at = $1, lease_until = 0, last_error = NULL \
                     WHERE status = 'pending' AND id IN ({})",
                    super::reports::placeholders_from(2, chunk.len()));
                let mut q = sqlx::query(&sql).bind(now);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut *tx).await?;
            }
            for s in settled {
                match s {
                    Settle::Sent(_) => {}
                    Settle::Retry(id, at, why) => {
                        sqlx::query("UPDATE upstream_outbox SET next_attempt_at = $1, lease_until = 0, last_error = $2 \
                                     WHERE id = $3 AND status = 'pending'")
                            .bind(*at).bind(why).bind(*id).execute(&mut *tx).await?;
                    }
                    Settle::Dead(id, why) => {
                        sqlx::query("UPDATE upstream_outbox SET status = 'dead', lease_until = 0, last_error = $1 \
                                     WHERE id = $2 AND status = 'pending'")
                            .bind(why).bind(*id).execute(&mut *tx).await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Per destination: pending (and since when), sent since `since`, dead.
    /// A queued rating batch counts as the ratings it names (its forwarded
    /// ones, which it will not send, included until it is expanded).
    pub async fn outbox_stats(&self, since: i64) -> Result<Vec<DestinationStats>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, DestinationStats>(
            "SELECT d.name, d.enabled, \
               (SELECT COUNT(*) FROM upstream_outbox o WHERE o.destination = d.name AND o.status = 'pending') \
               + (SELECT COALESCE(SUM(b.n), 0) FROM upstream_rating_batches b WHERE b.destination = d.name) AS pending, \
               (SELECT MIN(x.at) FROM ( \
                  SELECT MIN(o.created_at) AS at FROM upstream_outbox o WHERE o.destination = d.name AND o.status = 'pending' \
                  UNION ALL SELECT MIN(b.created_at) FROM upstream_rating_batches b WHERE b.destination = d.name) x) AS oldest_pending_at, \
               (SELECT COUNT(*) FROM upstream_outbox o WHERE o.destination = d.name AND o.status = 'sent' AND o.sent_at >= $1) AS sent_since, \
               (SELECT COUNT(*) FROM upstream_outbox o WHERE o.destination = d.name AND o.status = 'dead') AS dead \
             FROM upstream_destinations d ORDER BY d.name")
            .bind(since).fetch_all(pool).await?))
    }

    /// The newest dead letters of `destination`.
    pub async fn outbox_dead(
        &self,
        destination: &str,
        limit: i64,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, DeadLetter>(
            "SELECT id, kind, ref_id, attempts, last_error, created_at FROM upstream_outbox \
             WHERE destination = $1 AND status = 'dead' ORDER BY id DESC LIMIT $2")
            .bind(destination).bind(limit).fetch_all(pool).await?))
    }

    /// Dead letters of `destination` (all, or `ids`) go back to pending,
    /// their tries counted afresh. Returns how many.
    pub async fn requeue_outbox(
        &self,
        destination: &str,
        ids: Option<&[i64]>,
        now: i64,
    ) -> Result<u64, StoreError> {
        if ids.is_some_and(<[i64]>::is_empty) {
            return Ok(0);
        }
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(
                "UPDATE upstream_outbox SET status = 'pending', attempts = 0, lease_until = 0, next_attempt_at = ");
            qb.push_bind(now);
            qb.push(" WHERE status = 'dead' AND destination = ");
            qb.push_bind(destination.to_string());
            if let Some(ids) = ids {
                qb.push(" AND id IN (");
                let mut list = qb.separated(", ");
                for id in ids {
                    list.push_bind(*id);
                }
                qb.push(")");
            }
            let mut tx = pool.begin_write().await?;
            let n = qb.build().execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            Ok(n)
        })
    }

    /// Pending records of `destination` waiting for a retry are due now.
    pub async fn retry_outbox_now(&self, destination: &str, now: i64) -> Result<u64, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE upstream_outbox SET next_attempt_at = $1 \
                                 WHERE destination = $2 AND status = 'pending' AND next_attempt_at > $1")
                .bind(now).bind(destination).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            Ok(n)
        })
    }

    /// The ratings `ids` with what their upstream records carry.
    pub async fn upstream_ratings(
        &self,
        ids: &[String],
    ) -> Result<Vec<UpstreamRating>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT r.id, COALESCE(c.case_no, r.case_no) AS case_no, r.channel, r.evaluator_phone, r.evaluator_id_no, \
             r.rated_at, r.kind, r.level, r.comment, p.region_id \
             FROM ratings r JOIN places p ON p.id = r.place_id LEFT JOIN cases c ON c.id = r.case_id \
             WHERE r.id IN ({})",
            placeholders(ids.len())
        );
        with_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, UpstreamRating>(&sql);
            for id in ids {
                q = q.bind(id);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }

    /// Every region's code and parent: the chain a division code is looked up on.
    pub async fn region_codes(&self) -> Result<Vec<(i64, String, Option<i64>)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, (i64, String, Option<i64>)>(
            "SELECT id, code, parent_id FROM regions").fetch_all(pool).await?))
    }

    /// When each of the ratings `ids` reached `destination` (absent: not yet).
    pub async fn delivered_at(
        &self,
        destination: &str,
        ids: &[String],
    ) -> Result<Vec<(String, Option<i64>)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT ref_id, sent_at FROM upstream_outbox WHERE kind = 'rating' AND destination = $1 AND ref_id IN ({})",
            super::reports::placeholders_from(2, ids.len())
        );
        with_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, (String, Option<i64>)>(&sql).bind(destination);
            for id in ids {
                q = q.bind(id);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }

    /// The rating each ticket of `ids` is about.
    pub async fn ticket_rating_ids(&self, ids: &[i64]) -> Result<Vec<(i64, String)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, rating_id FROM tickets WHERE id IN ({})",
            placeholders(ids.len())
        );
        with_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }

    /// Records forwarded ratings' platform ids (before their ratings are
    /// stored, so ingest does not queue them back upstream); ids already
    /// known keep their first rating.
    pub async fn record_inbound(
        &self,
        source: &str,
        rows: &[(String, String)],
        now: i64,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut qb = QueryBuilder::new("INSERT INTO inbound_ratings (source, upstream_id, rating_id, received_at) ");
            qb.push_values(rows, |mut b, (upstream, rating)| {
                b.push_bind(source.to_string()).push_bind(upstream.clone()).push_bind(rating.clone()).push_bind(now);
            });
            qb.push(" ON CONFLICT (source, upstream_id) DO NOTHING");
            qb.build().execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The region codes whose tickets go to `destination` (replacing what
    /// an earlier start wrote).
    pub async fn set_routes(&self, destination: &str, codes: &[String]) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM upstream_routes WHERE destination = $1")
                .bind(destination).execute(&mut *tx).await?;
            if !codes.is_empty() {
                let mut qb = QueryBuilder::new("INSERT INTO upstream_routes (destination, region_code) ");
                qb.push_values(codes, |mut b, c| {
                    b.push_bind(destination.to_string()).push_bind(c.clone());
                });
                qb.push(" ON CONFLICT DO NOTHING");
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The region of each place of `ids`.
    pub async fn place_regions(&self, ids: &[i64]) -> Result<Vec<(i64, i64)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, region_id FROM places WHERE id IN ({})",
            placeholders(ids.len())
        );
        with_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }

    /// Claims a hotline event id for `ticket_id` before it is applied: the
    /// primary key makes two deliveries of one event race safely.
    pub async fn claim_hotline_event(
        &self,
        event_id: &str,
        ticket_id: i64,
        digest: &str,
        now: i64,
    ) -> Result<EventClaim, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let inserted = sqlx::query(
                "INSERT INTO hotline_events (event_id, ticket_id, digest, received_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (event_id) DO NOTHING")
                .bind(event_id).bind(ticket_id).bind(digest).bind(now)
                .execute(&mut *tx).await?.rows_affected();
            let claim = if inserted == 1 {
                EventClaim::New
            } else {
                let known: Option<String> = sqlx::query_scalar("SELECT digest FROM hotline_events WHERE event_id = $1")
                    .bind(event_id).fetch_optional(&mut *tx).await?;
                if known.as_deref() == Some(digest) { EventClaim::Duplicate } else { EventClaim::Conflict }
            };
            tx.commit().await?;
            Ok(claim)
        })
    }

    /// Forgets a claimed event that could not be applied: the hotline may
    /// send it again later (when the ticket allows it).
    pub async fn release_hotline_event(&self, event_id: &str) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM hotline_events WHERE event_id = $1")
                .bind(event_id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The messages `ids` of the SMS outbox.
    pub async fn sms_rows(&self, ids: &[i64]) -> Result<Vec<SmsRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, phone, body, purpose FROM sms_outbox WHERE id IN ({})",
            placeholders(ids.len())
        );
        with_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, SmsRow>(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }

    /// The gateway took the messages: their provider ids, for the receipts.
    pub async fn sms_sent(
        &self,
        sent: &[(i64, Option<String>)],
        now: i64,
    ) -> Result<(), StoreError> {
        if sent.is_empty() {
            return Ok(());
        }
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for (id, provider) in sent {
                sqlx::query("UPDATE sms_outbox SET provider_id = COALESCE($1, provider_id), \
                             delivery = COALESCE(delivery, 'sent'), delivery_at = COALESCE(delivery_at, $2) WHERE id = $3")
                    .bind(provider.as_deref()).bind(now).bind(*id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// A delivery receipt: the message the provider knows as `provider_id`
    /// reached the phone or failed. False when no message has that id. A
    /// message already delivered stays delivered (receipts may arrive out
    /// of order or twice).
    pub async fn sms_receipt(
        &self,
        provider_id: &str,
        delivered: bool,
        error: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query(
                "UPDATE sms_outbox SET delivery = $1, delivery_at = $2, delivery_error = $3 \
                 WHERE provider_id = $4 AND (delivery IS NULL OR delivery <> 'delivered')")
                .bind(if delivered { "delivered" } else { "failed" }).bind(now).bind(error).bind(provider_id)
                .execute(&mut *tx).await?.rows_affected();
            let known = n > 0 || sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sms_outbox WHERE provider_id = $1")
                .bind(provider_id).fetch_one(&mut *tx).await? > 0;
            tx.commit().await?;
            Ok(known)
        })
    }

    /// Ratings given in `[from, to)` that have not reached the provincial
    /// platform (waiting or dead); `None` while it is not configured.
    pub async fn undelivered_ratings(&self, from: i64, to: i64) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool => {
            let on: Option<bool> = sqlx::query_scalar(
                "SELECT enabled FROM upstream_destinations WHERE name = 'province'")
                .fetch_optional(pool).await?;
            if on != Some(true) {
                return Ok(None);
            }
            self.expand_rating_batches("province", None).await?;
            Ok(Some(sqlx::query_scalar(
                "SELECT COUNT(*) FROM upstream_outbox o JOIN ratings r ON r.id = o.ref_id \
                 WHERE o.destination = 'province' AND o.kind = 'rating' AND o.status <> 'sent' \
                 AND r.rated_at >= $1 AND r.rated_at < $2")
                .bind(from).bind(to).fetch_one(pool).await?))
        })
    }

    /// The cases `ids` with what their upstream records carry.
    pub async fn upstream_cases(&self, ids: &[i64]) -> Result<Vec<UpstreamCase>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT c.id, c.case_no, si.code AS service_code, si.name AS service_name, \
             COALESCE(d.name, wd.name) AS department, p.name AS place, w.name AS window, c.applicant_type, \
             c.started_at, c.finished_at, p.region_id \
             FROM cases c JOIN places p ON p.id = c.place_id LEFT JOIN windows w ON w.id = c.window_id \
             LEFT JOIN service_items si ON si.id = c.service_item_id LEFT JOIN departments d ON d.id = si.department_id \
             LEFT JOIN departments wd ON wd.id = w.department_id \
             WHERE c.id IN ({})",
            placeholders(ids.len())
        );
        with_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, UpstreamCase>(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }
}
