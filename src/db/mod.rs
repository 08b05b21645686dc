//! The database: one connection type over SQLite and PostgreSQL, the pool, the migrations and
//! one repository per aggregate. No business rules live here.

pub mod applications;
pub mod audit;
pub mod award_imports;
pub mod awards;
pub mod budget;
pub mod codes;
pub mod corrections;
pub mod deadlines;
pub mod demo;
pub mod evidence;
pub mod jobs;
pub mod logins;
pub mod organisations;
pub mod programs;
pub mod recipients;
pub mod schema;
pub mod send_attempts;
pub mod sent_emails;
pub mod sessions;
pub mod users;
pub mod workflow;

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::{Config, DatabaseUrl};
use crate::error::{AppError, AppResult};

/// One connection to whichever backend the configuration names. Queries written once against
/// `schema` run on both; the few that differ go through [`on_backend!`](crate::on_backend).
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Runs the same block on the concrete connection of either backend, for the queries that
/// `MultiConnection` cannot express (e.g. `FOR UPDATE SKIP LOCKED`, `ON CONFLICT`).
#[macro_export]
macro_rules! on_backend {
    ($connection:expr, $conn:ident => $body:expr) => {
        match $connection {
            $crate::db::DbConnection::Sqlite($conn) => $body,
            $crate::db::DbConnection::Postgres($conn) => $body,
        }
    };
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Opens connections itself rather than through diesel's derived `establish`, which tries
/// every backend in turn and hides why the right one failed.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        establish(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, connection: &mut DbConnection) -> Result<(), r2d2::Error> {
        connection
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _connection: &mut DbConnection) -> bool {
        false
    }
}

/// Runs `work` in one write transaction and commits it, or rolls it back when `work` fails.
/// Every use case writes through here. On SQLite the transaction is `BEGIN IMMEDIATE`: it
/// takes the write lock first, so concurrent writers queue on `busy_timeout` instead of one
/// of them failing with "database is locked" when it upgrades a read lock. Inside another
/// transaction it becomes a savepoint.
pub fn write<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if in_transaction(conn) {
        return conn.transaction(work);
    }
    match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(pg) => AnsiTransactionManager::begin_transaction(pg)?,
    }
    match work(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            // The work's own error is the one to report; a failed rollback leaves the
            // connection marked broken, and the pool discards it.
            if let Err(rollback) =
                <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)
            {
                tracing::error!(%rollback, "rollback failed");
            }
            Err(error)
        }
    }
}

/// Whether the connection is inside a transaction (audit events may only be written there).
pub fn in_transaction(conn: &mut DbConnection) -> bool {
    use diesel::connection::TransactionManager;
    matches!(
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth(),
        Ok(Some(_))
    )
}

/// One connection, set up the way the service needs it.
pub fn establish(url: &DatabaseUrl) -> Result<DbConnection, diesel::ConnectionError> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut connection = SqliteConnection::establish(&path.to_string_lossy())?;
            // Per connection: enforce foreign keys, wait for a writer instead of failing, and
            // let readers work while one writes.
            connection
                .batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConnection::Sqlite(connection))
        }
        DatabaseUrl::Postgres(url) => {
            PgConnection::establish(url.expose()).map(DbConnection::Postgres)
        }
    }
}

/// Opens the pool, refusing a database that cannot be reached (or, for SQLite, a directory
/// that cannot be written) before anything is created.
pub fn connect(url: &DatabaseUrl, max_size: u32) -> AppResult<Pool> {
    connect_with_timeout(url, max_size, Duration::from_secs(10))
}

/// As [`connect`], waiting at most `timeout` for a connection (at start-up and at each checkout).
pub fn connect_with_timeout(
    url: &DatabaseUrl,
    max_size: u32,
    timeout: Duration,
) -> AppResult<Pool> {
    if let DatabaseUrl::Sqlite(path) = url {
        check_sqlite_directory(path)?;
    }
    // One direct attempt first: an unreachable database fails at once with its own message,
    // instead of the pool retrying (and logging) until its timeout.
    establish(url).map_err(|error| {
        AppError::unavailable(format!(
            "データベース {url} に接続できません: {}",
            first_line(&error.to_string())
        ))
    })?;
    r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(timeout)
        .build(ConnectionManager::new(url.clone()))
        .map_err(|error| {
            AppError::unavailable(format!(
                "データベース {url} に接続できません: {}",
                first_line(&error.to_string())
            ))
        })
}

