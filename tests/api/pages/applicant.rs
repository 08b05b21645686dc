//! The applicant's evidence and report pages, in process and on both backends: evidence files
//! of the legal basis (upload refused and accepted, download under the application's rule,
//! delete), the interim report, completion report, change request and survey forms, the
//! notification settings, and the dashboard's next deadlines.

use actix_web::test::{TestRequest, call_service, read_body};
use diesel::prelude::*;
use hojokin::db::schema::{audit_events, continuation_surveys, deadlines, evidence_files, reports};
use serde_json::{Value, json};

use super::{Client, Page, Part, csrf_of, form, upload_request};
use crate::fixtures::{PASSWORD, draft, line_id, world};
use crate::helpers::{TestDb, block_on};

const PDF: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// The evidence form as a browser sends it: the CSRF token first, then the file.
fn evidence_upload(
    uri: &str,
    token: &[u8],
    (file_name, content_type): (&str, &str),
    bytes: &[u8],
) -> TestRequest {
    upload_request(
        uri,
        &[
            ("csrf_token", None, token),
            ("evidence_file", Some((file_name, content_type)), bytes),
        ],
    )
}

fn stored_files(test_db: &TestDb) -> i64 {
    evidence_files::table
        .count()
        .get_result(&mut *test_db.conn())
        .expect("count")
}

fn audit_actions(test_db: &TestDb, id: i64) -> Vec<String> {
    audit_events::table
        .filter(audit_events::application_id.eq(id))
        .order(audit_events::id)
        .select(audit_events::action)
        .load(&mut *test_db.conn())
        .expect("audit")
}

/// Performs a workflow action through the API at the application's current version.
macro_rules! act {
    ($app:expr, $email:expr, $id:expr, $action:expr) => {{
        let cookie = crate::login!($app, $email);
        let (_, current) = crate::call!(
            $app,
            "GET",
            format!("/api/v1/applications/{}", $id),
            Some(&cookie),
            None
        );
        let version = current["application"]["version"].as_i64().expect("version");
        let (status, outcome) = crate::call!(
            $app,
            "POST",
            format!("/api/v1/applications/{}/actions/{}", $id, $action),
            Some(&cookie),
            Some(json!({ "version": version }))
        );
        assert_eq!(status, 200, "{}: {outcome}", $action);
        outcome
    }};
}

/// Takes the application from 作成中 to 事業実施中, each role doing its part through the API.
macro_rules! to_in_progress {
    ($app:expr, $id:expr) => {
        for (who, action) in [
            ("applicant@own.example", "submit"),
            ("manager@meti.example", "start_review"),
            ("manager@meti.example", "select"),
            ("applicant@own.example", "request_grant"),
            ("manager@meti.example", "decide_grant"),
            ("applicant@own.example", "start_project"),
        ] {
            act!($app, who, $id, action);
        }
    };
}

/// The hidden version field of a page.
fn version_of(body: &str) -> String {
    body.split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("page has a version field")
        .to_owned()
}

