//! Configuration: defaults, then an optional TOML file, then `HOJOKIN_*` environment variables.
//!
//! Every key is declared once in [`KEYS`]; the loader, the unknown-key check and the README
//! table all come from it. Loading is a pure function of its sources ([`Config::from_sources`])
//! so that every refusal is tested without touching the process environment.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{AppError, AppResult};

/// One configuration key: its file name, its environment name is `HOJOKIN_` + upper case.
pub struct KeySpec {
    pub name: &'static str,
    pub default: Option<&'static str>,
    pub secret: bool,
    pub description: &'static str,
}

pub const KEYS: &[KeySpec] = &[
    KeySpec {
        name: "database_url",
        default: Some("sqlite://data/hojokin.db"),
        secret: false,
        description: "Database: `sqlite://PATH` (embedded) or `postgres://USER@HOST:PORT/DB` (scale-out). Anything else is refused.",
    },
    KeySpec {
        name: "bind",
        default: Some("127.0.0.1:8080"),
        secret: false,
        description: "Address and port the web server listens on.",
    },
    KeySpec {
        name: "base_url",
        default: Some("http://127.0.0.1:8080"),
        secret: false,
        description: "Public URL of the service, used for links in emails and calendars.",
    },
    KeySpec {
        name: "data_dir",
        default: Some("data"),
        secret: false,
        description: "Directory for the session key, the outbox and generated files.",
    },
    KeySpec {
        name: "db_pool_size",
        default: Some("8"),
        secret: false,
        description: "Maximum database connections per process (1–64).",
    },
    KeySpec {
        name: "mail_backend",
        default: Some("file"),
        secret: false,
        description: "`file` writes `.eml` files to `outbox_dir`; `smtp` sends through `smtp_host`.",
    },
    KeySpec {
        name: "outbox_dir",
        default: None,
        secret: false,
        description: "Where the file mail backend writes (default `<data_dir>/outbox`).",
    },
    KeySpec {
        name: "mail_from",
        default: Some("地域の人事部支援事業 事務局 <noreply@hojokin.localhost>"),
        secret: false,
        description: "Sender of every email.",
    },
    KeySpec {
        name: "smtp_host",
        default: None,
        secret: false,
        description: "SMTP server host (required when `mail_backend = smtp`).",
    },
    KeySpec {
        name: "smtp_port",
        default: None,
        secret: false,
        description: "SMTP port (default 25 plain, 587 STARTTLS, 465 TLS).",
    },
    KeySpec {
        name: "smtp_tls",
        default: Some("starttls"),
        secret: false,
        description: "`none`, `starttls` or `tls` (implicit TLS).",
    },
    KeySpec {
        name: "smtp_username",
        default: None,
        secret: false,
        description: "SMTP user name, if the server needs one.",
    },
    KeySpec {
        name: "smtp_password",
        default: None,
        secret: true,
        description: "SMTP password (never logged).",
    },
    KeySpec {
        name: "pdf_font_path",
        default: None,
        secret: false,
        description: "A Japanese TrueType/OpenType font for PDFs (default: IPAex Gothic or Noto Sans CJK found on the system).",
    },
    KeySpec {
        name: "reminder_tick_cron",
        default: Some("0 */5 * * * *"),
        secret: false,
        description: "When the reminder scheduler looks for due reminders (cron, 6 fields, seconds first).",
    },
    KeySpec {
        name: "digest_cron",
        default: Some("0 0 9 * * Mon"),
        secret: false,
        description: "When program managers get the weekly digest (cron; weekdays by name: Sunday is 1 in numbers).",
    },
    KeySpec {
        name: "reminder_offsets",
        default: Some("-14,-7,-1,+1,+7"),
        secret: false,
        description: "Days before (−) and after (+, overdue) a deadline on which reminders go out; each user may set their own.",
    },
    KeySpec {
        name: "reminder_send_time",
        default: Some("09:00"),
        secret: false,
        description: "Time of day (Japan time, HH:MM) at which the reminders of a day become due.",
    },
    KeySpec {
        name: "job_lease_seconds",
        default: Some("60"),
        secret: false,
        description: "How long a worker holds a claimed job; a worker that dies leaves its jobs to others after this (5–3600).",
    },
    KeySpec {
        name: "session_key",
        default: None,
        secret: true,
        description: "Key that signs and encrypts the session cookie (≥ 64 hex characters). Generated into `<data_dir>/session.key` on first run when absent.",
    },
    KeySpec {
        name: "audit_key",
        default: None,
        secret: true,
        description: "Key that signs the audit trail's checkpoint, its event count and last hash (HMAC-SHA256; ≥ 64 hex characters, the same for every instance and for `hojokin audit verify`). Unset: a public demo key, with a warning; set it in production.",
    },
    KeySpec {
        name: "session_idle_minutes",
        default: Some("60"),
        secret: false,
        description: "A session unused for this many minutes is over (1–1440).",
    },
    KeySpec {
        name: "session_absolute_hours",
        default: Some("12"),
        secret: false,
        description: "A session is over this many hours after its login, however busy (1–720).",
    },
    KeySpec {
        name: "login_failures_per_account",
        default: Some("10"),
        secret: false,
        description: "Failed logins allowed for one email within `login_failure_window_minutes`; past it, logins are refused with 429 (1–1000).",
    },
    KeySpec {
        name: "login_failures_per_address",
        default: Some("30"),
        secret: false,
        description: "Failed logins allowed from one client address within the window, over every email (1–100000).",
    },
    KeySpec {
        name: "login_failure_window_minutes",
        default: Some("15"),
        secret: false,
        description: "How long a failed login counts (1–1440).",
    },
    KeySpec {
        name: "trust_forwarded_for",
        default: Some("false"),
        secret: false,
        description: "`true` behind a reverse proxy that appends the client to `X-Forwarded-For`: the login limit then counts the last address of that header instead of the proxy's.",
    },
    KeySpec {
        name: "password_hash_threads",
        default: Some("2"),
        secret: false,
        description: "Passwords checked or hashed at once (argon2, 19 MiB each; 1–64); more wait.",
    },
    KeySpec {
        name: "password_hash_wait_ms",
        default: Some("5000"),
        secret: false,
        description: "How long a login waits for a free password thread before it is answered 503 (0–60000).",
    },
    KeySpec {
        name: "forms_dir",
        default: None,
        secret: false,
        description: "Directory overriding the programme definitions compiled into the binary (`forms/`).",
    },
    KeySpec {
        name: "templates_dir",
        default: None,
        secret: false,
        description: "Directory of page and email templates that replace the embedded ones at start-up, by the same relative name (`pages/layout.hbs`, `email/reminder/subject.txt.hbs` …); an unknown name or a template that does not compile stops the start.",
    },
    KeySpec {
        name: "log_format",
        default: Some("text"),
        secret: false,
        description: "`text` or `json` logs (level by `RUST_LOG`, default `info`).",
    },
];

