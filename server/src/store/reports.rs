//! Rollups, misuse flags and the queries the 通报 reports read.
//!
//! A rollup row holds the rating and case part of
//! `domain::metrics::Counts` for one day and unit. Every statement
//! that changes what a rating or case contributes (ingest, a case
//! finishing, a ticket excluded, a flag set or reviewed) runs, in its own
//! transaction, "subtract the contribution, change, add it again" through
//! [`rollup_ratings`] and [`rollup_cases`]; the contribution is read off
//! the raw rows by the same SQL the rebuild uses, so incremental upkeep and
//! [`Store::rebuild_rollups`] cannot disagree.

use super::BeginWrite;
use domain::calendar::Calendar;
use domain::metrics::{self, Counts, RatingFact, TicketFact};
use domain::rectify::{self, LoopPolicy, Status, Verdict};
use domain::DeviceKind;
use domain::{Channel, CodeMap, RatingKind};

use super::tx::{Around, Ids, Tx};
use super::{with_pool, Store, StoreError};
use domain::fraud::FraudPolicy;

/// Ids per statement.
pub const ROLLUP_CHUNK: usize = 500;

/// Where the counted rows come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Ratings,
    Cases,
}

/// The rollup tables and their keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollup {
    /// Day × department × district × kind of place: the city-wide tables.
    Day,
    /// Day × department × place × window × staff member: the drill-down.
    Unit,
    /// Day × service item: 评价覆盖事项率.
    Item,
    /// Day × hour (China time) × department × district: the reports' hour
    /// × weekday heat map.
    Hour,
}

pub const ROLLUPS: [Rollup; 4] = [Rollup::Day, Rollup::Unit, Rollup::Item, Rollup::Hour];

impl Rollup {
    pub fn table(self) -> &'static str {
        match self {
            Rollup::Day => "rollup_day",
            Rollup::Unit => "rollup_unit",
            Rollup::Item => "rollup_item",
            Rollup::Hour => "rollup_hour",
        }
    }
    /// Its deltas: what writes append, summed with the rollup by every
    /// read until [`Store::fold_rollups`] moves them in.
    pub fn deltas(self) -> &'static str {
        match self {
            Rollup::Day => "rollup_day_delta",
            Rollup::Unit => "rollup_unit_delta",
            Rollup::Item => "rollup_item_delta",
            Rollup::Hour => "rollup_hour_delta",
        }
    }
    /// The rollup and its unfolded deltas, as one row source for a read.
    pub fn with_deltas(self) -> String {
        let cols = format!("{}, {}", self.keys(), count_columns());
        format!(
            "(SELECT {cols} FROM {} UNION ALL SELECT {cols} FROM {})",
            self.table(),
            self.deltas()
        )
    }
    fn keys(self) -> &'static str {
        match self {
            Rollup::Day => "day, department_id, district_id, place_kind",
            Rollup::Unit => "day, department_id, district_id, place_id, window_id, staff_id",
            Rollup::Item => "day, service_item_id, department_id, district_id",
            Rollup::Hour => "day, hour, department_id, district_id",
        }
    }
}

/// A 0/1 column of [`facts`]: what one rating or case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    IsCase,
    Rated,
    IsRating,
    Ok,
    Act,
    Site,
    IsGood,
    IsBad,
}

impl Flag {
    pub const ALL: [Flag; 8] = [
        Flag::IsCase,
        Flag::Rated,
        Flag::IsRating,
        Flag::Ok,
        Flag::Act,
        Flag::Site,
        Flag::IsGood,
        Flag::IsBad,
    ];

    /// Its column in [`facts`] (and [`Fact`]'s field).
    pub fn column(self) -> &'static str {
        match self {
            Flag::IsCase => "is_case",
            Flag::Rated => "rated",
            Flag::IsRating => "is_rating",
            Flag::Ok => "ok",
            Flag::Act => "act",
            Flag::Site => "site",
            Flag::IsGood => "is_good",
            Flag::IsBad => "is_bad",
        }
    }
}

/// One count column of the rollups: its name, the flags whose product it
/// sums, and the [`Counts`] field it is read into.
pub struct CountColumn {
    pub name: &'static str,
    pub product: &'static [Flag],
    pub field: fn(&mut Counts) -> &mut u64,
}

/// How many count columns a rollup row has.
pub const N_COUNTS: usize = 10;

/// The rollups' count columns, in their order in every table, statement
/// and row: the one definition the SQL column lists, the sums (SQL and
/// [`Fact::counts`]) and the reading into [`Counts`] are made from.
/// `valid_bad` holds `Counts::countable_bad` (有效差评 and 待核实: its name
/// predates verification counting).
pub const COUNTS: [CountColumn; N_COUNTS] = {
    use Flag::*;
    [
        CountColumn {
            name: "cases",
            product: &[IsCase],
            field: |c| &mut c.cases,
        },
        CountColumn {
            name: "rated_cases",
            product: &[Rated],
            field: |c| &mut c.rated_cases,
        },
        CountColumn {
            name: "ratings",
            product: &[IsRating],
            field: |c| &mut c.ratings,
        },
        CountColumn {
            name: "valid",
            product: &[Ok],
            field: |c| &mut c.valid,
        },
        CountColumn {
            name: "active",
            product: &[Ok, Act],
            field: |c| &mut c.active,
        },
        CountColumn {
            name: "on_site_active",
            product: &[Ok, Act, Site],
            field: |c| &mut c.on_site_active,
        },
        CountColumn {
            name: "good",
            product: &[Ok, IsGood],
            field: |c| &mut c.good,
        },
        CountColumn {
            name: "bad",
            product: &[IsBad],
            field: |c| &mut c.bad,
        },
        CountColumn {
            name: "valid_bad",
            product: &[Ok, IsBad],
            field: |c| &mut c.countable_bad,
        },
        CountColumn {
            name: "on_site_good",
            product: &[Ok, Act, Site, IsGood],
            field: |c| &mut c.on_site_good,
        },
    ]
};

impl CountColumn {
    /// Its expression over a row of [`facts`] aliased `y` (`y.ok * y.act`).
    fn expr(&self, alias: &str) -> String {
        self.product
            .iter()
            .map(|f| format!("{alias}{}", f.column()))
            .collect::<Vec<_>>()
            .join(" * ")
    }
}

/// `cases, rated_cases, …`: the count columns, for a statement's column list.
fn count_columns() -> String {
    COUNTS.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
}

