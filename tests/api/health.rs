//! `/healthz` answers only when the database answers; every response carries a request id.

use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{App, test as web_test};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use hojokin::db;
use hojokin::web;

use crate::helpers::{Backend, TestDb, block_on, postgres_admin_url, state_for};

crate::on_both_backends!(healthz_answers_with_the_backend_in_use, |test_db| {
    block_on(async {
        let app = web_test::init_service(
            App::new()
                .wrap(from_fn(web::request_id::middleware))
                .configure(web::configure(state_for(
                    test_db.pool.clone(),
                    &test_db.url,
                ))),
        )
        .await;
        let response = web_test::call_service(
            &app,
            web_test::TestRequest::get().uri("/healthz").to_request(),
        )
        .await;
        assert_eq!(response.status(), 200);
        let generated = response
            .headers()
            .get("x-request-id")
            .expect("request id")
            .clone();
        assert_eq!(generated.len(), 16);
        let body: serde_json::Value = web_test::read_body_json(response).await;
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], test_db.url.backend_name());

        // A sane caller-supplied id is kept; a hostile one is replaced.
        let request = web_test::TestRequest::get()
            .uri("/readyz")
            .insert_header(("x-request-id", "trace-abc_123"))
            .to_request();
        let response = web_test::call_service(&app, request).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers().get("x-request-id").expect("id"),
            "trace-abc_123"
        );
        let request = web_test::TestRequest::get()
            .uri("/readyz")
            .insert_header(("x-request-id", "<script>alert(1)</script>"))
            .to_request();
        let response = web_test::call_service(&app, request).await;
        assert_ne!(
            response.headers().get("x-request-id").expect("id"),
            "<script>alert(1)</script>"
        );
    });
});

/// PostgreSQL only: a database that goes away must turn `/healthz` to 503. (SQLite keeps an
/// open file readable after it is removed, so it cannot be made to stop answering this way.)
#[test]
fn healthz_fails_when_postgres_stops_answering() {
    let Some(test_db) = TestDb::migrated(Backend::Postgres) else {
        return;
    };
    let pool = db::connect_with_timeout(&test_db.url, 2, Duration::from_secs(2)).expect("pool");
    block_on(async {
        let app = web_test::init_service(
            App::new().configure(web::configure(state_for(pool, &test_db.url))),
        )
        .await;
        let response = web_test::call_service(
            &app,
            web_test::TestRequest::get().uri("/healthz").to_request(),
        )
        .await;
        assert_eq!(response.status(), 200);

        let name = test_db
            .url_string()
            .rsplit('/')
            .next()
            .expect("name")
            .to_owned();
        let mut admin = diesel::PgConnection::establish(&postgres_admin_url()).expect("admin");
        admin
            .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .expect("drop");

        let response = web_test::call_service(
            &app,
            web_test::TestRequest::get().uri("/healthz").to_request(),
        )
        .await;
        assert_eq!(response.status(), 503);
        let body: serde_json::Value = web_test::read_body_json(response).await;
        assert_eq!(body["status"], "unavailable");
    });
}