pub const ENV_PREFIX: &str = "HOJOKIN_";
/// Environment variables with the prefix that are not configuration keys.
const ENV_NOT_KEYS: &[&str] = &["HOJOKIN_CONFIG", "HOJOKIN_TEST_"];

/// A value that must never reach a log: `Debug` and `Display` print a mask.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// Where the data lives, chosen from the URL's scheme and nothing else.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    /// The full URL; it may carry a password, so it is kept secret.
    Postgres(Secret),
}

impl DatabaseUrl {
    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// の後にデータベースファイルのパスを指定してください (例: sqlite://data/hojokin.db)".into());
            }
            if path.starts_with(":memory:") {
                return Err("メモリ上の SQLite は接続ごとに別のデータベースになるため使えません。ファイルのパスを指定してください".into());
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            if url.split("://").nth(1).is_none_or(str::is_empty) {
                return Err("postgres:// の後にホストとデータベース名を指定してください".into());
            }
            Ok(DatabaseUrl::Postgres(Secret::new(url)))
        } else {
            Err(format!(
                "\"{}\" は使えません。sqlite:// または postgres:// で始まる URL を指定してください",
                redact_url(url)
            ))
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact_url(url.expose())),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Hides the password of `scheme://user:password@host/...`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:****@{host}")
        }
        _ => url.to_owned(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailBackend {
    File {
        outbox_dir: PathBuf,
    },
    Smtp {
        host: String,
        port: u16,
        tls: SmtpTls,
        username: Option<String>,
        password: Option<Secret>,
    },
}

/// A cron expression checked at start-up (6 or 7 fields, seconds first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronExpression(String);

impl CronExpression {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CronExpression {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let fields = text.split_whitespace().count();
        if !(6..=7).contains(&fields) {
            return Err(format!(
                "cron 式 \"{text}\" は {fields} 項目です。秒から始まる 6 項目（例: 0 0 9 * * Mon）で指定してください"
            ));
        }
        cron::Schedule::from_str(text)
            .map_err(|error| format!("cron 式 \"{text}\" を解釈できません: {error}"))?;
        Ok(Self(text.to_owned()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind: SocketAddr,
    pub base_url: String,
    pub data_dir: PathBuf,
    pub db_pool_size: u32,
    pub mail: MailBackend,
    pub mail_from: String,
    pub pdf_font_path: Option<PathBuf>,
    pub reminder_tick_cron: CronExpression,
    pub digest_cron: CronExpression,
    pub reminder_offsets: crate::domain::deadlines::ReminderOffsets,
    pub reminder_send_time: chrono::NaiveTime,
    pub job_lease_seconds: u32,
    pub session_key: Option<Secret>,
    pub audit_key: Option<Secret>,
    pub session_lifetime: crate::domain::sessions::SessionLifetime,
    pub login_limits: crate::domain::login_limit::LoginLimits,
    pub trust_forwarded_for: bool,
    pub password_hash_threads: usize,
    pub password_hash_wait: std::time::Duration,
    pub forms_dir: Option<PathBuf>,
    pub templates_dir: Option<TemplatesDir>,
    pub log_format: LogFormat,
}

/// A directory of templates that replace the embedded ones at start-up (`templates_dir`): a
/// file stands in for the embedded template of the same relative name (`pages/layout.hbs`,
/// `email/reminder/body.html.hbs`). Which names exist is for the pages and the mail to say;
/// this only reads the directory, and names the file in every refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplatesDir(PathBuf);

impl TemplatesDir {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TemplatesDir(path.into())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The replacement for `relative` (`/`-separated), if the directory has one.
    pub fn read(&self, relative: &str) -> AppResult<Option<String>> {
        let path = self.0.join(relative);
        if !path.is_file() {
            return Ok(None);
        }
        std::fs::read_to_string(&path).map(Some).map_err(|error| {
            AppError::config(format!(
                "設定エラー [templates_dir]: テンプレート {} を読めません（UTF-8 のテキストにしてください）: {error}",
                path.display()
            ))
        })
    }

    /// An error, on one line, naming the template file `relative` that does not compile and
    /// where.
    pub fn broken(&self, relative: &str, error: &handlebars::TemplateError) -> AppError {
        let reason = error.reason().to_string();
        // "invalid handlebars syntax: expected escape, expression, …": the list helps no one.
        let reason = reason.split(": expected").next().unwrap_or_default();
        let position = match error.pos() {
            Some((line, column)) => format!("{line} 行 {column} 文字目: "),
            None => String::new(),
        };
        AppError::config(format!(
            "設定エラー [templates_dir]: テンプレート {} がコンパイルできません（{position}{reason}）",
            self.0.join(relative).display()
        ))
    }

    /// Refuses the first file (in name order) that is not one of `known`, so that a
    /// misspelt name never leaves the embedded template silently in place.
    pub fn check_names(&self, known: &[String]) -> AppResult<()> {
        let mut found = Vec::new();
        collect_files(&self.0, "", &mut found).map_err(|error| {
            AppError::config(format!(
                "設定エラー [templates_dir]: {} を読めません: {error}",
                self.0.display()
            ))
        })?;
        found.sort();
        match found.iter().find(|name| !known.contains(name)) {
            None => Ok(()),
            Some(name) => Err(AppError::config(format!(
                "設定エラー [templates_dir]: {} は置き換えられるテンプレートの名前ではありません\
                 （pages/<名前>.hbs、email/<名前>/subject.txt.hbs・body.txt.hbs・body.html.hbs、\
                 email/_layout/body.txt.hbs・body.html.hbs のいずれか。例: pages/layout.hbs）",
                self.0.join(name).display()
            ))),
        }
    }
}

/// Every file below `dir`, as `/`-separated names relative to the top.
fn collect_files(dir: &Path, prefix: &str, found: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type()?.is_dir() {
            collect_files(&entry.path(), &format!("{name}/"), found)?;
        } else {
            found.push(name);
        }
    }
    Ok(())
}

/// Where the configuration file was read from, if any, and its text.
pub struct ConfigFile<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Config {
    /// Reads the file named by `--config` / `HOJOKIN_CONFIG` (or `hojokin.toml` when present)
    /// and the process environment.
    pub fn load(explicit_file: Option<&Path>) -> AppResult<Config> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let env_file = env
            .iter()
            .find(|(key, _)| key == "HOJOKIN_CONFIG")
            .map(|(_, value)| PathBuf::from(value));
        let path = explicit_file.map(Path::to_path_buf).or(env_file);
        let (path, required) = match path {
            Some(path) => (path, true),
            None => (PathBuf::from("hojokin.toml"), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(AppError::config(format!(
                    "設定ファイル {} を読めません: {error}",
                    path.display()
                )));
            }
        };
        let file = text.as_deref().map(|text| ConfigFile { path: &path, text });
        Config::from_sources(file, &env)
    }

    /// Builds the configuration from defaults, the file and the environment, in that order.
    /// Every refusal names the key and what is wrong with it.
    pub fn from_sources(
        file: Option<ConfigFile<'_>>,
        env: &[(String, String)],
    ) -> AppResult<Config> {
        let mut values: BTreeMap<&'static str, (String, String)> = BTreeMap::new();
        for key in KEYS {
            if let Some(default) = key.default {
                values.insert(key.name, (default.to_owned(), "既定値".to_owned()));
            }
        }
        if let Some(file) = file {
            let origin = file.path.display().to_string();
            let table: toml::Table = toml::from_str(file.text).map_err(|error| {
                AppError::config(format!(
                    "設定ファイル {origin} の書式が正しくありません: {}",
                    error.message()
                ))
            })?;
            for (name, value) in table {
                let key = KEYS.iter().find(|key| key.name == name).ok_or_else(|| {
                    AppError::config(format!(
                        "設定ファイル {origin}: 不明な設定キー \"{name}\" です（使えるキー: {}）",
                        key_list()
                    ))
                })?;
                let text = match value {
                    toml::Value::String(text) => text,
                    toml::Value::Integer(number) => number.to_string(),
                    toml::Value::Boolean(flag) => flag.to_string(),
                    other => {
                        return Err(AppError::config(format!(
                            "設定ファイル {origin}: {name} には文字列か数値を指定してください（{} が指定されています）",
                            other.type_str()
                        )));
                    }
                };
                values.insert(key.name, (text, origin.clone()));
            }
        }
        for (env_name, value) in env {
            let Some(rest) = env_name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if ENV_NOT_KEYS.iter().any(|skip| env_name.starts_with(skip)) {
                continue;
            }
            let name = rest.to_ascii_lowercase();
            let key = KEYS.iter().find(|key| key.name == name).ok_or_else(|| {
                AppError::config(format!(
                    "環境変数 {env_name}: 不明な設定キーです（使えるキー: {}）",
                    key_list()
                ))
            })?;
            values.insert(key.name, (value.clone(), format!("環境変数 {env_name}")));
        }
        Resolver { values }.build()
    }
}

fn key_list() -> String {
    KEYS.iter()
        .map(|key| key.name)
        .collect::<Vec<_>>()
        .join(", ")
}

struct Resolver {
    /// key → (value, where it came from)
    values: BTreeMap<&'static str, (String, String)>,
}

impl Resolver {
    fn raw(&self, key: &'static str) -> Option<&str> {
        self.values
            .get(key)
            .map(|(value, _)| value.as_str())
            .filter(|value| !value.trim().is_empty())
    }

    fn parse<T>(
        &self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> AppResult<Option<T>> {
        let Some(value) = self.raw(key) else {
            return Ok(None);
        };
        parse(value).map(Some).map_err(|problem| {
            let origin = self
                .values
                .get(key)
                .map(|(_, origin)| origin.as_str())
                .unwrap_or("");
            AppError::config(format!("設定エラー [{key}]（{origin}）: {problem}"))
        })
    }

    fn required<T>(
        &self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> AppResult<T> {
        self.parse(key, parse)?
            .ok_or_else(|| AppError::config(format!("設定エラー [{key}]: 値を指定してください")))
    }

    fn build(self) -> AppResult<Config> {
        let database_url = self.required("database_url", DatabaseUrl::from_str)?;
        let bind = self.required("bind", |text| {
            text.parse::<SocketAddr>().map_err(|_| {
                format!("\"{text}\" はアドレス:ポートの形ではありません (例: 127.0.0.1:8080)")
            })
        })?;
        let base_url = self.required("base_url", |text| {
            if text.starts_with("http://") || text.starts_with("https://") {
                Ok(text.trim_end_matches('/').to_owned())
            } else {
                Err(format!(
                    "\"{text}\" は http:// か https:// で始まる URL ではありません"
                ))
            }
        })?;
        let data_dir = self.required("data_dir", |text| Ok(PathBuf::from(text)))?;
        let db_pool_size = self.required("db_pool_size", |text| match text.parse::<u32>() {
            Ok(size @ 1..=64) => Ok(size),
            _ => Err(format!("\"{text}\" は 1 から 64 までの整数ではありません")),
        })?;
        let tls = self.required("smtp_tls", |text| match text {
            "none" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" => Ok(SmtpTls::Tls),
            _ => Err(format!(
                "\"{text}\" は none, starttls, tls のいずれでもありません"
            )),
        })?;
        let mail = self.required("mail_backend", |text| match text {
            "file" | "smtp" => Ok(text.to_owned()),
            _ => Err(format!("\"{text}\" は file か smtp ではありません")),
        })?;
        let mail = if mail == "file" {
            let outbox_dir = self
                .parse("outbox_dir", |text| Ok(PathBuf::from(text)))?
                .unwrap_or_else(|| data_dir.join("outbox"));
            MailBackend::File { outbox_dir }
        } else {
            let host = self.parse("smtp_host", |text| Ok(text.to_owned()))?.ok_or_else(|| {
                AppError::config("設定エラー [smtp_host]: mail_backend = smtp のときは SMTP サーバーを指定してください")
            })?;
            let default_port = match tls {
                SmtpTls::None => 25,
                SmtpTls::StartTls => 587,
                SmtpTls::Tls => 465,
            };
            let port = self
                .parse("smtp_port", |text| {
                    text.parse::<u16>()
                        .ok()
                        .filter(|port| *port > 0)
                        .ok_or_else(|| {
                            format!("\"{text}\" は 1 から 65535 までのポート番号ではありません")
                        })
                })?
                .unwrap_or(default_port);
            MailBackend::Smtp {
                host,
                port,
                tls,
                username: self.parse("smtp_username", |text| Ok(text.to_owned()))?,
                password: self.parse("smtp_password", |text| Ok(Secret::new(text)))?,
            }
        };
        let mail_from = self.required("mail_from", |text| {
            if text.contains('@') {
                Ok(text.to_owned())
            } else {
                Err(format!("\"{text}\" はメールアドレスを含んでいません"))
            }
        })?;
        let pdf_font_path = self.parse("pdf_font_path", |text| {
            let path = PathBuf::from(text);
            if path.is_file() {
                Ok(path)
            } else {
                Err(format!("フォントファイル {text} が見つかりません"))
            }
        })?;
        let reminder_tick_cron = self.required("reminder_tick_cron", CronExpression::from_str)?;
        let digest_cron = self.required("digest_cron", CronExpression::from_str)?;
        let reminder_offsets = self.required("reminder_offsets", |text| text.parse())?;
        let reminder_send_time = self.required("reminder_send_time", |text| {
            chrono::NaiveTime::parse_from_str(text, "%H:%M")
                .map_err(|_| format!("\"{text}\" は HH:MM（例: 09:00）の時刻ではありません"))
        })?;
        let job_lease_seconds =
            self.required("job_lease_seconds", |text| match text.parse::<u32>() {
                Ok(seconds @ 5..=3600) => Ok(seconds),
                _ => Err(format!(
                    "\"{text}\" は 5 から 3600 までの秒数ではありません"
                )),
            })?;
        let session_key = self.parse("session_key", |text| {
            if text.len() >= 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                Ok(Secret::new(text))
            } else {
                Err("64 文字以上の 16 進文字列を指定してください（値は表示しません）".to_owned())
            }
        })?;
        let audit_key = self.parse("audit_key", |text| {
            crate::domain::audit::AuditKey::from_hex(text)
                .map(|_| Secret::new(text.trim()))
                .ok_or_else(|| {
                    "64 文字以上（32 バイト以上）の 16 進文字列を指定してください（値は表示しません）"
                        .to_owned()
                })
        })?;
        let whole = |key: &'static str, range: std::ops::RangeInclusive<u32>| {
            self.required(key, |text| match text.parse::<u32>() {
                Ok(number) if range.contains(&number) => Ok(number),
                _ => Err(format!(
                    "\"{text}\" は {} から {} までの整数ではありません",
                    range.start(),
                    range.end()
                )),
            })
        };
        let session_lifetime = crate::domain::sessions::SessionLifetime {
            idle: chrono::TimeDelta::minutes(i64::from(whole("session_idle_minutes", 1..=1440)?)),
            absolute: chrono::TimeDelta::hours(i64::from(whole(
                "session_absolute_hours",
                1..=720,
            )?)),
        };
        let login_limits = crate::domain::login_limit::LoginLimits {
            per_account: whole("login_failures_per_account", 1..=1000)?,
            per_address: whole("login_failures_per_address", 1..=100_000)?,
            window: chrono::TimeDelta::minutes(i64::from(whole(
                "login_failure_window_minutes",
                1..=1440,
            )?)),
        };
        let trust_forwarded_for = self.required("trust_forwarded_for", |text| match text {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(format!("\"{text}\" は true か false ではありません")),
        })?;
        let password_hash_threads = whole("password_hash_threads", 1..=64)? as usize;
        let password_hash_wait = std::time::Duration::from_millis(u64::from(whole(
            "password_hash_wait_ms",
            0..=60_000,
        )?));
        let forms_dir = self.parse("forms_dir", |text| {
            let path = PathBuf::from(text);
            if path.is_dir() {
                Ok(path)
            } else {
                Err(format!("ディレクトリ {text} が見つかりません"))
            }
        })?;
        let templates_dir = self.parse("templates_dir", |text| {
            let path = PathBuf::from(text);
            if path.is_dir() {
                Ok(TemplatesDir::new(path))
            } else {
                Err(format!("ディレクトリ {text} が見つかりません"))
            }
        })?;
        let log_format = self.required("log_format", |text| match text {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("\"{text}\" は text か json ではありません")),
        })?;
        Ok(Config {
            database_url,
            bind,
            base_url,
            data_dir,
            db_pool_size,
            mail,
            mail_from,
            pdf_font_path,
            reminder_tick_cron,
            digest_cron,
            reminder_offsets,
            reminder_send_time,
            job_lease_seconds,
            session_key,
            audit_key,
            session_lifetime,
            login_limits,
            trust_forwarded_for,
            password_hash_threads,
            password_hash_wait,
            forms_dir,
            templates_dir,
            log_format,
        })
    }
}

impl Config {
    /// The configuration with every default, as a test or a tool starts from it.
    pub fn defaults() -> AppResult<Config> {
        Config::from_sources(None, &[])
    }

    /// Checks that a directory exists or can be created, and that files can be written in it.
    /// Used before anything is written, so that a bad directory stops the start cleanly.
    pub fn ensure_writable_dir(dir: &Path, key: &str) -> AppResult<()> {
        std::fs::create_dir_all(dir).map_err(|error| {
            AppError::config(format!(
                "設定エラー [{key}]: ディレクトリ {} を作成できません: {error}",
                dir.display()
            ))
        })?;
        let probe = dir.join(format!(".hojokin-write-test-{}", std::process::id()));
        std::fs::write(&probe, b"").map_err(|error| {
            AppError::config(format!(
                "設定エラー [{key}]: ディレクトリ {} に書き込めません: {error}",
                dir.display()
            ))
        })?;
        let _ = std::fs::remove_file(&probe);
        Ok(())
    }

    /// The key that signs the audit checkpoint: configured, or the public demo key when none
    /// is (the demo and development work without setup, and say so).
    pub fn audit_key(&self) -> crate::domain::audit::AuditKey {
        use crate::domain::audit::AuditKey;
        self.audit_key
            .as_ref()
            .and_then(|key| AuditKey::from_hex(key.expose()))
            .unwrap_or_else(AuditKey::demo)
    }

    /// The session key: configured, or kept in `<data_dir>/session.key`, generated on first run.
    pub fn session_key_or_generate(&self) -> AppResult<Secret> {
        if let Some(key) = &self.session_key {
            return Ok(key.clone());
        }
        let path = self.data_dir.join("session.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let text = text.trim();
                if text.len() >= 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                    Ok(Secret::new(text))
                } else {
                    Err(AppError::config(format!(
                        "セッション鍵ファイル {} の内容が正しくありません。削除すると次回起動時に作り直します",
                        path.display()
                    )))
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Config::ensure_writable_dir(&self.data_dir, "data_dir")?;
                let bytes: [u8; 64] = rand::random();
                let key: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
                write_private_file(&path, &key).map_err(|error| {
                    AppError::config(format!(
                        "セッション鍵を {} に保存できません: {error}",
                        path.display()
                    ))
                })?;
                tracing::info!(path = %path.display(), "generated a new session key");
                Ok(Secret::new(key))
            }
            Err(error) => Err(AppError::config(format!(
                "セッション鍵ファイル {} を読めません: {error}",
                path.display()
            ))),
        }
    }
}

fn write_private_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// The Markdown table of configuration keys for the README (`hojokin config --markdown`).
pub fn markdown_table() -> String {
    let mut out =
        String::from("| key (file) | environment | default | meaning |\n|---|---|---|---|\n");
    for key in KEYS {
        let default = key
            .default
            .map(|value| format!("`{value}`"))
            .unwrap_or_else(|| "—".into());
        out.push_str(&format!(
            "| `{}` | `{}{}` | {} | {} |\n",
            key.name,
            ENV_PREFIX,
            key.name.to_ascii_uppercase(),
            default,
            key.description
        ));
    }
    out
}