/// `c = t.c + excluded.c, …`: an upsert's adding of the count columns.
fn add_counts(t: &str) -> String {
    COUNTS
        .iter()
        .map(|c| format!("{0} = {t}.{0} + excluded.{0}", c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A rollup row's counts, in [`COUNTS`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollupCounts(pub [i64; N_COUNTS]);

impl RollupCounts {
    /// Adds `sign` × `other`.
    fn add(&mut self, other: &RollupCounts, sign: i64) {
        for (a, c) in self.0.iter_mut().zip(other.0) {
            *a += sign * c;
        }
    }

    /// The named counts (negative sums read as 0).
    pub fn counts(&self) -> Counts {
        let mut out = Counts::default();
        for (col, v) in COUNTS.iter().zip(self.0) {
            *(col.field)(&mut out) = v.max(0) as u64;
        }
        out
    }

    /// The count of the column named `name`.
    pub fn get(&self, name: &str) -> Option<i64> {
        COUNTS
            .iter()
            .position(|c| c.name == name)
            .map(|i| self.0[i])
    }
}

/// The district of a place: its region, or the region above a town, or
/// two above a village; 0 for a city-level place.
const DISTRICT: &str = "CASE g0.level WHEN 'district' THEN g0.id WHEN 'town' THEN g1.id \
     WHEN 'village' THEN g2.id ELSE 0 END";

const PLACE_JOINS: &str = "JOIN regions g0 ON g0.id = p.region_id \
     LEFT JOIN regions g1 ON g1.id = g0.parent_id LEFT JOIN regions g2 ON g2.id = g1.parent_id";

/// The FROM of a rating with its units: a rating of a case counts for the
/// case's place, window, clerk and service item, whichever device took it
/// (a hall kiosk, a phone); a rating without a case, for its own place and
/// window.
pub fn rating_units() -> String {
    rating_units_by(Reach::Scan)
}

/// How a query over ratings (or cases) reaches the rows it joins.
///
/// PostgreSQL plans a join by cost: while `tickets`, `rating_flags` or
/// `cases` look small to it, it reads each whole (a hash join, a hashed
/// EXISTS) even for a list of 500 ids, so the work of an ingest grew with
/// the database (66 ms for 500 facts at 130,000 flags; docs/scale.md).
/// `Probe` finds each joined row by its key instead (a `LATERAL` or
/// `EXISTS` fenced with `OFFSET 0`, which the planner can neither flatten
/// nor hash): the work follows the list. PostgreSQL only; SQLite always
/// probes by key, and has no `LATERAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// A period or the whole table: hash joins are right.
    Scan,
    /// A short list of ids, on PostgreSQL.
    Probe,
}

impl Reach {
    /// `Probe` on PostgreSQL for a list of ids, `Scan` otherwise.
    pub fn for_ids(sqlite: bool) -> Reach {
        if sqlite {
            Reach::Scan
        } else {
            Reach::Probe
        }
    }

    /// What ends a subquery that must stay one (see [`Reach`]).
    pub fn fence(self) -> &'static str {
        match self {
            Reach::Scan => "",
            Reach::Probe => " OFFSET 0",
        }
    }

    /// `LEFT JOIN {table} {alias} ON {on}`, or its probing form.
    pub fn left_join(self, table: &str, alias: &str, on: &str) -> String {
        match self {
            Reach::Scan => format!("LEFT JOIN {table} {alias} ON {on}"),
            Reach::Probe => format!(
                "LEFT JOIN LATERAL (SELECT * FROM {table} {alias} WHERE {on} OFFSET 0) {alias} ON true"
            ),
        }
    }
}

/// [`rating_units`], reaching its joins as `reach` says.
pub fn rating_units_by(reach: Reach) -> String {
    format!(
        "FROM ratings r {} \
         JOIN places p ON p.id = COALESCE(c.place_id, r.place_id) {PLACE_JOINS} \
         LEFT JOIN windows w ON w.id = COALESCE(c.window_id, r.window_id) \
         LEFT JOIN service_items si ON si.id = c.service_item_id",
        reach.left_join("cases", "c", "c.id = r.case_id")
    )
}

/// A flag `f` that takes its rating out of the figures: not reviewed yet, or
/// reviewed as fraud. Written as `COALESCE(…) = 'fraud'`, not `f.verdict IS
/// NULL OR …`, so that the flags are reached only by their key: with no
/// statistics yet (a new database growing fast, before the next ANALYZE)
/// PostgreSQL took `IS NULL` for rare and combined the pending-flags index
/// with the key for every rating, reading every unreviewed flag each time
/// (1.2 ms a rating; under `make load` the first seconds ran at half speed).
const FLAG_COUNTS: &str = "COALESCE(f.verdict, 'fraud') = 'fraud'";

/// A rating is not valid while it has a flag not reviewed, or reviewed as
/// fraud, or its ticket was found invalid or malicious (metrics::RatingFact::valid);
/// over `r` and its ticket `t`, reaching the flags as `reach` says.
pub fn not_valid(reach: Reach) -> String {
    format!(
        "(t.status = 'excluded' OR EXISTS (SELECT 1 FROM rating_flags f \
         WHERE f.rating_id = r.id AND {FLAG_COUNTS}{}))",
        reach.fence()
    )
}

/// `'kiosk', 'window_pad', …`: the on-site channels, from the domain.
fn on_site_channels() -> String {
    Channel::ALL
        .iter()
        .filter(|c| metrics::on_site(**c))
        .map(|c| format!("'{}'", c.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row per rating or case with its keys and 0/1 flags; `filter` is a
/// WHERE (ratings) or AND (cases) clause.
pub fn facts(source: Source, filter: &str) -> String {
    facts_by(source, filter, Reach::Scan)
}

/// [`facts`], reaching its joins as `reach` says.
pub fn facts_by(source: Source, filter: &str, reach: Reach) -> String {
    let keys = format!(
        "COALESCE(w.department_id, si.department_id, 0) AS department_id, {DISTRICT} AS district_id, \
         p.kind AS place_kind, p.id AS place_id"
    );
    match source {
        Source::Ratings => format!(
            "SELECT (r.rated_at + 28800000) / 86400000 AS day, ((r.rated_at + 28800000) % 86400000) / 3600000 AS hour, \
             {keys}, COALESCE(c.window_id, r.window_id, 0) AS window_id, \
             COALESCE(c.staff_id, 0) AS staff_id, COALESCE(c.service_item_id, 0) AS service_item_id, \
             0 AS is_case, 0 AS rated, 1 AS is_rating, CASE WHEN {} THEN 0 ELSE 1 END AS ok, \
             CASE WHEN r.kind <> 'system_default' THEN 1 ELSE 0 END AS act, \
             CASE WHEN r.channel IN ({}) THEN 1 ELSE 0 END AS site, \
             CASE WHEN r.grade = 'good' THEN 1 ELSE 0 END AS is_good, \
             CASE WHEN r.grade = 'bad' THEN 1 ELSE 0 END AS is_bad \
             {} {} {filter}",
            not_valid(reach),
            on_site_channels(),
            rating_units_by(reach),
            reach.left_join("tickets", "t", "t.rating_id = r.id"),
        ),
        Source::Cases => format!(
            "SELECT (c.finished_at + 28800000) / 86400000 AS day, ((c.finished_at + 28800000) % 86400000) / 3600000 AS hour, \
             {keys}, COALESCE(c.window_id, 0) AS window_id, \
             COALESCE(c.staff_id, 0) AS staff_id, COALESCE(c.service_item_id, 0) AS service_item_id, \
             1 AS is_case, CASE WHEN EXISTS (SELECT 1 FROM ratings r WHERE r.case_id = c.id AND r.kind <> 'follow_up'{}) \
             THEN 1 ELSE 0 END AS rated, 0 AS is_rating, 0 AS ok, 0 AS act, 0 AS site, 0 AS is_good, 0 AS is_bad \
             FROM cases c JOIN places p ON p.id = c.place_id {PLACE_JOINS} \
             LEFT JOIN windows w ON w.id = c.window_id LEFT JOIN service_items si ON si.id = c.service_item_id \
             WHERE c.status = 'finished' AND c.finished_at IS NOT NULL {filter}",
            reach.fence()
        ),
    }
}

/// The sums of [`facts`] (times `sign`) as count columns.
fn sums(sign: i64) -> String {
    COUNTS
        .iter()
        .map(|c| format!("SUM({}) * {sign}", c.expr("")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Adds `sign` × the contribution of the rows `filter` selects to `rollup`.
pub fn upsert_sql(rollup: Rollup, source: Source, filter: &str, sign: i64) -> String {
    let t = rollup.table();
    let keys = rollup.keys();
    format!(
        "INSERT INTO {t} ({keys}, {}) SELECT {keys}, {} FROM ({}) x GROUP BY {keys} \
         ON CONFLICT ({keys}) DO UPDATE SET {}",
        count_columns(),
        sums(sign),
        facts(source, filter),
        add_counts(t)
    )
}

/// `n` anonymous placeholders (`?, ?, …`), bound in order (SQLite).
fn anonymous(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// `$1, $2, … $n`.
pub fn placeholders(n: usize) -> String {
    placeholders_from(1, n)
}

/// `$first, … $(first + n - 1)`.
pub fn placeholders_from(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row of [`facts`], typed: what one rating or case contributes,
/// `n` times over ([`fact_select`] sums equal rows).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Fact {
    pub day: i64,
    pub hour: i64,
    pub department_id: i64,
    pub district_id: i64,
    pub place_kind: String,
    pub place_id: i64,
    pub window_id: i64,
    pub staff_id: i64,
    pub service_item_id: i64,
    pub is_case: i64,
    pub rated: i64,
    pub is_rating: i64,
    pub ok: i64,
    pub act: i64,
    pub site: i64,
    pub is_good: i64,
    pub is_bad: i64,
    /// How many ratings or cases this row stands for.
    pub n: i64,
}

/// A rollup key: its integer columns in order, then `place_kind` if any.
pub type RollupKey = (Vec<i64>, Option<String>);

impl Fact {
    /// One 0/1 column.
    fn flag(&self, f: Flag) -> i64 {
        match f {
            Flag::IsCase => self.is_case,
            Flag::Rated => self.rated,
            Flag::IsRating => self.is_rating,
            Flag::Ok => self.ok,
            Flag::Act => self.act,
            Flag::Site => self.site,
            Flag::IsGood => self.is_good,
            Flag::IsBad => self.is_bad,
        }
    }

    /// The count columns, as [`sums`] adds them in SQL.
    fn counts(&self) -> RollupCounts {
        RollupCounts(COUNTS.map(|c| c.product.iter().map(|f| self.flag(*f)).product()))
    }
    fn key(&self, r: Rollup) -> RollupKey {
        match r {
            Rollup::Day => (
                vec![self.day, self.department_id, self.district_id],
                Some(self.place_kind.clone()),
            ),
            Rollup::Unit => (
                vec![
                    self.day,
                    self.department_id,
                    self.district_id,
                    self.place_id,
                    self.window_id,
                    self.staff_id,
                ],
                None,
            ),
            Rollup::Item => (
                vec![
                    self.day,
                    self.service_item_id,
                    self.department_id,
                    self.district_id,
                ],
                None,
            ),
            Rollup::Hour => (
                vec![self.day, self.hour, self.department_id, self.district_id],
                None,
            ),
        }
    }
}

/// `sign` × the facts, summed per key of `rollup`.
pub fn aggregate(facts: &[Fact], rollup: Rollup, sign: i64) -> Vec<(RollupKey, RollupCounts)> {
    let mut out: std::collections::BTreeMap<RollupKey, RollupCounts> = Default::default();
    for f in facts {
        out.entry(f.key(rollup))
            .or_default()
            .add(&f.counts(), sign * f.n);
    }
    out.into_iter().collect()
}

/// The typed facts of `n` ids of `source` (`$1…$n`).
pub fn fact_select(source: Source, n: usize, sqlite: bool) -> String {
    let list = if sqlite {
        anonymous(n)
    } else {
        placeholders(n)
    };
    let filter = match source {
        Source::Ratings => format!("WHERE r.id IN ({list})"),
        Source::Cases => format!("AND c.id IN ({list})"),
    };
    let keys = [
        "day",
        "hour",
        "department_id",
        "district_id",
        "place_id",
        "window_id",
        "staff_id",
        "service_item_id",
    ];
    let cols = keys
        .into_iter()
        .chain(Flag::ALL.map(Flag::column))
        .map(|c| format!("CAST(x.{c} AS BIGINT) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    // By id, cases are found by their key: `status || ''` keeps SQLite
    // from walking the (status, finished_at) index over every finished
    // case instead (150 ms per chunk at a million cases; bench `jobs`).
    let facts = facts_by(source, &filter, Reach::for_ids(sqlite)).replacen(
        "WHERE c.status = 'finished'",
        "WHERE c.status || '' = 'finished'",
        1,
    );
    // Summed per distinct row (a batch from one kiosk is a few: its days,
    // hours and levels), so a few rows cross back, not one per rating.
    let group = (1..=keys.len() + Flag::ALL.len() + 1)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    format!("SELECT {cols}, x.place_kind, CAST(COUNT(*) AS BIGINT) AS n FROM ({facts}) x GROUP BY {group}")
}

/// Appends `rows` (aggregated counts) to `rollup`'s deltas: one multi-row
/// insert, which takes no lock on the rollup's rows.
pub fn values_delta_sql(
    rollup: Rollup,
    rows: &[(RollupKey, RollupCounts)],
    sqlite: bool,
) -> String {
    let keys = rollup.keys();
    let per_row = rows.first().map_or(0, |((ints, kind), _)| {
        ints.len() + usize::from(kind.is_some()) + N_COUNTS
    });
    let values = (0..rows.len())
        .map(|i| {
            if sqlite {
                format!("({})", anonymous(per_row))
            } else {
                format!("({})", placeholders_from(i * per_row + 1, per_row))
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO {} ({keys}, {}) VALUES {values}",
        rollup.deltas(),
        count_columns()
    )
}

/// Moves `rollup`'s deltas into it: summed per key, upserted in key order.
/// PostgreSQL: one statement (the rows it deletes are the rows it adds,
/// whatever commits meanwhile). SQLite: two, in the caller's write
/// transaction, which no other writer shares.
pub fn fold_sql(rollup: Rollup, sqlite: bool) -> Vec<String> {
    let (t, d, keys) = (rollup.table(), rollup.deltas(), rollup.keys());
    let sums = COUNTS
        .iter()
        .map(|c| format!("SUM({})", c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let upsert = |from: &str| {
        format!(
            "INSERT INTO {t} ({keys}, {}) SELECT {keys}, {sums} FROM {from} WHERE true GROUP BY {keys} \
             ORDER BY {keys} ON CONFLICT ({keys}) DO UPDATE SET {}",
            count_columns(),
            add_counts(t)
        )
    };
    if sqlite {
        vec![upsert(d), format!("DELETE FROM {d}")]
    } else {
        vec![format!(
            "WITH moved AS (DELETE FROM {d} RETURNING *) {}",
            upsert("moved")
        )]
    }
}

/// Adds (`sign` = 1) or takes away (-1) what the rows `ids` contribute to
/// every rollup, inside the transaction `tx`: their facts are read once
/// (the rebuild's SQL), summed per key, and upserted.
#[tracing::instrument(level = "debug", skip_all, fields(source = ?ids.source(), n = ids.len(), sign))]
pub async fn rollup_source(
    tx: &mut Tx<'_, '_>,
    ids: Ids<'_>,
    sign: i64,
) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(ROLLUP_CHUNK) {
        let facts = tx.facts(chunk).await?;
        for rollup in ROLLUPS {
            let rows = aggregate(&facts, rollup, sign);
            for part in rows.chunks(ROLLUP_CHUNK) {
                tx.add_to_rollup(rollup, part).await?;
            }
        }
    }
    Ok(())
}

/// [`rollup_source`] for ratings.
pub async fn rollup_ratings(
    tx: &mut Tx<'_, '_>,
    ids: &[String],
    sign: i64,
) -> Result<(), sqlx::Error> {
    rollup_source(tx, Ids::Ratings(ids), sign).await
}

/// [`rollup_source`] for cases (finished ones count, and `rated` is re-read).
pub async fn rollup_cases(tx: &mut Tx<'_, '_>, ids: &[i64], sign: i64) -> Result<(), sqlx::Error> {
    rollup_source(tx, Ids::Cases(ids), sign).await
}

/// Summed rollup counts under two keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyedCounts {
    pub k1: i64,
    pub k2: i64,
    pub counts: Counts,
}

/// A row of summed counts: two keys, then [`COUNTS`] in order.
struct SumRow {
    k1: i64,
    k2: i64,
    counts: RollupCounts,
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for SumRow
where
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let mut counts = RollupCounts::default();
        for (i, c) in counts.0.iter_mut().enumerate() {
            *c = row.try_get(i + 2)?;
        }
        Ok(SumRow {
            k1: row.try_get(0)?,
            k2: row.try_get(1)?,
            counts,
        })
    }
}

fn keyed(r: SumRow) -> KeyedCounts {
    KeyedCounts {
        k1: r.k1,
        k2: r.k2,
        counts: r.counts.counts(),
    }
}

fn sum_columns() -> String {
    COUNTS
        .iter()
        .map(|c| format!("CAST(SUM(x.{}) AS BIGINT)", c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a report reads from.
#[derive(Debug, Clone, Copy)]
pub struct SumQuery<'a> {
    pub rollup: Rollup,
    /// Integer expressions over `x` (the rollup) and `d` (its department).
    pub k1: &'a str,
    pub k2: &'a str,
    /// Extra condition, may use `$3`.
    pub filter: &'a str,
    pub param: Option<i64>,
}

/// A ticket and the keys of its rating, for the rectification figures.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketFactRow {
    pub day: i64,
    pub department_id: i64,
    pub district_id: i64,
    pub place_kind: String,
    pub place_id: i64,
    pub window_id: i64,
    pub staff_id: i64,
    pub level: i32,
    pub status: String,
    pub verdict: Option<String>,
    pub archived_at: Option<i64>,
    pub contact_due: i64,
    pub contacted_at: Option<i64>,
    pub rectify_due: Option<i64>,
    pub extended: bool,
    pub feedback_level: Option<i32>,
    pub flagged: bool,
    /// The evaluator left a phone number (contact and 回访 possible).
    pub has_phone: bool,
    pub evaluator_phone: bool,
    pub evaluator_id_no: bool,
    /// The rated case carries its applicant's phone or ID number.
    pub applicant_known: bool,
}

impl TicketFactRow {
    /// What the ticket adds to a report (metrics' definition), at `now`.
    pub fn counts(&self, now: i64, cal: &Calendar, policy: &LoopPolicy) -> Counts {
        let level = CodeMap::Gbt39046
            .decode(self.level as u8)
            .unwrap_or(domain::Level::VeryDissatisfied);
        let status = Status::parse(&self.status).unwrap_or(Status::Open);
        let a = rectify::assess(
            status,
            self.verdict.as_deref().and_then(Verdict::parse),
            self.contact_due,
            self.contacted_at,
            self.rectify_due,
            self.extended,
            self.archived_at,
            now,
            cal,
            policy,
        );
        Counts::of_rating(&RatingFact {
            level,
            kind: RatingKind::First,
            channel: Channel::Kiosk,
            excluded: status == Status::Excluded,
            flagged: self.flagged,
            ticket: Some(TicketFact {
                verified: a.verified,
                archived: a.archived,
                on_time: a.on_time,
                due: a.due,
                feedback: self.feedback_level.map(|l| l as u8),
                contactable: self.has_phone,
                contact_due: a.contact_due,
                contacted_on_time: a.contacted_on_time,
                real_name: domain::case::identified(
                    self.evaluator_phone,
                    self.evaluator_id_no,
                    self.applicant_known,
                ),
            }),
        })
        .ticket_part()
    }
}

/// One rating as the raw formula reads it (tests and the naive baseline).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RawRating {
    pub day: i64,
    pub department_id: i64,
    pub district_id: i64,
    pub level: i32,
    pub kind: String,
    pub channel: String,
    pub excluded: bool,
    pub flagged: bool,
}

/// A misuse flag for the review screen.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlagRow {
    pub rating_id: String,
    pub rated_at: i64,
    pub channel: String,
    pub level: i32,
    pub place_name: String,
    pub window_name: Option<String>,
    pub device_code: String,
    pub evaluator_phone: Option<String>,
    pub reason: String,
    pub detail: String,
    pub flagged_at: i64,
    pub verdict: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
    pub review_note: Option<String>,
}

/// A flag to set: rating, reason, what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFlag {
    pub rating_id: String,
    pub reason: &'static str,
    pub detail: String,
}

/// Org names and links the reports print.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgUnit {
    pub id: i64,
    pub name: String,
    /// Region id (departments), district (places), department (windows),
    /// window (staff).
    pub parent: i64,
    /// Region level (departments), line (for the matrix), role (staff).
    pub tag: Option<String>,
    pub active: bool,
}

/// A text as a PostgreSQL literal, for the plan helpers below.
fn pg_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The plan PostgreSQL gives `sql` as the ingest runs it: in its
/// transaction, on a generic plan (`begin_batch`), which only a prepared
/// statement shows. `setup` runs first in that transaction; `types` and
/// `values` are the parameters' types and literals. One line per step.
async fn pg_generic_plan(
    pool: &sqlx::PgPool,
    setup: &str,
    sql: &str,
    types: &str,
    values: &str,
) -> Result<Vec<String>, StoreError> {
    let mut tx = pool.begin_batch().await?;
    sqlx::raw_sql(&format!("{setup} PREPARE hcp_plan({types}) AS {sql}"))
        .execute(&mut *tx)
        .await?;
    let plan = sqlx::query_scalar::<_, String>(&format!("EXPLAIN EXECUTE hcp_plan({values})"))
        .fetch_all(&mut *tx)
        .await;
    sqlx::raw_sql("DEALLOCATE hcp_plan")
        .execute(&mut *tx)
        .await?;
    Ok(plan?)
}

impl Store {
    /// The plan the database picks to read back the facts of `ids` (what
    /// every ingest does for its new ratings), one line per step: for
    /// tests, and for an operator checking that it reads no table whole
    /// ([`Reach`]).
    pub async fn fact_plan(&self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Sqlite(pool) => {
                let sql = format!(
                    "EXPLAIN QUERY PLAN {}",
                    fact_select(Source::Ratings, ids.len(), true)
                );
                let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(&sql);
                for id in ids {
                    q = q.bind(id);
                }
                Ok(q.fetch_all(pool).await?.into_iter().map(|r| r.3).collect())
            }
            Store::Postgres(pool) => {
                let types = vec!["text"; ids.len()].join(", ");
                let values: Vec<String> = ids.iter().map(|id| pg_literal(id)).collect();
                let sql = fact_select(Source::Ratings, ids.len(), false);
                pg_generic_plan(pool, "", &sql, &types, &values.join(", ")).await
            }
        }
    }

    /// The plan of the burst detectors' read around a device's ratings
    /// (`Tx::ratings_near` with `Around::Device`), or with `window` a web
    /// endpoint's at one window (`Around::Endpoint`), `k` neighbours a
    /// side, one line per step: for tests and operators. On PostgreSQL
    /// sequential scans are ruled out: a test database is a few pages, read
    /// whole more cheaply than through any index, which says nothing of
    /// which index can serve the query on a city's table.
    pub async fn near_plan(
        &self,
        device: &str,
        window: Option<i64>,
        k: usize,
    ) -> Result<Vec<String>, StoreError> {
        let around = match window {
            Some(w) => Around::Endpoint(device, w),
            None => Around::Device(device),
        };
        let sql = super::tx::near_sql(around, k);
        let offset = k.saturating_sub(1) as i64;
        match self {
            Store::Sqlite(pool) => {
                let sql = format!("EXPLAIN QUERY PLAN {sql}");
                let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&sql).bind(device);
                if let Some(w) = window {
                    query = query.bind(w);
                }
                let rows = query
                    .bind(0_i64)
                    .bind(1_i64)
                    .bind(60_000_i64)
                    .bind(offset)
                    .fetch_all(pool)
                    .await?;
                Ok(rows.into_iter().map(|r| r.3).collect())
            }
            Store::Postgres(pool) => {
                let (key, key_types) = match window {
                    Some(w) => (format!("{}, {w}", pg_literal(device)), "text, bigint"),
                    None => (pg_literal(device), "text"),
                };
                let values = format!("{key}, 0, 1, 60000, {offset}");
                let types = format!("{key_types}, bigint, bigint, bigint, bigint");
                let no_seqscan = "SET LOCAL enable_seqscan = off;";
                pg_generic_plan(pool, no_seqscan, &sql, &types, &values).await
            }
        }
    }

    /// Sums a rollup and its unfolded deltas over days `from..=to` (day
    /// numbers) by two keys.
    pub async fn rollup_sums(
        &self,
        q: SumQuery<'_>,
        from: i64,
        to: i64,
    ) -> Result<Vec<KeyedCounts>, StoreError> {
        // The department is joined only when a filter reads it (`d.line`).
        let join = if q.filter.contains("d.") {
            "LEFT JOIN departments d ON d.id = x.department_id"
        } else {
            ""
        };
        let sql = format!(
            "SELECT CAST({} AS BIGINT), CAST({} AS BIGINT), {} FROM {} x {join} \
             WHERE x.day >= $1 AND x.day <= $2 {} GROUP BY 1, 2",
            q.k1,
            q.k2,
            sum_columns(),
            q.rollup.with_deltas(),
            q.filter
        );
        with_pool!(self, pool => {
            let mut query = sqlx::query_as::<_, SumRow>(&sql).bind(from).bind(to);
            if let Some(p) = q.param {
                query = query.bind(p);
            }
            Ok(query.fetch_all(pool).await?.into_iter().map(keyed).collect())
        })
    }

    /// The same sums computed directly from the raw tables: the naive
    /// GROUP BY the rollups replace (the bench's baseline).
    pub async fn naive_sums(
        &self,
        k1: &str,
        k2: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<KeyedCounts>, StoreError> {
        let (from_ms, to_ms) = (
            from * 86_400_000 - 28_800_000,
            (to + 1) * 86_400_000 - 28_800_000,
        );
        let ratings = facts(
            Source::Ratings,
            &format!("WHERE r.rated_at >= {from_ms} AND r.rated_at < {to_ms}"),
        );
        let cases = facts(
            Source::Cases,
            &format!("AND c.finished_at >= {from_ms} AND c.finished_at < {to_ms}"),
        );
        let sql = format!(
            "SELECT CAST({k1} AS BIGINT), CAST({k2} AS BIGINT), {} FROM \
             (SELECT y.*, {} FROM ({ratings} UNION ALL {cases}) y) x \
             LEFT JOIN departments d ON d.id = x.department_id GROUP BY 1, 2",
            sum_columns(),
            COUNTS
                .iter()
                .map(|c| format!("{} AS {}", c.expr("y."), c.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, SumRow>(&sql).fetch_all(pool).await?.into_iter().map(keyed).collect()))
    }

    /// Moves every rollup's deltas into it (see migration 0013), each
    /// rollup in its own short transaction; reads give the same sums before
    /// and after. Safe on several servers at once: on PostgreSQL one folds
    /// at a time (an advisory lock, the others skip). Returns the delta
    /// rows folded.
    #[tracing::instrument(level = "debug", skip_all, err)]
    pub async fn fold_rollups(&self) -> Result<u64, StoreError> {
        let sqlite = self.kind() == "sqlite";
        let mut folded = 0;
        with_pool!(self, pool => {
            for r in ROLLUPS {
                let mut tx = pool.begin_write().await?;
                if !sqlite {
                    let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(73012)")
                        .fetch_one(&mut *tx).await?;
                    if !mine {
                        return Ok(folded);
                    }
                }
                let statements = fold_sql(r, sqlite);
                let last = statements.len() - 1;
                for (i, sql) in statements.iter().enumerate() {
                    let done = sqlx::query(sql).execute(&mut *tx).await?;
                    if i == last {
                        folded += done.rows_affected();
                    }
                }
                tx.commit().await?;
            }
            Ok(folded)
        })
    }

    /// Empties the rollups and recomputes them from the raw tables.
    #[tracing::instrument(skip_all, err)]
    pub async fn rebuild_rollups(&self) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for r in ROLLUPS {
                sqlx::query(&format!("DELETE FROM {}", r.table())).execute(&mut *tx).await?;
                sqlx::query(&format!("DELETE FROM {}", r.deltas())).execute(&mut *tx).await?;
                for source in [Source::Ratings, Source::Cases] {
                    sqlx::query(&upsert_sql(r, source, "", 1)).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Fills a rollup added after ratings were stored (the hour rollup of
    /// migration 0006), or emptied by a migration that added a column
    /// (0009): if it is empty while ratings exist, it is built from the raw
    /// rows once, with the rebuild's SQL. On PostgreSQL an advisory lock
    /// keeps two servers starting at once from both filling it.
    pub async fn backfill_rollups(&self) -> Result<(), StoreError> {
        let pg = self.kind() == "postgres";
        with_pool!(self, pool => {
            let any_rating: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM ratings)")
                .fetch_one(pool).await?;
            if !any_rating {
                return Ok(());
            }
            for r in ROLLUPS {
                let mut tx = pool.begin_write().await?;
                if pg {
                    sqlx::query("SELECT pg_advisory_xact_lock(73011)").execute(&mut *tx).await?;
                }
                // Empty, deltas included: a new database's first ratings
                // may wait in the deltas, and a fill would count them twice.
                let empty: bool = sqlx::query_scalar(&format!(
                    "SELECT NOT EXISTS (SELECT 1 FROM {}) AND NOT EXISTS (SELECT 1 FROM {})",
                    r.table(),
                    r.deltas()
                ))
                .fetch_one(&mut *tx).await?;
                if empty {
                    for source in [Source::Ratings, Source::Cases] {
                        sqlx::query(&upsert_sql(r, source, "", 1)).execute(&mut *tx).await?;
                    }
                    tracing::info!(table = r.table(), "rollup filled from the raw rows");
                }
                tx.commit().await?;
            }
            Ok(())
        })
    }

    /// Tickets of ratings given in `from_ms..to_ms`, with their keys.
    pub async fn ticket_facts(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<TicketFactRow>, StoreError> {
        let sql = format!(
            "SELECT (r.rated_at + 28800000) / 86400000 AS day, \
             CAST(COALESCE(t.department_id, 0) AS BIGINT) AS department_id, CAST({DISTRICT} AS BIGINT) AS district_id, \
             p.kind AS place_kind, p.id AS place_id, CAST(COALESCE(t.window_id, 0) AS BIGINT) AS window_id, \
             CAST(COALESCE(t.staff_id, 0) AS BIGINT) AS staff_id, r.level, t.status, t.verdict, t.archived_at, \
             t.contact_due, t.contacted_at, t.rectify_due, t.extended, t.feedback_level, \
             EXISTS (SELECT 1 FROM rating_flags f WHERE f.rating_id = r.id AND {FLAG_COUNTS}) AS flagged, \
             t.has_phone, r.evaluator_phone IS NOT NULL AS evaluator_phone, r.evaluator_id_no IS NOT NULL AS evaluator_id_no, \
             COALESCE(c.applicant_phone IS NOT NULL OR c.applicant_id_no IS NOT NULL, FALSE) AS applicant_known \
             FROM tickets t CROSS JOIN ratings r JOIN places p ON p.id = t.place_id {PLACE_JOINS} \
             LEFT JOIN cases c ON c.id = r.case_id \
             WHERE r.id = t.rating_id AND r.rated_at >= $1 AND r.rated_at < $2"
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, TicketFactRow>(&sql).bind(from_ms).bind(to_ms).fetch_all(pool).await?))
    }

    /// Every rating given in `from_ms..to_ms`, as the raw formula reads it.
    pub async fn raw_ratings(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<RawRating>, StoreError> {
        let sql = format!(
            "SELECT (r.rated_at + 28800000) / 86400000 AS day, \
             CAST(COALESCE(w.department_id, si.department_id, 0) AS BIGINT) AS department_id, \
             CAST({DISTRICT} AS BIGINT) AS district_id, r.level, r.kind, r.channel, \
             COALESCE(t.status = 'excluded', FALSE) AS excluded, \
             EXISTS (SELECT 1 FROM rating_flags f WHERE f.rating_id = r.id AND {FLAG_COUNTS}) AS flagged \
             {} LEFT JOIN tickets t ON t.rating_id = r.id WHERE r.rated_at >= $1 AND r.rated_at < $2",
            rating_units()
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, RawRating>(&sql).bind(from_ms).bind(to_ms).fetch_all(pool).await?))
    }

    /// Every finished case in `from_ms..to_ms`: (day, department, district, rated).
    pub async fn raw_cases(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, i64, i64, bool)>, StoreError> {
        let sql = format!(
            "SELECT (c.finished_at + 28800000) / 86400000, CAST(COALESCE(w.department_id, si.department_id, 0) AS BIGINT), \
             CAST({DISTRICT} AS BIGINT), EXISTS (SELECT 1 FROM ratings r WHERE r.case_id = c.id) \
             FROM cases c JOIN places p ON p.id = c.place_id {PLACE_JOINS} LEFT JOIN windows w ON w.id = c.window_id \
             LEFT JOIN service_items si ON si.id = c.service_item_id \
             WHERE c.status = 'finished' AND c.finished_at >= $1 AND c.finished_at < $2"
        );
        with_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(from_ms).bind(to_ms).fetch_all(pool).await?))
    }

    /// Districts (regions of level district): id, name, city id.
    pub async fn org_units(&self, kind: &str) -> Result<Vec<OrgUnit>, StoreError> {
        let sql = match kind {
            "district" => "SELECT id, name, CAST(COALESCE(parent_id, 0) AS BIGINT) AS parent, NULL AS tag, active FROM regions WHERE level = 'district' ORDER BY code",
            "department" => "SELECT d.id, d.name, d.region_id AS parent, \
                 CASE WHEN g.level = 'city' THEN 'city:' ELSE 'district:' END || COALESCE(d.line, d.name) AS tag, d.active \
                 FROM departments d JOIN regions g ON g.id = d.region_id ORDER BY d.code",
            "service_item" => "SELECT si.id, si.name || '（' || d.name || '）' AS name, si.department_id AS parent, NULL AS tag, si.active \
                 FROM service_items si JOIN departments d ON d.id = si.department_id ORDER BY si.code",
            "window" => "SELECT w.id, p.name || ' ' || w.name AS name, CAST(COALESCE(w.department_id, 0) AS BIGINT) AS parent, NULL AS tag, w.active \
                 FROM windows w JOIN places p ON p.id = w.place_id ORDER BY p.code, w.code",
            _ => "SELECT id, display_name AS name, CAST(COALESCE(window_id, 0) AS BIGINT) AS parent, role AS tag, active FROM staff ORDER BY username",
        };
        with_pool!(self, pool => Ok(sqlx::query_as::<_, OrgUnit>(sql).fetch_all(pool).await?))
    }

    // ---- misuse flags ----

    pub async fn flags(&self, pending: bool, limit: i64) -> Result<Vec<FlagRow>, StoreError> {
        let sql = format!(
            "SELECT f.rating_id, r.rated_at, r.channel, r.level, p.name AS place_name, w.name AS window_name, \
             dv.code AS device_code, r.evaluator_phone, f.reason, f.detail, f.flagged_at, f.verdict, \
             s.display_name AS reviewed_by, f.reviewed_at, f.review_note \
             FROM rating_flags f JOIN ratings r ON r.id = f.rating_id JOIN places p ON p.id = r.place_id \
             JOIN devices dv ON dv.id = r.device_id LEFT JOIN windows w ON w.id = r.window_id \
             LEFT JOIN staff s ON s.id = f.reviewed_by WHERE f.verdict IS {} NULL \
             ORDER BY f.flagged_at DESC, f.rating_id LIMIT $1",
            if pending { "" } else { "NOT" }
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, FlagRow>(&sql).bind(limit).fetch_all(pool).await?))
    }

    pub async fn pending_flag_count(&self) -> Result<i64, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "SELECT COUNT(DISTINCT rating_id) FROM rating_flags WHERE verdict IS NULL").fetch_one(pool).await?))
    }

    /// Records a supervisor's verdict on every pending flag of `ids`, and
    /// moves the ratings' contribution accordingly. Returns the ratings
    /// reviewed.
    pub async fn review_flags(
        &self,
        ids: &[String],
        verdict: &str,
        note: &str,
        staff_id: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut pending: Vec<String> = vec![];
            for chunk in ids.chunks(ROLLUP_CHUNK) {
                let sql = format!(
                    "SELECT DISTINCT rating_id FROM rating_flags WHERE verdict IS NULL AND rating_id IN ({})",
                    placeholders(chunk.len())
                );
                let mut q = sqlx::query_scalar::<_, String>(&sql);
                for id in chunk {
                    q = q.bind(id);
                }
                pending.extend(q.fetch_all(&mut *tx).await?);
            }
            rollup_ratings(&mut Tx::from(&mut tx), &pending, -1).await?;
            for id in &pending {
                sqlx::query("UPDATE rating_flags SET verdict = $1, reviewed_by = $2, reviewed_at = $3, review_note = $4 \
                             WHERE rating_id = $5 AND verdict IS NULL")
                    .bind(verdict).bind(staff_id).bind(now).bind(note).bind(id)
                    .execute(&mut *tx).await?;
            }
            rollup_ratings(&mut Tx::from(&mut tx), &pending, 1).await?;
            tx.commit().await?;
            Ok(pending.len() as u64)
        })
    }
}

/// A rating just stored, with what the misuse detectors read.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BatchRating {
    pub id: String,
    pub device_id: String,
    #[sqlx(try_from = "String")]
    pub device_kind: DeviceKind,
    pub evaluator_phone: Option<String>,
    pub evaluator_id_no: Option<String>,
    pub rated_at: i64,
    pub place_id: i64,
    pub window_id: i64,
    pub department_id: i64,
    pub client_hash: Option<String>,
}

