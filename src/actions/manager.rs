//! The program manager's use cases beyond the workflow: retrying a dead letter, planning and
//! queueing an uploaded award list, and answering the name-review queue. Each checks the
//! caller's role, asks `domain` where there is a rule, and leaves the writing to `db`; the
//! JSON API and the pages both call these.

use crate::db::awards::{self, ReviewChoice};
use crate::db::{DbConnection, award_imports, jobs};
use crate::domain::access::Role;
use crate::domain::program::ProgramSet;
use crate::domain::reconcile::{self, AliasTable};
use crate::domain::workflow::Actor;
use crate::error::{AppError, AppResult};
use crate::program::award_list::{ListEncoding, decode_award_list, parse_award_list};

fn manager_only(actor: &Actor) -> AppResult<()> {
    if actor.role == Role::ProgramManager {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// Queues a dead mail job again with fresh attempts (program managers). 409 when the job is
/// not on the dead-letter list.
pub fn retry_dead_letter(conn: &mut DbConnection, actor: &Actor, job_id: i64) -> AppResult<()> {
    manager_only(actor)?;
    if jobs::revive(conn, job_id)? {
        Ok(())
    } else {
        Err(AppError::conflict("このジョブは送信不能の一覧にありません"))
    }
}

/// The alias table the importer uses: the one shipped in `forms/aliases.toml`.
pub fn shipped_aliases() -> AppResult<AliasTable> {
    crate::program::aliases::shipped_alias_table()
        .map_err(|error| AppError::internal("別名表を読めません").with_cause(error))
}

/// Reads an uploaded award list (its bytes read as `encoding` says) and records its dry-run
/// plan against the database as it is (nothing of the ledger is written); the plan keeps the
/// list as UTF-8 text. `Ok(Err(message))`: the file is malformed or not in the encoding, and
/// the message says where, in Japanese.
pub fn plan_award_upload(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    encoding: ListEncoding,
) -> AppResult<Result<i64, String>> {
    manager_only(actor)?;
    let text = match decode_award_list(bytes, encoding) {
        Ok(text) => text,
        Err(error) => return Ok(Err(error.explain_ja())),
    };
    let rows = match parse_award_list(&text, &|year, label| programs.frame_code(year, label)) {
        Ok(rows) if rows.is_empty() => {
            return Ok(Err(
                "採択の行がありません（見出し行だけのファイルです）".to_owned()
            ));
        }
        Ok(rows) => rows,
        Err(error) => return Ok(Err(error.explain_ja())),
    };
    let aliases = shipped_aliases()?;
    let (plan, _) = awards::plan_import(conn, &rows, &aliases)?;
    let id = award_imports::insert_planned(
        conn,
        &award_imports::NewImport {
            file_name,
            csv_text: &text,
            row_count: rows.len(),
            report: &plan.report,
            steps_total: awards::plan_steps(&plan),
            created_by: actor.user_id,
        },
    )?;
    Ok(Ok(id))
}

/// Hands a planned upload to the job queue. 409 when it was queued already.
pub fn queue_award_import(conn: &mut DbConnection, actor: &Actor, import_id: i64) -> AppResult<()> {
    manager_only(actor)?;
    if award_imports::find(conn, import_id)?.is_none() {
        return Err(AppError::not_found("取込が見つかりません"));
    }
    if award_imports::queue(conn, import_id)? {
        Ok(())
    } else {
        Err(AppError::conflict("この取込は既に実行の列に入っています"))
    }
}

/// A person's answer to a review item: "the same as organisation X" must name one of the
/// item's candidates or another registered organisation the alias table does not keep apart;
/// nothing is ever merged without this answer.
pub fn resolve_name_review(
    conn: &mut DbConnection,
    actor: &Actor,
    review_id: i64,
    choice: ReviewChoice,
) -> AppResult<awards::Resolved> {
    manager_only(actor)?;
    let aliases = shipped_aliases()?;
    crate::db::write(conn, |conn| {
        let Some(awards::OpenReview { listed_as, .. }) = awards::open_review(conn, review_id)?
        else {
            return Err(AppError::conflict("この名称は既に確認済みです"));
        };
        if let ReviewChoice::Same(organisation_id) = choice {
            let names = awards::names_of(conn, organisation_id)?;
            if names.is_empty() {
                return Err(AppError::not_found("選んだ団体が見つかりません"));
            }
            reconcile::check_resolution(&aliases, &listed_as, &names)
                .map_err(AppError::conflict)?;
        }
        awards::resolve_review(conn, review_id, choice, actor.user_id)
    })
}
