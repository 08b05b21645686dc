//! Email: rendering (Japanese templates compiled into the binary) and delivery behind one enum
//! of backends — SMTP (plain, STARTTLS, implicit TLS), `.eml` files, and memory for tests
//! (DESIGN.md habit 6). Delivery knows nothing of the workflow; the worker decides what to send.

pub mod templates;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Mailboxes, MultiPart, SinglePart, header};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use crate::config::{MailBackend, SmtpTls};
use crate::error::{AppError, AppResult};

/// SMTP connections a worker uses at once (also the size of lettre's connection pool).
pub const SMTP_CONNECTIONS: usize = 16;

/// One email ready to go: rendered text and HTML, and the Message-ID the caller chose (stable
/// per job, so that a message re-sent after a crash can be recognised by the receiver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: Vec<(String, String)>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
}

/// Why a delivery failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// A 5xx answer (or a message that cannot be built): retrying would fail the same way.
    pub permanent: bool,
    pub message: String,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What the in-memory backend keeps.
pub type MemoryOutbox = Arc<Mutex<Vec<(String, OutgoingEmail)>>>;

#[derive(Clone)]
pub enum Mailer {
    Smtp(Box<SmtpTransport>),
    File(PathBuf),
    Memory(MemoryOutbox),
}

impl Mailer {
    pub fn from_config(backend: &MailBackend) -> AppResult<Mailer> {
        match backend {
            MailBackend::File { outbox_dir } => {
                crate::config::Config::ensure_writable_dir(outbox_dir, "outbox_dir")?;
                Ok(Mailer::File(outbox_dir.clone()))
            }
            MailBackend::Smtp {
                host,
                port,
                tls,
                username,
                password,
            } => {
                let smtp_error = |error: lettre::transport::smtp::Error| {
                    AppError::config(format!("設定エラー [smtp_host]: {host}: {error}"))
                };
                let mut builder = match tls {
                    SmtpTls::None => SmtpTransport::builder_dangerous(host),
                    SmtpTls::StartTls => SmtpTransport::builder_dangerous(host).tls(Tls::Required(
                        TlsParameters::new(host.clone()).map_err(smtp_error)?,
                    )),
                    SmtpTls::Tls => SmtpTransport::builder_dangerous(host).tls(Tls::Wrapper(
                        TlsParameters::new(host.clone()).map_err(smtp_error)?,
                    )),
                }
                .port(*port)
                .timeout(Some(Duration::from_secs(30)))
                .pool_config(
                    PoolConfig::new().max_size(u32::try_from(SMTP_CONNECTIONS).unwrap_or(16)),
                );
                if let (Some(user), Some(password)) = (username, password) {
                    builder = builder
                        .credentials(Credentials::new(user.clone(), password.expose().to_owned()));
                }
                Ok(Mailer::Smtp(Box::new(builder.build())))
            }
        }
    }

    pub fn memory() -> (Mailer, MemoryOutbox) {
        let outbox = MemoryOutbox::default();
        (Mailer::Memory(outbox.clone()), outbox)
    }

    /// Sends one email; answers with its Message-ID.
    pub fn send(&self, from: &str, email: &OutgoingEmail) -> Result<String, SendError> {
        let permanent = |message: String| SendError {
            permanent: true,
            message,
        };
        match self {
            Mailer::Memory(outbox) => {
                outbox
                    .lock()
                    .map_err(|_| permanent("送信記録のロックが壊れています".into()))?
                    .push((from.to_owned(), email.clone()));
                Ok(email.message_id.clone())
            }
            Mailer::File(dir) => {
                let message = build(from, email).map_err(permanent)?;
                // Named by the Message-ID: a re-send after a crash overwrites instead of adding
                // a second file. Written aside and renamed, so a reader never sees half a file.
                let name: String = email
                    .message_id
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let path = dir.join(format!("{name}.eml"));
                let partial = dir.join(format!(".{name}.eml.partial"));
                std::fs::write(&partial, message.formatted())
                    .and_then(|()| std::fs::rename(&partial, &path))
                    .map_err(|error| SendError {
                        permanent: false,
                        message: format!("{} に書けません: {error}", path.display()),
                    })?;
                Ok(email.message_id.clone())
            }
            Mailer::Smtp(transport) => {
                let message = build(from, email).map_err(permanent)?;
                match transport.send(&message) {
                    Ok(_) => Ok(email.message_id.clone()),
                    Err(error) => Err(SendError {
                        permanent: error.is_permanent(),
                        message: format!("SMTP: {error}"),
                    }),
                }
            }
        }
    }
}

/// A multipart/alternative message (text first, HTML preferred by readers that can show it).
/// lettre encodes the Japanese subject per RFC 2047 and the bodies as UTF-8.
fn build(from: &str, email: &OutgoingEmail) -> Result<Message, String> {
    let from: Mailbox = from
        .parse()
        .map_err(|error| format!("差出人 {from} が正しくありません: {error}"))?;
    let mut to = Mailboxes::new();
    for (name, address) in &email.to {
        let address = address
            .parse()
            .map_err(|error| format!("宛先 {address} が正しくありません: {error}"))?;
        to.push(Mailbox::new(Some(name.clone()), address));
    }
    Message::builder()
        .from(from)
        .mailbox(header::To::from(to))
        .subject(email.subject.clone())
        .message_id(Some(email.message_id.clone()))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(email.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(email.html.clone()),
                ),
        )
        .map_err(|error| format!("メールを組み立てられません: {error}"))
}

/// The domain of the sender's address (for Message-IDs).
pub fn sender_domain(from: &str) -> String {
    from.rsplit('@')
        .next()
        .map(|rest| rest.trim_end_matches('>').trim())
        .filter(|domain| !domain.is_empty())
        .unwrap_or("hojokin.localhost")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reminder() -> OutgoingEmail {
        OutgoingEmail {
            to: vec![("申請者".into(), "applicant@example.jp".into())],
            subject: "【リマインド】実績報告の提出期限".into(),
            text: "本文".into(),
            html: "<p>本文</p>".into(),
            message_id: "<job-1@hojokin.localhost>".into(),
        }
    }

    #[test]
    fn a_built_message_is_multipart_with_an_encoded_japanese_subject() {
        let message = build("事務局 <noreply@hojokin.localhost>", &reminder()).expect("message");
        let raw = String::from_utf8(message.formatted()).expect("ascii headers");
        assert!(raw.contains("Subject: =?utf-8?"), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("Message-ID: <job-1@hojokin.localhost>"));
        assert_eq!(
            sender_domain("事務局 <noreply@meti.example>"),
            "meti.example"
        );
    }

    #[test]
    fn the_memory_backend_keeps_what_was_sent() {
        let (mailer, outbox) = Mailer::memory();
        let email = reminder();
        assert_eq!(
            mailer.send("x@example.jp", &email),
            Ok("<job-1@hojokin.localhost>".to_owned())
        );
        assert_eq!(outbox.lock().expect("lock").len(), 1);
    }
}