/// A staff member's own numbers and unit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffIdentity {
    pub phone: Option<String>,
    pub id_no: Option<String>,
    pub place_id: i64,
    pub window_id: i64,
    pub department_id: i64,
}

/// 自评: ratings whose evaluator is a staff member of the rated unit (its
/// place, window or department).
pub fn self_evaluation_flags(batch: &[BatchRating], staff: &[StaffIdentity]) -> Vec<NewFlag> {
    batch
        .iter()
        .filter(|r| r.evaluator_phone.is_some() || r.evaluator_id_no.is_some())
        .filter(|r| {
            let unit: Vec<(Option<&str>, Option<&str>)> = staff
                .iter()
                .filter(|s| {
                    s.place_id == r.place_id
                        || (r.window_id != 0 && s.window_id == r.window_id)
                        || (r.department_id != 0 && s.department_id == r.department_id)
                })
                .map(|s| (s.phone.as_deref(), s.id_no.as_deref()))
                .collect();
            domain::fraud::self_evaluation(
                r.evaluator_phone.as_deref(),
                r.evaluator_id_no.as_deref(),
                &unit,
            )
        })
        .map(|r| NewFlag {
            rating_id: r.id.clone(),
            reason: domain::fraud::FlagReason::SelfEvaluation.as_str(),
            detail: "评价人手机号或证件号与被评价单位工作人员相同".into(),
        })
        .collect()
}

