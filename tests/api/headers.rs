//! The security headers of the real server (`startup::Application::build`): every kind of
//! answer carries them, a page, the JSON API, a static file, the Swagger UI and both 404s.

use std::io::{Read, Write};

use crate::helpers::block_on;

/// The status and the headers (names in lower case) of `GET path` on the server at `port`.
fn head_of(port: u16, path: &str) -> (u16, Vec<(String, String)>) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read");
    let answer = String::from_utf8_lossy(&answer);
    let head = answer
        .split_once("\r\n\r\n")
        .map_or(&*answer, |(head, _)| head);
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("a status line for {path}: {head}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    (status, headers)
}

crate::on_both_backends!(
    /// A page, an API answer (with and without a session), a static file, the Swagger UI, a
    /// page that does not exist and an API path that does not exist: each has the four
    /// headers, with no inline script allowed.
    every_answer_carries_the_security_headers,
    |test_db| {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = hojokin::config::Config::defaults().expect("config");
        config.database_url = test_db.url.clone();
        config.bind = "127.0.0.1:0".parse().expect("address");
        config.data_dir = dir.path().join("data");
        let pool = hojokin::db::connect(&config.database_url, 2).expect("pool");
        let programs = hojokin::program::embedded().expect("programs");
        let paths = [
            ("/login", 200, "text/html"),
            ("/healthz", 200, "application/json"),
            ("/api/v1/me", 401, "application/json"),
            ("/static/app.css", 200, "text/css"),
            ("/static/editor.js", 200, "text/javascript"),
            ("/api/docs/", 200, "text/html"),
            ("/no-such-page", 404, "text/html"),
            ("/api/v1/no-such-thing", 404, "application/json"),
        ];
        let answers = block_on(async move {
            let application =
                hojokin::startup::Application::build(&config, pool, programs).expect("server");
            let port = application.port();
            let server = actix_web::rt::spawn(application.run_until_stopped());
            let answers = actix_web::rt::task::spawn_blocking(move || {
                paths
                    .iter()
                    .map(|(path, _, _)| head_of(port, path))
                    .collect::<Vec<_>>()
            })
            .await
            .expect("join");
            server.abort();
            answers
        });
        for ((path, status, content_type), (got, headers)) in paths.iter().zip(answers) {
            assert_eq!(got, *status, "{path}");
            let header = |name: &str| {
                let values: Vec<&str> = headers
                    .iter()
                    .filter(|(key, _)| key == name)
                    .map(|(_, value)| value.as_str())
                    .collect();
                assert_eq!(values.len(), 1, "{path}: one {name} header: {headers:?}");
                values[0].to_owned()
            };
            assert!(header("content-type").starts_with(content_type), "{path}");
            assert_eq!(header("x-frame-options"), "DENY", "{path}");
            assert_eq!(header("referrer-policy"), "same-origin", "{path}");
            assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
            let policy = header("content-security-policy");
            let directive = |name: &str| {
                policy
                    .split(';')
                    .map(str::trim)
                    .find(|directive| directive.split_whitespace().next() == Some(name))
                    .unwrap_or_else(|| panic!("{path}: no {name} in {policy}"))
                    .to_owned()
            };
            assert_eq!(directive("default-src"), "default-src 'self'", "{path}");
            assert_eq!(directive("script-src"), "script-src 'self'", "{path}");
            assert_eq!(directive("frame-ancestors"), "frame-ancestors 'none'", "{path}");
            assert_eq!(directive("form-action"), "form-action 'self'", "{path}");
            assert_eq!(directive("base-uri"), "base-uri 'none'", "{path}");
            assert_eq!(directive("object-src"), "object-src 'none'", "{path}");
            let styles = directive("style-src");
            assert!(
                styles.starts_with("style-src 'self'") && !styles.contains("unsafe"),
                "{path}: {styles}"
            );
        }
    }
);

/// The pages need no inline script or style under that policy: no template has a `<script>`
/// without `src`, a `<style>`, a `style=` attribute or an `on…=` handler. (The Swagger UI's
/// page is checked the same way, as the server sends it.)
#[test]
fn no_template_has_inline_script_or_style() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/pages");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("templates/pages") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("template");
        found.extend(
            inline_code(&text)
                .into_iter()
                .map(|what| format!("{}: {what}", path.display())),
        );
    }
    assert!(found.is_empty(), "inline code: {found:#?}");
    block_on(async {
        let app = actix_web::test::init_service(
            actix_web::App::new().service(hojokin::web::openapi::swagger_ui()),
        )
        .await;
        let request = actix_web::test::TestRequest::get()
            .uri("/api/docs/")
            .to_request();
        let body = actix_web::test::call_and_read_body(&app, request).await;
        let page = String::from_utf8_lossy(&body);
        assert!(page.contains("<script src="), "{page}");
        assert_eq!(inline_code(&page), Vec::<String>::new(), "{page}");
    });
}

/// Each inline script, `<style>`, `style=` or event handler attribute of an HTML text.
fn inline_code(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for (at, _) in lower.match_indices('<') {
        let tag = &lower[at..lower[at..]
            .find('>')
            .map_or(lower.len(), |end| at + end + 1)];
        if tag.starts_with("<script") && !tag.contains(" src=") {
            found.push(tag.to_owned());
        }
        if tag.starts_with("<style") {
            found.push(tag.to_owned());
        }
        let attributes = tag.split(|c: char| c.is_whitespace()).skip(1);
        for attribute in attributes {
            let name = attribute.split('=').next().unwrap_or_default();
            if attribute.contains('=')
                && (name == "style" || (name.starts_with("on") && name.len() > 2))
            {
                found.push(tag.to_owned());
            }
        }
    }
    found
}
