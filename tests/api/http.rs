//! In-process HTTP for the API tests: an app with sessions, logins, and JSON calls.

/// Builds the in-process app (sessions included) for a test database.
#[macro_export]
macro_rules! test_app {
    ($test_db:expr) => {
        $crate::test_app!(
            $test_db,
            $crate::helpers::state_for($test_db.pool.clone(), &$test_db.url)
        )
    };
    ($test_db:expr, $state:expr) => {{
        let state: hojokin::web::AppState = $state;
        actix_web::test::init_service(
            actix_web::App::new()
                .wrap(hojokin::web::auth::session_middleware(
                    actix_web::cookie::Key::from(&[7u8; 64]),
                    false,
                    &state,
                ))
                .configure(hojokin::web::configure(state)),
        )
        .await
    }};
}

/// Calls the app: `call!(app, "POST", "/path", cookie, Some(json))` → (status, JSON body).
#[macro_export]
macro_rules! call {
    ($app:expr, $method:expr, $uri:expr, $cookie:expr, $body:expr) => {{
        let mut request = match $method {
            "GET" => actix_web::test::TestRequest::get(),
            "POST" => actix_web::test::TestRequest::post(),
            "PUT" => actix_web::test::TestRequest::put(),
            "DELETE" => actix_web::test::TestRequest::delete(),
            other => panic!("method {other}"),
        }
        .uri(AsRef::<str>::as_ref(&$uri));
        let cookie: Option<&str> = $cookie;
        if let Some(cookie) = cookie {
            request = request.insert_header(("cookie", cookie.to_owned()));
        }
        let body: Option<serde_json::Value> = $body;
        if let Some(body) = body {
            request = request.set_json(body);
        }
        let response = actix_web::test::call_service($app, request.to_request()).await;
        let status = response.status().as_u16();
        let bytes = actix_web::test::read_body(response).await;
        let json: serde_json::Value =
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, json)
    }};
}

/// Logs in and returns the session cookie (`name=value`).
#[macro_export]
macro_rules! login {
    ($app:expr, $email:expr) => {{
        let request = actix_web::test::TestRequest::post()
            .uri("/api/v1/session")
            .set_json(serde_json::json!({ "email": $email, "password": $crate::fixtures::PASSWORD }))
            .to_request();
        let response = actix_web::test::call_service($app, request).await;
        assert_eq!(response.status().as_u16(), 200, "login of {}", $email);
        let cookie = response
            .response()
            .cookies()
            .find(|c| c.name() == "hojokin_session")
            .expect("session cookie");
        format!("{}={}", cookie.name(), cookie.value())
    }};
}
