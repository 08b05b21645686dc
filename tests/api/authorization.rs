//! Who may do what, route by route: the matrix below names, for every route the product
//! serves (the JSON API, the pages, the calendar feed, the static files) and every kind of
//! caller, the exact status that caller gets. A route the router serves that the matrix does
//! not list, or a documented operation it does not list, fails
//! `the_matrix_lists_every_route_the_router_serves`.
//!
//! The expected table is written out here, not derived from the code under test:
//! applicants act on their own organisation's applications (the lead's and every
//! co-applicant's); finance officers see and review the applications of their municipality;
//! program managers see everything and decide, but never write an applicant's content; anyone
//! else is refused. An application that exists but is not the caller's is 403 on every route
//! (the same refusal as a forbidden action on one's own), one that does not exist is 404 for
//! everyone. Every refusal the matrix expects (400 or more) leaves the database as it was.

use std::cell::RefCell;
use std::rc::Rc;

use actix_web::dev::Service;
use actix_web::test::{TestRequest, call_service, init_service, read_body};
use diesel::prelude::*;
use hojokin::db::{self, DbConnection, schema};
use hojokin::domain::access::Role;
use serde_json::{Value, json};

use crate::fixtures::{PASSWORD, draft, line_id, organisation, user, world};
use crate::helpers::{Backend, TestDb, block_on, state_for};

/// Who is asking, in the order of the matrix's columns.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    /// A member of the lead organisation of the applications under test.
    OwnApplicant,
    /// A member of an organisation with no part in them.
    OtherApplicant,
    /// A member of their co-applicant (連名) organisation.
    CoApplicant,
    /// The finance officer of their municipality (塩尻市).
    OwnOfficer,
    /// The finance officer of another municipality (松本市).
    OtherOfficer,
    Manager,
}

const CALLERS: [Who; 7] = [
    Who::Anonymous,
    Who::OwnApplicant,
    Who::OtherApplicant,
    Who::CoApplicant,
    Who::OwnOfficer,
    Who::OtherOfficer,
    Who::Manager,
];

fn email(who: Who) -> &'static str {
    match who {
        // No account: logins with it fail like a wrong password.
        Who::Anonymous => "nobody@nowhere.example",
        Who::OwnApplicant => "applicant@own.example",
        Who::OtherApplicant => "applicant@other.example",
        Who::CoApplicant => "applicant@co.example",
        Who::OwnOfficer => "officer@shiojiri.example",
        Who::OtherOfficer => "officer@matsumoto.example",
        Who::Manager => "manager@meti.example",
    }
}

