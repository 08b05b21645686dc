//! The applicant's editor, in sections: applicants, partners, legal basis, activities with
//! their budget lines, beside the engine's decision. Input names are the field paths of the
//! evaluation contract (`activities[0].budget_lines[1].amount_yen`), so that the errors of
//! `DraftInput::into_draft` land next to the field they concern. Drafts save incomplete; only
//! what cannot be read (a word in an amount, a malformed date) stops a save.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post};
use chrono::NaiveDate;
use serde::Serialize;

use super::evidence::EvidenceSection;
use super::view::{
    DecisionPanel, current_decision, decision_panel, refusal_message, refusal_reasons,
};
use super::{
    Db, PageError, PageForm, PageOn, PageResult, Then, csrf_token, html, nav_for, redirect,
    render_fragment, set_flash, set_refusal,
};
use crate::actions::{self, ActionRequest, editable_aggregate};
use crate::contract::{amount_from_typed, date_from_typed};
use crate::db::applications::{self as repo, Aggregate};
use crate::db::{self, organisations};
use crate::domain::calendar::FiscalYear;
use crate::domain::codes::ApplicantRole;
use crate::domain::codes::{
    ActivityCategory, ExpenseCategory, FundingSource, LegalPath, PartnerKind,
};
use crate::domain::program::ProgramSet;
use crate::domain::validation::{ErrorCode, FieldErrors};
use crate::domain::workflow::{self, Action, Actor};
use crate::error::{AppResult, ErrorKind};
use crate::web::applications::{
    ActivityInput, DraftInput, LegalBasisInput, LineInput, PartnerInput, create_application,
    today_in_japan, update_application,
};
use crate::web::auth::Caller;

mod form;
mod view;

use form::*;
pub use view::*;

#[get("/applications/{id}/edit")]
pub async fn edit_page(PageOn(db, session, id, caller): PageOn) -> PageResult {
    stored_editor(&db, &caller, &session, id, None).await
}

/// The editor with a refused upload's message next to the file input (422): the form as
/// stored, since the upload is a form of its own.
pub(super) async fn with_evidence_error(
    db: &Db,
    caller: &Caller,
    session: &Session,
    id: i64,
    message: String,
) -> PageResult {
    stored_editor(db, caller, session, id, Some(message)).await
}

/// The editor for the application as stored.
async fn stored_editor(
    db: &Db,
    caller: &Caller,
    session: &Session,
    id: i64,
    evidence_error: Option<String>,
) -> PageResult {
    let status = if evidence_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let actor = caller.actor.clone();
    let view = db
        .run(move |conn, programs| {
            let aggregate = editable_aggregate(conn, &actor, id)?;
            let choices = Choices::load(
                conn,
                programs,
                aggregate.application.fiscal_year,
                aggregate.application.lead_organisation_id,
            )?;
            let correction = open_correction(conn, &aggregate)?;
            let text = FormText::from_aggregate(&aggregate);
            let mut view = editor_view(
                &aggregate,
                &text,
                &Errors(BTreeMap::new()),
                Vec::new(),
                &choices,
                decision_panel(current_decision(conn, programs, &aggregate)?.as_ref())
                    .for_editing(&aggregate),
                correction,
            );
            view.evidence = EvidenceSection::new(&db::evidence::list(conn, id)?, evidence_error);
            Ok(view)
        })
        .await?;
    editor_page(caller, session, status, view)
}

enum SaveOutcome {
    Saved {
        /// With `intent=submit`: the new state's label, or why the submission was refused.
        submitted: Option<Result<String, Vec<String>>>,
    },
    Invalid(Box<EditorView>),
    /// A save from a page opened before the last save: what was typed, beside what is saved.
    Stale(Box<EditorView>),
}

