//! Sessions and logins (docs/SECURITY.md): a session is a record on the server that logout
//! and a new password end; failed logins are limited per account and per address.

use actix_web::test::{TestRequest, call_service, read_body};
use serde_json::{Value, json};

use crate::fixtures::{PASSWORD, world};
use crate::helpers::block_on;

/// One exchange: (status, the `hojokin_session` cookie set, if any, headers, body).
struct Answer {
    status: u16,
    cookie: Option<String>,
    retry_after: Option<String>,
    location: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

macro_rules! exchange {
    ($app:expr, $request:expr, $cookie:expr $(,)?) => {{
        let mut request: TestRequest = $request;
        let cookie: Option<&str> = $cookie;
        if let Some(cookie) = cookie {
            request = request.insert_header(("cookie", cookie.to_owned()));
        }
        let response = call_service($app, request.to_request()).await;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let retry_after = header("retry-after");
        let location = header("location");
        let cookie = response
            .response()
            .cookies()
            .find(|c| c.name() == "hojokin_session")
            .map(|c| format!("{}={}", c.name(), c.value()));
        let status = response.status().as_u16();
        let body = String::from_utf8_lossy(&read_body(response).await).into_owned();
        Answer {
            status,
            cookie,
            retry_after,
            location,
            body,
        }
    }};
}

/// `POST /api/v1/session` from `address`.
fn api_login(email: &str, password: &str, address: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/session")
        .peer_addr(address.parse().expect("address"))
        .set_json(json!({ "email": email, "password": password }))
}

fn csrf_of(body: &str) -> String {
    body.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("page has a CSRF field")
        .to_owned()
}

/// Logs in through the login page; answers the logged-in cookie.
macro_rules! page_login {
    ($app:expr, $email:expr, $address:expr) => {{
        let page = exchange!($app, TestRequest::get().uri("/login"), None);
        assert_eq!(page.status, 200);
        let anonymous = page.cookie.clone().expect("the login page sets a cookie");
        let done = exchange!(
            $app,
            TestRequest::post()
                .uri("/login")
                .peer_addr($address.parse().expect("address"))
                .set_form(vec![
                    ("csrf_token", csrf_of(&page.body).as_str()),
                    ("email", $email),
                    ("password", PASSWORD),
                ]),
            Some(&anonymous),
        );
        assert_eq!(done.status, 303, "login of {}: {}", $email, done.body);
        let cookie = done.cookie.expect("a session cookie after login");
        assert_ne!(cookie, anonymous, "a new session id at login");
        (anonymous, cookie)
    }};
}

crate::on_both_backends!(logout_ends_the_session_on_the_server, |test_db| {
    world(&mut test_db.conn());
    block_on(async {
        let app = crate::test_app!(test_db);
        // The JSON API.
        let login = exchange!(
            &app,
            api_login("applicant@own.example", PASSWORD, "10.0.0.1:4000"),
            None
        );
        assert_eq!(login.status, 200, "{}", login.body);
        let cookie = login.cookie.expect("session cookie");
        let me = exchange!(&app, TestRequest::get().uri("/api/v1/me"), Some(&cookie));
        assert_eq!(me.status, 200);
        let out = exchange!(
            &app,
            TestRequest::delete().uri("/api/v1/session"),
            Some(&cookie)
        );
        assert_eq!(out.status, 204);
        let replayed = exchange!(&app, TestRequest::get().uri("/api/v1/me"), Some(&cookie));
        assert_eq!(replayed.status, 401, "the cookie replayed after logout");

        // The pages.
        let (anonymous, cookie) = page_login!(&app, "applicant@own.example", "10.0.0.1:4001");
        let home = exchange!(&app, TestRequest::get().uri("/applicant"), Some(&cookie));
        assert_eq!(home.status, 200);
        // The cookie from before the login is still nobody's.
        let before = exchange!(&app, TestRequest::get().uri("/applicant"), Some(&anonymous));
        assert_eq!(before.status, 303, "the pre-login cookie is not logged in");
        // The page's CSRF token may come with a re-issued cookie.
        let current = home.cookie.clone().unwrap_or_else(|| cookie.clone());
        let out = exchange!(
            &app,
            TestRequest::post()
                .uri("/logout")
                .set_form(vec![("csrf_token", csrf_of(&home.body))]),
            Some(&current)
        );
        assert_eq!(out.status, 303);
        for replay in [&cookie, &current] {
            let replayed = exchange!(&app, TestRequest::get().uri("/applicant"), Some(replay));
            assert_eq!(replayed.status, 303, "the cookie replayed after logout");
            assert_eq!(replayed.location.as_deref(), Some("/login?next=/applicant"));
        }
    });
});

crate::on_both_backends!(a_password_reset_ends_every_session_of_the_user, |test_db| {
    world(&mut test_db.conn());
    // A reset link as the emailed one would be (the email itself: pages.rs).
    let token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    {
        use diesel::prelude::*;
        use hojokin::db::schema::{password_reset_tokens as tokens, users};
        let mut conn = test_db.conn();
        let user_id: i64 = users::table
            .filter(users::email.eq("applicant@own.example"))
            .select(users::id)
            .first(&mut *conn)
            .expect("user");
        let now = hojokin::db::now();
        diesel::insert_into(tokens::table)
            .values((
                tokens::user_id.eq(user_id),
                tokens::token_hash.eq(hojokin::db::users::token_hash(token)),
                tokens::expires_at.eq(now + chrono::TimeDelta::hours(1)),
                tokens::created_at.eq(now),
            ))
            .execute(&mut *conn)
            .expect("reset token");
    }
    block_on(async {
        let app = crate::test_app!(test_db);
        let laptop = exchange!(
            &app,
            api_login("applicant@own.example", PASSWORD, "10.0.0.2:4000"),
            None
        )
        .cookie
        .expect("cookie");
        let (_, phone) = page_login!(&app, "applicant@own.example", "10.0.0.3:4000");
        let other = exchange!(
            &app,
            api_login("applicant@other.example", PASSWORD, "10.0.0.2:4001"),
            None
        )
        .cookie
        .expect("cookie");
        let link = format!("/password-reset/{token}");
        let form = exchange!(&app, TestRequest::get().uri(&link), None);
        assert_eq!(form.status, 200);
        let done = exchange!(
            &app,
            TestRequest::post().uri(&link).set_form(vec![
                ("csrf_token", csrf_of(&form.body).as_str()),
                ("password", "a brand new password"),
                ("password_again", "a brand new password"),
            ]),
            form.cookie.as_deref(),
        );
        assert_eq!(done.status, 303, "{}", done.body);
        for cookie in [&laptop, &phone] {
            let me = exchange!(&app, TestRequest::get().uri("/api/v1/me"), Some(cookie));
            assert_eq!(me.status, 401, "a session from before the reset");
        }
        let me = exchange!(&app, TestRequest::get().uri("/api/v1/me"), Some(&other));
        assert_eq!(me.status, 200, "another user's session stays");
    });
});

crate::on_both_backends!(
    the_eleventh_attempt_is_refused_even_with_the_right_password,
    |test_db| {
        world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            // Ten wrong passwords for one account, from addresses that change each time.
            for attempt in 0..10 {
                let answer = exchange!(
                    &app,
                    api_login(
                        "applicant@own.example",
                        "not the password",
                        &format!("10.1.0.{attempt}:5000")
                    ),
                    None
                );
                assert_eq!(answer.status, 401, "attempt {attempt}");
            }
            // The eleventh, with the right password: refused, with when to try again.
            let refused = exchange!(
                &app,
                api_login("applicant@own.example", PASSWORD, "10.1.0.99:5000"),
                None
            );
            assert_eq!(refused.status, 429, "{}", refused.body);
            assert_eq!(refused.json()["error"]["code"], "too_many_requests");
            let seconds: u64 = refused
                .retry_after
                .as_deref()
                .and_then(|s| s.parse().ok())
                .expect("Retry-After in seconds");
            assert!((1..=15 * 60).contains(&seconds), "{seconds}");
            assert!(refused.cookie.is_none(), "no session");
            // The login page says so in Japanese.
            let page = exchange!(&app, TestRequest::get().uri("/login"), None);
            let answer = exchange!(
                &app,
                TestRequest::post()
                    .uri("/login")
                    .peer_addr("10.1.0.98:5000".parse().expect("address"))
                    .set_form(vec![
                        ("csrf_token", csrf_of(&page.body).as_str()),
                        ("email", "applicant@own.example"),
                        ("password", PASSWORD),
                    ]),
                page.cookie.as_deref(),
            );
            assert_eq!(answer.status, 429);
            assert!(answer.retry_after.is_some());
            assert!(
                answer.body.contains(
                    "ログインの試行が多すぎます。しばらくしてからもう一度お試しください。"
                ),
                "{}",
                answer.body
            );
            // Another account, from another address: unaffected.
            let other = exchange!(
                &app,
                api_login("applicant@other.example", PASSWORD, "10.2.0.1:5000"),
                None
            );
            assert_eq!(other.status, 200, "{}", other.body);
        });
    }
);