crate::on_both_backends!(
    evidence_files_are_checked_stored_and_shown_to_those_who_see_the_application,
    |test_db| {
        let w = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let (id, _) = create_draft!(&app, w);
            let mut owner = Client::new();
            page_login!(&app, owner, "applicant@own.example");
            let edit = send!(
                owner,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/edit"))
            );
            assert_eq!(edit.status, 200);
            assert!(
                edit.body
                    .contains("enctype=\"multipart/form-data\" id=\"evidence-upload\"")
            );
            assert!(
                edit.body.contains("<label for=\"evidence_file\">"),
                "the file input has a label"
            );
            let token = csrf_of(&edit.body);
            let uri = format!("/applications/{id}/evidence");
            let name = "認定通知書（令和8年）.pdf";

            // Without the token, or with the file before it: 403, nothing stored.
            let refused = send!(
                owner,
                &app,
                upload_request(
                    &uri,
                    &[("evidence_file", Some((name, "application/pdf")), PDF)]
                )
            );
            assert_eq!(refused.status, 403);
            let refused = send!(
                owner,
                &app,
                upload_request(
                    &uri,
                    &[
                        ("evidence_file", Some((name, "application/pdf")), PDF),
                        ("csrf_token", None, token.as_bytes())
                    ]
                )
            );
            assert_eq!(refused.status, 403, "the token must come before the file");
            let refused = send!(
                owner,
                &app,
                evidence_upload(&uri, b"0000", (name, "application/pdf"), PDF)
            );
            assert_eq!(refused.status, 403);
            assert_eq!(stored_files(test_db), 0);

            // Declared a PDF, but the bytes are HTML: refused next to the field, in Japanese.
            let html = send!(
                owner,
                &app,
                evidence_upload(
                    &uri,
                    token.as_bytes(),
                    ("fake.pdf", "application/pdf"),
                    b"<html><script>alert(1)</script></html>"
                )
            );
            assert_eq!(html.status, 422);
            assert!(
                html.body.contains(
                    "id=\"evidence_file-error\">PDF・PNG・JPEG のファイルだけを添付できます"
                ),
                "{}",
                html.body
            );
            assert!(
                html.body
                    .contains("aria-describedby=\"evidence_file-error\"")
            );
            // A PNG sent as a PDF is refused too.
            let mismatch = send!(
                owner,
                &app,
                evidence_upload(
                    &uri,
                    token.as_bytes(),
                    ("scan.pdf", "application/pdf"),
                    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"
                )
            );
            assert_eq!(mismatch.status, 422);
            assert!(
                mismatch
                    .body
                    .contains("ファイルの内容（PNG）が、ファイルの種類（PDF）と一致しません")
            );
            // One byte over 10 MiB.
            let mut big = PDF.to_vec();
            big.resize(10 * 1024 * 1024 + 1, b' ');
            let too_large = send!(
                owner,
                &app,
                evidence_upload(&uri, token.as_bytes(), ("big.pdf", "application/pdf"), &big)
            );
            assert_eq!(too_large.status, 422);
            assert!(too_large.body.contains("id=\"evidence_file-error\">ファイルが大きすぎます（10.0 MB）。10MB 以下のファイルにしてください"));
            // A request far over the limit is refused before it is read.
            let huge = send!(
                owner,
                &app,
                evidence_upload(&uri, token.as_bytes(), ("huge.pdf", "application/pdf"), PDF)
                    .insert_header(("content-length", (30 * 1024 * 1024).to_string()))
            );
            assert_eq!(huge.status, 413);
            assert!(huge.body.contains("添付できるファイルは 10MB までです"));
            // No file chosen.
            let empty = send!(
                owner,
                &app,
                evidence_upload(
                    &uri,
                    token.as_bytes(),
                    ("", "application/octet-stream"),
                    b""
                )
            );
            assert_eq!(empty.status, 422);
            assert!(empty.body.contains("ファイルを選択してください"));
            assert_eq!(stored_files(test_db), 0, "nothing stored on refusal");

            // A real PDF with a Japanese name.
            let done = send!(
                owner,
                &app,
                evidence_upload(&uri, token.as_bytes(), (name, "application/pdf"), PDF)
            );
            assert_eq!(done.status, 303, "{}", done.body);
            assert_eq!(
                done.location.as_deref(),
                Some(format!("/applications/{id}/edit#evidence").as_str())
            );
            assert_eq!(stored_files(test_db), 1);
            let file_id: i64 = evidence_files::table
                .select(evidence_files::id)
                .first(&mut *test_db.conn())
                .expect("file");
            let edit = send!(
                owner,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/edit"))
            );
            let href = format!("/applications/{id}/evidence/{file_id}");
            assert!(
                edit.body
                    .contains(&format!("<a href=\"{href}\">{name}</a>")),
                "{}",
                edit.body
            );
            assert!(
                edit.body
                    .contains("「認定通知書（令和8年）.pdf」を添付しました。")
            );
            assert!(audit_actions(test_db, id).contains(&"upload_evidence".to_owned()));
            let show = send!(
                owner,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}"))
            );
            assert!(show.body.contains(&href), "listed on the application page");

            // The download: the bytes as stored, the Japanese name RFC 5987-encoded, no sniffing.
            let request = TestRequest::get()
                .uri(&href)
                .insert_header(("cookie", owner.cookie.clone().expect("cookie")))
                .to_request();
            let response = call_service(&app, request).await;
            assert_eq!(response.status().as_u16(), 200);
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            assert_eq!(header("content-type"), "application/pdf");
            assert_eq!(header("x-content-type-options"), "nosniff");
            assert_eq!(
                header("content-disposition"),
                format!(
                    "attachment; filename=\"evidence-{file_id}.pdf\"; filename*=UTF-8''\
                     %E8%AA%8D%E5%AE%9A%E9%80%9A%E7%9F%A5%E6%9B%B8%EF%BC%88%E4%BB%A4%E5%92%8C8%E5%B9%B4%EF%BC%89.pdf"
                )
            );
            assert_eq!(read_body(response).await.as_ref(), PDF);

            // A draft's evidence is its applicants' alone (who may download it from submission
            // on is checked at the end).
            for email in [
                "applicant@other.example",
                "officer@matsumoto.example",
                "officer@shiojiri.example",
                "manager@meti.example",
            ] {
                let mut client = Client::new();
                page_login!(&app, client, email);
                let page = send!(client, &app, TestRequest::get().uri(&href));
                assert_eq!(page.status, 403, "{email} before submission");
                assert!(page.body.contains("アクセスできません") && !page.body.contains("%PDF"));
            }
            let mut owner2 = Client::new();
            page_login!(&app, owner2, "applicant@own.example");
            let missing = send!(
                owner2,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/evidence/{}", file_id + 100))
            );
            assert_eq!(missing.status, 404);

            // Another organisation's applicant cannot upload or delete either.
            let mut other = Client::new();
            page_login!(&app, other, "applicant@other.example");
            let other_home = send!(other, &app, TestRequest::get().uri("/applicant"));
            let other_token = csrf_of(&other_home.body);
            let foreign = send!(
                other,
                &app,
                evidence_upload(&uri, other_token.as_bytes(), (name, "application/pdf"), PDF)
            );
            assert_eq!(foreign.status, 403);
            let foreign = send!(
                other,
                &app,
                form(&format!("{href}/delete"), &[("csrf_token", &other_token)])
            );
            assert_eq!(foreign.status, 403);
            assert_eq!(stored_files(test_db), 1);

            // Deleting needs the token; then the file is gone and the deletion audited.
            let second = send!(
                owner,
                &app,
                evidence_upload(&uri, token.as_bytes(), ("別紙.pdf", "application/pdf"), PDF)
            );
            assert_eq!(second.status, 303, "{}", second.body);
            let second_id: i64 = evidence_files::table
                .select(evidence_files::id)
                .order(evidence_files::id.desc())
                .first(&mut *test_db.conn())
                .expect("second file");
            let second_href = format!("/applications/{id}/evidence/{second_id}");
            assert_eq!(stored_files(test_db), 2);
            let refused = send!(owner, &app, form(&format!("{second_href}/delete"), &[]));
            assert_eq!(refused.status, 403);
            assert_eq!(stored_files(test_db), 2);
            let deleted = send!(
                owner,
                &app,
                form(&format!("{second_href}/delete"), &[("csrf_token", &token)])
            );
            assert_eq!(deleted.status, 303);
            assert_eq!(stored_files(test_db), 1);
            assert!(audit_actions(test_db, id).contains(&"delete_evidence".to_owned()));

            // Once submitted the application is no longer editable: no upload.
            act!(&app, "applicant@own.example", id, "submit");
            let late = send!(
                owner,
                &app,
                evidence_upload(&uri, token.as_bytes(), (name, "application/pdf"), PDF)
            );
            assert_eq!(late.status, 409, "{}", late.body);
            assert!(late.body.contains("「申請済」の申請は編集できません"));
            assert_eq!(stored_files(test_db), 1);

            // Submitted: whoever may see the application may download; nobody else.
            for (email, status) in [
                ("applicant@other.example", 403),
                ("officer@matsumoto.example", 403),
                ("officer@shiojiri.example", 200),
                ("manager@meti.example", 200),
            ] {
                let mut client = Client::new();
                page_login!(&app, client, email);
                let page = send!(client, &app, TestRequest::get().uri(&href));
                assert_eq!(page.status, status, "{email}");
                if status == 403 {
                    assert!(
                        page.body.contains("アクセスできません") && !page.body.contains("%PDF")
                    );
                }
            }
        });
    }
);

