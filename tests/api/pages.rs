//! The HTML pages in process, on both backends: login with CSRF, the refusal pages, the
//! editor's save with field errors, the finance officer's review and CSV export, and the
//! program manager's pages. (The same paths in a real browser: `browser.rs`.) The client and
//! form helpers here serve the submodules too: `applicant` (evidence, reports) and `manager`
//! (calendar, reminders, dead letters, award imports, name reviews).

use actix_web::test::{TestRequest, call_service, read_body};
use serde_json::json;

use crate::fixtures::{PASSWORD, draft, world};
use crate::helpers::block_on;

/// A browser in miniature: keeps the session cookie as the server re-issues it.
struct Client {
    cookie: Option<String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
    bytes: Vec<u8>,
}

impl Client {
    fn new() -> Self {
        Client { cookie: None }
    }
}

/// Sends a request with the client's cookie, keeps the cookie the server sets, and reads the
/// answer as a [`Page`].
macro_rules! send {
    ($client:expr, $app:expr, $request:expr $(,)?) => {{
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
        let bytes = read_body(response).await.to_vec();
        Page {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }};
}

/// The hidden CSRF field of a page.
fn csrf_of(body: &str) -> String {
    body.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("page has a CSRF field")
        .to_owned()
}

fn form(uri: &str, fields: &[(&str, &str)]) -> TestRequest {
    TestRequest::post().uri(uri).set_form(fields.to_vec())
}

/// One part of a multipart form: field name, (file name, content type) for a file, bytes.
type Part<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

/// A `multipart/form-data` POST as a browser sends a form with a file.
fn upload_request(uri: &str, parts: &[Part<'_>]) -> TestRequest {
    let boundary = "----hojokinTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some((file_name, content_type)) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                     Content-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    TestRequest::post()
        .uri(uri)
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .set_payload(body)
}

/// Creates the fixture draft of the world's own organisation through the API; returns (id,
/// the application as the API answered it).
macro_rules! create_draft {
    ($app:expr, $w:expr) => {{
        let owner = crate::login!($app, "applicant@own.example");
        let (status, created) = crate::call!(
            $app,
            "POST",
            "/api/v1/applications",
            Some(&owner),
            Some(crate::fixtures::draft($w.own_org, $w.shiojiri))
        );
        assert_eq!(status, 201, "{created}");
        (created["application"]["id"].as_i64().expect("id"), created)
    }};
}

macro_rules! page_login {
    ($app:expr, $client:expr, $email:expr) => {{
        let login = send!($client, $app, TestRequest::get().uri("/login"));
        assert_eq!(login.status, 200);
        let token = csrf_of(&login.body);
        let done = send!(
            $client,
            $app,
            form(
                "/login",
                &[
                    ("csrf_token", &token),
                    ("email", $email),
                    ("password", PASSWORD)
                ],
            ),
        );
        assert_eq!(done.status, 303, "login of {}", $email);
        done
    }};
}

crate::on_both_backends!(
    login_needs_the_csrf_token_and_lands_on_the_role_home,
    |test_db| {
        {
            let mut conn = test_db.conn();
            world(&mut conn);
        }
        block_on(async {
            let app = crate::test_app!(test_db);
            let mut client = Client::new();
            let login = send!(client, &app, TestRequest::get().uri("/login"));
            assert_eq!(login.status, 200);
            assert!(login.body.contains("<html lang=\"ja\">"));
            assert!(login.body.contains("本文へ移動"), "skip link");
            assert!(
                login
                    .body
                    .contains("<label for=\"email\">メールアドレス</label>")
            );
            // Without the token: 403, and no session is opened.
            let refused = send!(
                client,
                &app,
                form(
                    "/login",
                    &[("email", "applicant@own.example"), ("password", PASSWORD)],
                ),
            );
            assert_eq!(refused.status, 403);
            assert!(refused.body.contains("アクセスできません"));
            let home = send!(client, &app, TestRequest::get().uri("/applicant"));
            assert_eq!(home.status, 303, "still logged out");
            assert_eq!(home.location.as_deref(), Some("/login?next=/applicant"));
            // A wrong password: 401 with the message in Japanese.
            let token = csrf_of(&login.body);
            let wrong = send!(
                client,
                &app,
                form(
                    "/login",
                    &[
                        ("csrf_token", &token),
                        ("email", "applicant@own.example"),
                        ("password", "nope"),
                    ],
                ),
            );
            assert_eq!(wrong.status, 401);
            assert!(
                wrong
                    .body
                    .contains("メールアドレスまたはパスワードが正しくありません")
            );
            for (email, home) in [
                ("applicant@own.example", "/applicant"),
                ("officer@shiojiri.example", "/finance"),
                ("manager@meti.example", "/manager"),
            ] {
                let mut client = Client::new();
                let done = page_login!(&app, client, email);
                assert_eq!(done.location.as_deref(), Some(home));
                let page = send!(client, &app, TestRequest::get().uri(home));
                assert_eq!(page.status, 200, "{home} for {email}");
                // Logging out is a form with the token too.
                let token = csrf_of(&page.body);
                assert_eq!(send!(client, &app, form("/logout", &[])).status, 403);
                let out = send!(client, &app, form("/logout", &[("csrf_token", &token)]));
                assert_eq!(out.status, 303);
                assert_eq!(out.location.as_deref(), Some("/login?logged_out=1"));
                let after = send!(client, &app, TestRequest::get().uri(home));
                assert_eq!(
                    after.location,
                    Some(format!("/login?next={home}")),
                    "logged out"
                );
            }
        });
    }
);

/// The hidden `next` field of the login page, as the browser sends it back.
fn next_field_of(body: &str) -> Option<String> {
    let value = body
        .split("name=\"next\" value=\"")
        .nth(1)?
        .split('"')
        .next()?;
    Some(
        value
            .replace("&#x3D;", "=")
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

crate::on_both_backends!(
    /// A page asked for without a login is where the login leads (its query kept); a `next`
    /// that could leave the site is dropped and the login leads home; the logout says so on
    /// the login page; the login page carries no developer's note.
    the_login_leads_back_to_the_page_asked_for_and_never_off_the_site,
    |test_db| {
        let w = {
            let mut conn = test_db.conn();
            world(&mut conn)
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let (id, _) = create_draft!(&app, w);
            let asked = format!("/applications/{id}/edit?tab=budget&x=%E5%A1%A9");
            let mut client = Client::new();
            let refused = send!(client, &app, TestRequest::get().uri(&asked));
            assert_eq!(refused.status, 303);
            let location = refused.location.expect("a redirect");
            assert_eq!(
                crate::helpers::login_then(&location).as_deref(),
                Some(asked.as_str())
            );
            let login = send!(client, &app, TestRequest::get().uri(&location));
            assert_eq!(login.status, 200);
            assert!(!login.body.contains("デモ") && !login.body.contains("hojokin serve"));
            assert!(!login.body.contains("ログアウトしました"));
            let next = next_field_of(&login.body).expect("the form carries next");
            assert_eq!(next, asked);
            let done = send!(
                client,
                &app,
                form(
                    "/login",
                    &[
                        ("csrf_token", &csrf_of(&login.body)),
                        ("email", "applicant@own.example"),
                        ("password", PASSWORD),
                        ("next", &next),
                    ],
                ),
            );
            assert_eq!(done.status, 303);
            assert_eq!(done.location.as_deref(), Some(asked.as_str()));
            let page = send!(client, &app, TestRequest::get().uri(&asked));
            assert_eq!(page.status, 200, "logged in, the page itself");
            // Logged in already: the login page leads there too.
            let again = send!(
                client,
                &app,
                TestRequest::get().uri(&format!("/login?next=/applications/{id}"))
            );
            assert_eq!(again.location, Some(format!("/applications/{id}")));

            // The logout says so on the login page.
            let out = send!(
                client,
                &app,
                form("/logout", &[("csrf_token", &csrf_of(&page.body))])
            );
            assert_eq!(out.location.as_deref(), Some("/login?logged_out=1"));
            let after = send!(client, &app, TestRequest::get().uri("/login?logged_out=1"));
            assert_eq!(after.status, 200);
            assert!(
                after
                    .body
                    .contains("<p class=\"flash\" role=\"status\">ログアウトしました。</p>"),
                "{}",
                after.body
            );

            // Open redirects: never followed, neither from the query nor from the form.
            for evil in [
                "//evil.example/",
                "https://evil.example/",
                "/\\evil.example",
                "/\t/evil.example",
                "javascript:alert(1)",
                "evil.example",
            ] {
                let mut client = Client::new();
                let query = format!(
                    "/login?next={}",
                    evil.replace('/', "%2F")
                        .replace(':', "%3A")
                        .replace('\\', "%5C")
                        .replace('\t', "%09")
                );
                let login = send!(client, &app, TestRequest::get().uri(&query));
                assert_eq!(login.status, 200, "{evil:?}");
                assert_eq!(next_field_of(&login.body), None, "{evil:?} is not carried");
                let done = send!(
                    client,
                    &app,
                    form(
                        "/login",
                        &[
                            ("csrf_token", &csrf_of(&login.body)),
                            ("email", "applicant@own.example"),
                            ("password", PASSWORD),
                            ("next", evil),
                        ],
                    ),
                );
                assert_eq!(done.status, 303, "{evil:?}");
                assert_eq!(done.location.as_deref(), Some("/applicant"), "{evil:?}");
                let logged_in = send!(
                    client,
                    &app,
                    TestRequest::get().uri(&query)
                );
                assert_eq!(logged_in.location.as_deref(), Some("/applicant"), "{evil:?}");
            }
        });
    }
);

/// The alert box of a page (`role="alert"`), as text.
fn alert_of(body: &str) -> Option<String> {
    let start = body.find("role=\"alert\"")?;
    let end = body[start..]
        .find("</div>")
        .map_or(body.len(), |end| start + end);
    Some(body[start..end].to_owned())
}

crate::on_both_backends!(
    /// 保存して申請する on an application the engine refuses: the draft is saved (the notice
    /// says so) and the refusal is an alert listing each finding by its Japanese message, as
    /// the decision panel shows it, with no code; the API still names the codes.
    a_refused_submission_is_an_alert_with_the_findings_in_japanese,
    |test_db| {
        let w = {
            let mut conn = test_db.conn();
            world(&mut conn)
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let (id, created) = create_draft!(&app, w);
            let version = created["application"]["version"].as_i64().expect("version");
            let mut client = Client::new();
            page_login!(&app, client, "applicant@own.example");
            let edit_uri = format!("/applications/{id}/edit");
            let edit = send!(client, &app, TestRequest::get().uri(&edit_uri));
            assert_eq!(edit.status, 200);
            let shiojiri = w.shiojiri.to_string();
            let version = version.to_string();
            let token = csrf_of(&edit.body);
            let fields = [
                ("csrf_token", token.as_str()),
                ("version", version.as_str()),
                ("intent", "submit"),
                ("title", "塩尻 二地域居住の人材事業"),
                ("frame", "legal_linkage"),
                ("municipality_id", shiojiri.as_str()),
                ("project_start", "2026-12-01"),
                ("project_end", "2027-02-26"),
                ("partners[0].kind", "municipality"),
                ("partners[0].name", "塩尻市"),
                ("partners[0].municipality_id", shiojiri.as_str()),
                ("legal_basis.path", "two_region_residence"),
                ("legal_basis.holder", "株式会社よその団体"),
                ("legal_basis.granted_by", "塩尻市長"),
                ("legal_basis.granted_on", "2025-12-15"),
                ("legal_basis.valid_until", "2026-12-31"),
                ("activities[0].name", "二地域居住の人材マッチング"),
                ("activities[0].category", "recruitment"),
                ("activities[0].budget_lines[0].category", "personnel"),
                ("activities[0].budget_lines[0].description", "コーディネーター"),
                ("activities[0].budget_lines[0].amount_yen", "3,000,000"),
                ("activities[0].budget_lines[0].funding_source", "this_subsidy"),
            ];
            let submitted = send!(client, &app, form(&edit_uri, &fields));
            assert_eq!(submitted.status, 303, "{}", submitted.body);
            assert_eq!(submitted.location.as_deref(), Some(edit_uri.as_str()));
            let page = send!(client, &app, TestRequest::get().uri(&edit_uri));
            assert_eq!(page.status, 200);
            assert!(
                page.body
                    .contains("<p class=\"flash\" role=\"status\">下書きを保存しました。</p>"),
                "the save is the notice: {}",
                page.body
            );
            let alert = alert_of(&page.body).expect("an alert");
            assert!(alert.contains("申請できませんでした。"), "{alert}");
            let holder = "承認等を受けた者（株式会社よその団体）が申請者（代表又は共同申請者）の中に見つかりません。";
            let expiry = "承認等の有効期限（令和8年12月31日）が補助事業の終了日（令和9年2月26日）より前です。";
            for message in [holder, expiry] {
                assert!(alert.contains(&format!("<li>{message}")), "{message} in {alert}");
                assert!(
                    page.body.matches(message).count() >= 2,
                    "as the decision panel shows it: {message}"
                );
            }
            for code in [
                "legal_basis_holder_not_applicant",
                "legal_basis_expires_during_project",
                "ineligible",
                "判定で要件を満たしていません（",
            ] {
                assert!(!page.body.contains(code), "no {code} on the page");
            }
            // Shown once: the next page has neither box.
            let again = send!(client, &app, TestRequest::get().uri(&edit_uri));
            assert_eq!(alert_of(&again.body), None);
            assert!(!again.body.contains("class=\"flash\""));
            // Nothing was submitted, and the API names the codes.
            let cookie = client.cookie.clone().expect("cookie");
            let (_, current) = crate::call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(&cookie),
                None
            );
            assert_eq!(current["application"]["status"], "draft", "{current}");
            let (status, refused) = crate::call!(
                &app,
                "POST",
                format!("/api/v1/applications/{id}/actions/submit"),
                Some(&cookie),
                Some(json!({"version": current["application"]["version"]}))
            );
            assert_eq!(status, 422, "{refused}");
            let said: Vec<(&str, &str)> = refused["errors"][""]
                .as_array()
                .expect("errors")
                .iter()
                .map(|error| {
                    (
                        error["code"].as_str().unwrap_or_default(),
                        error["message"].as_str().unwrap_or_default(),
                    )
                })
                .collect();
            assert!(
                said.iter().all(|(code, _)| *code == "ineligible")
                    && said.iter().any(|(_, m)| m.ends_with(": legal_basis_holder_not_applicant"))
                    && said.iter().any(|(_, m)| m.ends_with(": legal_basis_expires_during_project")),
                "{refused}"
            );
        });
    }
);

crate::on_both_backends!(
    refusals_are_pages_in_japanese_without_internals,
    |test_db| {
        let w = {
            let mut conn = test_db.conn();
            world(&mut conn)
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let owner = crate::login!(&app, "applicant@own.example");
            let (status, created) = crate::call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&owner),
                Some(draft(w.own_org, w.shiojiri))
            );
            assert_eq!(status, 201, "{created}");
            let id = created["application"]["id"].as_i64().expect("id");
            // The application page links each PDF filing; the link works with the page's session.
            let mut member = Client::new();
            page_login!(&app, member, "applicant@own.example");
            let page = send!(
                member,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}"))
            );
            assert_eq!(page.status, 200);
            let link = format!("/api/v1/applications/{id}/filings/budget.pdf");
            assert!(
                page.body.contains(&link) && page.body.contains("経費明細書"),
                "{}",
                page.body
            );
            let pdf = send!(member, &app, TestRequest::get().uri(&link));
            assert_eq!(pdf.status, 200, "the linked filing downloads");
            let mut other = Client::new();
            page_login!(&app, other, "applicant@other.example");
            for uri in [
                format!("/applications/{id}"),
                format!("/applications/{id}/edit"),
                format!("/applications/{id}/budget.csv"),
            ] {
                let page = send!(other, &app, TestRequest::get().uri(&uri));
                assert_eq!(page.status, 403, "{uri}");
                assert!(page.body.contains("アクセスできません"), "{uri}");
                assert!(!page.body.contains("Forbidden") && !page.body.contains("src/"));
            }
            let filing = send!(
                other,
                &app,
                TestRequest::get().uri(&format!("/api/v1/applications/{id}/filings/budget.pdf"))
            );
            assert_eq!(filing.status, 403, "another organisation's filing");
            let missing = send!(other, &app, TestRequest::get().uri("/applications/999999"));
            assert_eq!(missing.status, 404);
            assert!(missing.body.contains("ページが見つかりません"));
            let nowhere = send!(other, &app, TestRequest::get().uri("/no/such/page"));
            assert_eq!(nowhere.status, 404);
            assert!(nowhere.body.contains("lang=\"ja\""));
            // The API keeps answering JSON for unknown paths.
            let api = send!(other, &app, TestRequest::get().uri("/api/v1/no-such-thing"));
            assert_eq!(api.status, 404);
            assert!(api.body.starts_with('{'), "{}", api.body);
            // A finance officer of another municipality may not review; a manager page is the
            // manager's only.
            let mut officer = Client::new();
            page_login!(&app, officer, "officer@matsumoto.example");
            let review = send!(
                officer,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/review"))
            );
            assert_eq!(review.status, 403);
            assert_eq!(
                send!(officer, &app, TestRequest::get().uri("/manager")).status,
                403
            );
        });
    }
);