/// Opens the pool of the configured database; from here on this process signs the audit
/// checkpoint with the configured key.
pub fn connect_with(config: &Config) -> AppResult<Pool> {
    audit::use_signing_key(config.audit_key())?;
    connect(&config.database_url, config.db_pool_size)
}

fn check_sqlite_directory(path: &Path) -> AppResult<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    Config::ensure_writable_dir(directory, "database_url")
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}

/// The migration that adds the audit checkpoint (a chain older than it is adopted).
const AUDIT_CHECKPOINT_MIGRATION: &str = "20261202000001";

/// Applies every pending migration; returns the names of those applied.
pub fn run_migrations(connection: &mut DbConnection) -> AppResult<Vec<String>> {
    let applied = on_backend!(connection, conn => {
        let migrations = migrations_for(conn);
        conn.run_pending_migrations(migrations)
            .map(|versions| versions.iter().map(ToString::to_string).collect::<Vec<_>>())
    });
    let applied = applied
        .map_err(|error| AppError::internal(format!("マイグレーションに失敗しました: {error}")))?;
    if applied
        .iter()
        .any(|version| version == AUDIT_CHECKPOINT_MIGRATION)
    {
        audit::adopt_chain(connection)?;
    }
    Ok(applied)
}

/// Reverts every applied migration (used by the round-trip test and `migrate --revert-all`).
pub fn revert_all_migrations(connection: &mut DbConnection) -> AppResult<Vec<String>> {
    let reverted = on_backend!(connection, conn => {
        let migrations = migrations_for(conn);
        conn.revert_all_migrations(migrations)
            .map(|versions| versions.iter().map(ToString::to_string).collect::<Vec<_>>())
    });
    reverted.map_err(|error| {
        AppError::internal(format!("マイグレーションの取り消しに失敗しました: {error}"))
    })
}

/// Reverts the most recent migration only.
pub fn revert_last_migration(connection: &mut DbConnection) -> AppResult<String> {
    let reverted = on_backend!(connection, conn => {
        let migrations = migrations_for(conn);
        conn.revert_last_migration(migrations).map(|version| version.to_string())
    });
    reverted.map_err(|error| {
        AppError::internal(format!("マイグレーションの取り消しに失敗しました: {error}"))
    })
}

/// Applies exactly one pending migration, if any.
pub fn run_next_migration(connection: &mut DbConnection) -> AppResult<Option<String>> {
    let applied = on_backend!(connection, conn => {
        let migrations = migrations_for(conn);
        match conn.pending_migrations(migrations) {
            Ok(pending) => match pending.first() {
                Some(next) => conn.run_migration(next.as_ref()).map(|version| Some(version.to_string())),
                None => Ok(None),
            },
            Err(error) => Err(error),
        }
    });
    applied.map_err(|error| AppError::internal(format!("マイグレーションに失敗しました: {error}")))
}

/// Which embedded set belongs to a concrete connection type.
trait MigrationSet {
    fn migrations() -> EmbeddedMigrations;
}

impl MigrationSet for SqliteConnection {
    fn migrations() -> EmbeddedMigrations {
        SQLITE_MIGRATIONS
    }
}

impl MigrationSet for PgConnection {
    fn migrations() -> EmbeddedMigrations {
        POSTGRES_MIGRATIONS
    }
}

fn migrations_for<C: MigrationSet>(_connection: &C) -> EmbeddedMigrations {
    C::migrations()
}

/// The backend's name as configuration spells it.
pub fn backend_name(connection: &DbConnection) -> &'static str {
    match connection {
        DbConnection::Sqlite(_) => "sqlite",
        DbConnection::Postgres(_) => "postgres",
    }
}

/// Answers when the database answers (for `/healthz`).
pub fn ping(pool: &Pool) -> AppResult<&'static str> {
    let mut connection = pool.get()?;
    connection
        .batch_execute("SELECT 1")
        .map_err(|error| AppError::unavailable("データベースが応答しません").with_cause(error))?;
    Ok(backend_name(&connection))
}

/// The current time as stored (UTC, microseconds: both backends keep exactly this much).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}