/// What a row's request carries.
#[derive(Clone, Copy, Debug)]
enum Body {
    Empty,
    /// `{"version": 999}`: an allowed caller passes authorization and stops at the version
    /// check (409), so that the action moves nothing and every caller meets the same state.
    StaleAction,
    /// The draft's content again, with its current version.
    Draft,
    /// A new draft led by the own organisation.
    NewDraft,
    /// Approve the submitted application's line at its current version.
    ApproveLine,
    /// Approve, at version 999.
    StaleApproveLine,
    Preferences,
    /// `forms/examples/misogigawa_r8_right_hand.json`.
    Evaluation,
    /// The caller's own email and password.
    Login,
    /// A page's form: these fields and the caller's CSRF token (placeholders filled).
    Form(&'static [(&'static str, &'static str)]),
    /// The editor's evidence form with a small PDF.
    Evidence,
    /// The manager's award-list upload with the shipped list.
    AwardList,
}

/// One line of the matrix.
struct Row {
    method: &'static str,
    /// The route as the router (and the OpenAPI document) names it, regular expressions left
    /// out.
    route: &'static str,
    /// The request: placeholders in braces are filled by `Fixture::fill`.
    uri: &'static str,
    body: Body,
    /// Anonymous, own applicant, other applicant, co-applicant, own officer, other officer,
    /// manager.
    expect: [u16; 7],
    why: &'static str,
}

macro_rules! matrix {
    ($($method:ident $route:literal $uri:literal $body:expr =>
        $a:literal $o:literal $x:literal $c:literal $f:literal $xf:literal $m:literal, $why:literal;)*) => {
        &[$(Row {
            method: stringify!($method),
            route: $route,
            uri: $uri,
            body: $body,
            expect: [$a, $o, $x, $c, $f, $xf, $m],
            why: $why,
        }),*]
    };
}

use Body::*;

/// Placeholders: `{draft}` an application 作成中 led by the own organisation with the
/// co-applicant, in 塩尻市, with an evidence file `{file}` and a line `{draft_line}`;
/// `{submitted}` the same made 申請済, with a line `{submitted_line}`; `{others}` a draft of
/// the other applicant's organisation in 松本市; `{fresh_file}`,
/// `{fresh_dead_job}`, `{fresh_import}` made anew before each call; `{import}` a planned award
/// import; `{calendar}` the caller's own calendar token (anonymous: a token nobody has).
///
/// On the pages, 303 for anonymous is the redirect to the login page (the pages' 401), and
/// for others the redirect after a POST that was done. A page POST carries the caller's own
/// CSRF token, anonymous callers' too, so that what refuses them is who they are.
#[rustfmt::skip]
const MATRIX: &[Row] = matrix! {
//  method  route                                               request                                                body               anon own other co  off xoff mgr
    // Public: probes, the evaluation contract, the API's documentation and static files.
    GET    "/healthz"                                            "/healthz"                                             Empty          => 200 200 200 200 200 200 200, "a probe for the load balancer";
    GET    "/readyz"                                             "/readyz"                                              Empty          => 200 200 200 200 200 200 200, "a probe for the load balancer";
    POST   "/api/v1/evaluate"                                    "/api/v1/evaluate"                                     Evaluation     => 200 200 200 200 200 200 200, "the engine on a request, no stored data";
    GET    "/api/v1/openapi.json"                                "/api/v1/openapi.json"                                 Empty          => 200 200 200 200 200 200 200, "the API's description";
    GET    "/api/docs/{_}"                                       "/api/docs/"                                           Empty          => 200 200 200 200 200 200 200, "Swagger UI";
    GET    "/static/app.css"                                     "/static/app.css"                                      Empty          => 200 200 200 200 200 200 200, "asset";
    GET    "/static/editor.js"                                   "/static/editor.js"                                    Empty          => 200 200 200 200 200 200 200, "asset";
    GET    "/static/import-progress.js"                          "/static/import-progress.js"                           Empty          => 200 200 200 200 200 200 200, "asset";

    // The API's session.
    POST   "/api/v1/session"                                     "/api/v1/session"                                      Login          => 401 200 200 200 200 200 200, "one's own email and password; anonymous has no account";
    DELETE "/api/v1/session"                                     "/api/v1/session"                                      Empty          => 204 204 204 204 204 204 204, "logging out is always done";
    GET    "/api/v1/me"                                          "/api/v1/me"                                           Empty          => 401 200 200 200 200 200 200, "oneself";

    // Applications in the API.
    GET    "/api/v1/applications"                                "/api/v1/applications"                                 Empty          => 401 200 200 200 200 200 200, "each sees their own list (checked below)";
    POST   "/api/v1/applications"                                "/api/v1/applications"                                 NewDraft       => 401 201 403 403 403 403 403, "a draft only for one's own organisation; the co-applicant is not the lead";
    GET    "/api/v1/applications/{id}"                           "/api/v1/applications/{draft}"                         Empty          => 401 200 403 200 403 403 403, "members, the municipality's officer, the manager; a draft is its members' alone";
    GET    "/api/v1/applications/{id}"                           "/api/v1/applications/{submitted}"                      Empty          => 401 200 403 200 200 403 200, "members, the municipality's officer, the manager, from submission on";
    GET    "/api/v1/applications/{id}"                           "/api/v1/applications/999999"                          Empty          => 401 404 404 404 404 404 404, "no such application, for everyone alike";
    PUT    "/api/v1/applications/{id}"                           "/api/v1/applications/{draft}"                         Draft          => 401 200 403 200 403 403 403, "members write the draft; officers and the manager read only";
    POST   "/api/v1/applications/{id}/budget-lines/{line_id}/review" "/api/v1/applications/{submitted}/budget-lines/{submitted_line}/review" ApproveLine => 401 403 403 403 200 403 403, "the municipality's officer reviews a submitted application";
    POST   "/api/v1/applications/{id}/budget-lines/{line_id}/review" "/api/v1/applications/{draft}/budget-lines/{draft_line}/review" StaleApproveLine => 401 403 403 403 403 403 403, "a draft is its members' alone: no line of it is reviewed";
    POST   "/api/v1/applications/{id}/budget-lines/{line_id}/review" "/api/v1/applications/{submitted}/budget-lines/{draft_line}/review" ApproveLine => 401 403 403 403 404 403 403, "another application's line through this one's URL: not there";
    GET    "/api/v1/applications/{id}/audit"                     "/api/v1/applications/{draft}/audit"                   Empty          => 401 403 403 403 403 403 403, "the audit trail is the manager's; a draft is its members' alone";
    GET    "/api/v1/applications/{id}/audit"                     "/api/v1/applications/{submitted}/audit"                Empty          => 401 403 403 403 403 403 200, "the audit trail is the manager's, from submission on";
    GET    "/api/v1/kpis/continuation"                           "/api/v1/kpis/continuation"                            Empty          => 401 403 403 403 403 403 200, "the programme's KPI is the manager's";
    GET    "/api/v1/applications/{id}/filings"                   "/api/v1/applications/{draft}/filings"                 Empty          => 401 200 403 200 403 403 403, "whoever may see the application; a draft is its members' alone";
    GET    "/api/v1/applications/{id}/filings"                   "/api/v1/applications/{submitted}/filings"              Empty          => 401 200 403 200 200 403 200, "whoever may see the application, from submission on";
    GET    "/api/v1/applications/{id}/filings/{kind}.pdf"        "/api/v1/applications/{draft}/filings/budget.pdf"      Empty          => 401 200 403 200 403 403 403, "whoever may see the application; a draft is its members' alone";
    GET    "/api/v1/applications/{id}/filings/{kind}.pdf"        "/api/v1/applications/{submitted}/filings/budget.pdf"   Empty          => 401 200 403 200 200 403 200, "whoever may see the application, from submission on";
    GET    "/api/v1/applications/{id}/filings/{kind}.pdf"        "/api/v1/applications/{draft}/filings/nothing.pdf"     Empty          => 401 404 404 404 404 404 404, "no such filing, before anything is read";
    GET    "/api/v1/applications/{id}/sent-emails"               "/api/v1/applications/{draft}/sent-emails"             Empty          => 401 200 403 200 403 403 403, "whoever may see the application; a draft is its members' alone";
    GET    "/api/v1/applications/{id}/sent-emails"               "/api/v1/applications/{submitted}/sent-emails"          Empty          => 401 200 403 200 200 403 200, "whoever may see the application, from submission on";
    GET    "/api/v1/applications/{id}/history"                   "/api/v1/applications/{draft}/history"             Empty          => 401 200 403 200 403 403 403, "who did what, when and why: a draft is its members' alone";
    GET    "/api/v1/applications/{id}/history"                   "/api/v1/applications/{submitted}/history"             Empty          => 401 200 403 200 200 403 200, "who did what, when and why: whoever may see the application";
    GET    "/api/v1/applications/{id}/changes"                   "/api/v1/applications/{draft}/changes"                 Empty          => 401 200 403 200 403 403 403, "the 計画変更 and the plan's subsidy: a draft is its members' alone";
    GET    "/api/v1/applications/{id}/changes"                   "/api/v1/applications/{submitted}/changes"              Empty          => 401 200 403 200 200 403 200, "the 計画変更 and the plan's subsidy: whoever may see the application";
    GET    "/api/v1/applications/{id}/interim-report"            "/api/v1/applications/{draft}/interim-report"          Empty          => 401 200 403 200 403 403 403, "the pending interim report: a draft is its members' alone";
    GET    "/api/v1/applications/{id}/interim-report"            "/api/v1/applications/{submitted}/interim-report"      Empty          => 401 200 403 200 200 403 200, "the pending interim report and its attachments: whoever may see the application";

    // Workflow actions (409: the stale version stops an allowed caller after authorization).
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{draft}/actions/submit"                      StaleAction => 401 409 403 409 403 403 403, "members";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{draft}/actions/request_grant"               StaleAction => 401 409 403 409 403 403 403, "members";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{draft}/actions/start_project"               StaleAction => 401 409 403 409 403 403 403, "members";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{draft}/actions/submit_interim_report"       StaleAction => 401 409 403 409 403 403 403, "members";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{draft}/actions/request_change"              StaleAction => 401 409 403 409 403 403 403, "members";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{draft}/actions/submit_completion_report"    StaleAction => 401 409 403 409 403 403 403, "members";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{draft}/actions/answer_continuation_survey"  StaleAction => 401 409 403 409 403 403 403, "members";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{draft}/actions/withdraw"                    StaleAction => 401 409 403 409 403 403 403, "members";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/start_review"             StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/return_for_correction"    StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/select"                   StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/reject"                   StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/decide_grant"             StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/accept_interim_report"    StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/return_interim_report"    StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/approve_change"           StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/deny_change"              StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/confirm_amount"           StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/pay"                      StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/open_continuation_survey" StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/close"                    StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/cancel"                   StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{submitted}/actions/revoke"                   StaleAction => 401 403 403 403 403 403 409, "the manager";
    POST   "/api/v1/applications/{id}/actions/{action}"          "/api/v1/applications/{draft}/actions/no_such_action"              StaleAction => 401 404 404 404 404 404 404, "no such action, before the application is read";

    // Mail, jobs and one's own notifications in the API.
    GET    "/api/v1/jobs/dead"                                   "/api/v1/jobs/dead"                                    Empty          => 401 403 403 403 403 403 200, "failed mail (with addresses) is the manager's";
    POST   "/api/v1/jobs/{id}/retry"                             "/api/v1/jobs/{fresh_dead_job}/retry"                  Empty          => 401 403 403 403 403 403 200, "the manager";
    GET    "/api/v1/me/notifications"                            "/api/v1/me/notifications"                             Empty          => 401 200 200 200 200 200 200, "one's own settings";
    PUT    "/api/v1/me/notifications"                            "/api/v1/me/notifications"                             Preferences    => 401 200 200 200 200 200 200, "one's own settings";
    GET    "/calendar/{token}.ics"                               "/calendar/{calendar}.ics"                             Empty          => 404 200 200 200 200 200 200, "the token is the key; a token nobody has is 404";

    // Pages without a login.
    GET    "/"                                                   "/"                                                    Empty          => 303 303 303 303 303 303 303, "to the login page or one's home";
    GET    "/login"                                              "/login"                                               Empty          => 200 303 303 303 303 303 303, "logged in: to one's home";
    POST   "/login"                                              "/login"                                               Form(&[("email", "{email}"), ("password", "{password}")]) => 401 303 303 303 303 303 303, "one's own email and password";
    POST   "/logout"                                             "/logout"                                              Form(&[])      => 303 303 303 303 303 303 303, "to the login page";
    GET    "/password-reset"                                     "/password-reset"                                      Empty          => 200 200 200 200 200 200 200, "anyone may ask";
    POST   "/password-reset"                                     "/password-reset"                                      Form(&[("email", "{email}")]) => 200 200 200 200 200 200 200, "the same answer whether the address is known";
    GET    "/password-reset/{token}"                             "/password-reset/0123456789abcdef"                     Empty          => 410 410 410 410 410 410 410, "a link nobody was sent";
    POST   "/password-reset/{token}"                             "/password-reset/0123456789abcdef"                     Form(&[("password", "a new long password"), ("password_again", "a new long password")]) => 410 410 410 410 410 410 410, "a link nobody was sent";

    // The applicant's pages.
    GET    "/applicant"                                          "/applicant"                                           Empty          => 303 200 200 200 403 403 403, "applicants";
    GET    "/applications/new"                                   "/applications/new"                                    Empty          => 303 200 200 200 403 403 403, "applicants";
    POST   "/applications"                                       "/applications"                                        Form(&[("fiscal_year", "2026"), ("frame", "right_hand"), ("title", "新しい申請"), ("lead_organisation_id", "{own_org}")]) => 303 303 403 403 403 403 403, "a draft only for one's own organisation";
    GET    "/applications/{id}"                                  "/applications/{draft}"                                Empty          => 303 200 403 200 403 403 403, "whoever may see the application; a draft is its members' alone";
    GET    "/applications/{id}"                                  "/applications/{submitted}"                             Empty          => 303 200 403 200 200 403 200, "whoever may see the application, from submission on";
    GET    "/applications/{id}"                                  "/applications/999999"                                 Empty          => 303 404 404 404 404 404 404, "no such application, for everyone alike";
    POST   "/applications/{id}/act"                              "/applications/{draft}/act"                            Form(&[("action", "submit"), ("version", "999")]) => 303 303 403 303 403 403 403, "members; stale, so back to the page with a notice";
    GET    "/applications/{id}/edit"                             "/applications/{draft}/edit"                           Empty          => 303 200 403 200 403 403 403, "members edit; officers and the manager read only";
    POST   "/applications/{id}/edit"                             "/applications/{draft}/edit"                           Form(&[("title", "上書き"), ("version", "999")]) => 303 422 403 422 403 403 403, "members; 422: the form lacks the draft's fields, shown again and nothing saved";
    POST   "/applications/{id}/preview"                          "/applications/{draft}/preview"                        Form(&[("title", "試算")]) => 303 200 403 200 403 403 403, "the live decision: whoever may see the application; a draft is its members' alone";
    POST   "/applications/{id}/preview"                          "/applications/{submitted}/preview"                     Form(&[("title", "試算")]) => 303 200 403 200 200 403 200, "the live decision: whoever may see the application, from submission on";
    POST   "/applications/{id}/evidence"                         "/applications/{draft}/evidence"                       Evidence       => 303 303 403 303 403 403 403, "members, while the draft is editable";
    GET    "/applications/{id}/evidence/{file_id}"               "/applications/{draft}/evidence/{file}"                Empty          => 303 200 403 200 403 403 403, "whoever may see the application; a draft is its members' alone";
    GET    "/applications/{id}/evidence/{file_id}"               "/applications/{others}/evidence/{file}"               Empty          => 303 403 404 403 403 403 403, "the draft's file through another application's URL: not there";
    POST   "/applications/{id}/evidence/{file_id}/delete"        "/applications/{draft}/evidence/{fresh_file}/delete"   Form(&[])      => 303 303 403 303 403 403 403, "members, while the draft is editable";
    POST   "/applications/{id}/evidence/{file_id}/delete"        "/applications/{others}/evidence/{file}/delete"        Form(&[])      => 303 403 404 403 403 403 403, "the draft's file through another application's URL: not there";
    GET    "/applications/{id}/{form}"                           "/applications/{draft}/interim-report"                 Empty          => 303 409 403 409 403 403 403, "members; 409: not offered to a draft";
    GET    "/applications/{id}/{form}"                           "/applications/{draft}/completion-report"              Empty          => 303 409 403 409 403 403 403, "members; 409: not offered to a draft";
    GET    "/applications/{id}/{form}"                           "/applications/{draft}/change-request"                 Empty          => 303 409 403 409 403 403 403, "members; 409: not offered to a draft";
    GET    "/applications/{id}/{form}"                           "/applications/{draft}/continuation-survey"            Empty          => 303 409 403 409 403 403 403, "members; 409: not offered to a draft";
    POST   "/applications/{id}/{form}"                           "/applications/{draft}/interim-report"                 Form(&[("version", "999")]) => 303 409 403 409 403 403 403, "members; 409: not offered to a draft";
    POST   "/applications/{id}/{form}"                           "/applications/{draft}/completion-report"              Form(&[("version", "999")]) => 303 409 403 409 403 403 403, "members; 409: not offered to a draft";
    POST   "/applications/{id}/{form}"                           "/applications/{draft}/change-request"                 Form(&[("version", "999")]) => 303 409 403 409 403 403 403, "members; 409: not offered to a draft";
    POST   "/applications/{id}/{form}"                           "/applications/{draft}/continuation-survey"            Form(&[("version", "999")]) => 303 409 403 409 403 403 403, "members; 409: not offered to a draft";
    GET    "/organisations/search"                               "/organisations/search?q=%E5%A1%A9%E5%B0%BB"           Empty          => 303 200 200 200 200 200 200, "anyone signed in: the names the editor lists to all";
    GET    "/settings/notifications"                             "/settings/notifications"                              Empty          => 303 200 200 200 200 200 200, "one's own settings";
    POST   "/settings/notifications"                             "/settings/notifications"                              Form(&[("notify_by_email", "on"), ("reminder_offsets", "-7,+1")]) => 303 303 303 303 303 303 303, "one's own settings";

    // The finance officer's pages.
    GET    "/finance"                                            "/finance"                                             Empty          => 303 403 403 403 200 200 403, "finance officers, each their municipality's";
    GET    "/applications/{id}/review"                           "/applications/{submitted}/review"                  Empty          => 303 403 403 403 200 403 403, "the municipality's officer";
    POST   "/applications/{id}/lines/{line_id}/review"           "/applications/{submitted}/lines/{submitted_line}/review" Form(&[("decision", "approve"), ("version", "{submitted_line_version}")]) => 303 403 403 403 303 403 403, "the municipality's officer";
    POST   "/applications/{id}/lines/approve-remaining"          "/applications/{submitted}/lines/approve-remaining"    Form(&[("line", "{submitted_line}:{submitted_line_version}")]) => 303 403 403 403 303 403 403, "the municipality's officer (a stale version: the notice on the page)";
    GET    "/applications/{id}/budget.csv"                       "/applications/{draft}/budget.csv"                     Empty          => 303 200 403 200 403 403 403, "whoever may see the application; a draft is its members' alone";
    GET    "/applications/{id}/budget.csv"                       "/applications/{submitted}/budget.csv"                  Empty          => 303 200 403 200 200 403 200, "whoever may see the application, from submission on";
    GET    "/applications/{id}/budget.xlsx"                      "/applications/{draft}/budget.xlsx"                    Empty          => 303 200 403 200 403 403 403, "whoever may see the application; a draft is its members' alone";
    GET    "/applications/{id}/budget.xlsx"                      "/applications/{submitted}/budget.xlsx"                 Empty          => 303 200 403 200 200 403 200, "whoever may see the application, from submission on";

    // The program manager's pages.
    GET    "/manager"                                            "/manager"                                             Empty          => 303 403 403 403 403 403 200, "the manager";
    GET    "/manager/pipeline.csv"                               "/manager/pipeline.csv?state=submitted&q=R8"           Empty          => 303 403 403 403 403 403 200, "the manager: the filtered pipeline";
    GET    "/manager/pipeline.xlsx"                              "/manager/pipeline.xlsx?state=submitted&q=R8"          Empty          => 303 403 403 403 403 403 200, "the manager: the filtered pipeline";
    GET    "/manager/award-limits"                               "/manager/award-limits"                                Empty          => 303 403 403 403 403 403 200, "the manager";
    GET    "/manager/kpis"                                       "/manager/kpis"                                        Empty          => 303 403 403 403 403 403 200, "the manager";
    GET    "/manager/programs"                                   "/manager/programs"                                    Empty          => 303 403 403 403 403 403 200, "the manager";
    GET    "/manager/programs/impact"                            "/manager/programs/impact"                             Empty          => 303 403 403 403 403 403 200, "the manager";
    POST   "/manager/programs/impact"                            "/manager/programs/impact"                             Form(&[])      => 303 403 403 403 403 403 422, "the manager; 422: an empty draft has no rates";
    POST   "/manager/programs/impact/download"                   "/manager/programs/impact/download"                    Form(&[])      => 303 403 403 403 403 403 400, "the manager; 400: an empty draft has no rates";
    POST   "/manager/programs/impact/report.xlsx"                "/manager/programs/impact/report.xlsx"                 Form(&[])      => 303 403 403 403 403 403 400, "the manager; 400: an empty draft has no rates";
    GET    "/manager/calendar"                                   "/manager/calendar"                                    Empty          => 303 403 403 403 403 403 200, "the manager";
    GET    "/manager/reminders"                                  "/manager/reminders"                                   Empty          => 303 403 403 403 403 403 200, "the manager: every mail sent";
    GET    "/manager/dead-letters"                               "/manager/dead-letters"                                Empty          => 303 403 403 403 403 403 200, "the manager";
    POST   "/manager/dead-letters/{id}/retry"                    "/manager/dead-letters/{fresh_dead_job}/retry"         Form(&[])      => 303 403 403 403 403 403 303, "the manager";
    GET    "/manager/awards/import"                              "/manager/awards/import"                               Empty          => 303 403 403 403 403 403 200, "the manager";
    POST   "/manager/awards/import"                              "/manager/awards/import"                               AwardList      => 303 403 403 403 403 403 303, "the manager: planned, then its status page";
    GET    "/manager/awards/imports/{id}"                        "/manager/awards/imports/{import}"                     Empty          => 303 403 403 403 403 403 200, "the manager";
    GET    "/manager/awards/imports/{id}/progress.json"          "/manager/awards/imports/{import}/progress.json"       Empty          => 303 403 403 403 403 403 200, "the manager";
    POST   "/manager/awards/imports/{id}/apply"                  "/manager/awards/imports/{fresh_import}/apply"         Form(&[])      => 303 403 403 403 403 403 303, "the manager: queued";
    GET    "/manager/awards/reviews"                             "/manager/awards/reviews"                              Empty          => 303 403 403 403 403 403 200, "the manager";
    POST   "/manager/awards/reviews/{id}/resolve"                "/manager/awards/reviews/999999/resolve"               Form(&[("choice", "new")]) => 303 403 403 403 403 403 404, "the manager; 404: no review has that number";
};

const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// An answer as the matrix reads it.
struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

/// One caller's browser: the session cookie as the server last set it, and its CSRF token.
struct Client {
    who: Who,
    cookie: Option<String>,
    csrf: Option<String>,
}

/// Sends `$request` with the client's cookie and keeps the cookie the server sets.
macro_rules! exchange {
    ($app:expr, $client:expr, $request:expr) => {{
        let mut request: TestRequest = $request;
        if let Some(cookie) = &$client.cookie {
            request = request.insert_header(("cookie", cookie.clone()));
        }
        let response = call_service($app, request.to_request()).await;
        if let Some(cookie) = response
            .response()
            .cookies()
            .find(|c| c.name() == "hojokin_session")
        {
            $client.cookie = Some(format!("{}={}", cookie.name(), cookie.value()));
        }
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = read_body(response).await;
        Answer {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }};
}

/// A fresh session for the client: logged in through the API, or (anonymous) the login page's
/// visitor session with its CSRF token.
macro_rules! start_session {
    ($app:expr, $client:expr) => {{
        $client.cookie = None;
        $client.csrf = None;
        if $client.who == Who::Anonymous {
            let page = exchange!($app, $client, TestRequest::get().uri("/login"));
            assert_eq!(page.status, 200);
            $client.csrf = Some(csrf_of(&page.body));
        } else {
            let answer = exchange!(
                $app,
                $client,
                TestRequest::post()
                    .uri("/api/v1/session")
                    .set_json(json!({"email": email($client.who), "password": PASSWORD}))
            );
            assert_eq!(answer.status, 200, "login of {:?}", $client.who);
        }
    }};
}

/// The client's CSRF token, read from a page of its session when not known yet.
macro_rules! csrf {
    ($app:expr, $client:expr) => {{
        if $client.csrf.is_none() {
            let page = exchange!(
                $app,
                $client,
                TestRequest::get().uri("/settings/notifications")
            );
            assert_eq!(page.status, 200, "{:?} reads a page", $client.who);
            $client.csrf = Some(csrf_of(&page.body));
        }
        $client.csrf.clone().unwrap_or_default()
    }};
}

fn csrf_of(body: &str) -> String {
    body.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("page has a CSRF field")
        .to_owned()
}

/// A `multipart/form-data` POST with the CSRF token first, then one file.
fn upload(uri: &str, token: &str, field: &str, file: (&str, &str), bytes: &[u8]) -> TestRequest {
    let boundary = "----hojokinAuthorizationBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{}\"\r\n\
         Content-Type: {}\r\n\r\n",
        file.0, file.1
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    TestRequest::post()
        .uri(uri)
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .set_payload(body)
}

/// What the placeholders of the matrix stand for.
struct Fixture {
    own_org: i64,
    draft: i64,
    submitted: i64,
    others: i64,
    draft_line: i64,
    submitted_line: i64,
    file: i64,
    import: i64,
}

fn version_of_application(conn: &mut DbConnection, id: i64) -> i32 {
    schema::applications::table
        .find(id)
        .select(schema::applications::version)
        .first(conn)
        .expect("version")
}

fn version_of_line(conn: &mut DbConnection, id: i64) -> i32 {
    schema::budget_lines::table
        .find(id)
        .select(schema::budget_lines::version)
        .first(conn)
        .expect("line version")
}

/// A mail job that failed for good, for a retry to aim at.
fn dead_job(conn: &mut DbConnection) -> i64 {
    use schema::jobs;
    let key = format!("authorization:{}", rand::random::<u64>());
    db::jobs::enqueue(
        conn,
        db::jobs::JobKind::Email,
        Some(&key),
        &json!({"template": "notification", "to": "gone@own.example"}),
        db::now(),
    )
    .expect("job");
    diesel::update(jobs::table.filter(jobs::unique_key.eq(&key)))
        .set((
            jobs::status.eq("dead"),
            jobs::attempts.eq(1),
            jobs::finished_at.eq(Some(db::now())),
        ))
        .execute(conn)
        .expect("dead");
    jobs::table
        .filter(jobs::unique_key.eq(&key))
        .select(jobs::id)
        .first(conn)
        .expect("job id")
}

fn newest_file(conn: &mut DbConnection, application: i64) -> i64 {
    use schema::evidence_files;
    evidence_files::table
        .filter(evidence_files::application_id.eq(application))
        .select(diesel::dsl::max(evidence_files::id))
        .first::<Option<i64>>(conn)
        .expect("files")
        .expect("a file")
}

/// Everything a refused request could have touched.
fn fingerprint(conn: &mut DbConnection, fixture: &Fixture) -> String {
    use schema::{
        applications, audit_events, award_imports, awards, change_requests, continuation_surveys,
        evidence_files, jobs, name_reviews, password_reset_tokens, reports, users,
    };
    let aggregates: Vec<String> = [fixture.draft, fixture.submitted]
        .iter()
        .map(|id| {
            let aggregate = db::applications::load_aggregate(conn, *id).expect("aggregate");
            serde_json::to_string(&aggregate).expect("json")
        })
        .collect();
    let counts: Vec<i64> = vec![
        applications::table.count().get_result(conn).expect("count"),
        audit_events::table.count().get_result(conn).expect("count"),
        awards::table.count().get_result(conn).expect("count"),
        reports::table.count().get_result(conn).expect("count"),
        change_requests::table
            .count()
            .get_result(conn)
            .expect("count"),
        continuation_surveys::table
            .count()
            .get_result(conn)
            .expect("count"),
        evidence_files::table
            .count()
            .get_result(conn)
            .expect("count"),
        name_reviews::table.count().get_result(conn).expect("count"),
        password_reset_tokens::table
            .count()
            .get_result(conn)
            .expect("count"),
    ];
    let jobs: Vec<(i64, String)> = jobs::table
        .select((jobs::id, jobs::status))
        .order(jobs::id)
        .load(conn)
        .expect("jobs");
    let imports: Vec<(i64, String)> = award_imports::table
        .select((award_imports::id, award_imports::status))
        .order(award_imports::id)
        .load(conn)
        .expect("imports");
    let preferences: Vec<(i64, bool, Option<String>, bool)> = users::table
        .select((
            users::id,
            users::notify_by_email,
            users::reminder_offsets,
            users::weekly_digest,
        ))
        .order(users::id)
        .load(conn)
        .expect("users");
    format!("{aggregates:?} {counts:?} {jobs:?} {imports:?} {preferences:?}")
}

/// After these the client's session is another (or none): it starts a new one.
fn ends_session(row: &Row) -> bool {
    matches!(
        (row.method, row.route),
        ("POST", "/api/v1/session")
            | ("DELETE", "/api/v1/session")
            | ("POST", "/login")
            | ("POST", "/logout")
    )
}

crate::on_both_backends!(
    every_route_answers_each_caller_as_the_matrix_says,
    |test_db| {
        let world = world(&mut test_db.conn());
        let co_org = {
            let mut conn = test_db.conn();
            let shiojiri = world.shiojiri;
            let co_org = organisation(&mut conn, "一般社団法人しおじり連名協議会", shiojiri);
            user(
                &mut conn,
                email(Who::CoApplicant),
                Role::Applicant,
                None,
                vec![co_org],
            );
            co_org
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let mut clients: Vec<Client> = Vec::new();
            for who in CALLERS {
                let mut client = Client {
                    who,
                    cookie: None,
                    csrf: None,
                };
                start_session!(&app, client);
                clients.push(client);
            }
            let by = |who: Who| CALLERS.iter().position(|w| *w == who).expect("caller");
            let (own, manager) = (by(Who::OwnApplicant), by(Who::Manager));

            // The two applications, led by the own organisation with the co-applicant.
            let with_co_applicant = || {
                let mut body = draft(world.own_org, world.shiojiri);
                body["co_applicant_ids"] = json!([co_org]);
                body
            };
            let mut ids = Vec::new();
            for _ in 0..2 {
                let answer = exchange!(
                    &app,
                    clients[own],
                    TestRequest::post()
                        .uri("/api/v1/applications")
                        .set_json(with_co_applicant())
                );
                assert_eq!(answer.status, 201, "{}", answer.body);
                let created: Value = serde_json::from_str(&answer.body).expect("json");
                ids.push((
                    created["application"]["id"].as_i64().expect("id"),
                    line_id(&created, "企業訪問旅費"),
                    created["application"]["version"].as_i64().expect("version"),
                ));
            }
            let [
                (draft_id, draft_line, _),
                (submitted, submitted_line, version),
            ] = ids[..]
            else {
                unreachable!("two applications")
            };
            let submit = exchange!(
                &app,
                clients[own],
                TestRequest::post()
                    .uri(&format!("/api/v1/applications/{submitted}/actions/submit"))
                    .set_json(json!({"version": version}))
            );
            assert_eq!(submit.status, 200, "{}", submit.body);
            let others = {
                let mut conn = test_db.conn();
                let other_org: i64 = schema::organisations::table
                    .filter(schema::organisations::name.eq("一般社団法人まつもと人材ラボ"))
                    .select(schema::organisations::id)
                    .first(&mut conn)
                    .expect("other organisation");
                let matsumoto: i64 = schema::municipalities::table
                    .filter(schema::municipalities::local_government_code.eq("202029"))
                    .select(schema::municipalities::id)
                    .first(&mut conn)
                    .expect("松本市");
                let answer = exchange!(
                    &app,
                    clients[by(Who::OtherApplicant)],
                    TestRequest::post()
                        .uri("/api/v1/applications")
                        .set_json(draft(other_org, matsumoto))
                );
                assert_eq!(answer.status, 201, "{}", answer.body);
                let created: Value = serde_json::from_str(&answer.body).expect("json");
                created["application"]["id"].as_i64().expect("id")
            };
            let token = csrf!(&app, clients[own]);
            let uploaded = exchange!(
                &app,
                clients[own],
                upload(
                    &format!("/applications/{draft_id}/evidence"),
                    &token,
                    "evidence_file",
                    ("認定書.pdf", "application/pdf"),
                    PDF,
                )
            );
            assert_eq!(uploaded.status, 303, "{}", uploaded.body);
            let award_list = hojokin::forms::AWARD_LISTS[0].1.as_bytes();
            let token = csrf!(&app, clients[manager]);
            let planned = exchange!(
                &app,
                clients[manager],
                upload(
                    "/manager/awards/import",
                    &token,
                    "file",
                    ("awards.csv", "text/csv"),
                    award_list,
                )
            );
            assert_eq!(planned.status, 303, "{}", planned.body);
            let import_of = |location: Option<String>| -> i64 {
                location
                    .and_then(|l| l.rsplit('/').next().and_then(|id| id.parse().ok()))
                    .expect("the import's page")
            };
            let fixture = Fixture {
                own_org: world.own_org,
                draft: draft_id,
                submitted,
                others,
                draft_line,
                submitted_line,
                file: newest_file(&mut test_db.conn(), draft_id),
                import: import_of(planned.location),
            };

            // Each caller's own calendar token; anonymous: one nobody has.
            let mut calendars = Vec::new();
            for client in clients.iter_mut() {
                if client.who == Who::Anonymous {
                    calendars.push("0".repeat(64));
                    continue;
                }
                let answer = exchange!(
                    &app,
                    client,
                    TestRequest::get().uri("/api/v1/me/notifications")
                );
                let settings: Value = serde_json::from_str(&answer.body).expect("json");
                let url = settings["calendar_url"].as_str().expect("calendar url");
                let token = url.rsplit('/').next().unwrap_or_default();
                calendars.push(token.trim_end_matches(".ics").to_owned());
            }

            let mut failures = Vec::new();
            for row in MATRIX {
                for (column, who) in CALLERS.iter().copied().enumerate() {
                    // Made anew for each call, before the database is fingerprinted.
                    let mut uri = row.uri.to_owned();
                    if uri.contains("{fresh_file}") {
                        let token = csrf!(&app, clients[own]);
                        let fresh = exchange!(
                            &app,
                            clients[own],
                            upload(
                                &format!("/applications/{draft_id}/evidence"),
                                &token,
                                "evidence_file",
                                ("追加.pdf", "application/pdf"),
                                PDF,
                            )
                        );
                        assert_eq!(fresh.status, 303);
                        let file = newest_file(&mut test_db.conn(), draft_id);
                        uri = uri.replace("{fresh_file}", &file.to_string());
                    }
                    if uri.contains("{fresh_dead_job}") {
                        let job = dead_job(&mut test_db.conn());
                        uri = uri.replace("{fresh_dead_job}", &job.to_string());
                    }
                    if uri.contains("{fresh_import}") {
                        let token = csrf!(&app, clients[manager]);
                        let planned = exchange!(
                            &app,
                            clients[manager],
                            upload(
                                "/manager/awards/import",
                                &token,
                                "file",
                                ("awards.csv", "text/csv"),
                                award_list,
                            )
                        );
                        uri =
                            uri.replace("{fresh_import}", &import_of(planned.location).to_string());
                    }
                    let calendar = &calendars[column];
                    let line_version = version_of_line(&mut test_db.conn(), submitted_line);
                    let fill = |text: &str| {
                        text.replace("{draft}", &fixture.draft.to_string())
                            .replace("{submitted}", &fixture.submitted.to_string())
                            .replace("{others}", &fixture.others.to_string())
                            .replace("{draft_line}", &fixture.draft_line.to_string())
                            .replace("{submitted_line}", &fixture.submitted_line.to_string())
                            .replace("{file}", &fixture.file.to_string())
                            .replace("{import}", &fixture.import.to_string())
                            .replace("{own_org}", &fixture.own_org.to_string())
                            .replace("{calendar}", calendar)
                            .replace("{submitted_line_version}", &line_version.to_string())
                            .replace("{email}", email(who))
                            .replace("{password}", PASSWORD)
                    };
                    let uri = fill(&uri);
                    assert!(!uri.contains('{'), "unfilled placeholder in {uri}");
                    let request = match row.method {
                        "GET" => TestRequest::get(),
                        "POST" => TestRequest::post(),
                        "PUT" => TestRequest::put(),
                        "DELETE" => TestRequest::delete(),
                        other => panic!("method {other}"),
                    }
                    .uri(&uri);
                    let request = match row.body {
                        Empty => request,
                        StaleAction => request.set_json(json!({"version": 999})),
                        Draft => {
                            let mut body = with_co_applicant();
                            body["version"] =
                                json!(version_of_application(&mut test_db.conn(), fixture.draft));
                            request.set_json(body)
                        }
                        NewDraft => request.set_json(draft(world.own_org, world.shiojiri)),
                        ApproveLine => request
                            .set_json(json!({"decision": "approve", "version": line_version})),
                        StaleApproveLine => {
                            request.set_json(json!({"decision": "approve", "version": 999}))
                        }
                        Preferences => request.set_json(
                            json!({"notify_by_email": true, "reminder_offsets": "-14,-1"}),
                        ),
                        Evaluation => request.set_payload(include_str!(
                            "../../forms/examples/misogigawa_r8_right_hand.json"
                        )),
                        Login => {
                            request.set_json(json!({"email": email(who), "password": PASSWORD}))
                        }
                        Form(fields) => {
                            let mut filled =
                                vec![("csrf_token".to_owned(), csrf!(&app, clients[column]))];
                            filled.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), fill(v))));
                            request.set_form(filled)
                        }
                        Evidence => upload(
                            &uri,
                            &csrf!(&app, clients[column]),
                            "evidence_file",
                            ("証明書.pdf", "application/pdf"),
                            PDF,
                        ),
                        AwardList => upload(
                            &uri,
                            &csrf!(&app, clients[column]),
                            "file",
                            ("awards.csv", "text/csv"),
                            award_list,
                        ),
                    };
                    let expected = row.expect[column];
                    // Only a refusal is checked for what it changed.
                    let before =
                        (expected >= 400).then(|| fingerprint(&mut test_db.conn(), &fixture));
                    let answer = exchange!(&app, clients[column], request);
                    let mut wrong = Vec::new();
                    if answer.status != expected {
                        wrong.push(format!("got {}", answer.status));
                    }
                    // Anonymous: to the login page, which leads back to a page asked for
                    // (GET) and says so after a logout.
                    if who == Who::Anonymous && answer.status == 303 {
                        let location = answer.location.as_deref().unwrap_or_default();
                        let expected = match (row.method, uri.as_str()) {
                            ("POST", "/logout") => location == "/login?logged_out=1",
                            ("GET", "/") | ("POST", _) => location == "/login",
                            ("GET", asked) => {
                                location.starts_with("/login?")
                                    && crate::helpers::login_then(location).as_deref()
                                        == Some(asked)
                            }
                            _ => false,
                        };
                        if !expected {
                            wrong.push(format!("an anonymous redirect to {location:?}"));
                        }
                    }
                    if let Some(before) = before
                        && fingerprint(&mut test_db.conn(), &fixture) != before
                    {
                        wrong.push("a refusal changed the database".to_owned());
                    }
                    if !wrong.is_empty() {
                        let start: String = answer.body.chars().take(300).collect();
                        failures.push(format!(
                            "{} {uri} as {who:?}: expected {expected} ({}), {}: {start}",
                            row.method,
                            row.why,
                            wrong.join(", ")
                        ));
                    }
                    if ends_session(row) {
                        start_session!(&app, clients[column]);
                    }
                }
            }
            assert!(
                failures.is_empty(),
                "{} of the matrix's answers differ:\n{}",
                failures.len(),
                failures.join("\n")
            );

