//! Server integration tests: one binary, every test against a real server
//! on a free port, each on SQLite and on PostgreSQL with a fresh database.

mod audit;
mod channels;
mod cluster;
mod hardening;
mod helpers;
mod hotline;
mod load;
mod openapi;
mod org;
mod partitions;
mod rectify;
mod reports;
mod seeds;
mod staff;
mod sync;
mod terminal;
mod upstream;

/// Declares each listed `async fn name(app: TestApp)` as two tests,
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::helpers::within_limit(stringify!($name), async {
                        let app = $crate::helpers::spawn_app($crate::helpers::Db::Sqlite, stringify!($name)).await.unwrap();
                        super::$name(app).await;
                    }).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::helpers::within_limit(stringify!($name), async {
                        if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Db::Postgres, stringify!($name)).await {
                            super::$name(app).await;
                        }
                    }).await;
                }
            )*
        }
    };
}

/// As `on_both_databases!`, for tests that need settings changed by
/// `$tweak` (a `fn(&mut Settings)` given by its full path): the tests are
/// `$module::sqlite::name` and `$module::postgres::name`.
#[macro_export]
macro_rules! on_both_databases_with {
    ($module:ident, $tweak:path; $($name:ident),* $(,)?) => {
        mod $module {
            mod sqlite {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        $crate::helpers::within_limit(stringify!($name), async {
                            let app = $crate::helpers::spawn_app_with($crate::helpers::Db::Sqlite, stringify!($name), $tweak).await.unwrap();
                            super::super::$name(app).await;
                        }).await;
                    }
                )*
            }
            mod postgres {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        $crate::helpers::within_limit(stringify!($name), async {
                            if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Db::Postgres, stringify!($name), $tweak).await {
                                super::super::$name(app).await;
                            }
                        }).await;
                    }
                )*
            }
        }
    };
}

/// Declares each listed `async fn name(app: TestApp)` as one test on
/// PostgreSQL alone, `$module::name` (several servers on one database:
/// SQLite serves one server).
#[macro_export]
macro_rules! on_postgres_only {
    ($module:ident; $($name:ident),* $(,)?) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::helpers::within_limit(stringify!($name), async {
                        if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Db::Postgres, stringify!($name)).await {
                            super::$name(app).await;
                        }
                    }).await;
                }
            )*
        }
    };
}