crate::on_both_backends!(
    failures_from_one_address_limit_every_account_from_it,
    |test_db| {
        world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let address = "10.3.0.1:6000";
            // A right password from the address does not wipe its failures.
            let fine = exchange!(
                &app,
                api_login("manager@meti.example", PASSWORD, address),
                None
            );
            assert_eq!(fine.status, 200);
            // Thirty failures from the address, over thirty emails that are nobody's.
            for attempt in 0..30 {
                let answer = exchange!(
                    &app,
                    api_login(
                        &format!("nobody{attempt}@nowhere.example"),
                        "guess",
                        address
                    ),
                    None
                );
                assert_eq!(answer.status, 401, "attempt {attempt}");
            }
            let refused = exchange!(
                &app,
                api_login("applicant@own.example", PASSWORD, address),
                None
            );
            assert_eq!(refused.status, 429, "{}", refused.body);
            assert!(refused.retry_after.is_some());
            let elsewhere = exchange!(
                &app,
                api_login("applicant@own.example", PASSWORD, "10.3.0.2:6000"),
                None
            );
            assert_eq!(elsewhere.status, 200, "the account itself is not locked");
        });
    }
);

/// Moves every session of the database `by` back in time (what waiting would do).
fn age_sessions(
    test_db: &crate::helpers::TestDb,
    created: chrono::TimeDelta,
    used: chrono::TimeDelta,
) {
    use diesel::prelude::*;
    use hojokin::db::schema::sessions;
    let now = hojokin::db::now();
    diesel::update(sessions::table)
        .set((
            sessions::created_at.eq(now - created),
            sessions::last_seen_at.eq(now - used),
        ))
        .execute(&mut *test_db.conn())
        .expect("age sessions");
}

