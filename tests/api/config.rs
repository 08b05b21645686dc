//! Configuration: every bad value stops the start with a message naming the key.

use std::path::Path;

use hojokin::config::{Config, ConfigFile, DatabaseUrl, MailBackend, SmtpTls};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn from_file(text: &str) -> Result<Config, String> {
    Config::from_sources(
        Some(ConfigFile {
            path: Path::new("hojokin.toml"),
            text,
        }),
        &[],
    )
    .map_err(|error| error.to_string())
}

fn from_env(pairs: &[(&str, &str)]) -> Result<Config, String> {
    Config::from_sources(None, &env(pairs)).map_err(|error| error.to_string())
}

#[test]
fn defaults_are_the_embedded_sqlite_service() {
    let config = Config::defaults().expect("defaults are valid");
    assert_eq!(
        config.database_url,
        DatabaseUrl::Sqlite("data/hojokin.db".into())
    );
    assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(
        config.mail,
        MailBackend::File {
            outbox_dir: "data/outbox".into()
        }
    );
    assert_eq!(config.digest_cron.as_str(), "0 0 9 * * Mon");
    assert!(config.session_key.is_none());
}

#[test]
fn the_environment_overrides_the_file() {
    let config = Config::from_sources(
        Some(ConfigFile {
            path: Path::new("x.toml"),
            text: "bind = \"127.0.0.1:9000\"\ndb_pool_size = 3",
        }),
        &env(&[("HOJOKIN_BIND", "0.0.0.0:7000"), ("PATH", "/usr/bin")]),
    )
    .expect("valid");
    assert_eq!(config.bind.to_string(), "0.0.0.0:7000");
    assert_eq!(config.db_pool_size, 3);
}

#[test]
fn a_database_url_needs_a_known_scheme() {
    for url in [
        "mysql://root@localhost/x",
        "data/hojokin.db",
        "hojokin.db",
        "sqlite:data.db",
        "sqlite://",
    ] {
        let error = from_env(&[("HOJOKIN_DATABASE_URL", url)]).expect_err(url);
        assert!(error.contains("[database_url]"), "{url}: {error}");
    }
    assert!(matches!(
        from_env(&[("HOJOKIN_DATABASE_URL", "postgres://postgres@127.0.0.1/test")])
            .map(|c| c.database_url.backend_name()),
        Ok("postgres")
    ));
}

#[test]
fn unknown_keys_are_refused_in_the_file_and_the_environment() {
    let error = from_file("database_ulr = \"sqlite://x.db\"").expect_err("typo");
    assert!(error.contains("database_ulr"), "{error}");
    let error = from_env(&[("HOJOKIN_BINDD", "127.0.0.1:1")]).expect_err("typo");
    assert!(error.contains("HOJOKIN_BINDD"), "{error}");
    // Test and meta variables are not configuration keys.
    assert!(from_env(&[("HOJOKIN_TEST_POSTGRES_URL", "x"), ("HOJOKIN_CONFIG", "y")]).is_ok());
}

#[test]
fn a_malformed_file_is_refused() {
    let error = from_file("database_url = ").expect_err("malformed");
    assert!(error.contains("hojokin.toml"), "{error}");
    let error = from_file("bind = [1, 2]").expect_err("wrong type");
    assert!(error.contains("bind"), "{error}");
}

#[test]
fn cron_strings_are_checked_at_start_up() {
    for (key, value) in [
        ("HOJOKIN_DIGEST_CRON", "0 9 * * Mon"), // 5 fields: seconds missing
        ("HOJOKIN_DIGEST_CRON", "0 0 25 * * Mon"), // hour 25
        ("HOJOKIN_REMINDER_TICK_CRON", "every five minutes"),
    ] {
        let error = from_env(&[(key, value)]).expect_err(value);
        let name = key.trim_start_matches("HOJOKIN_").to_ascii_lowercase();
        assert!(error.contains(&format!("[{name}]")), "{value}: {error}");
    }
    assert!(from_env(&[("HOJOKIN_DIGEST_CRON", "0 30 8 * * Mon-Fri")]).is_ok());
}

