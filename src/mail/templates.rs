//! The email templates, compiled into the binary (DESIGN.md: no template read from the working
//! directory at run time; `templates_dir` may replace them at start-up):
//! `templates/email/<name>/{subject.txt,body.txt,body.html}.hbs`, each body wrapped in the
//! shared layout `templates/email/_layout/`. Handlebars in strict mode, so
//! a misspelt variable is an error, not an empty line in a letter.

use handlebars::Handlebars;
use serde_json::Value;

use crate::config::TemplatesDir;
use crate::error::{AppError, AppResult};

macro_rules! email_templates {
    ($($name:literal),* $(,)?) => {
        &[$(
            (
                $name,
                include_str!(concat!("../../templates/email/", $name, "/subject.txt.hbs")),
                include_str!(concat!("../../templates/email/", $name, "/body.txt.hbs")),
                include_str!(concat!("../../templates/email/", $name, "/body.html.hbs")),
            ),
        )*]
    };
}

/// (name, subject, text body, HTML body).
const TEMPLATES: &[(&str, &str, &str, &str)] =
    email_templates!("reminder", "digest", "notification", "password_reset");
const LAYOUT_TEXT: &str = include_str!("../../templates/email/_layout/body.txt.hbs");
const LAYOUT_HTML: &str = include_str!("../../templates/email/_layout/body.html.hbs");

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The names under which a file of `templates_dir` replaces an email template.
pub fn template_files() -> Vec<String> {
    TEMPLATES
        .iter()
        .flat_map(|(name, ..)| {
            ["subject.txt", "body.txt", "body.html"].map(|part| format!("email/{name}/{part}.hbs"))
        })
        .chain([
            "email/_layout/body.txt.hbs".to_owned(),
            "email/_layout/body.html.hbs".to_owned(),
        ])
        .collect()
}

pub struct Templates {
    /// Subjects and plain text: nothing to escape.
    text: Handlebars<'static>,
    /// HTML: every value escaped.
    html: Handlebars<'static>,
}

impl Templates {
    pub fn embedded() -> AppResult<Templates> {
        Templates::load(None)
    }

    /// The templates, a file of `overrides` replacing the embedded one of the same name
    /// ([`template_files`]).
    pub fn load(overrides: Option<&TemplatesDir>) -> AppResult<Templates> {
        let mut text = Handlebars::new();
        text.set_strict_mode(true);
        text.register_escape_fn(handlebars::no_escape);
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        // Registers `embedded` as `name`, or the file `file` of `overrides` when there is one.
        let register = |registry: &mut Handlebars<'static>,
                        name: String,
                        file: String,
                        embedded: &str,
                        trim: bool|
         -> AppResult<()> {
            let replacement = match overrides {
                Some(dir) => dir.read(&file)?.map(|text| (dir, text)),
                None => None,
            };
            match replacement {
                Some((dir, source)) => {
                    let source = if trim { source.trim_end() } else { &source };
                    registry
                        .register_template_string(&name, source)
                        .map_err(|error| dir.broken(&file, &error))
                }
                None => {
                    let source = if trim { embedded.trim_end() } else { embedded };
                    registry
                        .register_template_string(&name, source)
                        .map_err(|error| {
                            AppError::internal(format!(
                                "メールのテンプレート templates/{file} が壊れています: {error}"
                            ))
                        })
                }
            }
        };
        for (name, subject, body_text, body_html) in TEMPLATES {
            let file = |part: &str| format!("email/{name}/{part}.hbs");
            register(
                &mut text,
                format!("{name}/subject"),
                file("subject.txt"),
                subject,
                true,
            )?;
            register(
                &mut text,
                format!("{name}/text"),
                file("body.txt"),
                body_text,
                false,
            )?;
            register(
                &mut html,
                format!("{name}/html"),
                file("body.html"),
                body_html,
                false,
            )?;
        }
        register(
            &mut text,
            "_layout".into(),
            "email/_layout/body.txt.hbs".into(),
            LAYOUT_TEXT,
            false,
        )?;
        register(
            &mut html,
            "_layout".into(),
            "email/_layout/body.html.hbs".into(),
            LAYOUT_HTML,
            false,
        )?;
        Ok(Templates { text, html })
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        TEMPLATES.iter().map(|(name, ..)| *name)
    }

    /// Renders `name` with `context`, which must also hold `recipient` and `settings_url` for
    /// the layout.
    pub fn render(&self, name: &str, context: &Value) -> AppResult<Rendered> {
        let failed = |error: handlebars::RenderError| {
            AppError::internal(format!("メール {name} を作成できません: {error}"))
        };
        let subject = self
            .text
            .render(&format!("{name}/subject"), context)
            .map_err(failed)?
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("");
        let text_body = self
            .text
            .render(&format!("{name}/text"), context)
            .map_err(failed)?;
        let html_body = self
            .html
            .render(&format!("{name}/html"), context)
            .map_err(failed)?;
        let mut layout_context = context.clone();
        if let Value::Object(map) = &mut layout_context {
            map.insert("subject".into(), Value::String(subject.clone()));
            map.insert("content".into(), Value::String(tidy(&text_body)));
        }
        let text = self
            .text
            .render("_layout", &layout_context)
            .map_err(failed)?;
        if let Value::Object(map) = &mut layout_context {
            map.insert("content".into(), Value::String(html_body));
        }
        let html = self
            .html
            .render("_layout", &layout_context)
            .map_err(failed)?;
        Ok(Rendered {
            subject,
            text: tidy(&text),
            html,
        })
    }
}

/// Template blocks leave blank lines behind; a letter has at most one in a row.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.trim().lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reminder_renders_in_japanese_with_its_link() {
        let templates = Templates::embedded().expect("templates");
        let rendered = templates
            .render(
                "reminder",
                &json!({
                    "recipient": "塩尻 花子",
                    "settings_url": "https://hojokin.example/settings",
                    "application": {"reference": "R8-0001", "title": "幹部人材インターンシップ <試行>",
                                    "url": "https://hojokin.example/applications/1"},
                    "deadline": {"label": "実績報告", "due": "令和9年3月10日（水）17:00", "rolled_from": null},
                    "timing": "7日前", "overdue": false, "days": 7
                }),
            )
            .expect("rendered");
        assert_eq!(
            rendered.subject,
            "【リマインド】実績報告の期限は令和9年3月10日（水）17:00です（R8-0001）"
        );
        assert!(rendered.text.starts_with("塩尻 花子 様\n"));
        assert!(
            rendered
                .text
                .contains("https://hojokin.example/applications/1")
        );
        assert!(
            rendered.text.contains("幹部人材インターンシップ <試行>"),
            "text is not escaped"
        );
        assert!(rendered.html.contains("&lt;試行&gt;"), "HTML is escaped");
        assert!(
            rendered
                .html
                .contains("href=\"https://hojokin.example/applications/1\"")
        );
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_blank() {
        let templates = Templates::embedded().expect("templates");
        assert!(
            templates
                .render("reminder", &json!({"recipient": "x"}))
                .is_err()
        );
    }
}