crate::on_both_backends!(
    the_editor_saves_drafts_and_shows_errors_by_field,
    |test_db| {
        let w = {
            let mut conn = test_db.conn();
            world(&mut conn)
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let mut client = Client::new();
            page_login!(&app, client, "applicant@own.example");
            let new = send!(client, &app, TestRequest::get().uri("/applications/new"));
            assert_eq!(new.status, 200);
            let token = csrf_of(&new.body);
            let shiojiri = w.shiojiri.to_string();
            let own = w.own_org.to_string();
            let created = send!(
                client,
                &app,
                form(
                    "/applications",
                    &[
                        ("csrf_token", &token),
                        ("fiscal_year", "2026"),
                        ("frame", "right_hand"),
                        ("title", "<script>alert(1)</script> 人材事業"),
                        ("lead_organisation_id", &own),
                        ("municipality_id", &shiojiri),
                    ],
                ),
            );
            assert_eq!(created.status, 303);
            let edit_uri = created.location.expect("editor");
            let edit = send!(client, &app, TestRequest::get().uri(&edit_uri));
            assert_eq!(edit.status, 200);
            assert!(
                !edit.body.contains("<script>alert(1)"),
                "user data is escaped"
            );
            assert!(
                edit.body
                    .contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt; 人材事業\"")
            );
            let version = edit
                .body
                .split("name=\"version\" value=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("version")
                .to_owned();
            let fields = |amount: &'static str| -> Vec<(&'static str, String)> {
                vec![
                    ("version", version.clone()),
                    ("title", "塩尻 人材事業".into()),
                    ("frame", "right_hand".into()),
                    ("municipality_id", shiojiri.clone()),
                    ("project_start", "2026-07-01".into()),
                    ("project_end", "2027-02-26".into()),
                    ("partners[0].kind", "municipality".into()),
                    ("partners[0].name", "塩尻市".into()),
                    // A blank partner row, as the page always offers one.
                    ("partners[1].kind", "".into()),
                    ("partners[1].name", "".into()),
                    ("legal_basis.path", "".into()),
                    ("activities[0].name", "幹部インターンシップ".into()),
                    ("activities[0].category", "development".into()),
                    ("activities[0].executive_internship", "on".into()),
                    ("activities[0].budget_lines[0].category", "personnel".into()),
                    (
                        "activities[0].budget_lines[0].description",
                        "コーディネーター".into(),
                    ),
                    (
                        "activities[0].budget_lines[0].amount_yen",
                        "6,000,000".into(),
                    ),
                    (
                        "activities[0].budget_lines[0].funding_source",
                        "this_subsidy".into(),
                    ),
                    // Row 1 was removed in the browser; row 2 has the amount under test.
                    ("activities[0].budget_lines[2].category", "travel".into()),
                    ("activities[0].budget_lines[2].description", "旅費".into()),
                    ("activities[0].budget_lines[2].amount_yen", amount.into()),
                    (
                        "activities[0].budget_lines[2].funding_source",
                        "nope".into(),
                    ),
                ]
            };
            let post = |fields: Vec<(&'static str, String)>, token: Option<&str>| {
                let mut all: Vec<(String, String)> =
                    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                if let Some(token) = token {
                    all.push(("csrf_token".into(), token.to_owned()));
                }
                TestRequest::post().uri(&edit_uri).set_form(all)
            };
            // Without the token: 403, nothing saved.
            let refused = send!(client, &app, post(fields("600000"), None));
            assert_eq!(refused.status, 403);
            let token = csrf_of(&edit.body);
            // Unreadable input: 422, the error next to its field, nothing saved.
            let invalid = send!(client, &app, post(fields("六十万"), Some(&token)));
            assert_eq!(invalid.status, 422);
            assert!(invalid
            .body
            .contains("id=\"activities-0--budget_lines-2--amount_yen-error\">金額は円単位の数字で入力してください"));
            // A summary at the top links to each field in error.
            let summary = &invalid.body[invalid
                .body
                .find("id=\"error-summary\"")
                .expect("the error summary")..];
            let summary = &summary[..summary.find("</div>").expect("end")];
            assert!(
                summary.contains("<a href=\"#activities-0--budget_lines-2--amount_yen\">金額は円単位の数字で入力してください"),
                "{summary}"
            );
            // Readable but wrong codes: the draft's own checks, mapped back to the form's rows.
            let wrong_code = send!(client, &app, post(fields("600000"), Some(&token)));
            assert_eq!(wrong_code.status, 422);
            assert!(
            wrong_code
                .body
                .contains("id=\"activities-0--budget_lines-2--funding_source-error\">財源「nope」は使えません"),
            "error on the row as the form numbered it"
        );
            // A select left at its blank choice asks for a choice; it does not print an empty code.
            let mut unchosen = fields("600000");
            unchosen.retain(|(k, _)| *k != "activities[0].budget_lines[2].funding_source");
            unchosen.push((
                "activities[0].budget_lines[2].funding_source",
                String::new(),
            ));
            let unchosen = send!(client, &app, post(unchosen, Some(&token)));
            assert_eq!(unchosen.status, 422);
            assert!(
                unchosen.body.contains(
                    "id=\"activities-0--budget_lines-2--funding_source-error\">財源を選んでください"
                ),
                "{}",
                unchosen.body
            );
            assert!(!unchosen.body.contains("「」"), "no empty code is quoted");
            let mut good = fields("600000");
            good.retain(|(k, _)| *k != "activities[0].budget_lines[2].funding_source");
            good.push((
                "activities[0].budget_lines[2].funding_source",
                "this_subsidy".into(),
            ));
            let saved = send!(client, &app, post(good, Some(&token)));
            assert_eq!(saved.status, 303, "{}", saved.body);
            let id: i64 = edit_uri
                .trim_start_matches("/applications/")
                .trim_end_matches("/edit")
                .parse()
                .expect("id");
            let (_, body) = crate::call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(client.cookie.as_deref().expect("cookie")),
                None
            );
            assert_eq!(body["application"]["title"], "塩尻 人材事業");
            let lines = body["activities"][0]["budget_lines"]
                .as_array()
                .expect("lines");
            assert_eq!(lines.len(), 2, "the blank and removed rows are not saved");
            assert_eq!(lines[0]["amount_yen"], 6_000_000);
            assert_eq!(lines[1]["amount_yen"], 600_000);
            assert_eq!(body["partners"].as_array().map(Vec::len), Some(1));
            // Co-applicants are checkboxes in one group, and the editor's search finds an
            // organisation by its name as the pipeline does (the legal form optional, and
            // another form not the same organisation).
            let edit = send!(client, &app, TestRequest::get().uri(&edit_uri));
            assert!(
                edit.body
                    .contains("<fieldset class=\"field co-applicants\" id=\"co_applicant_ids\"")
            );
            assert!(
                edit.body
                    .contains("type=\"checkbox\" name=\"co_applicant_ids\"")
            );
            assert!(
                !edit.body.contains("multiple"),
                "no multi-select to Ctrl-click"
            );
            for (query, expected) in [
                ("しおじり未来人材", vec![w.own_org]),
                ("(一社)しおじり未来人材機構", vec![w.own_org]),
                ("株式会社しおじり未来人材機構", vec![]),
            ] {
                let uri = format!(
                    "/organisations/search?q={}",
                    query
                        .bytes()
                        .map(|b| format!("%{b:02X}"))
                        .collect::<String>()
                );
                let (status, body) = crate::call!(
                    &app,
                    "GET",
                    uri,
                    Some(client.cookie.as_deref().expect("cookie")),
                    None
                );
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["ids"], json!(expected), "{query}");
            } // A save from a tab opened before that save (its version is the old one): 409,
            // what was typed comes back beside what is saved, and saving again applies it.
            let stale_fields = |version: &str| {
                let mut stale = fields("600000");
                stale.retain(|(k, _)| {
                    !matches!(
                        *k,
                        "activities[0].budget_lines[2].funding_source" | "title" | "version"
                    )
                });
                stale.push((
                    "activities[0].budget_lines[2].funding_source",
                    "this_subsidy".into(),
                ));
                stale.push(("title", "塩尻 人材事業（古いタブ）".into()));
                stale.push(("version", version.to_owned()));
                stale
            };
            let stale = send!(client, &app, post(stale_fields(&version), Some(&token)));
            assert_eq!(stale.status, 409, "{}", stale.body);
            let block = &stale.body[stale.body.find("id=\"stale-save\"").expect("the notice")..];
            let block = &block[..block.find("</div>").expect("end")];
            assert!(
                block.contains("<th scope=\"row\">事業名</th><td>塩尻 人材事業</td><td>塩尻 人材事業（古いタブ）</td>"),
                "{block}"
            );
            assert!(
                !block.contains("予算行2の金額"),
                "an unchanged amount is not listed: {block}"
            );
            assert!(
                stale.body.contains("value=\"塩尻 人材事業（古いタブ）\""),
                "typed text kept"
            );
            let current = stale
                .body
                .split("name=\"version\" value=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("version")
                .to_owned();
            assert_ne!(current, version, "the page carries the saved version");
            let reapplied = send!(client, &app, post(stale_fields(&current), Some(&token)));
            assert_eq!(reapplied.status, 303, "{}", reapplied.body);
            let (_, body) = crate::call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(client.cookie.as_deref().expect("cookie")),
                None
            );
            assert_eq!(body["application"]["title"], "塩尻 人材事業（古いタブ）");
            // The live preview answers the decision for the form as typed, without saving.
            let edit = send!(client, &app, TestRequest::get().uri(&edit_uri));
            let token = csrf_of(&edit.body);
            let mut preview_fields = fields("900000");
            preview_fields.retain(|(k, _)| *k != "activities[0].budget_lines[2].funding_source");
            preview_fields.push((
                "activities[0].budget_lines[2].funding_source",
                "this_subsidy".into(),
            ));
            let mut all: Vec<(String, String)> = preview_fields
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            all.push(("csrf_token".into(), token));
            let preview = send!(
                client,
                &app,
                TestRequest::post()
                    .uri(&format!("/applications/{id}/preview"))
                    .set_form(all),
            );
            assert_eq!(preview.status, 200);
            assert!(
                preview.body.contains("補助対象経費</dt><dd>6,900,000円"),
                "{}",
                preview.body
            );
            // The decision rules of the year reach the preview too: R8's cap is provisional
            // and says so beside the amount, and a project ending after 31 March of the
            // fiscal year is refused with its own message.
            assert!(
                preview
                    .body
                    .contains("class=\"value-note\">令和8年度の補助上限額は"),
                "the provisional cap is said beside it: {}",
                preview.body
            );
            assert!(
                !preview.body.contains(".txt"),
                "no seed file name on the page"
            );
            let edit = send!(client, &app, TestRequest::get().uri(&edit_uri));
            let token = csrf_of(&edit.body);
            let mut late: Vec<(String, String)> = fields("600000")
                .into_iter()
                .map(|(k, v)| match k {
                    "project_end" => (k.to_owned(), "2027-04-30".to_owned()),
                    "activities[0].budget_lines[2].funding_source" => {
                        (k.to_owned(), "this_subsidy".to_owned())
                    }
                    _ => (k.to_owned(), v),
                })
                .collect();
            late.push(("csrf_token".into(), token));
            let late = send!(
                client,
                &app,
                TestRequest::post()
                    .uri(&format!("/applications/{id}/preview"))
                    .set_form(late),
            );
            assert_eq!(late.status, 200);
            assert!(late.body.contains("補助事業の期間（"), "{}", late.body);
            assert!(
                late.body.contains("令和9年4月30日"),
                "the period's own message names the end: {}",
                late.body
            );
            let (_, body) = crate::call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(client.cookie.as_deref().expect("cookie")),
                None
            );
            assert_eq!(
                body["activities"][0]["budget_lines"][1]["amount_yen"], 600_000,
                "preview saved nothing"
            );
        });
    }
);