crate::on_both_backends!(
    the_applicant_files_reports_and_a_change_request_from_forms,
    |test_db| {
        let w = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let (id, created) = create_draft!(&app, w);
            let personnel = line_id(&created, "コーディネーター");
            let travel = line_id(&created, "企業訪問旅費");
            let outsourcing = line_id(&created, "マッチング運営（外注）");
            let meetings = line_id(&created, "会場費");
            let mut owner = Client::new();
            page_login!(&app, owner, "applicant@own.example");
            let interim_uri = format!("/applications/{id}/interim-report");
            // A draft offers no report.
            let early = send!(owner, &app, TestRequest::get().uri(&interim_uri));
            assert_eq!(early.status, 409);
            assert!(
                early
                    .body
                    .contains("「作成中」の申請には「中間報告の提出」を行えません")
            );

            act!(&app, "applicant@own.example", id, "submit");
            act!(&app, "manager@meti.example", id, "start_review");
            act!(&app, "manager@meti.example", id, "select");
            act!(&app, "applicant@own.example", id, "request_grant");
            act!(&app, "manager@meti.example", id, "decide_grant");
            act!(&app, "applicant@own.example", id, "start_project");

            // The application page offers the forms the workflow allows this person now.
            let show = send!(
                owner,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}"))
            );
            for code in [
                "submit_interim_report",
                "request_change",
                "submit_completion_report",
            ] {
                assert!(
                    show.body.contains(&format!("data-form=\"{code}\"")),
                    "{code}"
                );
            }
            assert!(
                !show
                    .body
                    .contains("data-form=\"answer_continuation_survey\"")
            );
            let mut manager = Client::new();
            page_login!(&app, manager, "manager@meti.example");
            let seen = send!(
                manager,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}"))
            );
            assert!(
                !seen.body.contains("data-form="),
                "a manager files no report"
            );
            assert_eq!(
                send!(manager, &app, TestRequest::get().uri(&interim_uri)).status,
                403
            );
            let mut other = Client::new();
            page_login!(&app, other, "applicant@other.example");
            assert_eq!(
                send!(other, &app, TestRequest::get().uri(&interim_uri)).status,
                403
            );

            // Interim report: an empty body is refused next to the field; then filed.
            let page = send!(owner, &app, TestRequest::get().uri(&interim_uri));
            assert_eq!(page.status, 200);
            assert!(
                page.body
                    .contains("<label for=\"payload-body\">遂行状況の内容</label>")
            );
            let token = csrf_of(&page.body);
            let version = version_of(&page.body);
            let no_token = send!(
                owner,
                &app,
                form(
                    &interim_uri,
                    &[("version", &version), ("payload.body", "x")]
                )
            );
            assert_eq!(no_token.status, 403);
            let empty = send!(
                owner,
                &app,
                form(
                    &interim_uri,
                    &[
                        ("csrf_token", &token),
                        ("version", &version),
                        ("payload.body", "  ")
                    ]
                )
            );
            assert_eq!(empty.status, 422);
            assert!(
                empty
                    .body
                    .contains("id=\"payload-body-error\">報告の内容を入力してください"),
                "{}",
                empty.body
            );
            let filed = send!(
                owner,
                &app,
                form(
                    &interim_uri,
                    &[
                        ("csrf_token", &token),
                        ("version", &version),
                        ("payload.body", "受入企業 5 社でインターン開始 <b>")
                    ]
                )
            );
            assert_eq!(filed.status, 303, "{}", filed.body);
            let interim: Vec<String> = reports::table
                .filter(reports::application_id.eq(id))
                .filter(reports::kind.eq("interim"))
                .select(reports::body_json)
                .load(&mut *test_db.conn())
                .expect("reports");
            assert_eq!(interim.len(), 1);
            assert!(interim[0].contains("受入企業 5 社でインターン開始 <b>"));
            let show = send!(
                owner,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}"))
            );
            assert!(show.body.contains("「中間報告の提出」を受け付けました。"));

            // Change request: without a reason, refused next to the reason, the amounts kept.
            let change_uri = format!("/applications/{id}/change-request");
            let page = send!(owner, &app, TestRequest::get().uri(&change_uri));
            assert_eq!(page.status, 200);
            let version = version_of(&page.body);
            let personnel_field = format!("amounts[{personnel}]");
            let no_reason = send!(
                owner,
                &app,
                form(
                    &change_uri,
                    &[
                        ("csrf_token", &token),
                        ("version", &version),
                        (&personnel_field, "6,300,000"),
                        ("reason", "")
                    ]
                )
            );
            assert_eq!(no_reason.status, 422);
            assert!(
                no_reason
                    .body
                    .contains("id=\"reason-error\">変更の理由を入力してください"),
                "{}",
                no_reason.body
            );
            assert!(
                no_reason
                    .body
                    .contains(&format!("name=\"{personnel_field}\" value=\"6,300,000\"")),
                "typed amount kept"
            );
            let changed = send!(
                owner,
                &app,
                form(
                    &change_uri,
                    &[
                        ("csrf_token", &token),
                        ("version", &version),
                        (&personnel_field, "6,300,000"),
                        ("reason", "コーディネーター増員")
                    ]
                )
            );
            assert_eq!(changed.status, 303, "{}", changed.body);
            let cookie = crate::login!(&app, "applicant@own.example");
            let (_, after) = crate::call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(&cookie),
                None
            );
            let amount = |application: &Value, line: i64| {
                application["activities"]
                    .as_array()
                    .expect("activities")
                    .iter()
                    .flat_map(|a| a["budget_lines"].as_array().expect("lines").iter())
                    .find(|l| l["id"] == line)
                    .map(|l| (l["amount_yen"].clone(), l["effective_yen"].clone()))
                    .expect("line")
            };
            assert_eq!(
                amount(&after, personnel),
                (json!(6_000_000), json!(6_300_000)),
                "a 5% move is recorded at once, beside the 申請額"
            );

            // Completion report: unreadable and negative amounts are refused on their rows, a
            // missing claimed line above the table; everything typed stays.
            let completion_uri = format!("/applications/{id}/completion-report");
            let page = send!(owner, &app, TestRequest::get().uri(&completion_uri));
            assert_eq!(page.status, 200);
            assert!(page.body.contains(&format!(
                "<label class=\"visually-hidden\" for=\"amounts-{personnel}-\">"
            )));
            let version = version_of(&page.body);
            let (p, t, o, m) = (
                format!("amounts[{personnel}]"),
                format!("amounts[{travel}]"),
                format!("amounts[{outsourcing}]"),
                format!("amounts[{meetings}]"),
            );
            let word = send!(
                owner,
                &app,
                form(
                    &completion_uri,
                    &[
                        ("csrf_token", &token),
                        ("version", &version),
                        (&p, "5700000"),
                        (&t, "十五万"),
                        (&o, "0"),
                        (&m, "")
                    ]
                )
            );
            assert_eq!(word.status, 422);
            assert!(word.body.contains(&format!(
                "id=\"amounts-{travel}--error\">金額は円単位の数字で入力してください"
            )));
            let negative = send!(
                owner,
                &app,
                form(
                    &completion_uri,
                    &[
                        ("csrf_token", &token),
                        ("version", &version),
                        (&p, "5700000"),
                        (&t, "-150000"),
                        (&o, "0"),
                        (&m, ""),
                        ("payload.body", "完了しました")
                    ]
                )
            );
            assert_eq!(negative.status, 422);
            assert!(
                negative.body.contains(&format!(
                    "id=\"amounts-{travel}--error\">金額は 0 円以上にしてください"
                )),
                "{}",
                negative.body
            );
            assert!(
                negative
                    .body
                    .contains(&format!("name=\"{p}\" value=\"5700000\"")),
                "typed actuals kept"
            );
            assert!(
                negative.body.contains(">完了しました</textarea>"),
                "typed body kept"
            );
            let missing = send!(
                owner,
                &app,
                form(
                    &completion_uri,
                    &[
                        ("csrf_token", &token),
                        ("version", &version),
                        (&p, "5700000"),
                        (&t, ""),
                        (&o, "0")
                    ]
                )
            );
            assert_eq!(missing.status, 422);
            assert!(
                missing.body.contains("id=\"form-errors\""),
                "{}",
                missing.body
            );
            assert!(missing.body.contains("実績額を入力してください"));
            let state: String = {
                use hojokin::db::schema::applications;
                applications::table
                    .find(id)
                    .select(applications::status)
                    .first(&mut *test_db.conn())
                    .expect("state")
            };
            assert_eq!(state, "in_progress", "nothing filed on error");
            let done = send!(
                owner,
                &app,
                form(
                    &completion_uri,
                    &[
                        ("csrf_token", &token),
                        ("version", &version),
                        (&p, "5,700,000"),
                        (&t, "150000"),
                        (&o, "0"),
                        (&m, "280000"),
                        ("payload.body", "完了しました")
                    ]
                )
            );
            assert_eq!(done.status, 303, "{}", done.body);
            let (_, after) = crate::call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(&cookie),
                None
            );
            assert_eq!(after["application"]["status"], "completion_reported");
            let actual = |line: i64| {
                after["activities"]
                    .as_array()
                    .expect("activities")
                    .iter()
                    .flat_map(|a| a["budget_lines"].as_array().expect("lines").iter())
                    .find(|l| l["id"] == line)
                    .map(|l| l["actual_amount_yen"].clone())
                    .expect("line")
            };
            assert_eq!(actual(personnel), 5_700_000);
            assert_eq!(actual(travel), 150_000);
            // Filed: the form is no longer offered.
            assert_eq!(
                send!(owner, &app, TestRequest::get().uri(&completion_uri)).status,
                409
            );
            let show = send!(
                owner,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}"))
            );
            assert!(!show.body.contains("data-form=\"submit_completion_report\""));
        });
    }
);