            // Lists, the dashboard and the calendar show each only what they may see.
            let reference = |id: i64| -> String {
                schema::applications::table
                    .find(id)
                    .select(schema::applications::reference)
                    .first(&mut test_db.conn())
                    .expect("reference")
            };
            let submitted_reference = reference(submitted);
            // (sees the draft, sees the submitted application): a draft is its members' alone.
            for (who, (sees_draft, sees)) in [
                (Who::OwnApplicant, (true, true)),
                (Who::OtherApplicant, (false, false)),
                (Who::CoApplicant, (true, true)),
                (Who::OwnOfficer, (false, true)),
                (Who::OtherOfficer, (false, false)),
                (Who::Manager, (false, true)),
            ] {
                let client = &mut clients[by(who)];
                let answer =
                    exchange!(&app, client, TestRequest::get().uri("/api/v1/applications"));
                let list: Value = serde_json::from_str(&answer.body).expect("json");
                let listed: Vec<i64> = list["applications"]
                    .as_array()
                    .expect("list")
                    .iter()
                    .filter_map(|a| a["id"].as_i64())
                    .collect();
                assert_eq!(
                    (listed.contains(&draft_id), listed.contains(&submitted)),
                    (sees_draft, sees),
                    "{who:?} lists {listed:?}"
                );
                let home = match who {
                    Who::OwnApplicant | Who::OtherApplicant | Who::CoApplicant => "/applicant",
                    Who::OwnOfficer | Who::OtherOfficer => "/finance",
                    _ => "/manager",
                };
                let page = exchange!(&app, client, TestRequest::get().uri(home));
                assert_eq!(page.status, 200);
                assert_eq!(
                    page.body.contains(&submitted_reference),
                    sees,
                    "{who:?}'s {home} and {submitted_reference}"
                );
            }
        });
    }
);

