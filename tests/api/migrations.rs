//! Every `down.sql` reverses its `up.sql`, and `schema.rs` names only columns that exist.

use diesel::prelude::*;
use diesel::sql_types::Text;
use hojokin::db::{self, DbConnection, schema};
use hojokin::on_backend;

use crate::helpers::{Backend, TestDb};

#[derive(QueryableByName, Debug)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// A textual picture of the schema: tables, columns with types and nullability, indexes and
/// constraints. Diesel's own bookkeeping table is left out.
fn schema_snapshot(conn: &mut DbConnection) -> Vec<String> {
    let query = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') AS line FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '__diesel%' ORDER BY type, name"
        }
        DbConnection::Postgres(_) => {
            "SELECT line FROM ( \
               SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' \
                 || is_nullable || ' ' || COALESCE(column_default, '') AS line \
               FROM information_schema.columns WHERE table_schema = 'public' \
               UNION ALL SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes \
                 WHERE schemaname = 'public' \
               UNION ALL SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) \
                 FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
               UNION ALL SELECT 'sequence ' || sequence_name FROM information_schema.sequences \
                 WHERE sequence_schema = 'public' \
             ) AS parts WHERE line NOT LIKE '%__diesel%' ORDER BY line"
        }
    };
    let lines: Vec<Line> =
        on_backend!(conn, c => diesel::sql_query(query).load(c)).expect("snapshot");
    lines.into_iter().map(|l| l.line).collect()
}

fn round_trip(backend: Backend) {
    let Some(test_db) = TestDb::empty(backend) else {
        return;
    };
    let mut conn = test_db.conn();
    let empty = schema_snapshot(&mut conn);
    assert!(empty.is_empty(), "a new database has no tables: {empty:?}");

    // Step by step: each migration's down.sql brings back exactly the schema before it.
    let mut steps = 0;
    loop {
        let before = schema_snapshot(&mut conn);
        let Some(version) = db::run_next_migration(&mut conn).expect("up") else {
            break;
        };
        let after = schema_snapshot(&mut conn);
        assert_ne!(before, after, "{version} changes the schema");
        db::revert_last_migration(&mut conn).expect("down");
        assert_eq!(
            schema_snapshot(&mut conn),
            before,
            "{version}: down.sql reverses up.sql"
        );
        db::run_next_migration(&mut conn).expect("up again");
        assert_eq!(
            schema_snapshot(&mut conn),
            after,
            "{version}: up.sql is repeatable"
        );
        steps += 1;
    }
    assert!(steps >= 1, "at least the initial migration ran");

    // All the way down and up again.
    let full = schema_snapshot(&mut conn);
    let reverted = db::revert_all_migrations(&mut conn).expect("revert all");
    assert_eq!(reverted.len(), steps);
    assert!(schema_snapshot(&mut conn).is_empty());
    assert_eq!(db::run_migrations(&mut conn).expect("up").len(), steps);
    assert_eq!(schema_snapshot(&mut conn), full);
    assert!(
        db::run_migrations(&mut conn)
            .expect("nothing pending")
            .is_empty()
    );
}

#[test]
fn down_reverses_up_on_sqlite() {
    round_trip(Backend::Sqlite);
}

#[test]
fn down_reverses_up_on_postgres() {
    round_trip(Backend::Postgres);
}

/// Selects every column `schema.rs` declares from every table: a column missing from a
/// migration fails here on that backend.
macro_rules! select_all_columns {
    ($conn:expr, $($table:ident),* $(,)?) => {
        $(
            schema::$table::table
                .select(schema::$table::all_columns)
                .limit(0)
                .execute($conn)
                .unwrap_or_else(|e| panic!("{}: {e}", stringify!($table)));
        )*
    };
}

crate::on_both_backends!(schema_rs_matches_the_migrations, |test_db| {
    let mut conn = test_db.conn();
    select_all_columns!(
        &mut *conn,
        municipalities,
        organisations,
        organisation_aliases,
        users,
        memberships,
        name_reviews,
        program_years,
        applications,
        application_members,
        partners,
        legal_bases,
        activities,
        budget_lines,
        awards,
        award_members,
        deadlines,
        reports,
        change_requests,
        continuation_surveys,
        audit_events,
        audit_checkpoint,
        jobs,
        sent_emails,
        password_reset_tokens,
        sessions,
        login_failures,
        evidence_files,
        award_imports,
    );
});

crate::on_both_backends!(the_rules_in_force_are_recorded, |test_db| {
    let mut conn = test_db.conn();
    let programs = hojokin::program::embedded().expect("programs");
    db::programs::record_program_years(&mut conn, &programs).expect("record");
    db::programs::record_program_years(&mut conn, &programs)
        .expect("again: an update, not a duplicate");
    let recorded = db::programs::recorded_program_years(&mut conn).expect("read");
    let years: Vec<i32> = recorded.iter().map(|(year, _)| *year).collect();
    assert_eq!(years, vec![2022, 2023, 2024, 2025, 2026]);
    assert!(
        recorded
            .iter()
            .all(|(year, version)| version.starts_with(&year.to_string()))
    );
});

crate::on_both_backends!(
    a_chain_recorded_before_checkpoints_is_adopted_at_the_upgrade,
    |test_db| {
        use hojokin::db::audit::{self, NewAuditEvent};
        use hojokin::domain::audit::AuditAction;
        let mut conn = test_db.conn();
        for _ in 0..3 {
            db::write(&mut conn, |c| {
                audit::append(c, &NewAuditEvent::of(AuditAction::AddUser))
            })
            .expect("append");
        }
        // Back to the schema before checkpoints: their table goes, the events stay.
        while db::revert_last_migration(&mut conn).expect("revert") != "20261202000001" {}
        db::run_migrations(&mut conn).expect("upgrade");
        let head = audit::verify(&mut conn)
            .expect("verify")
            .expect("the chain as it stood is adopted");
        assert_eq!(head.count, 3);
        assert_eq!(audit::recorded_head(&mut conn).expect("head"), head);
    }
);