crate::on_both_backends!(
    the_manager_downloads_the_interim_reports_attachment_next_to_accept,
    |test_db| {
        let w = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let (id, _) = create_draft!(&app, w);
            to_in_progress!(&app, id);
            let interim_uri = format!("/applications/{id}/interim-report");
            let mut owner = Client::new();
            page_login!(&app, owner, "applicant@own.example");
            let page = send!(owner, &app, TestRequest::get().uri(&interim_uri));
            assert_eq!(page.status, 200);
            assert!(
                page.body.contains("enctype=\"multipart/form-data\"")
                    && page
                        .body
                        .contains("type=\"file\" id=\"attachments\" name=\"attachments\""),
                "{}",
                page.body
            );
            let token = csrf_of(&page.body);
            let version = version_of(&page.body);
            let filing = |attachment: Part<'static>| {
                upload_request(
                    &interim_uri,
                    &[
                        ("csrf_token", None, token.as_bytes()),
                        ("version", None, version.as_bytes()),
                        ("payload.body", None, "受入企業 5 社 <b>順調</b>".as_bytes()),
                        attachment,
                    ],
                )
            };

            // A file that is not PDF, PNG or JPEG by its bytes: refused at its field, the text
            // kept, no report filed and nothing stored.
            let refused = send!(
                owner,
                &app,
                filing((
                    "attachments",
                    Some(("memo.pdf", "application/pdf")),
                    b"<html><script>alert(1)</script></html>"
                ))
            );
            assert_eq!(refused.status, 422, "{}", refused.body);
            assert!(
                refused.body.contains(
                    "id=\"attachments-error\">「memo.pdf」: PDF・PNG・JPEG のファイルだけを添付できます"
                ) && refused.body.contains("受入企業 5 社 &lt;b&gt;順調&lt;/b&gt;</textarea>"),
                "{}",
                refused.body
            );
            let filed_reports = |test_db: &TestDb| -> i64 {
                reports::table
                    .filter(reports::application_id.eq(id))
                    .count()
                    .get_result(&mut *test_db.conn())
                    .expect("count")
            };
            assert_eq!(filed_reports(test_db), 0);
            assert_eq!(stored_files(test_db), 0);

            // A PDF: filed with the report, in the same transaction.
            let filed = send!(
                owner,
                &app,
                filing((
                    "attachments",
                    Some(("進捗資料（10月）.pdf", "application/pdf")),
                    PDF
                ))
            );
            assert_eq!(filed.status, 303, "{}", filed.body);
            assert_eq!(filed_reports(test_db), 1);
            let (file_id, report_id): (i64, Option<i64>) = evidence_files::table
                .select((evidence_files::id, evidence_files::report_id))
                .first(&mut *test_db.conn())
                .expect("the attachment");
            assert!(report_id.is_some(), "the file belongs to the report");
            let href = format!("/applications/{id}/evidence/{file_id}");

            // The 事務局 sees it next to 受理・差戻し, and downloads the same bytes.
            let mut manager = Client::new();
            page_login!(&app, manager, "manager@meti.example");
            let shown = send!(
                manager,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}"))
            );
            let section = shown
                .body
                .split("<section id=\"pending-interim-report\"")
                .nth(1)
                .expect("the pending report");
            let link = section
                .find(&format!("<a href=\"{href}\" data-attachment=\"{file_id}\">進捗資料（10月）.pdf</a>（PDF・"))
                .unwrap_or_else(|| panic!("the attachment's link: {section}"));
            let accept = section
                .find("data-action=\"accept_interim_report\"")
                .expect("受理");
            assert!(link < accept, "the link before the button: {section}");
            assert!(
                !shown.body.contains("証拠書類のファイル"),
                "a report's file is not a document of the legal basis"
            );
            let download = send!(manager, &app, TestRequest::get().uri(&href));
            assert_eq!(download.status, 200);
            assert_eq!(download.bytes, PDF);

            // Another organisation's applicant gets neither the file nor the report.
            let mut other = Client::new();
            page_login!(&app, other, "applicant@other.example");
            assert_eq!(
                send!(other, &app, TestRequest::get().uri(&href)).status,
                403
            );
            let stranger = crate::login!(&app, "applicant@other.example");
            let api = format!("/api/v1/applications/{id}/interim-report");
            let (status, _) = crate::call!(&app, "GET", api.clone(), Some(&stranger), None);
            assert_eq!(status, 403);

            // The API shows the pending report with its attachments.
            let cookie = crate::login!(&app, "manager@meti.example");
            let (status, report) = crate::call!(&app, "GET", api.clone(), Some(&cookie), None);
            assert_eq!(status, 200, "{report}");
            assert_eq!(report["pending"]["body"], "受入企業 5 社 <b>順調</b>");
            assert_eq!(
                report["pending"]["attachments"],
                json!([{
                    "id": file_id,
                    "file_name": "進捗資料（10月）.pdf",
                    "size_bytes": PDF.len(),
                    "href": href,
                }])
            );
            act!(&app, "manager@meti.example", id, "accept_interim_report");
            let (_, report) = crate::call!(&app, "GET", api, Some(&cookie), None);
            assert_eq!(
                report["pending"],
                Value::Null,
                "nothing waits once accepted"
            );
        });
    }
);