/// The routes the product serves, as actix registered them: the patterns of the application's
/// resource map, one entry per resource (each `#[get]`, `#[post]`… is a resource of its own).
/// actix offers no listing of the map, only its `Debug` form, which is read here; should that
/// form change, no route is found and the test says so rather than passing.
fn served_routes(state: hojokin::web::AppState) -> Vec<String> {
    block_on(async {
        let seen = Rc::new(RefCell::new(String::new()));
        let sink = seen.clone();
        let app = init_service(
            actix_web::App::new()
                .wrap_fn(move |request, service| {
                    *sink.borrow_mut() = format!("{:?}", request.resource_map());
                    service.call(request)
                })
                .configure(hojokin::web::configure(state)),
        )
        .await;
        call_service(&app, TestRequest::get().uri("/healthz").to_request()).await;
        let map = seen.borrow().clone();
        // The root's children follow its `nodes`; its `named` index, printed before, repeats
        // some of them.
        let children = map
            .split_once("nodes: Some([")
            .map(|(_, children)| children)
            .unwrap_or_default();
        assert!(
            !children.contains("Multi("),
            "a resource with several patterns: read it here"
        );
        children
            .split("patterns: Single(\"")
            .skip(1)
            .filter_map(|rest| rest.split_once("\")").map(|(pattern, _)| pattern))
            .map(without_regex)
            .collect()
    })
}