/// Saves the draft (and, with `intent=submit`, submits it). Errors come back next to their
/// fields with status 422 and nothing saved.
#[post("/applications/{id}/edit")]
pub async fn save(
    Then(form, PageOn(db, session, id, caller)): Then<PageForm, PageOn>,
) -> Result<HttpResponse, PageError> {
    let text = FormText::from_form(&form);
    let version: i32 = form.text("version").parse().unwrap_or(0);
    let submit = form.text("intent") == "submit";
    // The answer to a 差戻し, typed beside the content it explains.
    let reply = form.get("correction_reply").map(|r| r.trim().to_owned());
    let today = db.today();
    let actor = caller.actor.clone();
    let outcome = db
        .run(move |conn, programs| {
            let aggregate = editable_aggregate(conn, &actor, id)?;
            let application = &aggregate.application;
            let (input, parse_errors, map) = text.to_input(
                application.fiscal_year,
                application.lead_organisation_id,
                version,
            );
            let invalid = |conn: &mut crate::db::DbConnection,
                           errors: &FieldErrors,
                           map: Option<&IndexMap>|
             -> AppResult<SaveOutcome> {
                let choices = Choices::load(
                    conn,
                    programs,
                    application.fiscal_year,
                    application.lead_organisation_id,
                )?;
                let (by_name, general) = form_errors(errors, map);
                let correction = open_correction(conn, &aggregate)?.map(|mut open| {
                    if let Some(typed) = &reply {
                        typed.clone_into(&mut open.reply);
                    }
                    open
                });
                let mut view = editor_view(
                    &aggregate,
                    &text,
                    &by_name,
                    general,
                    &choices,
                    DecisionPanel::note(
                        "入力に誤りがあるため保存していません。赤字の項目を直してください。",
                    ),
                    correction,
                );
                view.evidence = EvidenceSection::new(&db::evidence::list(conn, id)?, None);
                Ok(SaveOutcome::Invalid(Box::new(view)))
            };
            if !parse_errors.is_empty() {
                return invalid(conn, &parse_errors, None);
            }
            match update_application(conn, programs, &actor, id, version, input) {
                Ok(()) => {}
                Err(error) if error.kind == ErrorKind::Invalid => {
                    let errors = error.field_errors.clone().unwrap_or_default();
                    return invalid(conn, &errors, Some(&map));
                }
                // Someone saved since this page was opened: nothing is lost. The page comes back
                // with what was typed, beside what is saved now, to be saved again on purpose.
                Err(error) if error.kind == ErrorKind::Conflict => {
                    let saved = FormText::from_aggregate(&aggregate);
                    let outcome = invalid(conn, &FieldErrors::new(), None)?;
                    return Ok(match outcome {
                        SaveOutcome::Invalid(mut view) => {
                            view.stale = Some(view::StaleSave {
                                differences: view::differences(&saved, &text),
                            });
                            view.panel = DecisionPanel::note(
                                "ほかの人の保存と重なったため、保存していません。",
                            );
                            SaveOutcome::Stale(view)
                        }
                        other => other,
                    });
                }
                Err(error) => return Err(error),
            }
            if let Some(reply) = &reply {
                db::corrections::keep_reply(conn, id, reply)?;
            }
            if !submit {
                return Ok(SaveOutcome::Saved { submitted: None });
            }
            let saved_version = repo::load_aggregate(conn, id)?.application.version;
            let request = ActionRequest {
                version: saved_version,
                reason: None,
                payload: match &reply {
                    Some(reply) => serde_json::json!({ "reply": reply }),
                    None => serde_json::Value::Null,
                },
            };
            let result =
                actions::perform(conn, programs, &actor, id, Action::Submit, &request, today);
            Ok(SaveOutcome::Saved {
                submitted: Some(match result {
                    Ok(outcome) => Ok(outcome.state.label_ja().to_owned()),
                    Err(error)
                        if matches!(error.kind, ErrorKind::Invalid | ErrorKind::Conflict) =>
                    {
                        Err(refusal_reasons(&error))
                    }
                    Err(error) => return Err(error),
                }),
            })
        })
        .await?;
    match outcome {
        SaveOutcome::Invalid(view) => {
            editor_page(&caller, &session, StatusCode::UNPROCESSABLE_ENTITY, *view)
        }
        SaveOutcome::Stale(view) => editor_page(&caller, &session, StatusCode::CONFLICT, *view),
        SaveOutcome::Saved { submitted: None } => {
            set_flash(&session, "下書きを保存しました。");
            Ok(redirect(&format!("/applications/{id}/edit")))
        }
        SaveOutcome::Saved {
            submitted: Some(Ok(state)),
        } => {
            set_flash(&session, format!("申請しました。現在の状態: {state}"));
            Ok(redirect(&format!("/applications/{id}")))
        }
        // The draft was saved (a success) and the submission refused (not one): each in its
        // own box.
        SaveOutcome::Saved {
            submitted: Some(Err(reasons)),
        } => {
            set_flash(&session, "下書きを保存しました。");
            set_refusal(
                &session,
                "申請できませんでした。次の点を直してから、もう一度申請してください。",
                reasons,
            );
            Ok(redirect(&format!("/applications/{id}/edit")))
        }
    }
}

#[derive(serde::Deserialize)]
pub struct OrganisationQuery {
    #[serde(default)]
    q: String,
}

/// The editor's search for co-applicants: the ids of the organisations whose name the query
/// finds (`domain::search::finds_organisation`, the pipeline's comparison). Every signed-in
/// user sees these names in the editor's list already; the answer adds nothing to them.
#[get("/organisations/search")]
pub async fn organisation_search(
    db: Db,
    super::PageCaller(_caller): super::PageCaller,
    query: actix_web::web::Query<OrganisationQuery>,
) -> PageResult {
    let search = crate::domain::search::PipelineSearch::of(&query.q);
    let ids: Vec<i64> = db
        .run(move |conn, _| {
            Ok(organisations::list_organisations(conn)?
                .into_iter()
                .filter(|o| {
                    search.as_ref().is_none_or(|search| {
                        crate::domain::search::finds_organisation(search, &o.name, &o.name_key)
                    })
                })
                .map(|o| o.id)
                .collect())
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "ids": ids })))
}