crate::on_both_backends!(
    the_applicant_answers_the_continuation_survey_from_a_form,
    |test_db| {
        let w = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let (id, created) = create_draft!(&app, w);
            to_in_progress!(&app, id);
            let cookie = crate::login!(&app, "applicant@own.example");
            let (_, current) = crate::call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(&cookie),
                None
            );
            let actuals: Vec<Value> =
                ["コーディネーター", "企業訪問旅費", "マッチング運営（外注）"]
                    .iter()
                    .map(|d| json!({"line_id": line_id(&created, d), "amount_yen": 100000}))
                    .collect();
            let (status, body) = crate::call!(
                &app,
                "POST",
                format!("/api/v1/applications/{id}/actions/submit_completion_report"),
                Some(&cookie),
                Some(
                    json!({"version": current["application"]["version"], "payload": {"actuals": actuals}})
                )
            );
            assert_eq!(status, 200, "{body}");
            for action in ["confirm_amount", "pay", "open_continuation_survey"] {
                act!(&app, "manager@meti.example", id, action);
            }
            let mut owner = Client::new();
            page_login!(&app, owner, "applicant@own.example");
            let show = send!(
                owner,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}"))
            );
            assert!(
                show.body
                    .contains("data-form=\"answer_continuation_survey\"")
            );
            let uri = format!("/applications/{id}/continuation-survey");
            let page = send!(owner, &app, TestRequest::get().uri(&uri));
            assert_eq!(page.status, 200);
            assert!(
                page.body
                    .contains("<legend>補助事業の終了後、取組を継続していますか</legend>")
            );
            assert!(
                page.body
                    .contains("<label for=\"funding_mix-municipal\">自治体予算（円）</label>")
            );
            let token = csrf_of(&page.body);
            let version = version_of(&page.body);
            // No answer chosen: refused at the choice, the amounts kept.
            let unanswered = send!(
                owner,
                &app,
                form(
                    &uri,
                    &[
                        ("csrf_token", &token),
                        ("version", &version),
                        ("funding_mix.municipal", "2,000,000"),
                        ("payload.evidence", "市予算書")
                    ]
                )
            );
            assert_eq!(unanswered.status, 422);
            assert!(
                unanswered
                    .body
                    .contains("id=\"payload-continuation-error\">continuing（継続）"),
                "{}",
                unanswered.body
            );
            assert!(
                unanswered
                    .body
                    .contains("name=\"funding_mix.municipal\" value=\"2,000,000\"")
            );
            assert!(unanswered.body.contains("value=\"市予算書\""));
            let unreadable = send!(
                owner,
                &app,
                form(
                    &uri,
                    &[
                        ("csrf_token", &token),
                        ("version", &version),
                        ("payload.continuation", "continuing"),
                        ("funding_mix.member_fees", "五十万")
                    ]
                )
            );
            assert_eq!(unreadable.status, 422);
            assert!(
                unreadable
                    .body
                    .contains("id=\"funding_mix-member_fees-error\">金額は円単位の数字で")
            );
            assert!(
                unreadable
                    .body
                    .contains("value=\"continuing\" id=\"continuation-continuing\" checked"),
                "choice kept"
            );
            let answered = send!(
                owner,
                &app,
                form(
                    &uri,
                    &[
                        ("csrf_token", &token),
                        ("version", &version),
                        ("payload.continuation", "continuing"),
                        ("funding_mix.municipal", "2,000,000"),
                        ("funding_mix.member_fees", "500000"),
                        ("payload.evidence", "市予算書")
                    ]
                )
            );
            assert_eq!(answered.status, 303, "{}", answered.body);
            let (status, continuation, mix): (String, Option<String>, Option<String>) =
                continuation_surveys::table
                    .select((
                        continuation_surveys::status,
                        continuation_surveys::continuation,
                        continuation_surveys::funding_mix_json,
                    ))
                    .first(&mut *test_db.conn())
                    .expect("survey");
            assert_eq!(status, "answered");
            assert_eq!(continuation.as_deref(), Some("continuing"));
            let mix: Value = serde_json::from_str(&mix.expect("mix")).expect("json");
            assert_eq!(mix, json!({"municipal": 2000000, "member_fees": 500000}));
            let (_, after) = crate::call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(&cookie),
                None
            );
            assert_eq!(after["application"]["status"], "closed");
        });
    }
);