/// `/calendar/{token:[0-9a-f]+}.ics` → `/calendar/{token}.ics`, as the matrix and the OpenAPI
/// document write it.
fn without_regex(pattern: &str) -> String {
    let mut out = String::new();
    let (mut in_name, mut in_regex) = (false, false);
    for c in pattern.chars() {
        match c {
            '{' => in_name = true,
            '}' => (in_name, in_regex) = (false, false),
            ':' if in_name => in_regex = true,
            _ => {}
        }
        if !in_regex {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_matrix_lists_every_route_the_router_serves() {
    let test_db = TestDb::migrated(Backend::Sqlite).expect("sqlite");
    let served = served_routes(state_for(test_db.pool.clone(), &test_db.url));
    assert!(
        served.iter().any(|r| r == "/login") && served.iter().any(|r| r == "/api/v1/me"),
        "the router's routes could not be read: {served:?}"
    );
    let listed: std::collections::BTreeSet<(&str, &str)> =
        MATRIX.iter().map(|row| (row.method, row.route)).collect();

    // Every resource the router serves is one (method, route) of the matrix, and the other way
    // round: as many methods listed for a pattern as the router has resources for it.
    let mut missing = Vec::new();
    let mut patterns: Vec<&String> = served.iter().collect();
    patterns.sort();
    patterns.dedup();
    for pattern in patterns {
        let resources = served.iter().filter(|r| *r == pattern).count();
        let methods: Vec<&str> = listed
            .iter()
            .filter(|(_, route)| route == pattern)
            .map(|(method, _)| *method)
            .collect();
        if methods.len() != resources {
            missing.push(format!(
                "{pattern}: {resources} route(s) served, the matrix lists {methods:?}"
            ));
        }
    }
    for (method, route) in &listed {
        if !served.iter().any(|r| r == route) {
            missing.push(format!("{method} {route}: in the matrix, not served"));
        }
    }
    assert!(
        missing.is_empty(),
        "the matrix and the router differ:\n{}",
        missing.join("\n")
    );

    // Every operation of the OpenAPI document is in the matrix.
    block_on(async {
        let app = crate::test_app!(test_db);
        let (status, document) = crate::call!(&app, "GET", "/api/v1/openapi.json", None, None);
        assert_eq!(status, 200);
        let mut undocumented = Vec::new();
        let paths = document["paths"].as_object().expect("paths");
        assert!(
            paths.len() > 10,
            "the document lists the API: {}",
            paths.len()
        );
        for (path, operations) in paths {
            for method in operations.as_object().expect("operations").keys() {
                let method = method.to_uppercase();
                if !listed.contains(&(method.as_str(), path.as_str())) {
                    undocumented.push(format!("{method} {path}"));
                }
            }
        }
        assert!(
            undocumented.is_empty(),
            "documented operations the matrix does not list: {undocumented:?}"
        );
    });
}
