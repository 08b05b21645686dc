//! The applicant's editor, in sections: applicants, partners, legal basis, activities with
//! their budget lines, beside the engine's decision. Input names are the field paths of the
//! evaluation contract (`activities[0].budget_lines[1].amount_yen`), so that the errors of
//! `DraftInput::into_draft` land next to the field they concern. Drafts save incomplete; only
//! what cannot be read (a word in an amount, a malformed date) stops a save.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::Serialize;

use super::evidence::EvidenceSection;
use super::view::{
    DecisionPanel, current_decision, decision_panel, decision_view, refusal_message,
};
use super::{
    Db, PageCaller, PageError, PageForm, PageResult, Then, csrf_token, html, nav_for, redirect,
    render_fragment, set_flash,
};
use crate::actions::{self, ActionRequest, editable_aggregate};
use crate::contract::{amount_from_typed, date_from_typed};
use crate::db::applications::{self as repo, Aggregate};
use crate::db::{self, organisations};
use crate::domain::calendar::FiscalYear;
use crate::domain::codes::ApplicantRole;
use crate::domain::codes::{
    ActivityCategory, ExpenseCategory, FundingSource, LegalPath, PartnerKind,
};
use crate::domain::program::ProgramSet;
use crate::domain::validation::{ErrorCode, FieldErrors};
use crate::domain::workflow::{self, Action, Actor};
use crate::error::{AppResult, ErrorKind};
use crate::web::applications::{
    ActivityInput, DraftInput, LegalBasisInput, LineInput, PartnerInput, create_application,
    today_in_japan, update_application,
};
use crate::web::auth::Caller;

// ---------------------------------------------------------------------------------------------
// The form as typed (strings), keyed by the indices the browser sent
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct LineText {
    category: String,
    description: String,
    amount_yen: String,
    funding_source: String,
    co_funding: String,
}

#[derive(Clone, Default)]
struct ActivityText {
    name: String,
    category: String,
    executive_internship: bool,
    kpi: String,
    lines: BTreeMap<usize, LineText>,
}

#[derive(Clone, Default)]
struct PartnerText {
    kind: String,
    name: String,
}

#[derive(Clone, Default)]
struct LegalText {
    path: String,
    holder: String,
    granted_by: String,
    granted_on: String,
    valid_until: String,
    includes_talent_measures: bool,
    evidence: String,
}

#[derive(Clone, Default)]
struct FormText {
    title: String,
    frame: String,
    municipality_id: String,
    project_start: String,
    project_end: String,
    co_applicant_ids: Vec<String>,
    partners: BTreeMap<usize, PartnerText>,
    legal: LegalText,
    activities: BTreeMap<usize, ActivityText>,
}

/// `activities[3].budget_lines[1].amount_yen` → ([3, 1], "activities", "amount_yen").
fn split_path(name: &str) -> Option<(&str, Vec<usize>, &str)> {
    let head_end = name.find('[')?;
    let head = &name[..head_end];
    let mut indices = Vec::new();
    let mut rest = &name[head_end..];
    while let Some(stripped) = rest.strip_prefix('[') {
        let close = stripped.find(']')?;
        indices.push(stripped[..close].parse().ok()?);
        rest = &stripped[close + 1..];
        // `.budget_lines[` continues the path; anything else is the field.
        match rest.strip_prefix(".budget_lines") {
            Some(next) => rest = next,
            None => break,
        }
    }
    Some((head, indices, rest.strip_prefix('.').unwrap_or(rest)))
}