crate::on_both_backends!(notification_settings_round_trip, |test_db| {
    world(&mut test_db.conn());
    block_on(async {
        let app = crate::test_app!(test_db);
        let mut client = Client::new();
        page_login!(&app, client, "applicant@own.example");
        let home = send!(client, &app, TestRequest::get().uri("/applicant"));
        assert!(
            home.body
                .contains("<a href=\"/settings/notifications\">通知の設定</a>"),
            "every page links to it"
        );
        let page = send!(
            client,
            &app,
            TestRequest::get().uri("/settings/notifications")
        );
        assert_eq!(page.status, 200);
        assert!(
            page.body
                .contains("id=\"notify_by_email\" name=\"notify_by_email\" value=\"on\" checked")
        );
        assert!(page.body.contains("<label for=\"reminder_offsets\">"));
        assert!(
            !page.body.contains("weekly_digest"),
            "the digest is the managers'"
        );
        assert!(page.body.contains("/calendar/") && page.body.contains(".ics"));
        let token = csrf_of(&page.body);
        let uri = "/settings/notifications";
        assert_eq!(
            send!(client, &app, form(uri, &[("reminder_offsets", "-3")])).status,
            403
        );
        let invalid = send!(
            client,
            &app,
            form(
                uri,
                &[("csrf_token", &token), ("reminder_offsets", "-7, あした")]
            )
        );
        assert_eq!(invalid.status, 422);
        assert!(
            invalid
                .body
                .contains("id=\"reminder_offsets-error\">&quot;あした&quot; は日数"),
            "{}",
            invalid.body
        );
        assert!(
            invalid.body.contains("value=\"-7, あした\""),
            "typed value kept"
        );
        assert!(
            !invalid.body.contains("value=\"on\" checked"),
            "the unchecked box stays unchecked"
        );
        let cookie = client.cookie.clone().expect("cookie");
        let (_, api) = crate::call!(&app, "GET", "/api/v1/me/notifications", Some(&cookie), None);
        assert_eq!(
            api["preferences"]["notify_by_email"], true,
            "nothing saved on error"
        );
        let saved = send!(
            client,
            &app,
            form(
                uri,
                &[("csrf_token", &token), ("reminder_offsets", "+1, -30, -7")]
            )
        );
        assert_eq!(saved.status, 303);
        let page = send!(client, &app, TestRequest::get().uri(uri));
        assert!(page.body.contains("通知の設定を保存しました。"));
        assert!(page.body.contains("value=\"-30,-7,+1\""), "{}", page.body);
        assert!(!page.body.contains("value=\"on\" checked"));
        let cookie = client.cookie.clone().expect("cookie");
        let (_, api) = crate::call!(&app, "GET", "/api/v1/me/notifications", Some(&cookie), None);
        assert_eq!(
            api["preferences"],
            json!({"notify_by_email": false, "reminder_offsets": "-30,-7,+1", "weekly_digest": true})
        );
        // Back to the service's days, email on.
        let saved = send!(
            client,
            &app,
            form(
                uri,
                &[
                    ("csrf_token", &token),
                    ("notify_by_email", "on"),
                    ("reminder_offsets", "")
                ]
            )
        );
        assert_eq!(saved.status, 303);
        let (_, api) = crate::call!(&app, "GET", "/api/v1/me/notifications", Some(&cookie), None);
        assert_eq!(api["preferences"]["notify_by_email"], true);
        assert_eq!(api["preferences"]["reminder_offsets"], Value::Null);
        // A program manager also sets the weekly digest.
        let mut manager = Client::new();
        page_login!(&app, manager, "manager@meti.example");
        let page = send!(manager, &app, TestRequest::get().uri(uri));
        assert!(
            page.body
                .contains("name=\"weekly_digest\" value=\"on\" checked")
        );
        let token = csrf_of(&page.body);
        let saved = send!(
            manager,
            &app,
            form(uri, &[("csrf_token", &token), ("notify_by_email", "on")])
        );
        assert_eq!(saved.status, 303);
        let cookie = manager.cookie.clone().expect("cookie");
        let (_, api) = crate::call!(&app, "GET", "/api/v1/me/notifications", Some(&cookie), None);
        assert_eq!(api["preferences"]["weekly_digest"], false);
    });
});