fn session_count(test_db: &crate::helpers::TestDb) -> i64 {
    use diesel::prelude::*;
    hojokin::db::schema::sessions::table
        .count()
        .get_result(&mut *test_db.conn())
        .expect("count")
}

crate::on_both_backends!(a_session_ends_when_idle_or_too_old, |test_db| {
    use chrono::TimeDelta;
    world(&mut test_db.conn());
    block_on(async {
        // The defaults: 60 minutes idle, 12 hours in all.
        let app = crate::test_app!(test_db);
        let login = || api_login("applicant@own.example", PASSWORD, "10.4.0.1:7000");
        let cookie = exchange!(&app, login(), None).cookie.expect("cookie");
        assert_eq!(session_count(test_db), 1);
        // Used 59 minutes ago: still open, and the use is recorded.
        age_sessions(test_db, TimeDelta::minutes(59), TimeDelta::minutes(59));
        let me = exchange!(&app, TestRequest::get().uri("/api/v1/me"), Some(&cookie));
        assert_eq!(me.status, 200);
        let last_seen: chrono::NaiveDateTime = {
            use diesel::prelude::*;
            hojokin::db::schema::sessions::table
                .select(hojokin::db::schema::sessions::last_seen_at)
                .first(&mut *test_db.conn())
                .expect("session")
        };
        assert!(
            hojokin::db::now() - last_seen < TimeDelta::minutes(1),
            "the request counts as use"
        );
        // Unused for an hour: over, and its row is gone.
        age_sessions(test_db, TimeDelta::minutes(61), TimeDelta::minutes(61));
        let me = exchange!(&app, TestRequest::get().uri("/api/v1/me"), Some(&cookie));
        assert_eq!(me.status, 401, "idle timeout");
        assert_eq!(session_count(test_db), 0);

        // Busy but logged in 12 hours ago: over all the same.
        let cookie = exchange!(&app, login(), None).cookie.expect("cookie");
        age_sessions(test_db, TimeDelta::hours(12), TimeDelta::seconds(5));
        let me = exchange!(&app, TestRequest::get().uri("/api/v1/me"), Some(&cookie));
        assert_eq!(me.status, 401, "absolute lifetime");
        // A login clears sessions that are over, whoever they belonged to.
        let _ = exchange!(&app, login(), None).cookie.expect("cookie");
        age_sessions(test_db, TimeDelta::hours(13), TimeDelta::hours(2));
        let _ = exchange!(&app, login(), None).cookie.expect("cookie");
        assert_eq!(session_count(test_db), 1, "only the new one is left");
    });
});

