//! The email templates, compiled into the binary (DESIGN.md: no template read from the working
//! directory at run time): `templates/email/<name>/{subject.txt,body.txt,body.html}.hbs`, each
//! body wrapped in the shared layout `templates/email/_layout/`. Handlebars in strict mode, so
//! a misspelt variable is an error, not an empty line in a letter.

use handlebars::Handlebars;
use serde_json::Value;

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
    email_templates!("reminder", "digest", "notification");
const LAYOUT_TEXT: &str = include_str!("../../templates/email/_layout/body.txt.hbs");
const LAYOUT_HTML: &str = include_str!("../../templates/email/_layout/body.html.hbs");

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Templates {
    /// Subjects and plain text: nothing to escape.
    text: Handlebars<'static>,
    /// HTML: every value escaped.
    html: Handlebars<'static>,
}

impl Templates {
    pub fn embedded() -> AppResult<Templates> {
        let mut text = Handlebars::new();
        text.set_strict_mode(true);
        text.register_escape_fn(handlebars::no_escape);
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        let broken = |name: &str, error: handlebars::TemplateError| {
            AppError::internal(format!(
                "メールのテンプレート {name} が壊れています: {error}"
            ))
        };
        for (name, subject, body_text, body_html) in TEMPLATES {
            text.register_template_string(&format!("{name}/subject"), subject.trim_end())
                .map_err(|e| broken(name, e))?;
            text.register_template_string(&format!("{name}/text"), body_text)
                .map_err(|e| broken(name, e))?;
            html.register_template_string(&format!("{name}/html"), body_html)
                .map_err(|e| broken(name, e))?;
        }
        text.register_template_string("_layout", LAYOUT_TEXT)
            .map_err(|e| broken("_layout", e))?;
        html.register_template_string("_layout", LAYOUT_HTML)
            .map_err(|e| broken("_layout", e))?;
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
