//! Award lists a program manager uploads (`award_imports`): the file as uploaded, the counts of
//! its dry-run plan, and what the `award_import` job wrote when it applied the plan. The plan
//! itself is the reconciler's (`domain::reconcile`) and is made again when the job runs, against
//! the database as it is then; `db::awards::apply_plan` writes it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::awards::ImportSummary;
use super::schema::award_imports;
use super::{DbConnection, jobs, now};
use crate::domain::jobs::ImportState;
use crate::domain::reconcile::ReconcileReport;
use crate::error::{AppError, AppResult};
use crate::on_backend;

/// One upload as the pages show it (the CSV text is left out).
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = award_imports)]
pub struct ImportRow {
    pub id: i64,
    pub file_name: String,
    pub status: ImportState,
    pub row_count: i32,
    pub matched: i32,
    pub created: i32,
    pub queued: i32,
    pub new_organisations: i32,
    pub new_award_members: i32,
    pub steps_total: i32,
    pub organisations_created: Option<i32>,
    pub names_added: Option<i32>,
    pub awards_created: Option<i32>,
    pub members_created: Option<i32>,
    pub reviews_queued: Option<i32>,
    pub job_id: Option<i64>,
    pub error: Option<String>,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
}

fn count(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// What an upload's dry run found.
pub struct NewImport<'a> {
    pub file_name: &'a str,
    pub csv_text: &'a str,
    pub row_count: usize,
    pub report: &'a ReconcileReport,
    pub steps_total: u64,
    pub created_by: i64,
}

/// Records an upload and its dry-run plan (status `planned`); returns its id.
pub fn insert_planned(conn: &mut DbConnection, new: &NewImport<'_>) -> AppResult<i64> {
    let values = (
        award_imports::file_name.eq(new.file_name),
        award_imports::csv_text.eq(new.csv_text),
        award_imports::status.eq(ImportState::Planned),
        award_imports::row_count.eq(count(new.row_count)),
        award_imports::matched.eq(count(new.report.matched)),
        award_imports::created.eq(count(new.report.created)),
        award_imports::queued.eq(count(new.report.queued)),
        award_imports::new_organisations.eq(count(new.report.new_organisations)),
        award_imports::new_award_members.eq(count(new.report.new_award_members)),
        award_imports::steps_total.eq(i32::try_from(new.steps_total).unwrap_or(i32::MAX)),
        award_imports::created_by.eq(Some(new.created_by)),
        award_imports::created_at.eq(now()),
    );
    Ok(
        on_backend!(conn, c => diesel::insert_into(award_imports::table)
            .values(values)
            .returning(award_imports::id)
            .get_result::<i64>(c))?,
    )
}

pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<ImportRow>> {
    Ok(award_imports::table
        .find(id)
        .select(ImportRow::as_select())
        .first(conn)
        .optional()?)
}

/// The file name and text of an upload (for the job).
pub fn source_of(conn: &mut DbConnection, id: i64) -> AppResult<Option<(String, String)>> {
    Ok(award_imports::table
        .find(id)
        .select((award_imports::file_name, award_imports::csv_text))
        .first(conn)
        .optional()?)
}

/// The latest uploads, newest first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> AppResult<Vec<ImportRow>> {
    Ok(award_imports::table
        .order(award_imports::id.desc())
        .limit(limit)
        .select(ImportRow::as_select())
        .load(conn)?)
}

/// The job kind and payload that apply an upload.
pub fn job_key(id: i64) -> String {
    format!("{}:{id}", jobs::JobKind::AwardImport.as_str())
}

/// Queues a planned upload to be applied by the job queue, in one transaction: the job and
/// the status move together. False when it was not `planned` (already queued or done), so a
/// second click queues nothing.
pub fn queue(conn: &mut DbConnection, id: i64) -> AppResult<bool> {
    super::write(conn, |conn| {
        let updated = diesel::update(
            award_imports::table
                .filter(award_imports::id.eq(id))
                .filter(award_imports::status.eq(ImportState::Planned)),
        )
        .set(award_imports::status.eq(ImportState::Queued))
        .execute(conn)?;
        if updated == 0 {
            return Ok(false);
        }
        let key = job_key(id);
        jobs::enqueue(
            conn,
            jobs::JobKind::AwardImport,
            Some(&key),
            &serde_json::json!({ "import_id": id }),
            now(),
        )?;
        let job_id = jobs::id_of(conn, &key)?
            .ok_or_else(|| AppError::internal("取込ジョブを登録できません"))?;
        diesel::update(award_imports::table.find(id))
            .set(award_imports::job_id.eq(Some(job_id)))
            .execute(conn)?;
        Ok(true)
    })
}

/// The job has started on the upload (committed at once, so the pages can say so).
pub fn mark_running(conn: &mut DbConnection, id: i64, steps_total: u64) -> AppResult<()> {
    diesel::update(award_imports::table.find(id))
        .set((
            award_imports::status.eq(ImportState::Running),
            award_imports::steps_total.eq(i32::try_from(steps_total).unwrap_or(i32::MAX)),
            award_imports::started_at.eq(Some(now())),
            award_imports::error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records how the apply ended: what it wrote (inside the apply's transaction), or why it
/// failed for good (nothing of it was written).
pub fn mark_finished(
    conn: &mut DbConnection,
    id: i64,
    outcome: Result<&ImportSummary, &str>,
) -> AppResult<()> {
    let written = |written: fn(&ImportSummary) -> usize| outcome.ok().map(|s| count(written(s)));
    diesel::update(award_imports::table.find(id))
        .set((
            award_imports::status.eq(match outcome {
                Ok(_) => ImportState::Done,
                Err(_) => ImportState::Failed,
            }),
            award_imports::organisations_created.eq(written(|s| s.organisations_created)),
            award_imports::names_added.eq(written(|s| s.names_added)),
            award_imports::awards_created.eq(written(|s| s.awards_created)),
            award_imports::members_created.eq(written(|s| s.members_created)),
            award_imports::reviews_queued.eq(written(|s| s.reviews_queued)),
            award_imports::error.eq(outcome.err()),
            award_imports::finished_at.eq(Some(now())),
        ))
        .execute(conn)?;
    Ok(())
}