crate::on_both_backends!(
    the_finance_officer_reviews_lines_and_exports_csv,
    |test_db| {
        let w = {
            let mut conn = test_db.conn();
            world(&mut conn)
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let owner = crate::login!(&app, "applicant@own.example");
            let (_, created) = crate::call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&owner),
                Some(draft(w.own_org, w.shiojiri))
            );
            let id = created["application"]["id"].as_i64().expect("id");
            let version = created["application"]["version"].as_i64().expect("version");
            let (status, _) = crate::call!(
                &app,
                "POST",
                format!("/api/v1/applications/{id}/actions/submit"),
                Some(&owner),
                Some(json!({"version": version}))
            );
            assert_eq!(status, 200);
            let mut officer = Client::new();
            page_login!(&app, officer, "officer@shiojiri.example");
            let queue = send!(officer, &app, TestRequest::get().uri("/finance"));
            assert!(queue.body.contains("塩尻 幹部人材インターンシップ"));
            let review = send!(
                officer,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/review"))
            );
            assert_eq!(review.status, 200);
            assert!(
                review.body.contains("class=\"double-funded\""),
                "double funding highlighted"
            );
            assert!(review.body.contains("二重計上の疑い（自治体予算と重複）"));
            assert!(
                review
                    .body
                    .contains("<dd id=\"effective-total\">7,900,000円</dd>")
            );
            let line = created["activities"][0]["budget_lines"][2]["id"]
                .as_i64()
                .expect("line");
            let token = csrf_of(&review.body);
            let uri = format!("/applications/{id}/lines/{line}/review");
            // Without the token nothing is recorded.
            let refused = send!(
                officer,
                &app,
                form(
                    &uri,
                    &[("decision", "reject"), ("reason", "x"), ("version", "1")]
                )
            );
            assert_eq!(refused.status, 403);
            // 否認 without a reason: the page again, the error at this line, what was chosen
            // and typed kept; nothing recorded.
            let no_reason = send!(
                officer,
                &app,
                form(
                    &uri,
                    &[
                        ("csrf_token", &token),
                        ("decision", "reject"),
                        ("amount_yen", "１２３"),
                        ("reason", ""),
                        ("version", "1"),
                    ],
                ),
            );
            assert_eq!(no_reason.status, 422, "{}", no_reason.body);
            let at_line = &no_reason.body[no_reason
                .body
                .find(&format!("<tr id=\"line-{line}\""))
                .expect("the line")..];
            let at_line = &at_line[..at_line.find("</tr>").expect("row end")];
            assert!(
                at_line.contains(&format!(
                    "<p class=\"error-summary\" role=\"alert\" id=\"line-{line}-error\">否認の理由を入力してください</p>"
                )),
                "{at_line}"
            );
            assert!(at_line.contains("value=\"reject\" checked"), "{at_line}");
            assert!(at_line.contains("value=\"１２３\""), "{at_line}");
            assert!(!at_line.contains("却下"));
            assert!(
                no_reason
                    .body
                    .contains("<dd id=\"effective-total\">7,900,000円</dd>"),
                "nothing recorded"
            );
            let done = send!(
                officer,
                &app,
                form(
                    &uri,
                    &[
                        ("csrf_token", &token),
                        ("decision", "adjust"),
                        // As the editor reads amounts: 全角 digits and commas.
                        ("amount_yen", "４００，０００"),
                        ("reason", "市の委託分を除く"),
                        ("version", "1"),
                    ],
                ),
            );
            assert_eq!(done.status, 303);
            assert_eq!(
                done.location.as_deref(),
                Some(format!("/applications/{id}/review#line-{line}").as_str()),
                "back at the line"
            );
            let review = send!(
                officer,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/review"))
            );
            assert!(review.body.contains("予算行の審査を記録しました"));
            assert!(
                review
                    .body
                    .contains("<dd id=\"effective-total\">7,300,000円</dd>")
            );
            assert!(review.body.contains("市の委託分を除く"));
            let csv = send!(
                officer,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/budget.csv"))
            );
            assert_eq!(csv.status, 200);
            assert!(
                csv.bytes.starts_with(b"\xEF\xBB\xBF"),
                "UTF-8 with BOM for Excel"
            );
            let text = String::from_utf8(csv.bytes[3..].to_vec()).expect("utf-8");
            let mut rows = text.lines();
            assert!(
                rows.next()
                    .expect("header")
                    .starts_with("申請番号,活動,活動の区分,経費区分")
            );
            let adjusted = text
                .lines()
                .find(|row| row.contains("マッチング運営"))
                .expect("adjusted line");
            assert!(
                adjusted.contains(",1000000,")
                    && adjusted.contains(",あり,調整,400000,400000,市の委託分を除く"),
                "{adjusted}"
            );
            let lines: Vec<&str> = text.lines().take_while(|row| *row != "\"\"").collect();
            assert_eq!(lines.len(), 5, "header and four lines");
            let amounts: Vec<&str> = text.lines().skip(lines.len() + 1).collect();
            assert_eq!(
                amounts.first(),
                Some(&"金額の名称,金額（円）,日付の名称,日付")
            );
            assert!(
                amounts.iter().any(|row| row.starts_with("審査後,")),
                "the amount after the review follows the lines: {amounts:?}"
            );
            let xlsx = send!(
                officer,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/budget.xlsx"))
            );
            assert_eq!(xlsx.status, 200);
            assert!(
                xlsx.bytes.starts_with(b"PK\x03\x04"),
                "an .xlsx is a zip package"
            );
            let (_, shown) = crate::call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                officer.cookie.as_deref(),
                None
            );
            assert_budget_workbook(
                &xlsx.bytes,
                &created,
                &draft(w.own_org, w.shiojiri),
                &shown["decision"],
            );
            // 一括承認: the three lines still unreviewed, approved together at their amounts.
            let review = send!(
                officer,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/review"))
            );
            let bulk = &review.body[review
                .body
                .find("id=\"approve-remaining\"")
                .expect("the 一括承認 form")..];
            let bulk = &bulk[..bulk.find("</form>").expect("form end")];
            assert!(bulk.contains("未審査の 3 行をすべて承認"), "{bulk}");
            let seen: Vec<(&str, String)> = bulk
                .split("name=\"line\" value=\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next())
                .map(|pair| ("line", pair.to_owned()))
                .collect();
            assert_eq!(seen.len(), 3, "{bulk}");
            assert!(
                !seen
                    .iter()
                    .any(|(_, pair)| pair.starts_with(&format!("{line}:"))),
                "the adjusted line is not approved again"
            );
            let mut fields = seen.clone();
            fields.push(("csrf_token", csrf_of(&review.body)));
            let approve = |fields: &[(&'static str, String)]| {
                TestRequest::post()
                    .uri(&format!("/applications/{id}/lines/approve-remaining"))
                    .set_form(fields.to_vec())
            };
            let approved = send!(officer, &app, approve(&fields));
            assert_eq!(approved.status, 303);
            let review = send!(
                officer,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/review"))
            );
            assert!(
                review.body.contains("未審査の予算行 3 行を承認しました"),
                "{}",
                review.body
            );
            assert!(
                !review.body.contains("id=\"approve-remaining\""),
                "none left"
            );
            assert!(
                review
                    .body
                    .contains("<dd id=\"effective-total\">7,300,000円</dd>"),
                "approval keeps each line at its amount"
            );
            let (_, shown) = crate::call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                officer.cookie.as_deref(),
                None
            );
            let states: Vec<&str> = shown["activities"]
                .as_array()
                .expect("activities")
                .iter()
                .flat_map(|a| a["budget_lines"].as_array().expect("lines"))
                .map(|l| l["review_state"].as_str().expect("state"))
                .collect();
            assert_eq!(states, ["approved", "approved", "adjusted", "approved"]);
            // The same form again, from a page read before: refused, nothing recorded twice.
            let again = send!(officer, &app, approve(&fields));
            assert_eq!(again.status, 303);
            let review = send!(
                officer,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/review"))
            );
            assert!(
                review.body.contains("一括承認できませんでした"),
                "{}",
                review.body
            );
            assert!(review.body.contains("は他の人が更新しました"));
        });
    }
);

