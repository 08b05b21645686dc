//! The editor's form as typed (strings), keyed by the indices the browser sent, and its
//! reading into a draft.

use super::*;

// ---------------------------------------------------------------------------------------------
// The form as typed (strings), keyed by the indices the browser sent
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Default)]
pub(super) struct LineText {
    pub(super) category: String,
    pub(super) description: String,
    pub(super) amount_yen: String,
    pub(super) funding_source: String,
    pub(super) co_funding: String,
}

#[derive(Clone, Default)]
pub(super) struct ActivityText {
    pub(super) name: String,
    pub(super) category: String,
    pub(super) executive_internship: bool,
    pub(super) kpi: String,
    pub(super) lines: BTreeMap<usize, LineText>,
}

#[derive(Clone, Default)]
pub(super) struct PartnerText {
    pub(super) kind: String,
    pub(super) name: String,
}

#[derive(Clone, Default)]
pub(super) struct LegalText {
    pub(super) path: String,
    pub(super) holder: String,
    pub(super) granted_by: String,
    pub(super) granted_on: String,
    pub(super) valid_until: String,
    pub(super) includes_talent_measures: bool,
    pub(super) evidence: String,
}

#[derive(Clone, Default)]
pub(super) struct FormText {
    pub(super) title: String,
    pub(super) frame: String,
    pub(super) municipality_id: String,
    pub(super) project_start: String,
    pub(super) project_end: String,
    pub(super) co_applicant_ids: Vec<String>,
    pub(super) partners: BTreeMap<usize, PartnerText>,
    pub(super) legal: LegalText,
    pub(super) activities: BTreeMap<usize, ActivityText>,
}

/// `activities[3].budget_lines[1].amount_yen` → ([3, 1], "activities", "amount_yen").
pub(super) fn split_path(name: &str) -> Option<(&str, Vec<usize>, &str)> {
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
    pub(super) fn from_form(form: &PageForm) -> Self {
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

    pub(super) fn from_aggregate(aggregate: &Aggregate) -> Self {
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
pub(super) struct IndexMap {
    pub(super) partners: Vec<usize>,
    pub(super) activities: Vec<(usize, Vec<usize>)>,
}

impl IndexMap {
    /// A path of the parsed draft → the name of the form field.
    pub(super) fn to_form(&self, path: &str) -> String {
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

pub(super) fn parse_date(errors: &mut FieldErrors, name: &str, text: &str) -> Option<NaiveDate> {
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
    pub(super) fn to_input(
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
