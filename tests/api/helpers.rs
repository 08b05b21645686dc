//! Throwaway databases (DESIGN.md habit 4) and the macro that runs a test on both backends.
//!
//! PostgreSQL is the server at `HOJOKIN_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test gets a new database there, dropped
//! afterwards. When that URL is not given, `scripts/test` sets it (to the server at
//! 127.0.0.1:5432 when it lets postgres in, else to a throwaway cluster it starts for the run),
//! and it always exports `HOJOKIN_TEST_REQUIRE_POSTGRES=1`, so there a PostgreSQL half that
//! cannot connect fails: no test passes without running on PostgreSQL. Only a bare
//! `cargo test` without that variable lets an unreachable PostgreSQL half print "DID NOT RUN"
//! and pass.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use hojokin::config::{DatabaseUrl, Secret};
use hojokin::db::{self, Pool};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub pool: Pool,
    _dir: Option<tempfile::TempDir>,
    drop_postgres: Option<(String, String)>, // (admin url, database name)
}

pub fn postgres_admin_url() -> String {
    std::env::var("HOJOKIN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn postgres_required() -> bool {
    std::env::var("HOJOKIN_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// Says on the process's real stderr that a PostgreSQL half did not run. Not `eprintln!`:
/// the test harness captures that and shows it only for a failing test, and this test passes.
fn did_not_run(admin_url: &str, error: &diesel::ConnectionError) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n!!! PostgreSQL at {admin_url} is not reachable ({error}): the PostgreSQL half of \
         {} DID NOT RUN !!!\n",
        // libtest names a test's thread after the test (unless it runs on the main thread).
        std::thread::current()
            .name()
            .filter(|name| *name != "main")
            .unwrap_or("this test")
    );
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    )
}

impl TestDb {
    /// A fresh, empty database (no migrations run). When PostgreSQL cannot be reached this
    /// panics if `HOJOKIN_TEST_REQUIRE_POSTGRES=1` (always, under `scripts/test`), and
    /// otherwise prints that the PostgreSQL half DID NOT RUN and returns `None`.
    pub fn empty(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = DatabaseUrl::Sqlite(dir.path().join("test.db"));
                let pool = db::connect(&url, 4).expect("sqlite pool");
                Some(TestDb {
                    url,
                    pool,
                    _dir: Some(dir),
                    drop_postgres: None,
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let mut admin = match PgConnection::establish(&admin_url) {
                    Ok(connection) => connection,
                    Err(error) if !postgres_required() => {
                        did_not_run(&admin_url, &error);
                        return None;
                    }
                    Err(error) => panic!(
                        "PostgreSQL is required (HOJOKIN_TEST_REQUIRE_POSTGRES=1) but {admin_url} \
                         is not reachable: {error}"
                    ),
                };
                let name = unique_name("hojokin_test");
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let (base, _) = admin_url
                    .rsplit_once('/')
                    .expect("admin url has a database");
                let url = DatabaseUrl::Postgres(Secret::new(format!("{base}/{name}")));
                let pool = db::connect(&url, 4).expect("postgres pool");
                Some(TestDb {
                    url,
                    pool,
                    _dir: None,
                    drop_postgres: Some((admin_url, name)),
                })
            }
        }
    }

    /// A fresh database with every migration applied.
    pub fn migrated(backend: Backend) -> Option<TestDb> {
        let test_db = TestDb::empty(backend)?;
        db::run_migrations(&mut test_db.conn()).expect("migrations");
        Some(test_db)
    }

    pub fn conn(&self) -> db::PooledConnection {
        self.pool.get().expect("connection from pool")
    }

    /// The URL as a string for a child process.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url.expose().to_owned(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.drop_postgres.take() {
            // The pool holds connections to the database; FORCE ends them.
            if let Ok(mut admin) = PgConnection::establish(&admin_url) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// Runs `$body` (a function of a migrated `&TestDb`) as two tests, `sqlite` and `postgres`.
/// The body's function is `with_database`, a name no test calls, so that the body can call the
/// functions of its own module (`run`, `seed` …) by their names.
#[macro_export]
macro_rules! on_both_backends {
    ($(#[$meta:meta])* $name:ident, |$db:ident| $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn with_database($db: &$crate::helpers::TestDb) $body

            #[::core::prelude::v1::test]
            fn sqlite() {
                let db = $crate::helpers::TestDb::migrated($crate::helpers::Backend::Sqlite)
                    .expect("sqlite is always available");
                with_database(&db);
            }

            #[::core::prelude::v1::test]
            fn postgres() {
                if let Some(db) = $crate::helpers::TestDb::migrated($crate::helpers::Backend::Postgres) {
                    with_database(&db);
                }
            }
        }
    };
}

/// Runs an async block on an actix system (for in-process HTTP tests).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    actix_web::rt::System::new().block_on(future)
}

/// The web state for a test database, with the shipped programme definitions.
pub fn state_for(pool: Pool, url: &DatabaseUrl) -> hojokin::web::AppState {
    hojokin::web::AppState {
        pool,
        backend: url.backend_name(),
        programs: std::sync::Arc::new(hojokin::program::embedded().expect("programs")),
        pdf_font_path: None,
        security: hojokin::web::auth::Security::from_config(
            &hojokin::config::Config::defaults().expect("defaults"),
        )
        .expect("security"),
        clock: hojokin::clock::Clock::System,
    }
}

/// Where a redirect to the login page leads back to: `Some(path)` for
/// `/login?next=<path, percent-encoded>`, `None` for `/login` alone; panics on anything else.
pub fn login_then(location: &str) -> Option<String> {
    if location == "/login" {
        return None;
    }
    let query = location
        .strip_prefix("/login?")
        .unwrap_or_else(|| panic!("a redirect to the login page, not {location}"));
    let mut fields =
        actix_web::web::Query::<std::collections::BTreeMap<String, String>>::from_query(query)
            .unwrap_or_else(|error| panic!("{location}: {error}"))
            .into_inner();
    let next = fields.remove("next");
    assert!(fields.is_empty(), "only next in {location}");
    Some(next.unwrap_or_else(|| panic!("next in {location}")))
}
