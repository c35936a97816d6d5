//! Ratings by month on PostgreSQL (issue 15, migration 0025): each rating
//! is kept in the partition of the month its id names, a retried rating is
//! still stored once, what reads ratings reads every month, and 一次一评's
//! one first rating per case holds without a unique index on ratings.

use domain::calendar::Date;
use domain::rating::new_rating_id;
use serde_json::{json, Value};
use server::state::now_ms;
use server::store::{CountedTable, Store};

use crate::helpers::{statuses, TestApp};

crate::on_both_databases!(
    each_rating_is_kept_in_the_month_its_id_names_and_read_with_every_other,
    a_case_keeps_one_first_rating_per_stage_whatever_month_its_ratings_are_in,
);

crate::on_postgres_only!(
    postgres_only;
    two_servers_making_the_same_months_at_once_make_each_once,
    a_month_is_not_made_while_ratings_are_busy_and_is_made_at_the_next_call,
);

fn partition_of(d: Date) -> String {
    format!("ratings_{}_{:02}", d.year, d.month)
}

fn month_start(d: Date) -> i64 {
    Date::new(d.year, d.month, 1).start_ms()
}

/// The partition each stored rating is in, by id.
async fn partitions(pool: &sqlx::PgPool, ids: &[String]) -> Vec<String> {
    let mut out = vec![];
    for id in ids {
        out.push(
            sqlx::query_scalar("SELECT tableoid::regclass::text FROM ratings WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap(),
        );
    }
    out
}

async fn each_rating_is_kept_in_the_month_its_id_names_and_read_with_every_other(app: TestApp) {
    let now = now_ms();
    let today = Date::of_instant(now);
    let this_month = month_start(today);
    let previous = Date::of_instant(this_month - 1);
    let off = Date::new(2019, 3, 15);
    // A month made ahead of its ratings (on SQLite nothing is made).
    let made = app
        .store
        .make_rating_months(this_month - 1, this_month - 1)
        .await
        .unwrap();
    // Ids made at this month's first millisecond, the previous month's
    // last, now, and by a clock years off; all rated now.
    let times = [this_month, this_month - 1, now, off.start_ms() + 3_600_000];
    let items: Vec<Value> = times
        .iter()
        .enumerate()
        .map(|(k, at)| {
            let mut r = app.rating(k as u64 + 1, "satisfied");
            r["id"] = json!(new_rating_id(*at as u64, &[k as u8 + 1; 10]));
            r
        })
        .collect();
    let ids: Vec<String> = items
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let before = app.count(CountedTable::Ratings).await;
    let exported = crate::cluster::exported_rows(&app.address).await;
    let body = app.batch(items);
    let first: Value = app.post_sync(&body).await.json().await.unwrap();
    assert_eq!(statuses(&first), vec!["accepted"; 4], "{first}");
    // The same batch again, as a device that lost the answer sends it.
    let again: Value = app.post_sync(&body).await.json().await.unwrap();
    assert_eq!(statuses(&again), vec!["duplicate"; 4], "{again}");
    assert_eq!(app.count(CountedTable::Ratings).await, before + 4);
    // The export of today reads all four, from three partitions.
    assert_eq!(
        crate::cluster::exported_rows(&app.address).await,
        exported + 4
    );

    let Store::Postgres(pool) = &app.store else {
        assert_eq!(made, 0);
        return;
    };
    assert_eq!(made, 1, "the previous month is made");
    assert_eq!(
        partitions(pool, &ids).await,
        [
            partition_of(today),
            partition_of(previous),
            partition_of(today),
            "ratings_other".into()
        ]
    );
    // A month whose ids reached the default partition first is not made
    // (PostgreSQL could not move them); the month after it is.
    assert_eq!(
        app.store
            .make_rating_months(off.start_ms(), off.start_ms())
            .await
            .unwrap(),
        0
    );
    let next = Date::new(2019, 4, 15).start_ms();
    assert_eq!(app.store.make_rating_months(next, next).await.unwrap(), 1);
    assert_eq!(partitions(pool, &ids[3..]).await, ["ratings_other"]);
    // The jobs keep the coming months made: a tick three months on makes
    // the months after the migration's.
    let later = now + 100 * 86_400_000;
    let report = server::jobs::run(&app.state, later).await.unwrap();
    assert!(report.rating_months >= 1, "{report:?}");
    let far: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
        .bind(partition_of(Date::of_instant(later + 92 * 86_400_000)))
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(far.is_some(), "the month 92 days after the tick is made");
}

/// The rating `id` copied under `new_id` as a rating of kind `kind`.
fn copy_as(id: &str, new_id: &str, kind: &str) -> String {
    let exprs: Vec<String> = crate::load::RATING_COLUMNS
        .iter()
        .map(|c| match *c {
            "id" => format!("'{new_id}'"),
            "kind" => format!("'{kind}'"),
            c => c.to_string(),
        })
        .collect();
    format!(
        "INSERT INTO ratings ({}) SELECT {} FROM ratings WHERE id = '{id}'",
        crate::load::RATING_COLUMNS.join(", "),
        exprs.join(", ")
    )
}

/// A second first rating of a case's stage is refused by the database
/// itself (a unique violation, under the constraint name it always had),
/// also when the two ratings' ids are of different months; a follow-up is
/// not.
async fn a_case_keeps_one_first_rating_per_stage_whatever_month_its_ratings_are_in(app: TestApp) {
    crate::channels::push_case(
        &app,
        json!({ "case_no": "PM-1", "place_code": "HALL-DC", "window_code": "W03", "status": "finished" }),
    )
    .await;
    let mut k = app.rating(1, "satisfied");
    k["case_no"] = json!("PM-1");
    let r: Value = app
        .post_sync(&app.batch(vec![k.clone()]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["results"][0]["kind"], "first", "{r}");
    let id = k["id"].as_str().unwrap();
    let before = app.count(CountedTable::Ratings).await;
    // Copies under ids of a month long ago (2017-07).
    let long_ago = |n: u8| new_rating_id(1_500_000_000_000, &[n; 10]).to_string();
    let e = app
        .try_exec(&copy_as(id, &long_ago(1), "first"))
        .await
        .expect_err("a second first rating");
    let db = e.as_database_error().expect("the database refuses");
    assert!(db.is_unique_violation(), "{e}");
    if let Store::Postgres(_) = &app.store {
        assert_eq!(db.constraint(), Some("ratings_one_first_per_case_stage"));
    }
    assert_eq!(app.count(CountedTable::Ratings).await, before);
    app.try_exec(&copy_as(id, &long_ago(2), "follow_up"))
        .await
        .expect("a follow-up of the case");
    assert_eq!(app.count(CountedTable::Ratings).await, before + 1);
}

async fn two_servers_making_the_same_months_at_once_make_each_once(app: TestApp) {
    let (_, other) = app.second_instance().await;
    // Both servers' pools connected first, so that the calls overlap.
    for store in [&app.store, &other.store] {
        store.make_rating_months(0, 0).await.unwrap();
    }
    let from = now_ms() + 400 * 86_400_000;
    let to = from + 1_000 * 86_400_000;
    let (a, b) = tokio::join!(
        app.store.make_rating_months(from, to),
        other.store.make_rating_months(from, to)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut months = std::collections::BTreeSet::new();
    let mut d = Date::of_instant(from);
    while month_start(d) <= to {
        months.insert(partition_of(d));
        d = Date::of_instant(month_start(d) + 40 * 86_400_000);
    }
    // Each month made by one of them (they take turns, a year a call):
    // without the lock they time each other out and make fewer.
    assert_eq!(
        a + b,
        months.len(),
        "made by the first server: {a}, the second: {b}"
    );
    let Store::Postgres(pool) = &app.store else {
        unreachable!()
    };
    for m in &months {
        let there: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
            .bind(m)
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(there.as_deref(), Some(m.as_str()));
    }
}

/// Making a month locks `ratings` whole for a moment. While a long
/// statement reads ratings (an export, say), the call gives up on that
/// month within about a second instead of queueing every sync behind it,
/// fails nothing, and the next call makes it.
async fn a_month_is_not_made_while_ratings_are_busy_and_is_made_at_the_next_call(app: TestApp) {
    let Store::Postgres(pool) = &app.store else {
        unreachable!()
    };
    let at = now_ms() + 500 * 86_400_000;
    let mut reading = pool.begin().await.unwrap();
    sqlx::query("SELECT count(*) FROM ratings")
        .execute(&mut *reading)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(app.store.make_rating_months(at, at).await.unwrap(), 0);
    let waited = started.elapsed();
    assert!(waited < std::time::Duration::from_secs(10), "{waited:?}");
    reading.commit().await.unwrap();
    assert_eq!(app.store.make_rating_months(at, at).await.unwrap(), 1);
}
