//! An award list's rows: a member's role, the row as checked ([`AwardRow`]), and the checks of
//! a row's printed values ([`check_row`]) and of an award's membership ([`check_awards`]).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::AwardListError;
use crate::domain::codes::{Code, code_enum};
use crate::domain::names::normalise;

code_enum! {
    /// A member's place in its award.
    MemberRole, "member role" {
        /// The only applicant.
        Sole => "sole", "単独申請者";
        /// 代表申請者 of a 連名 award.
        Lead => "lead", "代表申請者";
        /// 共同申請者 of a 連名 award.
        CoApplicant => "co_applicant", "共同申請者";
    }
}

impl MemberRole {
    /// The role of a member added to an award by hand, from the list's own rules: the only
    /// member is `sole`; a joint award has exactly one lead, so a member beside a lead (or a
    /// sole member) is a co-applicant and a member beside none is the lead.
    pub fn of_member_added_beside(existing: &[MemberRole]) -> MemberRole {
        if existing.is_empty() {
            MemberRole::Sole
        } else if existing
            .iter()
            .any(|role| matches!(role, MemberRole::Lead | MemberRole::Sole))
        {
            MemberRole::CoApplicant
        } else {
            MemberRole::Lead
        }
    }

    /// A role as an award list prints it: its code, or `co-applicant` (the list's spelling,
    /// DOMAIN.md §7) for `co_applicant`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "co-applicant" => Some(Self::CoApplicant),
            code => Self::from_code(code),
        }
    }
}

/// Legal paths of the 法制度連携枠 as printed (①②③), with the codes of DESIGN.md.
const LAW_PATHS: [(char, &str, &str); 3] = [
    ('①', "地域未来投資促進法", "regional_future_investment"),
    ('②', "小規模事業者支援法", "small_business_support"),
    ('③', "二地域居住促進法", "two_region_residence"),
];

/// One member of one award, as the list printed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AwardRow {
    /// Line in the CSV text (the header is line 1).
    pub line: usize,
    pub award_id: String,
    /// Western year of the fiscal year's April (令和4年度 = 2022).
    pub fiscal_year: i32,
    /// Frame as printed (通常枠).
    pub printed_frame: String,
    /// Frame code of that year's programme (standard).
    pub frame: String,
    /// Legal path code (`regional_future_investment` …) for 法制度連携枠 awards.
    pub law_path: Option<String>,
    /// The name exactly as printed.
    pub listed_as: String,
    pub role: MemberRole,
    /// Where the name is printed (seed file:line).
    pub seed_ref: String,
    /// 法人番号 when the list carries one (13 ASCII digits).
    pub corporate_number: Option<String>,
}

/// One member row's values as an award list prints them, before any is checked. The reader
/// (`program::award_list`) takes them from the file's columns; a value it does not read is empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrintedRow<'a> {
    /// Line in the list's text (the header is line 1).
    pub line: usize,
    pub award_id: &'a str,
    pub fiscal_year: &'a str,
    pub fiscal_year_label: &'a str,
    pub frame: &'a str,
    pub law_path: &'a str,
    pub listed_as: &'a str,
    pub role: &'a str,
    pub seed_ref: &'a str,
    pub corporate_number: &'a str,
}