impl FormText {
    fn from_form(form: &PageForm) -> Self {
        let mut text = FormText {
            title: form.text("title"),
            frame: form.text("frame"),
            municipality_id: form.text("municipality_id"),
            project_start: form.text("project_start"),
            project_end: form.text("project_end"),
            co_applicant_ids: form
                .all("co_applicant_ids")
                .into_iter()
                .map(str::to_owned)
                .collect(),
            ..Default::default()
        };
        for (name, value) in form.fields() {
            let value = value.trim().to_owned();
            if let Some(field) = name.strip_prefix("legal_basis.") {
                let legal = &mut text.legal;
                match field {
                    "path" => legal.path = value,
                    "holder" => legal.holder = value,
                    "granted_by" => legal.granted_by = value,
                    "granted_on" => legal.granted_on = value,
                    "valid_until" => legal.valid_until = value,
                    "includes_talent_measures" => legal.includes_talent_measures = true,
                    "evidence" => legal.evidence = value,
                    _ => {}
                }
                continue;
            }
            let Some((head, indices, field)) = split_path(name) else {
                continue;
            };
            match (head, indices.as_slice()) {
                ("partners", [i]) => {
                    let partner = text.partners.entry(*i).or_default();
                    match field {
                        "kind" => partner.kind = value,
                        "name" => partner.name = value,
                        _ => {}
                    }
                }
                ("activities", [i]) => {
                    let activity = text.activities.entry(*i).or_default();
                    match field {
                        "name" => activity.name = value,
                        "category" => activity.category = value,
                        "executive_internship" => activity.executive_internship = true,
                        "kpi" => activity.kpi = value,
                        _ => {}
                    }
                }
                ("activities", [i, j]) => {
                    let line = text
                        .activities
                        .entry(*i)
                        .or_default()
                        .lines
                        .entry(*j)
                        .or_default();
                    match field {
                        "category" => line.category = value,
                        "description" => line.description = value,
                        "amount_yen" => line.amount_yen = value,
                        "funding_source" => line.funding_source = value,
                        "co_funding_sources" => line.co_funding = value,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        text
    }

    fn from_aggregate(aggregate: &Aggregate) -> Self {
        let application = &aggregate.application;
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        FormText {
            title: application.title.clone(),
            frame: application.frame.as_str().to_owned(),
            municipality_id: application
                .municipality_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            project_start: date(application.project_start),
            project_end: date(application.project_end),
            co_applicant_ids: aggregate
                .members
                .iter()
                .filter(|m| m.role != ApplicantRole::Lead)
                .map(|m| m.organisation.id.to_string())
                .collect(),
            partners: aggregate
                .partners
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        i,
                        PartnerText {
                            kind: p.kind.as_str().to_owned(),
                            name: p.name.clone(),
                        },
                    )
                })
                .collect(),
            legal: aggregate
                .legal_basis
                .as_ref()
                .map(|b| LegalText {
                    path: b.path.as_str().to_owned(),
                    holder: b.holder_name.clone(),
                    granted_by: b.granted_by.clone(),
                    granted_on: b.granted_on.to_string(),
                    valid_until: date(b.valid_until),
                    includes_talent_measures: b.includes_talent_measures,
                    evidence: b.evidence_reference.clone().unwrap_or_default(),
                })
                .unwrap_or_default(),
            activities: aggregate
                .activities
                .iter()
                .enumerate()
                .map(|(i, (activity, lines))| {
                    (
                        i,
                        ActivityText {
                            name: activity.name.clone(),
                            category: activity.category.as_str().to_owned(),
                            executive_internship: activity.executive_internship,
                            kpi: activity.kpi.clone().unwrap_or_default(),
                            lines: lines
                                .iter()
                                .enumerate()
                                .map(|(j, line)| {
                                    (
                                        j,
                                        LineText {
                                            category: line.category.as_str().to_owned(),
                                            description: line.description.clone(),
                                            amount_yen: line.amount_yen.to_string(),
                                            funding_source: line.funding_source.as_str().to_owned(),
                                            co_funding: line
                                                .co_funding()
                                                .first()
                                                .map(|s| s.as_str().to_owned())
                                                .unwrap_or_default(),
                                        },
                                    )
                                })
                                .collect(),
                        },
                    )
                })
                .collect(),
        }
    }
}

/// Where each entry of the parsed draft came from in the form (blank rows are left out, so
/// the indices differ).
#[derive(Default)]
struct IndexMap {
    partners: Vec<usize>,
    activities: Vec<(usize, Vec<usize>)>,
}

impl IndexMap {
    /// A path of the parsed draft → the name of the form field.
    fn to_form(&self, path: &str) -> String {
        let Some((head, indices, field)) = split_path(path) else {
            return path.to_owned();
        };
        let join = |indices: &[usize]| -> Option<String> {
            match (head, indices) {
                ("partners", [i]) => Some(format!("partners[{}]", self.partners.get(*i)?)),
                ("activities", [i]) => Some(format!("activities[{}]", self.activities.get(*i)?.0)),
                ("activities", [i, j]) => {
                    let (a, lines) = self.activities.get(*i)?;
                    Some(format!("activities[{a}].budget_lines[{}]", lines.get(*j)?))
                }
                _ => None,
            }
        };
        match join(&indices) {
            Some(prefix) if field.is_empty() => prefix,
            Some(prefix) => format!("{prefix}.{field}"),
            None => path.to_owned(),
        }
    }
}

fn parse_date(errors: &mut FieldErrors, name: &str, text: &str) -> Option<NaiveDate> {
    if text.is_empty() {
        return None;
    }
    date_from_typed(text, "日付")
        .map_err(|error| errors.add(name, error.code, error.message))
        .ok()
}

impl FormText {
    /// The draft as the API takes it, with what could not be read as field errors (by form
    /// field name) and where each entry came from.
    fn to_input(
        &self,
        fiscal_year: i32,
        lead_organisation_id: i64,
        version: i32,
    ) -> (DraftInput, FieldErrors, IndexMap) {
        let mut errors = FieldErrors::new();
        let mut map = IndexMap::default();
        let project_start = parse_date(&mut errors, "project_start", &self.project_start);
        let project_end = parse_date(&mut errors, "project_end", &self.project_end);
        let mut partners = Vec::new();
        for (i, partner) in &self.partners {
            if partner.kind.is_empty() && partner.name.is_empty() {
                continue;
            }
            map.partners.push(*i);
            partners.push(PartnerInput {
                kind: partner.kind.clone(),
                name: partner.name.clone(),
                municipality_id: None,
            });
        }
        let legal_basis = if self.legal.path.is_empty() {
            None
        } else {
            let granted_on = parse_date(
                &mut errors,
                "legal_basis.granted_on",
                &self.legal.granted_on,
            );
            if self.legal.granted_on.is_empty() {
                errors.add(
                    "legal_basis.granted_on",
                    ErrorCode::Required,
                    "認定・承認等の日付を入力してください",
                );
            }
            let valid_until = parse_date(
                &mut errors,
                "legal_basis.valid_until",
                &self.legal.valid_until,
            );
            granted_on.map(|granted_on| LegalBasisInput {
                path: self.legal.path.clone(),
                holder: self.legal.holder.clone(),
                granted_by: self.legal.granted_by.clone(),
                granted_on,
                valid_until,
                includes_talent_measures: self.legal.includes_talent_measures,
                evidence: Some(self.legal.evidence.clone()).filter(|e| !e.is_empty()),
            })
        };
        let mut activities = Vec::new();
        for (i, activity) in &self.activities {
            let mut lines = Vec::new();
            let mut line_indices = Vec::new();
            for (j, line) in &activity.lines {
                if line.description.is_empty() && line.amount_yen.is_empty() {
                    continue;
                }
                let name = format!("activities[{i}].budget_lines[{j}].amount_yen");
                let amount = match amount_from_typed(&line.amount_yen, "金額") {
                    Ok(amount) => amount,
                    Err(error) => {
                        errors.add(&name, error.code, error.message);
                        0
                    }
                };
                line_indices.push(*j);
                lines.push(LineInput {
                    category: line.category.clone(),
                    description: line.description.clone(),
                    amount_yen: amount,
                    funding_source: line.funding_source.clone(),
                    co_funding_sources: Some(line.co_funding.clone())
                        .filter(|c| !c.is_empty())
                        .into_iter()
                        .collect(),
                });
            }
            if activity.name.is_empty() && activity.category.is_empty() && lines.is_empty() {
                continue;
            }
            if activity.name.is_empty() {
                errors.add(
                    format!("activities[{i}].name"),
                    ErrorCode::Required,
                    "活動の名称を入力してください",
                );
            }
            map.activities.push((*i, line_indices));
            activities.push(ActivityInput {
                name: activity.name.clone(),
                category: activity.category.clone(),
                executive_internship: activity.executive_internship,
                kpi: Some(activity.kpi.clone()).filter(|k| !k.is_empty()),
                budget_lines: lines,
            });
        }
        let input = DraftInput {
            fiscal_year,
            frame: self.frame.clone(),
            title: self.title.clone(),
            lead_organisation_id,
            co_applicant_ids: self
                .co_applicant_ids
                .iter()
                .filter_map(|id| id.parse().ok())
                .collect(),
            municipality_id: self.municipality_id.parse().ok(),
            project_start,
            project_end,
            partners,
            legal_basis,
            activities,
            version: Some(version),
        };
        (input, errors, map)
    }
}

// ---------------------------------------------------------------------------------------------
// The view
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One input as the `field` partial renders it.
#[derive(Serialize, Clone, Default)]
pub struct Field {
    pub name: String,
    pub id: String,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
    pub input_type: &'static str,
    pub is_select: bool,
    pub is_checkbox: bool,
    pub is_textarea: bool,
    pub checked: bool,
    pub options: Vec<Opt>,
    pub hint: Option<&'static str>,
}

pub(super) fn field_id(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

struct Errors(BTreeMap<String, String>);

impl Errors {
    fn at(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

fn text_field(name: String, label: &str, value: &str, errors: &Errors) -> Field {
    Field {
        id: field_id(&name),
        error: errors.at(&name),
        name,
        label: label.to_owned(),
        value: value.to_owned(),
        input_type: "text",
        ..Default::default()
    }
}

fn date_field(name: String, label: &str, value: &str, errors: &Errors) -> Field {
    Field {
        input_type: "date",
        ..text_field(name, label, value, errors)
    }
}

fn select_field(
    name: String,
    label: &str,
    value: &str,
    choices: &[(String, String)],
    blank: &str,
    errors: &Errors,
) -> Field {
    let mut options = vec![Opt {
        value: String::new(),
        label: blank.to_owned(),
        selected: value.is_empty(),
    }];
    options.extend(choices.iter().map(|(code, text)| Opt {
        value: code.clone(),
        label: text.clone(),
        selected: code == value,
    }));
    Field {
        is_select: true,
        options,
        ..text_field(name, label, value, errors)
    }
}

fn checkbox(name: String, label: &str, checked: bool, errors: &Errors) -> Field {
    Field {
        input_type: "checkbox",
        is_checkbox: true,
        checked,
        value: "on".to_owned(),
        ..text_field(name, label, "", errors)
    }
}

fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (code(*v).to_owned(), label(*v).to_owned()))
        .collect()
}

struct Choices {
    frames: Vec<(String, String)>,
    municipalities: Vec<(String, String)>,
    partner_kinds: Vec<(String, String)>,
    legal_paths: Vec<(String, String)>,
    activity_categories: Vec<(String, String)>,
    expense_categories: Vec<(String, String)>,
    funding_sources: Vec<(String, String)>,
    organisations: Vec<(String, String)>,
}

impl Choices {
    fn load(
        conn: &mut crate::db::DbConnection,
        programs: &ProgramSet,
        fiscal_year: i32,
        lead: i64,
    ) -> AppResult<Self> {
        Ok(Choices {
            frames: programs
                .get(FiscalYear(fiscal_year))
                .map(|program| {
                    program
                        .frames
                        .iter()
                        .map(|f| (f.code.as_str().to_owned(), f.name_ja.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            municipalities: organisations::list_municipalities(conn)?
                .into_iter()
                .map(|m| (m.id.to_string(), format!("{}（{}）", m.name, m.prefecture)))
                .collect(),
            partner_kinds: choices(PartnerKind::ALL, PartnerKind::as_str, PartnerKind::label_ja),
            legal_paths: choices(LegalPath::ALL, LegalPath::as_str, LegalPath::label_ja),
            activity_categories: choices(
                ActivityCategory::ALL,
                ActivityCategory::as_str,
                ActivityCategory::label_ja,
            ),
            expense_categories: choices(
                ExpenseCategory::ALL,
                ExpenseCategory::as_str,
                ExpenseCategory::label_ja,
            ),
            funding_sources: choices(
                FundingSource::ALL,
                FundingSource::as_str,
                FundingSource::label_ja,
            ),
            organisations: organisations::list_organisations(conn)?
                .into_iter()
                .filter(|o| o.id != lead)
                .map(|o| (o.id.to_string(), o.name))
                .collect(),
        })
    }
}

#[derive(Serialize)]
struct LineView {
    index: String,
    category: Field,
    description: Field,
    amount_yen: Field,
    funding_source: Field,
    co_funding: Field,
}

#[derive(Serialize)]
struct ActivityView {
    index: String,
    next_line: usize,
    name: Field,
    category: Field,
    executive_internship: Field,
    kpi: Field,
    lines: Vec<LineView>,
}

#[derive(Serialize)]
struct PartnerView {
    kind: Field,
    name: Field,
}

#[derive(Serialize)]
struct EditorView {
    id: i64,
    reference: String,
    state_label: &'static str,
    fiscal_year: i32,
    lead_name: String,
    version: i32,
    return_reason: Option<String>,
    title: Field,
    frame: Field,
    municipality_id: Field,
    project_start: Field,
    project_end: Field,
    co_applicants: Vec<Opt>,
    partners: Vec<PartnerView>,
    next_partner: usize,
    legal: Vec<Field>,
    activities: Vec<ActivityView>,
    next_activity: usize,
    general_errors: Vec<String>,
    panel: DecisionPanel,
    /// The legal basis's evidence files and the refusal of the last upload.
    evidence: EvidenceSection,
    /// Prototypes for rows added in the browser (`__A__`, `__L__`, `__P__` are replaced).
    line_template: LineView,
    activity_template: ActivityView,
    partner_template: PartnerView,
}

fn line_view(a: &str, j: &str, line: &LineText, c: &Choices, e: &Errors) -> LineView {
    let name = |field: &str| format!("activities[{a}].budget_lines[{j}].{field}");
    LineView {
        index: j.to_owned(),
        category: select_field(
            name("category"),
            "経費区分",
            &line.category,
            &c.expense_categories,
            "選択してください",
            e,
        ),
        description: text_field(name("description"), "内容", &line.description, e),
        amount_yen: Field {
            input_type: "text",
            ..text_field(name("amount_yen"), "金額（円・税抜）", &line.amount_yen, e)
        },
        funding_source: select_field(
            name("funding_source"),
            "財源",
            &line.funding_source,
            &c.funding_sources,
            "選択してください",
            e,
        ),
        co_funding: select_field(
            name("co_funding_sources"),
            "併用する財源",
            &line.co_funding,
            &c.funding_sources,
            "なし",
            e,
        ),
    }
}

fn activity_view(i: &str, activity: &ActivityText, c: &Choices, e: &Errors) -> ActivityView {
    let name = |field: &str| format!("activities[{i}].{field}");
    let mut lines: Vec<LineView> = activity
        .lines
        .iter()
        .map(|(j, line)| line_view(i, &j.to_string(), line, c, e))
        .collect();
    let next_line = activity.lines.keys().next_back().map_or(0, |j| j + 1);
    // One blank row to type into, also without JavaScript.
    lines.push(line_view(
        i,
        &next_line.to_string(),
        &LineText::default(),
        c,
        e,
    ));
    ActivityView {
        index: i.to_owned(),
        next_line: next_line + 1,
        name: text_field(name("name"), "活動の名称", &activity.name, e),
        category: select_field(
            name("category"),
            "活動の区分",
            &activity.category,
            &c.activity_categories,
            "選択してください",
            e,
        ),
        executive_internship: checkbox(
            name("executive_internship"),
            "幹部インターンシップとして実施する",
            activity.executive_internship,
            e,
        ),
        kpi: text_field(name("kpi"), "成果目標（KPI）", &activity.kpi, e),
        lines,
    }
}

fn partner_view(i: &str, partner: &PartnerText, c: &Choices, e: &Errors) -> PartnerView {
    PartnerView {
        kind: select_field(
            format!("partners[{i}].kind"),
            "種類",
            &partner.kind,
            &c.partner_kinds,
            "選択してください",
            e,
        ),
        name: text_field(format!("partners[{i}].name"), "名称", &partner.name, e),
    }
}

fn editor_view(
    aggregate: &Aggregate,
    text: &FormText,
    errors: &Errors,
    general_errors: Vec<String>,
    choices: &Choices,
    panel: DecisionPanel,
    return_reason: Option<String>,
) -> EditorView {
    let application = &aggregate.application;
    let mut partners: Vec<PartnerView> = text
        .partners
        .iter()
        .map(|(i, p)| partner_view(&i.to_string(), p, choices, errors))
        .collect();
    let next_partner = text.partners.keys().next_back().map_or(0, |i| i + 1);
    partners.push(partner_view(
        &next_partner.to_string(),
        &PartnerText::default(),
        choices,
        errors,
    ));
    let mut activities: Vec<ActivityView> = text
        .activities
        .iter()
        .map(|(i, a)| activity_view(&i.to_string(), a, choices, errors))
        .collect();
    let mut next_activity = text.activities.keys().next_back().map_or(0, |i| i + 1);
    if activities.is_empty() {
        activities.push(activity_view(
            "0",
            &ActivityText::default(),
            choices,
            errors,
        ));
        next_activity = 1;
    }
    let legal = &text.legal;
    let none = Errors(BTreeMap::new());
    let mut activity_template = activity_view("__A__", &ActivityText::default(), choices, &none);
    activity_template.lines.truncate(1);
    EditorView {
        id: application.id,
        reference: application.reference.clone(),
        state_label: aggregate.state().label_ja(),
        fiscal_year: application.fiscal_year,
        lead_name: aggregate
            .members
            .iter()
            .find(|m| m.role == ApplicantRole::Lead)
            .map(|m| m.organisation.name.clone())
            .unwrap_or_default(),
        version: application.version,
        return_reason,
        title: text_field("title".into(), "事業名", &text.title, errors),
        frame: select_field(
            "frame".into(),
            "申請する枠",
            &text.frame,
            &choices.frames,
            "選択してください",
            errors,
        ),
        municipality_id: select_field(
            "municipality_id".into(),
            "事業を行う市町村（予算を審査する自治体）",
            &text.municipality_id,
            &choices.municipalities,
            "選択してください",
            errors,
        ),
        project_start: date_field(
            "project_start".into(),
            "補助事業の開始日",
            &text.project_start,
            errors,
        ),
        project_end: date_field(
            "project_end".into(),
            "補助事業の終了日",
            &text.project_end,
            errors,
        ),
        co_applicants: choices
            .organisations
            .iter()
            .map(|(id, name)| Opt {
                selected: text.co_applicant_ids.contains(id),
                value: id.clone(),
                label: name.clone(),
            })
            .collect(),
        partners,
        next_partner: next_partner + 1,
        legal: vec![
            select_field(
                "legal_basis.path".into(),
                "法制度の類型（該当する場合）",
                &legal.path,
                &choices.legal_paths,
                "なし",
                errors,
            ),
            text_field(
                "legal_basis.holder".into(),
                "認定・承認等を受けた者",
                &legal.holder,
                errors,
            ),
            text_field(
                "legal_basis.granted_by".into(),
                "認定・承認等をした者",
                &legal.granted_by,
                errors,
            ),
            date_field(
                "legal_basis.granted_on".into(),
                "認定・承認等の日付",
                &legal.granted_on,
                errors,
            ),
            date_field(
                "legal_basis.valid_until".into(),
                "有効期限",
                &legal.valid_until,
                errors,
            ),
            checkbox(
                "legal_basis.includes_talent_measures".into(),
                "計画に人材確保の取組を含む",
                legal.includes_talent_measures,
                errors,
            ),
            Field {
                hint: Some(
                    "証拠書類の名称（例: 変更認定通知書 令和8年4月1日）。ファイルは下の「証拠書類のファイル」から添付します。",
                ),
                ..text_field(
                    "legal_basis.evidence".into(),
                    "証拠書類",
                    &legal.evidence,
                    errors,
                )
            },
        ],
        activities,
        next_activity,
        general_errors,
        panel,
        evidence: EvidenceSection::default(),
        line_template: line_view("__A__", "__L__", &LineText::default(), choices, &none),
        activity_template,
        partner_template: partner_view("__P__", &PartnerText::default(), choices, &none),
    }
}

/// Field errors by form name: those of the draft's paths are mapped back to the form.
fn form_errors(errors: &FieldErrors, map: Option<&IndexMap>) -> (Errors, Vec<String>) {
    let mut by_name = BTreeMap::new();
    let mut general = Vec::new();
    for (path, list) in &errors.errors {
        let name = map.map_or_else(|| path.clone(), |map| map.to_form(path));
        let message = list
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() || name == "version" || name == "payload" {
            general.push(message);
        } else {
            by_name.insert(name, message);
        }
    }
    (Errors(by_name), general)
}

fn last_return_reason(
    conn: &mut crate::db::DbConnection,
    aggregate: &Aggregate,
) -> AppResult<Option<String>> {
    if aggregate.application.status != workflow::ApplicationState::ReturnedForCorrection {
        return Ok(None);
    }
    Ok(crate::db::audit::events_of(conn, aggregate.application.id)?
        .into_iter()
        .rev()
        .find(|event| event.action == Action::ReturnForCorrection.code())
        .and_then(|event| event.reason))
}

fn editor_page(
    caller: &Caller,
    session: &Session,
    status: StatusCode,
    view: EditorView,
) -> PageResult {
    let page = super::Page {
        title: format!("{} の編集", view.reference),
        user: Some(super::UserView {
            display_name: caller.user.display_name.clone(),
            role_label: caller.actor.role.label_ja(),
        }),
        csrf: csrf_token(session)?,
        nav: nav_for(caller.actor.role),
        flash: session.remove_as::<String>("flash").and_then(Result::ok),
        page: view,
    };
    html(status, super::render_html("application_edit", &page)?)
}

#[get("/applications/{id}/edit")]
pub async fn edit_page(
    db: Db,
    session: Session,
    path: web::Path<i64>,
    PageCaller(caller): PageCaller,
) -> PageResult {
    stored_editor(&db, &caller, &session, path.into_inner(), None).await
}

/// The editor with a refused upload's message next to the file input (422): the form as
/// stored, since the upload is a form of its own.
pub(super) async fn with_evidence_error(
    db: &Db,
    caller: &Caller,
    session: &Session,
    id: i64,
    message: String,
) -> PageResult {
    stored_editor(db, caller, session, id, Some(message)).await
}

/// The editor for the application as stored.
async fn stored_editor(
    db: &Db,
    caller: &Caller,
    session: &Session,
    id: i64,
    evidence_error: Option<String>,
) -> PageResult {
    let status = if evidence_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let actor = caller.actor.clone();
    let view = db
        .run(move |conn, programs| {
            let aggregate = editable_aggregate(conn, &actor, id)?;
            let choices = Choices::load(
                conn,
                programs,
                aggregate.application.fiscal_year,
                aggregate.application.lead_organisation_id,
            )?;
            let reason = last_return_reason(conn, &aggregate)?;
            let text = FormText::from_aggregate(&aggregate);
            let mut view = editor_view(
                &aggregate,
                &text,
                &Errors(BTreeMap::new()),
                Vec::new(),
                &choices,
                decision_panel(current_decision(conn, programs, &aggregate)?.as_ref()),
                reason,
            );
            view.evidence = EvidenceSection::new(&db::evidence::list(conn, id)?, evidence_error);
            Ok(view)
        })
        .await?;
    editor_page(caller, session, status, view)
}

enum SaveOutcome {
    Saved {
        submitted: Option<Result<String, String>>,
    },
    Invalid(Box<EditorView>),
}

/// Saves the draft (and, with `intent=submit`, submits it). Errors come back next to their
/// fields with status 422 and nothing saved.
#[post("/applications/{id}/edit")]
pub async fn save(
    db: Db,
    session: Session,
    path: web::Path<i64>,
    Then(form, PageCaller(caller)): Then<PageForm, PageCaller>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let text = FormText::from_form(&form);
    let version: i32 = form.text("version").parse().unwrap_or(0);
    let submit = form.text("intent") == "submit";
    let actor = caller.actor.clone();
    let outcome = db
        .run(move |conn, programs| {
            let aggregate = editable_aggregate(conn, &actor, id)?;
            let application = &aggregate.application;
            let (input, parse_errors, map) = text.to_input(
                application.fiscal_year,
                application.lead_organisation_id,
                version,
            );
            let invalid = |conn: &mut crate::db::DbConnection,
                           errors: &FieldErrors,
                           map: Option<&IndexMap>|
             -> AppResult<SaveOutcome> {
                let choices = Choices::load(
                    conn,
                    programs,
                    application.fiscal_year,
                    application.lead_organisation_id,
                )?;
                let (by_name, general) = form_errors(errors, map);
                let reason = last_return_reason(conn, &aggregate)?;
                let mut view = editor_view(
                    &aggregate,
                    &text,
                    &by_name,
                    general,
                    &choices,
                    DecisionPanel::note(
                        "入力に誤りがあるため保存していません。赤字の項目を直してください。",
                    ),
                    reason,
                );
                view.evidence = EvidenceSection::new(&db::evidence::list(conn, id)?, None);
                Ok(SaveOutcome::Invalid(Box::new(view)))
            };
            if !parse_errors.is_empty() {
                return invalid(conn, &parse_errors, None);
            }
            match update_application(conn, programs, &actor, id, version, input) {
                Ok(()) => {}
                Err(error) if error.kind == ErrorKind::Invalid => {
                    let errors = error.field_errors.clone().unwrap_or_default();
                    return invalid(conn, &errors, Some(&map));
                }
                Err(error) => return Err(error),
            }
            if !submit {
                return Ok(SaveOutcome::Saved { submitted: None });
            }
            let saved_version = repo::load_aggregate(conn, id)?.application.version;
            let request = ActionRequest {
                version: saved_version,
                reason: None,
                payload: serde_json::Value::Null,
            };
            let result = actions::perform(
                conn,
                programs,
                &actor,
                id,
                Action::Submit,
                &request,
                today_in_japan(),
            );
            Ok(SaveOutcome::Saved {
                submitted: Some(match result {
                    Ok(outcome) => Ok(outcome.state.label_ja().to_owned()),
                    Err(error)
                        if matches!(error.kind, ErrorKind::Invalid | ErrorKind::Conflict) =>
                    {
                        Err(refusal_message(&error))
                    }
                    Err(error) => return Err(error),
                }),
            })
        })
        .await?;
    match outcome {
        SaveOutcome::Invalid(view) => {
            editor_page(&caller, &session, StatusCode::UNPROCESSABLE_ENTITY, *view)
        }
        SaveOutcome::Saved { submitted: None } => {
            set_flash(&session, "下書きを保存しました。");
            Ok(redirect(&format!("/applications/{id}/edit")))
        }
        SaveOutcome::Saved {
            submitted: Some(Ok(state)),
        } => {
            set_flash(&session, format!("申請しました。現在の状態: {state}"));
            Ok(redirect(&format!("/applications/{id}")))
        }
        SaveOutcome::Saved {
            submitted: Some(Err(message)),
        } => {
            set_flash(
                &session,
                format!("下書きは保存しましたが、申請できませんでした: {message}"),
            );
            Ok(redirect(&format!("/applications/{id}/edit")))
        }
    }
}

/// The live preview: the engine's decision on the form as typed, nothing saved. Answers the
/// decision panel as an HTML fragment.
#[post("/applications/{id}/preview")]
pub async fn preview(
    db: Db,
    path: web::Path<i64>,
    Then(form, PageCaller(caller)): Then<PageForm, PageCaller>,
) -> PageResult {
    let id = path.into_inner();
    let text = FormText::from_form(&form);
    let actor = caller.actor;
    let panel = db.run(move |conn, programs| {
        let aggregate = actions::authorized_aggregate(conn, &actor, id, Action::View)?;
        let application = &aggregate.application;
        let (input, parse_errors, _) = text.to_input(
            application.fiscal_year,
            application.lead_organisation_id,
            application.version,
        );
        let unreadable = |count: usize| {
            DecisionPanel::note(format!(
                "入力に誤りがあるため判定できません（{count}件）。保存すると項目ごとに表示します。"
            ))
        };
        if !parse_errors.is_empty() {
            return Ok(unreadable(parse_errors.len()));
        }
        let draft = match input.into_draft(application.reference.clone()) {
            Ok(draft) => draft,
            Err(errors) => return Ok(unreadable(errors.len())),
        };
        let candidate = repo::preview_aggregate(conn, &aggregate, &draft)?;
        Ok(
            match actions::preview(conn, programs, &candidate, today_in_japan()) {
                Ok(decision) => DecisionPanel {
                    decision: Some(decision_view(&decision)),
                    decision_note: String::new(),
                },
                Err(error) if error.kind == ErrorKind::Invalid => {
                    DecisionPanel::note(format!("まだ判定できません: {}", refusal_message(&error)))
                }
                Err(error) => return Err(error),
            },
        )
    })
    .await?;
    render_fragment("decision", &panel)
}

/// Creates a draft from the "新しい申請" form and opens the editor.
pub fn create_from_form(
    conn: &mut crate::db::DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    form: &NewApplicationForm,
) -> AppResult<i64> {
    create_application(
        conn,
        programs,
        actor,
        DraftInput {
            fiscal_year: form.fiscal_year,
            frame: form.frame.clone(),
            title: form.title.clone(),
            lead_organisation_id: form.lead_organisation_id,
            co_applicant_ids: Vec::new(),
            municipality_id: form.municipality_id,
            project_start: None,
            project_end: None,
            partners: Vec::new(),
            legal_basis: None,
            activities: Vec::new(),
            version: None,
        },
    )
}

/// The few fields a new draft starts with.
pub struct NewApplicationForm {
    pub fiscal_year: i32,
    pub frame: String,
    pub title: String,
    pub lead_organisation_id: i64,
    pub municipality_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_contract_paths() {
        assert_eq!(
            split_path("activities[3].budget_lines[1].amount_yen"),
            Some(("activities", vec![3, 1], "amount_yen"))
        );
        assert_eq!(
            split_path("partners[0].kind"),
            Some(("partners", vec![0], "kind"))
        );
        assert_eq!(
            split_path("activities[2]"),
            Some(("activities", vec![2], ""))
        );
        assert_eq!(split_path("title"), None);
    }

    #[test]
    fn maps_draft_paths_back_to_form_names() {
        let map = IndexMap {
            partners: vec![1],
            activities: vec![(0, vec![0, 2]), (3, vec![5])],
        };
        assert_eq!(
            map.to_form("activities[0].budget_lines[1].amount_yen"),
            "activities[0].budget_lines[2].amount_yen"
        );
        assert_eq!(
            map.to_form("activities[1].category"),
            "activities[3].category"
        );
        assert_eq!(map.to_form("partners[0].name"), "partners[1].name");
        assert_eq!(map.to_form("frame"), "frame");
    }

    #[test]
    fn reads_amounts_as_people_type_them() {
        let amount = |text| amount_from_typed(text, "金額");
        assert_eq!(amount("1,200,000円"), Ok(1_200_000));
        assert_eq!(amount("１２００"), Ok(1200));
        assert_eq!(amount("６，０００，０００"), Ok(6_000_000));
        // The sign is kept: the rule that takes the amount says what range it allows.
        assert_eq!(amount("－5"), Ok(-5));
        for (text, code) in [
            ("百万円", ErrorCode::InvalidNumber),
            ("", ErrorCode::Required),
            ("99999999999999999999", ErrorCode::AmountTooLarge),
        ] {
            assert_eq!(
                amount(text).map_err(|error| error.code),
                Err(code),
                "{text}"
            );
        }
    }
}