/// The evaluators' phone and (upper-case) ID numbers of a batch, each once.
pub fn evaluator_numbers(batch: &[BatchRating]) -> Vec<String> {
    let mut numbers: Vec<String> = batch
        .iter()
        .flat_map(|r| {
            [
                r.evaluator_phone.clone(),
                r.evaluator_id_no.clone().map(|s| s.to_ascii_uppercase()),
            ]
        })
        .flatten()
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

/// The first and last time of each key, keys in the order first seen.
pub fn spans<K: PartialEq>(items: impl IntoIterator<Item = (K, i64)>) -> Vec<(K, i64, i64)> {
    let mut out: Vec<(K, i64, i64)> = vec![];
    for (k, at) in items {
        match out.iter_mut().find(|(x, ..)| *x == k) {
            Some(e) => {
                e.1 = e.1.min(at);
                e.2 = e.2.max(at);
            }
            None => out.push((k, at, at)),
        }
    }
    out
}

/// For each key of `keys` (a key of one kind, its batch's span, and the
/// flag's detail), the ratings around the span (`domain::fraud::reach`)
/// that lie in a dense window (`domain::fraud::in_dense_window`) and are
/// not yet flagged for `reason`: flags to set. Ratings flagged already are
/// left alone, so a long burst sent in many batches flags each rating
/// once. All keys are read together ([`Tx::ratings_near_each`]), and
/// whether their hits are flagged in one read.
async fn burst_flags(
    tx: &mut Tx<'_, '_>,
    keys: &[(Around<'_>, (i64, i64), String)],
    window: domain::fraud::Window,
    reason: domain::fraud::FlagReason,
) -> Result<Vec<NewFlag>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let k = domain::fraud::neighbours(window);
    let spans: Vec<(Around, (i64, i64))> = keys.iter().map(|(a, s, _)| (*a, *s)).collect();
    let near = tx.ratings_near_each(&spans, k, window.within_ms).await?;
    // (rating, the key it was found around): a rating has one key of a kind.
    let mut hits: Vec<(String, usize)> = vec![];
    for (i, rows) in near.into_iter().enumerate() {
        let times: Vec<i64> = rows.iter().map(|(_, at)| *at).collect();
        hits.extend(
            rows.into_iter()
                .zip(domain::fraud::in_dense_window(&times, window))
                .filter(|(_, hit)| *hit)
                .map(|((id, _), _)| (id, i)),
        );
    }
    // Which of them are flagged already: read only when there are hits
    // (most batches have none).
    let ids: Vec<String> = hits.iter().map(|(id, _)| id.clone()).collect();
    let mut flagged = std::collections::HashSet::new();
    for chunk in ids.chunks(ROLLUP_CHUNK) {
        flagged.extend(tx.flagged(chunk, reason.as_str()).await?);
    }
    Ok(hits
        .into_iter()
        .filter(|(id, _)| !flagged.contains(id))
        .map(|(rating_id, i)| NewFlag {
            rating_id,
            reason: reason.as_str(),
            detail: keys[i].2.clone(),
        })
        .collect())
}

/// The ratings `fresh` (just stored, inside `tx`) as the misuse detectors
/// read them. What they need is in hand but each device's kind (one small
/// read) and, for a rating that names its evaluator, the department it
/// rates, which only 自评 compares: those ratings are read back whole
/// (`Tx::batch_ratings`). The others' `department_id` is 0, unread.
pub async fn batch_of(
    tx: &mut Tx<'_, '_>,
    fresh: &[&super::NewRating<'_>],
) -> Result<Vec<BatchRating>, sqlx::Error> {
    let named = |n: &&&super::NewRating<'_>| {
        n.record.evaluator_phone.is_some() || n.record.evaluator_id_no.is_some()
    };
    let ids: Vec<String> = fresh
        .iter()
        .filter(named)
        .map(|n| n.record.id.to_string())
        .collect();
    let mut batch: Vec<BatchRating> = Vec::with_capacity(fresh.len());
    for chunk in ids.chunks(ROLLUP_CHUNK) {
        batch.extend(tx.batch_ratings(chunk).await?);
    }
    let mut devices: Vec<String> = fresh
        .iter()
        .filter(|n| !named(n))
        .map(|n| n.record.device_id.to_string())
        .collect();
    devices.sort_unstable();
    devices.dedup();
    let mut kinds: std::collections::HashMap<String, DeviceKind> =
        std::collections::HashMap::with_capacity(devices.len());
    for chunk in devices.chunks(ROLLUP_CHUNK) {
        kinds.extend(tx.device_kinds(chunk).await?);
    }
    batch.extend(fresh.iter().filter(|n| !named(n)).filter_map(|n| {
        let device_id = n.record.device_id.to_string();
        Some(BatchRating {
            id: n.record.id.to_string(),
            device_kind: *kinds.get(&device_id)?,
            device_id,
            evaluator_phone: None,
            evaluator_id_no: None,
            rated_at: n.rated_at,
            place_id: n.record.place_id,
            window_id: n.record.window_id.unwrap_or(0),
            department_id: 0,
            client_hash: n.client_hash.clone(),
        })
    }));
    Ok(batch)
}

/// Finds misuse among the ratings `batch` just stored ([`batch_of`]),
/// inside `tx`: 自评, 批量评价 and device bursts (`domain::fraud`).
/// Returns the flags to set, which may name earlier ratings of the same
/// phone or device.
#[tracing::instrument(level = "debug", skip_all, fields(n = batch.len()))]
pub async fn detect_flags(
    tx: &mut Tx<'_, '_>,
    batch: &[BatchRating],
    policy: &FraudPolicy,
) -> Result<Vec<NewFlag>, sqlx::Error> {
    use domain::fraud::{self, FlagReason, PhoneRating};
    let mut flags: Vec<NewFlag> = vec![];
    // 自评.
    let mut staff: Vec<StaffIdentity> = vec![];
    for chunk in evaluator_numbers(batch).chunks(ROLLUP_CHUNK) {
        staff.extend(tx.staff_identities(chunk).await?);
    }
    if !staff.is_empty() {
        flags.extend(self_evaluation_flags(batch, &staff));
    }
    // 批量评价: the phone's ratings around the batch's.
    let w = policy.batch_phone;
    if w.count > 0 {
        let phones = spans(
            batch
                .iter()
                .filter_map(|r| Some((r.evaluator_phone.as_deref()?, r.rated_at))),
        );
        for (phone, lo, hi) in phones {
            let rows = tx
                .phone_ratings(phone, lo - w.within_ms, hi + w.within_ms)
                .await?;
            let items: Vec<PhoneRating> = rows
                .iter()
                .map(|(_, case_id, at)| PhoneRating {
                    phone: phone.to_string(),
                    case_id: *case_id,
                    at: *at,
                })
                .collect();
            for ((id, ..), hit) in rows.iter().zip(fraud::batch_phone(&items, w)) {
                if hit {
                    flags.push(NewFlag {
                        rating_id: id.clone(),
                        reason: FlagReason::BatchPhone.as_str(),
                        detail: format!(
                            "同一手机号在 {} 分钟内评价了 {} 件以上",
                            w.within_ms / 60_000,
                            w.count
                        ),
                    });
                }
            }
        }
    }
    // Device bursts, on kiosks and window pads.
    let b = policy.device_burst;
    if b.count > 0 {
        let devices = spans(
            batch
                .iter()
                .filter(|r| r.device_kind.is_terminal())
                .map(|r| (r.device_id.as_str(), r.rated_at)),
        );
        let detail = format!(
            "同一设备在 {} 秒内有 {} 条以上评价",
            b.within_ms / 1000,
            b.count
        );
        let keys: Vec<(Around, (i64, i64), String)> = devices
            .into_iter()
            .map(|(device, lo, hi)| (Around::Device(device), (lo, hi), detail.clone()))
            .collect();
        flags.extend(burst_flags(tx, &keys, b, FlagReason::DeviceBurst).await?);
    }
    // Web bursts: per client address, and per window (or place). Only
    // ratings from browsers (they carry a client hash): not 系统默认
    // ratings, nor paper forms a clerk types in.
    let web: Vec<&BatchRating> = batch
        .iter()
        .filter(|r| r.device_kind == DeviceKind::Web && r.client_hash.is_some())
        .collect();
    let a = policy.address_burst;
    if a.count > 0 {
        let addresses = spans(
            web.iter()
                .filter_map(|r| Some((r.client_hash.as_deref()?, r.rated_at))),
        );
        let detail = format!(
            "同一网络地址在 {} 秒内有 {} 条以上扫码评价",
            a.within_ms / 1000,
            a.count
        );
        let keys: Vec<(Around, (i64, i64), String)> = addresses
            .into_iter()
            .map(|(hash, lo, hi)| (Around::Address(hash), (lo, hi), detail.clone()))
            .collect();
        flags.extend(burst_flags(tx, &keys, a, FlagReason::AddressBurst).await?);
    }
    let wb = policy.web_burst;
    if wb.count > 0 {
        let endpoints = spans(
            web.iter()
                .map(|r| ((r.device_id.as_str(), r.window_id), r.rated_at)),
        );
        let keys: Vec<(Around, (i64, i64), String)> = endpoints
            .into_iter()
            .map(|((device, window), lo, hi)| {
                let detail = format!(
                    "同一{}在 {} 秒内有 {} 条以上扫码评价",
                    if window == 0 { "场所" } else { "窗口" },
                    wb.within_ms / 1000,
                    wb.count
                );
                (Around::Endpoint(device, window), (lo, hi), detail)
            })
            .collect();
        flags.extend(burst_flags(tx, &keys, wb, FlagReason::WebBurst).await?);
    }
    Ok(flags)
}

/// Stores `flags` inside `tx`, moving the contribution of the earlier
/// ratings they take out of the figures (`fresh` are the batch's, not yet
/// in the rollups; an earlier rating already not valid, flagged for
/// another reason or excluded, contributes the same after).
#[tracing::instrument(level = "debug", skip_all, fields(n = flags.len()))]
pub async fn insert_flags(
    tx: &mut Tx<'_, '_>,
    flags: &[NewFlag],
    fresh: &std::collections::HashSet<String>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut flags: Vec<&NewFlag> = flags.iter().collect();
    flags.sort_by(|a, b| (&a.rating_id, a.reason).cmp(&(&b.rating_id, b.reason)));
    flags.dedup_by(|a, b| a.rating_id == b.rating_id && a.reason == b.reason);
    let mut earlier: Vec<String> = flags
        .iter()
        .filter(|f| !fresh.contains(&f.rating_id))
        .map(|f| f.rating_id.clone())
        .collect();
    earlier.dedup();
    let mut moving: Vec<String> = vec![];
    for chunk in earlier.chunks(ROLLUP_CHUNK) {
        moving.extend(tx.valid_ratings(chunk).await?);
    }
    rollup_ratings(tx, &moving, -1).await?;
    // The batch's own ratings' flags (sorted and without repeats above)
    // cannot exist yet; an earlier rating's may (another batch's burst).
    let (new, old): (Vec<NewFlag>, Vec<NewFlag>) = flags
        .into_iter()
        .cloned()
        .partition(|f| fresh.contains(&f.rating_id));
    for (owned, fresh) in [(new, true), (old, false)] {
        for chunk in owned.chunks(ROLLUP_CHUNK) {
            tx.insert_flags(chunk, fresh, now).await?;
        }
    }
    rollup_ratings(tx, &moving, 1).await
}

/// One line of the ratings export: no device, no evaluator identity.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    pub id: String,
    pub rated_at: i64,
    pub channel: String,
    pub level: i32,
    pub kind: String,
    pub valid: bool,
    pub district: String,
    pub place: String,
    pub window: Option<String>,
    pub department: Option<String>,
    pub case_no: Option<String>,
    pub reasons: String,
    pub comment: String,
    pub evaluator_phone: bool,
    pub evaluator_id_no: bool,
    pub applicant_known: bool,
    /// The rating's evaluator type, else the case's applicant type.
    pub evaluator_type: Option<String>,
    /// Its record for the provincial platform: `pending`, `sent` or
    /// `dead`; none when it was not queued (no platform configured then).
    pub upstream_status: Option<String>,
    pub upstream_sent_at: Option<i64>,
}

impl ExportRow {
    /// 实名 (the evaluator is identified) or 匿名.
    pub fn real_name(&self) -> bool {
        domain::case::identified(
            self.evaluator_phone,
            self.evaluator_id_no,
            self.applicant_known,
        )
    }
}

/// Rows per message of the export stream.
const EXPORT_BATCH: usize = 2000;

impl Store {
    /// Streams every rating of `from_ms..to_ms` in batches, from a cursor
    /// read by a task of its own; the receiver ends after the last batch
    /// (or an error). Dropping the receiver stops the reading.
    pub fn stream_ratings(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<ExportRow>, StoreError>> {
        use futures_util::TryStreamExt;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let store = self.clone();
        tokio::spawn(async move {
            // Ratings still queued as a batch get their per-rating records
            // first, so each row says 待上报 from the moment it is stored.
            if let Err(e) = store.expand_rating_batches("province", None).await {
                let _ = tx.send(Err(e)).await;
                return;
            }
            let sql = format!(
                "SELECT r.id, r.rated_at, r.channel, r.level, r.kind, CASE WHEN {} THEN FALSE ELSE TRUE END AS valid, \
                 COALESCE(CASE g0.level WHEN 'district' THEN g0.name WHEN 'town' THEN g1.name WHEN 'village' THEN g2.name END, '') AS district, \
                 p.name AS place, w.name AS window, dp.name AS department, r.case_no, r.reasons, r.comment, \
                 r.evaluator_phone IS NOT NULL AS evaluator_phone, r.evaluator_id_no IS NOT NULL AS evaluator_id_no, \
                 COALESCE(c.applicant_phone IS NOT NULL OR c.applicant_id_no IS NOT NULL, FALSE) AS applicant_known, \
                 COALESCE(r.evaluator_type, c.applicant_type) AS evaluator_type, \
                 uo.status AS upstream_status, uo.sent_at AS upstream_sent_at \
                 {} LEFT JOIN departments dp ON dp.id = COALESCE(w.department_id, si.department_id) \
                 LEFT JOIN tickets t ON t.rating_id = r.id \
                 LEFT JOIN upstream_outbox uo ON uo.ref_id = r.id AND uo.kind = 'rating' AND uo.destination = 'province' \
                 WHERE r.rated_at >= $1 AND r.rated_at < $2 ORDER BY r.rated_at, r.id",
                not_valid(Reach::Scan),
                rating_units()
            );
            let result: Result<(), StoreError> = with_pool!(&store, pool => {
                let mut rows = sqlx::query_as::<_, ExportRow>(&sql).bind(from_ms).bind(to_ms).fetch(pool);
                let mut batch = Vec::with_capacity(EXPORT_BATCH);
                loop {
                    match rows.try_next().await {
                        Ok(Some(r)) => {
                            batch.push(r);
                            if batch.len() == EXPORT_BATCH && tx.send(Ok(std::mem::take(&mut batch))).await.is_err() {
                                return;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            let _ = tx.send(Err(e.into())).await;
                            return;
                        }
                    }
                }
                if !batch.is_empty() {
                    let _ = tx.send(Ok(batch)).await;
                }
                Ok(())
            });
            let _ = result;
        });
        rx
    }
}

impl Store {
    /// A device's id by its code.
    pub async fn device_id_by_code(&self, code: &str) -> Result<Option<uuid::Uuid>, StoreError> {
        let id: Option<String> = with_pool!(self, pool => sqlx::query_scalar("SELECT id FROM devices WHERE code = $1")
            .bind(code).fetch_optional(pool).await?);
        Ok(id.and_then(|s| uuid::Uuid::parse_str(&s).ok()))
    }
}

impl Store {
    /// Sets a named value in `app_secrets` (bench markers).
    pub async fn set_secret(&self, name: &str, value: &str) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
                .bind(name).bind(value).execute(pool).await?;
            Ok(())
        })
    }
}