#[test]
fn other_values_are_checked_too() {
    for (key, value, named) in [
        ("HOJOKIN_BIND", "localhost", "[bind]"),
        ("HOJOKIN_DB_POOL_SIZE", "0", "[db_pool_size]"),
        ("HOJOKIN_MAIL_BACKEND", "sendmail", "[mail_backend]"),
        ("HOJOKIN_SMTP_TLS", "ssl", "[smtp_tls]"),
        ("HOJOKIN_BASE_URL", "example.jp", "[base_url]"),
        (
            "HOJOKIN_PDF_FONT_PATH",
            "/nonexistent/font.ttf",
            "[pdf_font_path]",
        ),
        ("HOJOKIN_LOG_FORMAT", "xml", "[log_format]"),
        ("HOJOKIN_SESSION_KEY", "short", "[session_key]"),
    ] {
        let error = from_env(&[(key, value)]).expect_err(value);
        assert!(error.contains(named), "{key}={value}: {error}");
    }
    let error = from_env(&[("HOJOKIN_MAIL_BACKEND", "smtp")]).expect_err("no host");
    assert!(error.contains("[smtp_host]"), "{error}");
}

#[test]
fn smtp_ports_follow_the_tls_mode() {
    let config = from_env(&[
        ("HOJOKIN_MAIL_BACKEND", "smtp"),
        ("HOJOKIN_SMTP_HOST", "mail.example.jp"),
        ("HOJOKIN_SMTP_TLS", "tls"),
    ])
    .expect("valid");
    assert!(matches!(
        config.mail,
        MailBackend::Smtp {
            port: 465,
            tls: SmtpTls::Tls,
            ..
        }
    ));
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let config = from_env(&[
        (
            "HOJOKIN_DATABASE_URL",
            "postgres://app:hunter2pw@db.example.jp/hojokin",
        ),
        ("HOJOKIN_MAIL_BACKEND", "smtp"),
        ("HOJOKIN_SMTP_HOST", "mail.example.jp"),
        ("HOJOKIN_SMTP_PASSWORD", "smtp-secret-pw"),
        ("HOJOKIN_SESSION_KEY", &"ab".repeat(32)),
    ])
    .expect("valid");
    let shown = format!("{config:?} {}", config.database_url);
    for secret in ["hunter2pw", "smtp-secret-pw", &"ab".repeat(32)] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    assert!(
        shown.contains("postgres://app:****@db.example.jp/hojokin"),
        "{shown}"
    );
}

#[test]
fn the_session_key_is_generated_once_and_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::defaults().expect("defaults");
    config.data_dir = dir.path().join("data");
    let first = config.session_key_or_generate().expect("generated");
    let second = config.session_key_or_generate().expect("read back");
    assert_eq!(first, second);
    assert_eq!(first.expose().len(), 128);
}

#[test]
fn sessions_and_logins_are_configured_within_bounds() {
    let config = from_file(
        "session_idle_minutes = 30\nsession_absolute_hours = 8\nlogin_failures_per_account = 5\n\
         trust_forwarded_for = true\npassword_hash_threads = 4\npassword_hash_wait_ms = 0",
    )
    .expect("valid");
    assert_eq!(config.session_lifetime.idle, chrono::TimeDelta::minutes(30));
    assert_eq!(
        config.session_lifetime.absolute,
        chrono::TimeDelta::hours(8)
    );
    assert_eq!(config.login_limits.per_account, 5);
    assert_eq!(config.login_limits.per_address, 30, "the default");
    assert!(config.trust_forwarded_for);
    assert_eq!(config.password_hash_threads, 4);
    assert_eq!(config.password_hash_wait, std::time::Duration::ZERO);
    for (key, value) in [
        ("HOJOKIN_SESSION_IDLE_MINUTES", "0"),
        ("HOJOKIN_LOGIN_FAILURES_PER_ACCOUNT", "many"),
        ("HOJOKIN_PASSWORD_HASH_THREADS", "65"),
        ("HOJOKIN_TRUST_FORWARDED_FOR", "yes"),
    ] {
        let error = from_env(&[(key, value)]).expect_err(key);
        let name = key.trim_start_matches("HOJOKIN_").to_ascii_lowercase();
        assert!(error.contains(&format!("[{name}]")), "{key}: {error}");
    }
}