/// Checks one member row's values into an [`AwardRow`]. `frame_code(fiscal_year,
/// printed_frame)` maps a printed frame label to its code; an unknown label is an error naming
/// the line. Errors name the column at fault by its name in the list's header.
pub fn check_row<'a>(
    printed: &PrintedRow<'a>,
    frame_code: &dyn Fn(i32, &str) -> Option<String>,
) -> Result<AwardRow, AwardListError> {
    let line = printed.line;
    let error = |column: &'static str, message: String, message_ja: String| AwardListError::Row {
        line,
        column: Some(column),
        message,
        message_ja,
    };
    let required = |column: &'static str, value: &'a str| {
        if value.is_empty() {
            Err(error(
                column,
                format!("{column} is empty"),
                "空欄です".to_owned(),
            ))
        } else {
            Ok(value)
        }
    };

    let award_id = required("award_id", printed.award_id)?;
    let fiscal_year_text = required("fiscal_year", printed.fiscal_year)?;
    let fiscal_year: i32 = fiscal_year_text
        .parse()
        .ok()
        .filter(|year| (2019..=2118).contains(year))
        .ok_or_else(|| {
            error(
                "fiscal_year",
                format!("fiscal_year {fiscal_year_text:?} is not a year of 令和 (2019 or later)"),
                format!("「{fiscal_year_text}」は令和の年度（2019 以降の西暦年）ではありません"),
            )
        })?;
    let label = required("fiscal_year_label", printed.fiscal_year_label)?;
    let expected_label = format!("R{}", fiscal_year - 2018);
    if label != expected_label {
        return Err(error(
            "fiscal_year_label",
            format!(
                "fiscal_year_label {label:?} does not match fiscal_year {fiscal_year} ({expected_label})"
            ),
            format!(
                "「{label}」は fiscal_year {fiscal_year} と合いません（{expected_label} のはずです）"
            ),
        ));
    }
    let printed_frame = required("frame", printed.frame)?;
    let frame = frame_code(fiscal_year, printed_frame).ok_or_else(|| {
        error(
            "frame",
            format!("frame {printed_frame:?} is not a frame of fiscal year {fiscal_year}"),
            format!("「{printed_frame}」は {fiscal_year} 年度の枠にありません"),
        )
    })?;
    let law_path = match printed.law_path {
        "" => None,
        path => Some(law_path_code(path).ok_or_else(|| {
            error(
                "law_path",
                format!(
                    "law_path {path:?} is none of ①地域未来投資促進法, ②小規模事業者支援法, ③二地域居住促進法"
                ),
                format!(
                    "「{path}」は ①地域未来投資促進法、②小規模事業者支援法、③二地域居住促進法 のいずれでもありません"
                ),
            )
        })?),
    };
    let listed_as = required("listed_as", printed.listed_as)?;
    let role_text = required("role", printed.role)?;
    let role = MemberRole::parse(role_text).ok_or_else(|| {
        error(
            "role",
            format!("role {role_text:?} is none of sole, lead, co-applicant"),
            format!("「{role_text}」は sole、lead、co-applicant のいずれでもありません"),
        )
    })?;
    let seed_ref = required("seed_ref", printed.seed_ref)?;
    let corporate_number = match printed.corporate_number {
        "" => None,
        number => {
            if number.len() != 13 || !number.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(error(
                    "corporate_number",
                    format!("corporate_number {number:?} is not 13 ASCII digits"),
                    format!("「{number}」は 13 桁の半角数字ではありません"),
                ));
            }
            Some(number.to_owned())
        }
    };
    Ok(AwardRow {
        line,
        award_id: award_id.to_owned(),
        fiscal_year,
        printed_frame: printed_frame.to_owned(),
        frame,
        law_path,
        listed_as: listed_as.to_owned(),
        role,
        seed_ref: seed_ref.to_owned(),
        corporate_number,
    })
}

fn law_path_code(printed: &str) -> Option<String> {
    LAW_PATHS
        .iter()
        .find(|(mark, law, _)| printed.starts_with(*mark) || printed.contains(law))
        .map(|(_, _, code)| (*code).to_owned())
}