impl Store {
    /// A staff member's own phone and ID number (for 自评).
    pub async fn set_staff_identity(
        &self,
        id: i64,
        phone: Option<&str>,
        id_no: Option<&str>,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query("UPDATE staff SET phone = $1, id_no = $2 WHERE id = $3")
            .bind(phone).bind(id_no).bind(id).execute(pool).await?.rows_affected() == 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_count_column_has_its_sum_and_its_fact() {
        // The migrations' column order.
        assert_eq!(
            count_columns(),
            "cases, rated_cases, ratings, valid, active, on_site_active, good, bad, valid_bad, on_site_good"
        );
        assert_eq!(sums(1).matches("SUM(").count(), N_COUNTS);
        assert!(sums(-1).contains("SUM(ok * act * site * is_good) * -1"));
    }

    #[test]
    fn spans_keep_each_keys_first_and_last_time_in_the_order_first_seen() {
        let s = spans([("b", 5), ("a", 3), ("b", 1), ("a", 9), ("b", 4)]);
        assert_eq!(s, [("b", 1, 5), ("a", 3, 9)]);
        assert!(spans(Vec::<(i64, i64)>::new()).is_empty());
    }

    #[test]
    fn evaluator_numbers_are_each_once_with_id_numbers_upper_case() {
        let r = |phone: Option<&str>, id_no: Option<&str>| BatchRating {
            id: "r".into(),
            device_id: "d".into(),
            device_kind: DeviceKind::Web,
            evaluator_phone: phone.map(Into::into),
            evaluator_id_no: id_no.map(Into::into),
            rated_at: 0,
            place_id: 1,
            window_id: 0,
            department_id: 0,
            client_hash: None,
        };
        let batch = [
            r(Some("13800000000"), Some("37030319900101123x")),
            r(Some("13800000000"), None),
            r(None, Some("37030319900101123X")),
            r(None, None),
        ];
        assert_eq!(
            evaluator_numbers(&batch),
            ["13800000000", "37030319900101123X"]
        );
    }

    #[test]
    fn a_fact_counts_in_rust_what_its_sql_sums() {
        let fact = Fact {
            day: 20_000,
            hour: 9,
            department_id: 1,
            district_id: 2,
            place_kind: "hall".into(),
            place_id: 3,
            window_id: 4,
            staff_id: 5,
            service_item_id: 6,
            is_case: 0,
            rated: 0,
            is_rating: 1,
            ok: 1,
            act: 1,
            site: 1,
            is_good: 1,
            is_bad: 0,
            n: 1,
        };
        let c = fact.counts();
        assert_eq!(c.get("ratings"), Some(1));
        assert_eq!(c.get("on_site_good"), Some(1));
        assert_eq!(c.get("valid_bad"), Some(0));
        let rows = aggregate(&[fact.clone(), fact], Rollup::Day, -1);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].1.get("good"), Some(-2));
        let counts = RollupCounts([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).counts();
        assert_eq!(
            (counts.cases, counts.countable_bad, counts.on_site_good),
            (1, 9, 10)
        );
        assert_eq!(RollupCounts([-1; N_COUNTS]).counts(), Counts::default());
    }
}