crate::on_both_backends!(an_unknown_email_costs_the_same_password_check, |test_db| {
    world(&mut test_db.conn());
    let state = crate::helpers::state_for(test_db.pool.clone(), &test_db.url);
    let hashing = state.security.hashing.clone();
    block_on(async {
        let app = crate::test_app!(test_db, state);
        let cases = [
            ("applicant@own.example", PASSWORD, 200),
            ("applicant@own.example", "wrong password", 401),
            ("nobody@own.example", PASSWORD, 401),
        ];
        let mut bodies = Vec::new();
        for (index, (email, password, status)) in cases.into_iter().enumerate() {
            let before = hashing.finished();
            let answer = exchange!(
                &app,
                api_login(email, password, &format!("10.5.0.{index}:7000")),
                None
            );
            assert_eq!(answer.status, status, "{email}");
            assert_eq!(hashing.finished(), before + 1, "{email}: one argon2 check");
            bodies.push(answer.body);
        }
        assert_eq!(bodies[1], bodies[2], "the same answer");
    });
});

crate::on_both_backends!(
    /// The real server: with an https `base_url` the session cookie is `Secure`.
    the_session_cookie_is_secure_behind_https,
    |test_db| {
        use std::io::{Read, Write};
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = hojokin::config::Config::defaults().expect("config");
        config.database_url = test_db.url.clone();
        config.bind = "127.0.0.1:0".parse().expect("address");
        config.data_dir = dir.path().join("data");
        let cookie_of = |base_url: &str| {
            let mut config = config.clone();
            config.base_url = base_url.to_owned();
            let pool = hojokin::db::connect(&config.database_url, 2).expect("pool");
            let programs = hojokin::program::embedded().expect("programs");
            block_on(async move {
                let application =
                    hojokin::startup::Application::build(&config, pool, programs).expect("server");
                let port = application.port();
                let server = actix_web::rt::spawn(application.run_until_stopped());
                let head = actix_web::rt::task::spawn_blocking(move || {
                    let mut stream =
                        std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
                    stream
                        .write_all(b"GET /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .expect("send");
                    let mut answer = String::new();
                    stream.read_to_string(&mut answer).expect("read");
                    answer
                })
                .await
                .expect("join");
                server.abort();
                head.lines()
                    .find(|line| {
                        line.to_ascii_lowercase()
                            .starts_with("set-cookie: hojokin_session=")
                    })
                    .map(str::to_owned)
                    .unwrap_or_else(|| panic!("a session cookie: {head}"))
            })
        };
        let secure = cookie_of("https://hojokin.example");
        assert!(secure.contains("; Secure"), "{secure}");
        assert!(secure.contains("HttpOnly") && secure.contains("SameSite=Strict"));
        let plain = cookie_of("http://127.0.0.1:8080");
        assert!(!plain.contains("Secure"), "{plain}");
    }
);