/// The live preview: the engine's decision on the form as typed, nothing saved. Answers the
/// decision panel as an HTML fragment.
#[post("/applications/{id}/preview")]
pub async fn preview(Then(form, PageOn(db, _, id, caller)): Then<PageForm, PageOn>) -> PageResult {
    let text = FormText::from_form(&form);
    let actor = caller.actor;
    let panel = db.run(move |conn, programs| {
        let aggregate = actions::authorized_aggregate(conn, &actor, id, Action::View)?;
        let application = &aggregate.application;
        let (input, parse_errors, _) = text.to_input(
            application.fiscal_year,
            application.lead_organisation_id,
            application.version,
        );
        let unreadable = |count: usize| {
            DecisionPanel::note(format!(
                "入力に誤りがあるため判定できません（{count}件）。保存すると項目ごとに表示します。"
            ))
        };
        if !parse_errors.is_empty() {
            return Ok(unreadable(parse_errors.len()));
        }
        let draft = match input.into_draft(application.reference.clone()) {
            Ok(draft) => draft,
            Err(errors) => return Ok(unreadable(errors.len())),
        };
        let candidate = repo::preview_aggregate(conn, &aggregate, &draft)?;
        Ok(
            match actions::preview(conn, programs, &candidate, today_in_japan()) {
                Ok(decision) => decision_panel(Some(&decision)).for_editing(&candidate),
                Err(error) if error.kind == ErrorKind::Invalid => {
                    DecisionPanel::note(format!("まだ判定できません: {}", refusal_message(&error)))
                }
                Err(error) => return Err(error),
            },
        )
    })
    .await?;
    render_fragment("decision", &panel)
}

/// Creates a draft from the "新しい申請" form and opens the editor.
pub fn create_from_form(
    conn: &mut crate::db::DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    form: &NewApplicationForm,
) -> AppResult<i64> {
    create_application(
        conn,
        programs,
        actor,
        DraftInput {
            fiscal_year: form.fiscal_year,
            frame: form.frame.clone(),
            title: form.title.clone(),
            lead_organisation_id: form.lead_organisation_id,
            co_applicant_ids: Vec::new(),
            municipality_id: form.municipality_id,
            project_start: None,
            project_end: None,
            partners: Vec::new(),
            legal_basis: None,
            activities: Vec::new(),
            version: None,
        },
    )
}

/// The few fields a new draft starts with.
pub struct NewApplicationForm {
    pub fiscal_year: i32,
    pub frame: String,
    pub title: String,
    pub lead_organisation_id: i64,
    pub municipality_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_contract_paths() {
        assert_eq!(
            split_path("activities[3].budget_lines[1].amount_yen"),
            Some(("activities", vec![3, 1], "amount_yen"))
        );
        assert_eq!(
            split_path("partners[0].kind"),
            Some(("partners", vec![0], "kind"))
        );
        assert_eq!(
            split_path("activities[2]"),
            Some(("activities", vec![2], ""))
        );
        assert_eq!(split_path("title"), None);
    }

    #[test]
    fn maps_draft_paths_back_to_form_names() {
        let map = IndexMap {
            partners: vec![1],
            activities: vec![(0, vec![0, 2]), (3, vec![5])],
        };
        assert_eq!(
            map.to_form("activities[0].budget_lines[1].amount_yen"),
            "activities[0].budget_lines[2].amount_yen"
        );
        assert_eq!(
            map.to_form("activities[1].category"),
            "activities[3].category"
        );
        assert_eq!(map.to_form("partners[0].name"), "partners[1].name");
        assert_eq!(map.to_form("frame"), "frame");
    }

    #[test]
    fn reads_amounts_as_people_type_them() {
        let amount = |text| amount_from_typed(text, "金額");
        assert_eq!(amount("1,200,000円"), Ok(1_200_000));
        assert_eq!(amount("１２００"), Ok(1200));
        assert_eq!(amount("６，０００，０００"), Ok(6_000_000));
        // The sign is kept: the rule that takes the amount says what range it allows.
        assert_eq!(amount("－5"), Ok(-5));
        for (text, code) in [
            ("百万円", ErrorCode::InvalidNumber),
            ("", ErrorCode::Required),
            ("99999999999999999999", ErrorCode::AmountTooLarge),
        ] {
            assert_eq!(
                amount(text).map_err(|error| error.code),
                Err(code),
                "{text}"
            );
        }
    }
}