/// Rows of one award must agree on its facts, and its members must make sense together.
pub fn check_awards(rows: &[AwardRow]) -> Result<(), AwardListError> {
    let mut members: HashMap<&str, Vec<&AwardRow>> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for row in rows {
        let entry = members.entry(row.award_id.as_str()).or_default();
        if entry.is_empty() {
            order.push(row.award_id.as_str());
        }
        entry.push(row);
    }
    for award_id in order {
        let award_rows = members.get(award_id).map(Vec::as_slice).unwrap_or(&[]);
        let Some(first) = award_rows.first() else {
            continue;
        };
        let mut keys = HashSet::new();
        for row in award_rows {
            let error =
                |column: &'static str, message: String, message_ja: String| AwardListError::Row {
                    line: row.line,
                    column: Some(column),
                    message,
                    message_ja,
                };
            if (row.fiscal_year, &row.frame, &row.law_path)
                != (first.fiscal_year, &first.frame, &first.law_path)
            {
                return Err(error(
                    "award_id",
                    format!(
                        "award {award_id} has another fiscal year, frame or law path on line {}",
                        first.line
                    ),
                    format!(
                        "採択 {award_id} の年度・枠・法制度が {} 行目と違います",
                        first.line
                    ),
                ));
            }
            if !keys.insert(normalise(&row.listed_as).key()) {
                return Err(error(
                    "listed_as",
                    format!("{} is listed twice in award {award_id}", row.listed_as),
                    format!("{} が採択 {award_id} に二度あります", row.listed_as),
                ));
            }
            let sole = row.role == MemberRole::Sole;
            if sole && award_rows.len() > 1 {
                return Err(error(
                    "role",
                    format!(
                        "role sole, but award {award_id} has {} members",
                        award_rows.len()
                    ),
                    format!(
                        "sole（単独）ですが、採択 {award_id} には {} 者あります",
                        award_rows.len()
                    ),
                ));
            }
            if !sole && award_rows.len() == 1 {
                return Err(error(
                    "role",
                    format!(
                        "role {}, but award {award_id} has no other member",
                        row.role.as_str()
                    ),
                    format!(
                        "{} ですが、採択 {award_id} にほかの申請者がありません",
                        row.role.as_str()
                    ),
                ));
            }
        }
        let leads = award_rows
            .iter()
            .filter(|row| row.role == MemberRole::Lead)
            .count();
        if award_rows.len() > 1 && leads != 1 {
            return Err(AwardListError::Row {
                line: first.line,
                column: Some("role"),
                message: format!("joint award {award_id} has {leads} leads instead of one"),
                message_ja: format!(
                    "連名の採択 {award_id} の代表申請者（lead）が {leads} 者です（1 者のはずです）"
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{rows_of, sole};
    use super::*;

    #[test]
    fn a_member_added_by_hand_takes_the_role_the_award_leaves_open() {
        use MemberRole::*;
        assert_eq!(MemberRole::of_member_added_beside(&[]), Sole);
        assert_eq!(MemberRole::of_member_added_beside(&[Sole]), CoApplicant);
        assert_eq!(
            MemberRole::of_member_added_beside(&[Lead, CoApplicant]),
            CoApplicant
        );
        assert_eq!(MemberRole::of_member_added_beside(&[CoApplicant]), Lead);
    }

    #[test]
    fn member_roles_read_their_codes_and_the_lists_hyphen() {
        for role in MemberRole::ALL {
            assert_eq!(MemberRole::parse(role.as_str()), Some(*role));
        }
        assert_eq!(MemberRole::CoApplicant.as_str(), "co_applicant");
        assert_eq!(
            MemberRole::parse("co-applicant"),
            Some(MemberRole::CoApplicant)
        );
        assert_eq!(MemberRole::parse("leader"), None);
        assert_eq!(
            serde_json::to_value(MemberRole::CoApplicant).ok(),
            Some(serde_json::json!("co_applicant"))
        );
    }

    #[test]
    fn a_row_is_checked_from_its_printed_values() {
        let frame_code =
            |_: i32, printed: &str| (printed == "法制度連携枠").then(|| "legal_linkage".to_owned());
        let printed = PrintedRow {
            line: 7,
            award_id: "R7-法制度連携枠-1",
            fiscal_year: "2025",
            fiscal_year_label: "R7",
            frame: "法制度連携枠",
            law_path: "③二地域居住促進法",
            listed_as: "合同会社K A Z A M I",
            role: "co-applicant",
            seed_ref: "test:7",
            corporate_number: "",
        };
        let row = check_row(&printed, &frame_code).expect("valid");
        assert_eq!(row.frame, "legal_linkage");
        assert_eq!(row.law_path.as_deref(), Some("two_region_residence"));
        assert_eq!(row.role, MemberRole::CoApplicant);
        assert_eq!(row.corporate_number, None);

        let explain = |printed: PrintedRow<'_>| match check_row(&printed, &frame_code) {
            Ok(row) => panic!("accepted: {row:?}"),
            Err(error) => error.explain_ja(),
        };
        assert_eq!(
            explain(PrintedRow {
                role: "leader",
                ..printed
            }),
            "7行目（列 role）: 「leader」は sole、lead、co-applicant のいずれでもありません"
        );
        assert_eq!(
            explain(PrintedRow {
                corporate_number: "12345",
                ..printed
            }),
            "7行目（列 corporate_number）: 「12345」は 13 桁の半角数字ではありません"
        );
        assert_eq!(
            explain(PrintedRow {
                seed_ref: "",
                ..printed
            }),
            "7行目（列 seed_ref）: 空欄です"
        );
    }

    #[test]
    fn an_award_lists_one_lead_beside_its_co_applicants() {
        let mut lead = sole("A1", "株式会社あわわ");
        lead.role = MemberRole::Lead;
        let mut co_applicant = sole("A1", "株式会社イードア");
        co_applicant.role = MemberRole::CoApplicant;
        assert!(check_awards(&rows_of([lead.clone(), co_applicant.clone()])).is_ok());
        let mut other = sole("A1", "株式会社ウー");
        other.role = MemberRole::CoApplicant;
        let no_lead = check_awards(&rows_of([co_applicant, other]));
        assert!(
            matches!(&no_lead, Err(error) if error.to_string().contains("0 leads")),
            "{no_lead:?}"
        );
        let alone = check_awards(&rows_of([lead]));
        assert!(
            matches!(&alone, Err(error) if error.to_string().contains("no other member")),
            "{alone:?}"
        );
    }
}