crate::on_both_backends!(
    /// OWASP CSV injection: a 内容 and an activity name a spreadsheet would run come out of the
    /// CSV behind a `'` and out of the workbook as text (no formula), while the amounts stay
    /// numbers and a 内容 that is a plain negative number is left as it is.
    exports_never_hand_a_spreadsheet_a_formula,
    |test_db| {
        let w = {
            let mut conn = test_db.conn();
            world(&mut conn)
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let owner = crate::login!(&app, "applicant@own.example");
            let mut body = draft(w.own_org, w.shiojiri);
            body["activities"][0]["name"] = json!("@SUM(A1:A9)");
            body["activities"][0]["budget_lines"][0]["description"] = json!("=HYPERLINK(\"x\")");
            body["activities"][0]["budget_lines"][1]["description"] = json!("-5");
            body["activities"][1]["budget_lines"][0]["description"] = json!("+cmd|' /C calc'!A0");
            let (status, created) = crate::call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&owner),
                Some(body)
            );
            assert_eq!(status, 201, "{created}");
            let id = created["application"]["id"].as_i64().expect("id");
            let mut client = Client {
                cookie: Some(owner),
            };
            let csv = send!(
                client,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/budget.csv"))
            );
            assert_eq!(csv.status, 200);
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(&csv.bytes[3..]);
            let rows: Vec<Vec<String>> = reader
                .records()
                .map(|row| row.expect("a CSV row").iter().map(str::to_owned).collect())
                .take_while(|row: &Vec<String>| row.len() > 1)
                .collect();
            let cells: Vec<(&str, &str, &str)> = rows
                .iter()
                .map(|row| (row[1].as_str(), row[4].as_str(), row[5].as_str()))
                .collect();
            assert_eq!(
                cells,
                [
                    ("'@SUM(A1:A9)", "'=HYPERLINK(\"x\")", "6000000"),
                    ("'@SUM(A1:A9)", "-5", "600000"),
                    ("'@SUM(A1:A9)", "マッチング運営（外注）", "1000000"),
                    ("協議会", "'+cmd|' /C calc'!A0", "300000"),
                ]
            );
            let xlsx = send!(
                client,
                &app,
                TestRequest::get().uri(&format!("/applications/{id}/budget.xlsx"))
            );
            assert_eq!(xlsx.status, 200);
            use calamine::{Data, Reader, Xlsx};
            let mut workbook: Xlsx<_> =
                calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.bytes)).expect("xlsx");
            let sheet = workbook.worksheet_range("予算行").expect("the sheet");
            assert_eq!(
                sheet.get((1, 4)),
                Some(&Data::String("=HYPERLINK(\"x\")".to_owned()))
            );
            assert_eq!(
                sheet.get((1, 1)),
                Some(&Data::String("@SUM(A1:A9)".to_owned()))
            );
            assert_eq!(sheet.get((1, 5)), Some(&Data::Float(6_000_000.0)));
            let formulas = workbook.worksheet_formula("予算行").expect("formulas");
            assert!(
                formulas.used_cells().all(|(_, _, formula)| formula.is_empty()),
                "no formula in the workbook"
            );
        });
    }
);

