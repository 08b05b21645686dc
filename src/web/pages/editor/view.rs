//! The editor as the page shows it: fields with their labels, values and errors.

use super::*;

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

/// The name of the co-applicants' checkboxes, and the id of their group.
const CO_APPLICANTS: &str = "co_applicant_ids";

pub(crate) fn field_id(name: &str) -> String {
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

pub(super) struct Errors(pub(super) BTreeMap<String, String>);

impl Errors {
    pub(super) fn at(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    /// Every error as the summary at the top lists it: in the order of the form's sections,
    /// each linking to its field.
    pub(super) fn summary(&self) -> Vec<ErrorLink> {
        const SECTIONS: [&str; 9] = [
            "title",
            "frame",
            "municipality_id",
            "co_applicant",
            "project_",
            "partners",
            "legal_basis",
            "activities",
            "",
        ];
        let mut links: Vec<(usize, &String, &String)> = self
            .0
            .iter()
            .map(|(name, message)| {
                let section = SECTIONS
                    .iter()
                    .position(|prefix| name.starts_with(prefix))
                    .unwrap_or(SECTIONS.len());
                (section, name, message)
            })
            .collect();
        links.sort_by_key(|(section, _, _)| *section);
        links
            .into_iter()
            .map(|(_, name, message)| ErrorLink {
                // The co-applicants are one group of checkboxes: an error of any is the group's.
                target: if name.starts_with(CO_APPLICANTS) {
                    CO_APPLICANTS.to_owned()
                } else {
                    field_id(name)
                },
                message: message.clone(),
            })
            .collect()
    }
}

/// A save refused because someone saved first: what the typed form says differently.
#[derive(Serialize)]
pub(super) struct StaleSave {
    pub(super) differences: Vec<Difference>,
}

/// A field the typed form and the saved application disagree on.
#[derive(Serialize, PartialEq, Eq, Debug)]
pub(super) struct Difference {
    pub(super) label: String,
    pub(super) saved: String,
    pub(super) typed: String,
}

/// What `typed` (a form opened before the last save) says differently from `saved`: the
/// basic fields, and each activity and budget line by its place on the page.
pub(super) fn differences(saved: &FormText, typed: &FormText) -> Vec<Difference> {
    let mut found = Vec::new();
    let mut compare = |label: String, saved: &str, typed: &str| {
        if saved.trim() != typed.trim() {
            found.push(Difference {
                label,
                saved: saved.to_owned(),
                typed: typed.to_owned(),
            });
        }
    };
    compare("事業名".into(), &saved.title, &typed.title);
    compare(
        "補助事業の開始日".into(),
        &saved.project_start,
        &typed.project_start,
    );
    compare(
        "補助事業の終了日".into(),
        &saved.project_end,
        &typed.project_end,
    );
    let count = |n: usize| format!("{n} 件");
    let named_partners = |form: &FormText| {
        form.partners
            .values()
            .filter(|p| !p.name.trim().is_empty())
            .count()
    };
    compare(
        "連携先の数".into(),
        &count(named_partners(saved)),
        &count(named_partners(typed)),
    );
    compare(
        "活動の数".into(),
        &count(saved.activities.len()),
        &count(typed.activities.len()),
    );
    for (number, (saved_activity, typed_activity)) in
        (1..).zip(saved.activities.values().zip(typed.activities.values()))
    {
        compare(
            format!("活動{number}の名称"),
            &saved_activity.name,
            &typed_activity.name,
        );
        for (line, (saved_line, typed_line)) in (1..).zip(
            saved_activity
                .lines
                .values()
                .zip(typed_activity.lines.values()),
        ) {
            compare(
                format!("活動{number}の予算行{line}の内容"),
                &saved_line.description,
                &typed_line.description,
            );
            compare(
                format!("活動{number}の予算行{line}の金額"),
                &saved_line.amount_yen,
                &typed_line.amount_yen,
            );
        }
    }
    found
}

/// One line of the error summary: the message, linking to the field (`#` + its id).
#[derive(Serialize)]
pub(super) struct ErrorLink {
    target: String,
    message: String,
}

pub(super) fn text_field(name: String, label: &str, value: &str, errors: &Errors) -> Field {
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

pub(super) fn date_field(name: String, label: &str, value: &str, errors: &Errors) -> Field {
    Field {
        input_type: "date",
        ..text_field(name, label, value, errors)
    }
}

pub(super) fn select_field(
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

pub(super) fn checkbox(name: String, label: &str, checked: bool, errors: &Errors) -> Field {
    Field {
        input_type: "checkbox",
        is_checkbox: true,
        checked,
        value: "on".to_owned(),
        ..text_field(name, label, "", errors)
    }
}

pub(super) fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (code(*v).to_owned(), label(*v).to_owned()))
        .collect()
}

pub(super) struct Choices {
    pub(super) frames: Vec<(String, String)>,
    pub(super) municipalities: Vec<(String, String)>,
    pub(super) partner_kinds: Vec<(String, String)>,
    pub(super) legal_paths: Vec<(String, String)>,
    pub(super) activity_categories: Vec<(String, String)>,
    pub(super) expense_categories: Vec<(String, String)>,
    pub(super) funding_sources: Vec<(String, String)>,
    pub(super) organisations: Vec<(String, String)>,
}

impl Choices {
    pub(super) fn load(
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
pub(super) struct LineView {
    pub(super) index: String,
    pub(super) category: Field,
    pub(super) description: Field,
    pub(super) amount_yen: Field,
    pub(super) funding_source: Field,
    pub(super) co_funding: Field,
}

#[derive(Serialize)]
pub(super) struct ActivityView {
    pub(super) index: String,
    pub(super) next_line: usize,
    pub(super) name: Field,
    pub(super) category: Field,
    pub(super) executive_internship: Field,
    pub(super) kpi: Field,
    pub(super) lines: Vec<LineView>,
}

#[derive(Serialize)]
pub(super) struct PartnerView {
    pub(super) kind: Field,
    pub(super) name: Field,
}

#[derive(Serialize)]
pub(super) struct EditorView {
    pub(super) id: i64,
    pub(super) reference: String,
    pub(super) state_label: &'static str,
    pub(super) fiscal_year: i32,
    pub(super) lead_name: String,
    pub(super) version: i32,
    /// The 差戻し being answered: its reason, deadline and the answer typed so far.
    pub(super) correction: Option<CorrectionView>,
    /// A save from a page opened before someone else saved: what it says differently.
    pub(super) stale: Option<StaleSave>,
    pub(super) title: Field,
    pub(super) frame: Field,
    pub(super) municipality_id: Field,
    pub(super) project_start: Field,
    pub(super) project_end: Field,
    pub(super) co_applicants: Vec<Opt>,
    /// The first error of the co-applicants (an unknown or repeated organisation).
    pub(super) co_applicant_error: Option<String>,
    pub(super) partners: Vec<PartnerView>,
    pub(super) next_partner: usize,
    pub(super) legal: Vec<Field>,
    pub(super) activities: Vec<ActivityView>,
    pub(super) next_activity: usize,
    pub(super) general_errors: Vec<String>,
    /// The field errors, in the form's order, for the summary at the top.
    pub(super) error_links: Vec<ErrorLink>,
    pub(super) panel: DecisionPanel,
    /// The legal basis's evidence files and the refusal of the last upload.
    pub(super) evidence: EvidenceSection,
    /// Prototypes for rows added in the browser (`__A__`, `__L__`, `__P__` are replaced).
    pub(super) line_template: LineView,
    pub(super) activity_template: ActivityView,
    pub(super) partner_template: PartnerView,
}

pub(super) fn line_view(a: &str, j: &str, line: &LineText, c: &Choices, e: &Errors) -> LineView {
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

pub(super) fn activity_view(
    i: &str,
    activity: &ActivityText,
    c: &Choices,
    e: &Errors,
) -> ActivityView {
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

pub(super) fn partner_view(i: &str, partner: &PartnerText, c: &Choices, e: &Errors) -> PartnerView {
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

pub(super) fn editor_view(
    aggregate: &Aggregate,
    text: &FormText,
    errors: &Errors,
    general_errors: Vec<String>,
    choices: &Choices,
    panel: DecisionPanel,
    correction: Option<CorrectionView>,
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
        correction,
        stale: None,
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
        co_applicants: {
            let mut co_applicants: Vec<Opt> = choices
                .organisations
                .iter()
                .map(|(id, name)| Opt {
                    selected: text.co_applicant_ids.contains(id),
                    value: id.clone(),
                    label: name.clone(),
                })
                .collect();
            // The chosen ones first, so that they are seen without searching.
            co_applicants.sort_by_key(|option| !option.selected);
            co_applicants
        },
        co_applicant_error: errors
            .0
            .iter()
            .find(|(name, _)| name.starts_with(CO_APPLICANTS))
            .map(|(_, message)| message.clone()),
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
        error_links: errors.summary(),
        panel,
        evidence: EvidenceSection::default(),
        line_template: line_view("__A__", "__L__", &LineText::default(), choices, &none),
        activity_template,
        partner_template: partner_view("__P__", &PartnerText::default(), choices, &none),
    }
}

/// Field errors by form name: those of the draft's paths are mapped back to the form.
pub(super) fn form_errors(errors: &FieldErrors, map: Option<&IndexMap>) -> (Errors, Vec<String>) {
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

#[derive(Serialize)]
pub(super) struct CorrectionView {
    pub(super) reason: String,
    /// When the answer is due, as the deadline is stored (「令和8年12月17日（木）17:00」).
    pub(super) due: Option<String>,
    /// The answer as last saved (or as typed, when the form comes back with errors).
    pub(super) reply: String,
}

/// The 差戻し the applicant is answering, while the application is returned for correction.
pub(super) fn open_correction(
    conn: &mut crate::db::DbConnection,
    aggregate: &Aggregate,
) -> AppResult<Option<CorrectionView>> {
    if aggregate.application.status != workflow::ApplicationState::ReturnedForCorrection {
        return Ok(None);
    }
    let id = aggregate.application.id;
    let Some(open) = crate::db::corrections::unanswered(conn, id)? else {
        return Ok(None);
    };
    let kind = crate::domain::deadlines::DeadlineKind::CorrectionAnswer;
    let due = crate::db::deadlines::latest_of_kind(conn, id, kind)?
        .map(|row| crate::domain::deadlines::format_due(row.due_at, kind));
    Ok(Some(CorrectionView {
        reason: open.reason,
        due,
        reply: open.reply.unwrap_or_default(),
    }))
}

pub(super) fn editor_page(
    caller: &Caller,
    session: &Session,
    status: StatusCode,
    view: EditorView,
) -> PageResult {
    let page = crate::web::pages::Page {
        title: format!("{} の編集", view.reference),
        user: Some(crate::web::pages::UserView {
            display_name: caller.user.display_name.clone(),
            role_label: caller.actor.role.label_ja(),
        }),
        csrf: csrf_token(session)?,
        nav: nav_for(caller.actor.role),
        flash: crate::web::pages::take_flash(session),
        refusal: crate::web::pages::take_refusal(session),
        page: view,
    };
    html(
        status,
        crate::web::pages::render_html("application_edit", &page)?,
    )
}