crate::on_both_backends!(
    the_dashboard_lists_the_next_deadlines_overdue_first,
    |test_db| {
        let w = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let (own, _) = create_draft!(&app, w);
            let other = crate::login!(&app, "applicant@other.example");
            let other_org: i64 = {
                use hojokin::db::schema::organisations;
                organisations::table
                    .filter(organisations::name.eq("一般社団法人まつもと人材ラボ"))
                    .select(organisations::id)
                    .first(&mut *test_db.conn())
                    .expect("org")
            };
            let (status, theirs) = crate::call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&other),
                Some(draft(other_org, w.shiojiri))
            );
            assert_eq!(status, 201, "{theirs}");
            let theirs = theirs["application"]["id"].as_i64().expect("id");
            // Deadlines as the workflow stores them: one overdue, one in five days, one met, and
            // one of another organisation.
            let now = hojokin::db::now();
            {
                let mut conn = test_db.conn();
                diesel::delete(deadlines::table)
                    .execute(&mut *conn)
                    .expect("clear");
                for (application, kind, due, status) in [
                    (
                        own,
                        "interim_report",
                        now + chrono::TimeDelta::days(5),
                        "open",
                    ),
                    (
                        own,
                        "correction_answer",
                        now - chrono::TimeDelta::days(2),
                        "open",
                    ),
                    (
                        own,
                        "grant_request",
                        now + chrono::TimeDelta::days(1),
                        "met",
                    ),
                    (
                        theirs,
                        "completion_report",
                        now + chrono::TimeDelta::days(3),
                        "open",
                    ),
                ] {
                    diesel::insert_into(deadlines::table)
                        .values((
                            deadlines::application_id.eq(application),
                            deadlines::kind.eq(kind),
                            deadlines::sequence.eq(1),
                            deadlines::due_at.eq(due),
                            deadlines::status.eq(status),
                            deadlines::created_at.eq(now),
                        ))
                        .execute(&mut *conn)
                        .expect("deadline");
                }
            }
            let mut client = Client::new();
            page_login!(&app, client, "applicant@own.example");
            let page = send!(client, &app, TestRequest::get().uri("/applicant"));
            assert_eq!(page.status, 200);
            let table = page
                .body
                .split("<table id=\"next-deadlines\"")
                .nth(1)
                .and_then(|rest| rest.split("</table>").next())
                .expect("the next deadlines")
                .to_owned();
            assert!(
                page.body
                    .contains("<h2 id=\"deadlines-heading\">次の期限</h2>")
            );
            let rows: Vec<&str> = table.split("<tr").skip(2).collect();
            assert_eq!(rows.len(), 2, "own open deadlines only: {table}");
            assert!(rows[0].starts_with(" class=\"overdue\""), "{}", rows[0]);
            assert!(
                rows[0].contains("差戻しへの回答")
                    && rows[0]
                        .contains("<strong class=\"overdue-flag\">期限超過（2日経過）</strong>")
            );
            assert!(!rows[1].contains("overdue") && !rows[1].contains("期限超過"));
            assert!(rows[1].contains("遂行状況報告（中間報告）") && rows[1].contains("あと5日"));
            assert!(rows[1].contains(&format!("<a href=\"/applications/{own}\">")));
            assert!(
                !table.contains("実績報告"),
                "another organisation's deadline is not shown"
            );
        });
    }
);