/// Reads the budget workbook back and checks every cell against the fixture `draft` the
/// application was made from, after the one review above (マッチング運営 adjusted to
/// 400,000 with a reason): the text columns, the amounts as numbers, the totals row under
/// them, the filter and the frozen header, and the subsidy calculation as `decision` (the
/// engine's, as the API shows it) has it.
fn assert_budget_workbook(
    bytes: &[u8],
    created: &serde_json::Value,
    draft: &serde_json::Value,
    decision: &serde_json::Value,
) {
    use calamine::{Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx workbook");
    assert_eq!(workbook.sheet_names(), ["予算行", "補助金の算定", "金額"]);
    let sheet = workbook.worksheet_range("予算行").expect("the sheet");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let text = |cell: &Data| match cell {
        Data::String(text) => text.clone(),
        Data::Empty => String::new(),
        other => panic!("a text cell, not {other:?}"),
    };
    let number = |cell: &Data| match cell {
        Data::Float(value) if value.fract() == 0.0 => *value as i64,
        other => panic!("an amount stored as a whole number, not {other:?}"),
    };
    let header: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(
        header,
        [
            "申請番号",
            "活動",
            "活動の区分",
            "経費区分",
            "内容",
            "申請額（円）",
            "財源",
            "併用する財源",
            "二重計上の疑い",
            "審査",
            "審査後の金額（円）",
            "補助対象経費（円）",
            "審査の理由",
        ]
    );
    let reference = created["application"]["reference"]
        .as_str()
        .expect("reference");
    let label = |code: &str| match code {
        "development" => "人材育成支援",
        "council" => "協議会",
        "personnel" => "人件費",
        "travel" => "旅費",
        "outsourcing" => "委託・外注費",
        "meetings" => "会議費",
        "this_subsidy" => "本補助金（補助対象経費）",
        "own_funds" => "自己資金",
        "municipal" => "自治体予算",
        other => panic!("no label for {other} in this test"),
    };
    // The expected rows, from the fixture: (texts before the amount, amount, texts after it,
    // amount after review, claimed amount, reason).
    let (adjusted, adjusted_to, reason) = ("マッチング運営（外注）", 400_000, "市の委託分を除く");
    let mut expected = Vec::new();
    for activity in draft["activities"].as_array().expect("activities") {
        for line in activity["budget_lines"].as_array().expect("lines") {
            let description = line["description"].as_str().expect("description");
            let amount = line["amount_yen"].as_i64().expect("amount");
            let source = line["funding_source"].as_str().expect("source");
            let co_funding: Vec<&str> = line["co_funding_sources"]
                .as_array()
                .map(|sources| {
                    sources
                        .iter()
                        .map(|s| label(s.as_str().expect("code")))
                        .collect()
                })
                .unwrap_or_default();
            let is_adjusted = description == adjusted;
            let effective = if is_adjusted { adjusted_to } else { amount };
            expected.push((
                vec![
                    reference.to_owned(),
                    activity["name"].as_str().expect("name").to_owned(),
                    label(activity["category"].as_str().expect("category")).to_owned(),
                    label(line["category"].as_str().expect("category")).to_owned(),
                    description.to_owned(),
                ],
                amount,
                vec![
                    label(source).to_owned(),
                    co_funding.join("、"),
                    // Claimed and also funded by the municipality: double funding.
                    if source == "this_subsidy" && co_funding.contains(&"自治体予算") {
                        "あり"
                    } else {
                        ""
                    }
                    .to_owned(),
                    if is_adjusted { "調整" } else { "未審査" }.to_owned(),
                ],
                effective,
                if source == "this_subsidy" {
                    effective
                } else {
                    0
                },
                if is_adjusted { reason } else { "" }.to_owned(),
            ));
        }
    }
    assert_eq!(
        rows.len(),
        1 + expected.len() + 1,
        "a header, one row per line and the totals row"
    );
    let lines = &rows[1..=expected.len()];
    for (row, (before, amount, middle, effective, claimed, reason)) in lines.iter().zip(&expected) {
        assert_eq!(row.len(), 13, "{row:?}");
        let cells: Vec<String> = row[..5].iter().map(text).collect();
        assert_eq!(&cells, before);
        assert_eq!(number(&row[5]), *amount, "{before:?}");
        let cells: Vec<String> = row[6..10].iter().map(text).collect();
        assert_eq!(&cells, middle, "{before:?}");
        assert_eq!(number(&row[10]), *effective, "{before:?}");
        assert_eq!(number(&row[11]), *claimed, "{before:?}");
        assert_eq!(text(&row[12]), *reason);
    }
    // The totals a spreadsheet would compute from the columns: what was asked, what the
    // review leaves, and the 補助対象経費.
    let total = |column: usize| lines.iter().map(|row| number(&row[column])).sum::<i64>();
    let requested: i64 = expected.iter().map(|row| row.1).sum();
    let reviewed: i64 = expected.iter().map(|row| row.3).sum();
    let claimed: i64 = expected.iter().map(|row| row.4).sum();
    assert_eq!(
        (requested, reviewed, claimed),
        (7_900_000, 7_300_000, 7_000_000)
    );
    assert_eq!(
        (total(5), total(10), total(11)),
        (requested, reviewed, claimed)
    );
    // The totals row carries the same sums, as numbers, under 内容's 合計.
    let totals = rows.last().expect("the totals row");
    assert_eq!(text(&totals[4]), "合計");
    assert_eq!(
        (number(&totals[5]), number(&totals[10]), number(&totals[11])),
        (requested, reviewed, claimed)
    );
    for column in [0, 1, 2, 3, 6, 7, 8, 9, 12] {
        assert_eq!(
            totals[column],
            Data::Empty,
            "column {column} of the totals row"
        );
    }
    // The filter covers the header and the lines, not the totals; the header row is frozen.
    let sheet_xml = xlsx_part(bytes, "xl/worksheets/sheet1.xml");
    assert!(
        sheet_xml.contains(&format!("<autoFilter ref=\"A1:M{}\"", 1 + expected.len())),
        "{sheet_xml}"
    );
    assert!(
        sheet_xml.contains(
            "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
        ),
        "{sheet_xml}"
    );
    // The subsidy calculation, as the engine stored it: nothing recomputed.
    let calculation = workbook
        .worksheet_range("補助金の算定")
        .expect("the calculation sheet");
    let calculation: Vec<(String, Data)> = calculation
        .rows()
        .skip(1)
        .map(|row| (text(&row[0]), row[1].clone()))
        .collect();
    let yen = |field: &str| Data::Float(decision[field].as_i64().expect(field) as f64);
    let rate = format!(
        "{}/{}",
        decision["rate"]["numerator"].as_i64().expect("numerator"),
        decision["rate"]["denominator"]
            .as_i64()
            .expect("denominator")
    );
    assert_eq!(
        calculation[..6],
        [
            (
                "判定".to_owned(),
                Data::String("要件を満たしています".to_owned())
            ),
            (
                "補助対象経費（円）".to_owned(),
                yen("eligible_expenses_yen")
            ),
            ("補助率".to_owned(), Data::String(rate)),
            ("算定額（円）".to_owned(), yen("calculated_subsidy_yen")),
            ("上限額（円）".to_owned(), yen("cap_yen")),
            ("補助金額（円）".to_owned(), yen("subsidy_yen")),
        ]
    );
    assert_eq!(
        calculation[1].1,
        Data::Float(claimed as f64),
        "the 補助対象経費 is the claimed total of the lines"
    );
}

crate::on_both_backends!(the_program_manager_pages_answer, |test_db| {
    let w = {
        let mut conn = test_db.conn();
        world(&mut conn)
    };
    block_on(async {
        let app = crate::test_app!(test_db);
        let owner = crate::login!(&app, "applicant@own.example");
        let (_, created) = crate::call!(
            &app,
            "POST",
            "/api/v1/applications",
            Some(&owner),
            Some(draft(w.own_org, w.shiojiri))
        );
        let id = created["application"]["id"].as_i64().expect("id");
        let mut manager = Client::new();
        page_login!(&app, manager, "manager@meti.example");
        // A draft is its applicants' alone: the 事務局 sees it from its submission on.
        let before = send!(manager, &app, TestRequest::get().uri("/manager"));
        assert!(
            !before.body.contains("塩尻 幹部人材インターンシップ"),
            "a draft is not in the pipeline"
        );
        let draft_page = send!(
            manager,
            &app,
            TestRequest::get().uri(&format!("/applications/{id}"))
        );
        assert_eq!(draft_page.status, 403, "a draft is not shown to the 事務局");
        let (_, listed) = crate::call!(&app, "GET", "/api/v1/applications", Some(&owner), None);
        assert_eq!(listed["applications"].as_array().map(Vec::len), Some(1));
        let version = created["application"]["version"].as_i64().expect("version");
        let (status, answer) = crate::call!(
            &app,
            "POST",
            format!("/api/v1/applications/{id}/actions/submit"),
            Some(&owner),
            Some(json!({ "version": version }))
        );
        assert_eq!(status, 200, "{answer}");
        let all = send!(manager, &app, TestRequest::get().uri("/manager"));
        assert!(all.body.contains("塩尻 幹部人材インターンシップ"));
        let none = send!(
            manager,
            &app,
            TestRequest::get().uri("/manager?state=under_review")
        );
        assert!(
            !none.body.contains("塩尻 幹部人材インターンシップ"),
            "filtered by state"
        );
        let by_text = send!(
            manager,
            &app,
            TestRequest::get().uri("/manager?q=%E5%B9%B9%E9%83%A8")
        );
        assert!(
            by_text.body.contains("塩尻 幹部人材インターンシップ"),
            "filtered by title"
        );
        // A submitted application offers the manager its next step; the page shows the
        // engine's decision.
        let show = send!(
            manager,
            &app,
            TestRequest::get().uri(&format!("/applications/{id}"))
        );
        assert_eq!(show.status, 200);
        assert!(
            show.body.contains("data-action=\"start_review\""),
            "{}",
            show.body
        );
        assert!(show.body.contains("判定結果"));
        for uri in [
            "/manager/award-limits",
            "/manager/kpis",
            "/manager/programs",
        ] {
            let page = send!(manager, &app, TestRequest::get().uri(uri));
            assert_eq!(page.status, 200, "{uri}");
        }
        let programs = send!(manager, &app, TestRequest::get().uri("/manager/programs"));
        assert!(programs.body.contains("令和8年度") && programs.body.contains("根拠"));
        assert!(programs.body.contains("右腕人材枠（right_hand）"));
        // Sources by title, notes in Japanese: no seed file name, no English note.
        assert!(
            programs
                .body
                .contains("経済産業省「地域の人事部について」（2026年1月）"),
            "sources read by title"
        );
        assert!(programs.body.contains(
            "令和8年度の補助上限額は公募要領の公表前のため、令和7年度の額（13,000,000円）を暫定的に用いています"
        ));
        for hidden in [
            ".txt",
            "DOMAIN.md",
            "UNVERIFIED",
            "INTERPRETATION",
            "carried over",
        ] {
            assert!(
                !programs.body.contains(hidden),
                "the programs page shows {hidden:?}"
            );
        }
        // The decision panel of the draft cites sources by title, never a file name.
        assert!(
            !show.body.contains("004_4db6bae2530d025b.txt"),
            "no seed file name on a page"
        );
    });
});

crate::on_both_backends!(a_password_is_reset_once_by_the_emailed_link, |test_db| {
    {
        let mut conn = test_db.conn();
        world(&mut conn);
    }
    block_on(async {
        let app = crate::test_app!(test_db);
        let mut client = Client::new();
        let page = send!(client, &app, TestRequest::get().uri("/password-reset"));
        assert_eq!(page.status, 200);
        let token = csrf_of(&page.body);
        let jobs = |test_db: &crate::helpers::TestDb| {
            hojokin::db::jobs::queued(&mut test_db.conn()).expect("jobs")
        };
        // An unknown address gets the same answer and no email.
        let unknown = send!(
            client,
            &app,
            form(
                "/password-reset",
                &[("csrf_token", &token), ("email", "nobody@nowhere.example")]
            )
        );
        assert_eq!(unknown.status, 200);
        assert!(unknown.body.contains("id=\"reset-sent\""));
        assert!(jobs(test_db).is_empty());
        // Without the CSRF token nothing is sent.
        let refused = send!(
            client,
            &app,
            form("/password-reset", &[("email", "applicant@own.example")])
        );
        assert_eq!(refused.status, 403);
        assert!(jobs(test_db).is_empty());
        let known = send!(
            client,
            &app,
            form(
                "/password-reset",
                &[("csrf_token", &token), ("email", "applicant@own.example")]
            )
        );
        assert_eq!(known.body, unknown.body, "the same page either way");
        let queued = jobs(test_db);
        assert_eq!(queued.len(), 1);
        let (kind, _, payload) = &queued[0];
        assert_eq!(kind, "email");
        let payload: serde_json::Value = serde_json::from_str(payload).expect("json");
        assert_eq!(payload["template"], "password_reset");
        // The job names the reset, never its link: a copy of the database opens nothing.
        let stored_payload = |test_db: &crate::helpers::TestDb| -> String {
            use diesel::prelude::*;
            hojokin::db::schema::jobs::table
                .select(hojokin::db::schema::jobs::payload_json)
                .load::<String>(&mut *test_db.conn())
                .expect("jobs")
                .join("\n")
        };
        let before_sending = stored_payload(test_db);
        assert!(
            !before_sending.contains("password-reset") && !before_sending.contains("reset_path"),
            "no link in the job: {before_sending}"
        );

        // The worker sends it through a real SMTP server, with the link joined to base_url.
        let sink = crate::reminders::SmtpSink::start(&[]);
        let worker = hojokin::jobs::worker::Worker::new(
            test_db.pool.clone(),
            hojokin::mail::Mailer::from_config(&sink.backend()).expect("mailer"),
            crate::reminders::worker_settings(60),
        )
        .expect("worker");
        assert_eq!(worker.run_batch().expect("batch").sent, 1);
        let received = sink.received();
        assert_eq!(received.len(), 1);
        let mail = &received[0];
        assert_eq!(mail["to"], json!(["applicant@own.example"]));
        assert_eq!(
            mail["subject"],
            "【地域の人事部支援事業】パスワードの再設定"
        );
        let text = mail["text"].as_str().expect("text part");
        let url = text
            .split_whitespace()
            .find(|word| word.starts_with("https://hojokin.example/password-reset/"))
            .unwrap_or_else(|| panic!("a link in the mail: {text}"));
        assert!(text.contains("1回"), "says the link works once: {text}");
        assert!(
            mail["html"].as_str().unwrap_or_default().contains(url),
            "the HTML part has the same link"
        );
        let link = url
            .strip_prefix("https://hojokin.example")
            .expect("path")
            .to_owned();
        let token = link.strip_prefix("/password-reset/").expect("token");
        assert_eq!(token.len(), 64);
        // Neither the job nor the token table holds the token, before or after sending.
        let stored: Vec<String> = {
            use diesel::prelude::*;
            hojokin::db::schema::password_reset_tokens::table
                .select(hojokin::db::schema::password_reset_tokens::token_hash)
                .load(&mut *test_db.conn())
                .expect("tokens")
        };
        assert_eq!(stored, [hojokin::db::users::token_hash(token)]);
        let after_sending = stored_payload(test_db);
        assert!(!after_sending.contains(token), "{after_sending}");

        let form_page = send!(client, &app, TestRequest::get().uri(&link));
        assert_eq!(form_page.status, 200);
        let token = csrf_of(&form_page.body);
        let mismatch = send!(
            client,
            &app,
            form(
                &link,
                &[
                    ("csrf_token", &token),
                    ("password", "a new password 1"),
                    ("password_again", "another one 22")
                ]
            )
        );
        assert_eq!(mismatch.status, 422);
        assert!(mismatch.body.contains("一致しません"));
        let short = send!(
            client,
            &app,
            form(
                &link,
                &[
                    ("csrf_token", &token),
                    ("password", "short"),
                    ("password_again", "short")
                ]
            )
        );
        assert_eq!(short.status, 422);
        assert!(short.body.contains("文字以上"));
        let done = send!(
            client,
            &app,
            form(
                &link,
                &[
                    ("csrf_token", &token),
                    ("password", "a new password 1"),
                    ("password_again", "a new password 1")
                ]
            )
        );
        assert_eq!(done.status, 303);
        assert_eq!(done.location.as_deref(), Some("/login"));
        let request = TestRequest::post()
            .uri("/api/v1/session")
            .set_json(json!({"email": "applicant@own.example", "password": "a new password 1"}))
            .to_request();
        assert_eq!(
            call_service(&app, request).await.status().as_u16(),
            200,
            "the new password works"
        );
        let request = TestRequest::post()
            .uri("/api/v1/session")
            .set_json(json!({"email": "applicant@own.example", "password": PASSWORD}))
            .to_request();
        assert_eq!(
            call_service(&app, request).await.status().as_u16(),
            401,
            "the old one does not"
        );
        // The link works once.
        let again = send!(client, &app, TestRequest::get().uri(&link));
        assert_eq!(again.status, 410);
        let login = send!(client, &app, TestRequest::get().uri("/login"));
        let token = csrf_of(&login.body);
        let reuse = send!(
            client,
            &app,
            form(
                &link,
                &[
                    ("csrf_token", &token),
                    ("password", "third password 3"),
                    ("password_again", "third password 3")
                ]
            )
        );
        assert_eq!(reuse.status, 410);
    });
});

crate::on_both_backends!(
    /// The sent log and the dead letters name each mail by its kind in Japanese (a workflow
    /// notice, a change request's notice, a digest), each outcome in Japanese, and a job
    /// without a mail kind by its job kind; no code is printed.
    mail_and_job_kinds_are_named_in_japanese_on_the_pages,
    |test_db| {
        use diesel::prelude::*;
        use hojokin::db::{self, schema::jobs};
        world(&mut test_db.conn());
        let logged = [
            ("application_submitted", "sent", "申請提出の通知", "送信済み"),
            ("budget_review_requested", "retrying", "予算審査の依頼", "一時的な失敗（再試行）"),
            ("change_request_pending", "dead", "計画変更の承認申請の通知", "送信不能"),
            ("digest", "sent", "週次のまとめ", "送信済み"),
        ];
        {
            let mut conn = test_db.conn();
            for (n, (template, outcome, _, _)) in logged.iter().enumerate() {
                let recipient = format!("person{n}@own.example");
                db::sent_emails::record(
                    &mut conn,
                    &db::sent_emails::NewSentEmail {
                        job_id: None,
                        application_id: None,
                        deadline_id: None,
                        recipient: &recipient,
                        template: template.parse().expect("a mail kind"),
                        message_id: None,
                        outcome: outcome.parse().expect("a sent outcome"),
                        detail: None,
                        // No subject recorded: the kind stands in for it.
                        subject: None,
                    },
                )
                .expect("sent log");
            }
            for (key, kind, payload) in [
                (
                    "test:grant",
                    hojokin::db::jobs::JobKind::Email,
                    json!({"template": "grant_decided", "application_id": 1, "to": "applicant"}),
                ),
                (
                    "test:reminder",
                    hojokin::db::jobs::JobKind::Reminder,
                    json!({"deadline_id": 1, "user_id": 1}),
                ),
            ] {
                db::jobs::enqueue(&mut conn, kind, Some(key), &payload, db::now()).expect("job");
                diesel::update(jobs::table.filter(jobs::unique_key.eq(key)))
                    .set((
                        jobs::status.eq("dead"),
                        jobs::finished_at.eq(Some(db::now())),
                    ))
                    .execute(&mut conn)
                    .expect("dead");
            }
        }
        block_on(async {
            let app = crate::test_app!(test_db);
            let mut manager = Client::new();
            page_login!(&app, manager, "manager@meti.example");
            let log = send!(manager, &app, TestRequest::get().uri("/manager/reminders"));
            assert_eq!(log.status, 200);
            let table = &log.body[log.body.find("id=\"sent-log\"").expect("the sent log")..];
            for (n, (template, outcome, kind, said)) in logged.iter().enumerate() {
                let row = table
                    .split("<tr>")
                    .find(|row| row.contains(&format!("person{n}@own.example")))
                    .unwrap_or_else(|| panic!("a row for {template}: {table}"));
                assert!(
                    row.contains(&format!("<td>（{kind}）</td><td>{kind}</td>")),
                    "{template} as {kind}: {row}"
                );
                assert!(row.contains(said), "{outcome} as {said}: {row}");
                assert!(!row.contains(template) && !row.contains(&format!(">{outcome}<")), "{row}");
            }
            let dead = send!(manager, &app, TestRequest::get().uri("/manager/dead-letters"));
            assert_eq!(dead.status, 200);
            let table = &dead.body[dead.body.find("id=\"dead-letters\"").expect("the table")..];
            assert!(table.contains("<td>交付決定の通知</td>"), "{table}");
            assert!(table.contains("<td>期限のリマインド</td>"), "{table}");
            for code in ["grant_decided", ">email<", ">reminder<", "applicant<"] {
                assert!(!table.contains(code), "no {code}: {table}");
            }
        });
    }
);

mod applicant;
mod forecast;
mod impact;
mod manager;
mod pipeline;

/// The text of one part of an .xlsx package (a sheet's XML, say).
fn xlsx_part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut package = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip package");
    let mut part = package.by_name(name).expect("the part");
    let mut text = String::new();
    part.read_to_string(&mut text).expect("UTF-8 XML");
    text
}