crate::on_both_backends!(
    an_organisation_at_the_award_cap_is_not_offered_a_new_application_and_is_told_why,
    |test_db| {
        let (own, capped, shiojiri) = {
            let mut conn = test_db.conn();
            let w = world(&mut conn);
            let capped =
                crate::fixtures::organisation(&mut conn, "一般社団法人さんどめ人材", w.shiojiri);
            crate::fixtures::past_awards(
                &mut conn,
                capped,
                &[
                    ("R5-通常枠-C1", 2023, "standard"),
                    ("R6-一般枠-C2", 2024, "general"),
                    ("R7-右腕人材枠-C3", 2025, "right_hand"),
                ],
            );
            crate::fixtures::user(
                &mut conn,
                "both@example.jp",
                hojokin::domain::access::Role::Applicant,
                None,
                vec![w.own_org, capped],
            );
            (w.own_org, capped, w.shiojiri)
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let mut client = Client::new();
            page_login!(&app, client, "both@example.jp");
            let page = send!(client, &app, TestRequest::get().uri("/applications/new"));
            assert_eq!(page.status, 200);
            let lead = &page.body[page.body.find("<select id=\"lead\"").expect("lead select")..];
            let lead = &lead[..lead.find("</select>").expect("end")];
            assert!(
                lead.contains(&format!("<option value=\"{own}\">")),
                "{lead}"
            );
            assert!(
                !lead.contains(&format!("<option value=\"{capped}\">")),
                "{lead}"
            );
            let closed = &page.body[page
                .body
                .find("id=\"closed-organisations\"")
                .expect("the note")..];
            assert!(
                closed
                    .contains("<strong>一般社団法人さんどめ人材</strong>: 採択回数の上限は3回です"),
                "{closed}"
            );
            // A forged form for it is refused with the same reason, and nothing is created.
            let count = |test_db: &TestDb| -> i64 {
                hojokin::db::schema::applications::table
                    .count()
                    .get_result(&mut *test_db.conn())
                    .expect("count")
            };
            let before = count(test_db);
            let token = csrf_of(&page.body);
            let (capped, shiojiri) = (capped.to_string(), shiojiri.to_string());
            let refused = send!(
                client,
                &app,
                form(
                    "/applications",
                    &[
                        ("csrf_token", &token),
                        ("fiscal_year", "2026"),
                        ("frame", "right_hand"),
                        ("title", "四度目の事業"),
                        ("lead_organisation_id", &capped),
                        ("municipality_id", &shiojiri),
                    ],
                ),
            );
            assert_eq!(refused.status, 422);
            assert!(
                refused.body.contains("採択回数の上限は3回です"),
                "{}",
                refused.body
            );
            assert_eq!(count(test_db), before);
        });
    }
);