// The editor's live preview judges as the CLI and the API do for the rules a 事務局 must be
// able to defend: an award of the same year and frame is this application, not a prior one;
// a ③ holder outside the listed kinds goes to review; a legal basis expiring before the
// project ends is refused; a name close to an awarded organisation is said, not merged.
crate::on_both_backends!(the_preview_says_what_the_rules_decide, |test_db| {
    let w = world(&mut test_db.conn());
    {
        use diesel::prelude::*;
        use hojokin::db::schema::organisations;
        let mut conn = test_db.conn();
        // The applicant is a 信用金庫 (outside ③'s listed holder kinds).
        diesel::update(organisations::table.find(w.own_org))
            .set(organisations::kind.eq("shinkin_bank"))
            .execute(&mut conn)
            .expect("kind");
        // Its own award of this year and frame (as an imported list would hold it).
        crate::fixtures::past_awards(&mut conn, w.own_org, &[("R8-OWN", 2026, "legal_linkage")]);
        // An awarded organisation whose name is one character away from the applicant's.
        let mut near = hojokin::db::organisations::NewOrganisation::named(
            "一般社団法人しおじり未来人財機構",
            hojokin::domain::codes::ApplicantKind::GeneralIncorporatedAssociation,
            hojokin::db::now(),
        );
        near.employees = Some(5);
        let near = hojokin::db::organisations::insert_organisation(&mut conn, &near).expect("org");
        diesel::insert_into(hojokin::db::schema::awards::table)
            .values((
                hojokin::db::schema::awards::award_code.eq("R6-NEAR"),
                hojokin::db::schema::awards::fiscal_year.eq(2024),
                hojokin::db::schema::awards::frame.eq("general"),
                hojokin::db::schema::awards::origin.eq("imported"),
                hojokin::db::schema::awards::created_at.eq(hojokin::db::now()),
            ))
            .execute(&mut conn)
            .expect("award");
        let award: i64 = hojokin::db::schema::awards::table
            .filter(hojokin::db::schema::awards::award_code.eq("R6-NEAR"))
            .select(hojokin::db::schema::awards::id)
            .first(&mut conn)
            .expect("award id");
        diesel::insert_into(hojokin::db::schema::award_members::table)
            .values((
                hojokin::db::schema::award_members::award_id.eq(award),
                hojokin::db::schema::award_members::organisation_id.eq(near),
                hojokin::db::schema::award_members::listed_as
                    .eq("一般社団法人しおじり未来人財機構"),
                hojokin::db::schema::award_members::role.eq("sole"),
            ))
            .execute(&mut conn)
            .expect("member");
    }
    block_on(async {
        let app = crate::test_app!(test_db);
        let (id, _) = create_draft!(&app, w);
        let mut client = Client::new();
        page_login!(&app, client, "applicant@own.example");
        let edit_uri = format!("/applications/{id}/edit");
        let edit = send!(client, &app, TestRequest::get().uri(&edit_uri));
        assert_eq!(edit.status, 200);
        let token = csrf_of(&edit.body);
        let preview = |valid_until: &str| {
            let fields: Vec<(String, String)> = [
                ("csrf_token", token.as_str()),
                ("title", "塩尻 二地域居住の人材事業"),
                ("frame", "legal_linkage"),
                ("municipality_id", &w.shiojiri.to_string()),
                ("project_start", "2026-07-01"),
                ("project_end", "2027-02-26"),
                ("partners[0].kind", "municipality"),
                ("partners[0].name", "塩尻市"),
                ("legal_basis.path", "two_region_residence"),
                ("legal_basis.holder", "一般社団法人しおじり未来人材機構"),
                ("legal_basis.granted_by", "塩尻市長"),
                ("legal_basis.granted_on", "2025-12-15"),
                ("legal_basis.valid_until", valid_until),
                ("activities[0].name", "二地域居住の人材マッチング"),
                ("activities[0].category", "recruitment"),
                ("activities[0].budget_lines[0].category", "personnel"),
                (
                    "activities[0].budget_lines[0].description",
                    "コーディネーター",
                ),
                ("activities[0].budget_lines[0].amount_yen", "3,000,000"),
                (
                    "activities[0].budget_lines[0].funding_source",
                    "this_subsidy",
                ),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
            TestRequest::post()
                .uri(&format!("/applications/{id}/preview"))
                .set_form(fields)
        };
        let open = send!(client, &app, preview("2030-03-31"));
        assert_eq!(open.status, 200);
        let body = &open.body;
        assert!(
            body.contains("1回目"),
            "this year's own award is not a prior one: {body}"
        );
        assert!(body.contains("要件を満たしています"), "eligible: {body}");
        assert!(
            body.contains("事務局"),
            "the ③ holder kind goes to review: {body}"
        );
        assert!(!body.contains(".txt"), "sources by title, not file: {body}");
        let expiring = send!(client, &app, preview("2026-12-31"));
        assert_eq!(expiring.status, 200);
        assert!(
            expiring.body.contains("要件を満たしていません"),
            "a legal basis expiring before the project ends is refused: {}",
            expiring.body
        );
        // With no award of its own in the ledger, the applicant's name is compared with the
        // awarded ones: the close name is said, with what it would mean, and nothing merged.
        {
            use diesel::prelude::*;
            use hojokin::db::schema::{award_members, awards};
            let mut conn = test_db.conn();
            let own: i64 = awards::table
                .filter(awards::award_code.eq("R8-OWN"))
                .select(awards::id)
                .first(&mut conn)
                .expect("own award");
            diesel::delete(award_members::table.filter(award_members::award_id.eq(own)))
                .execute(&mut conn)
                .expect("members");
            diesel::delete(awards::table.find(own))
                .execute(&mut conn)
                .expect("award");
        }
        let near = send!(client, &app, preview("2030-03-31"));
        assert!(
            near.body
                .contains("「一般社団法人しおじり未来人財機構」と同じ団体であれば"),
            "the close name is said with what it would mean: {}",
            near.body
        );
        assert!(
            near.body.contains("1回目"),
            "and not counted: {}",
            near.body
        );
    });
});
