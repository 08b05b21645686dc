//! Who is asking: roles and the identities they are tied to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 申請者: acts for the organisations it is a member of.
    Applicant,
    /// 自治体 財政・担当課: reviews budget lines of applications in its municipality.
    FinanceOfficer,
    /// 事務局: selects, decides, confirms and revokes.
    ProgramManager,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Applicant, Role::FinanceOfficer, Role::ProgramManager];

    pub fn code(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::FinanceOfficer => "finance_officer",
            Role::ProgramManager => "program_manager",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Role::Applicant => "申請者",
            Role::FinanceOfficer => "自治体財政担当",
            Role::ProgramManager => "事務局",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|role| role.code() == text)
            .ok_or_else(|| {
                format!("\"{text}\" は役割ではありません（applicant, finance_officer, program_manager のいずれか）")
            })
    }
}

/// An email address as far as hojokin needs one: one `@`, something on each side, no spaces.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let valid = text.len() <= 254
            && !text.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(text.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                    && !domain.starts_with('.') && !domain.ends_with('.'));
        if valid {
            Ok(Self(text.to_ascii_lowercase()))
        } else {
            Err(format!("\"{text}\" はメールアドレスの形ではありません"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who is asking, as far as the access rules need to know: a role and what it is tied to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub role: Role,
    /// The organisations an applicant acts for.
    pub organisation_ids: Vec<i64>,
    /// The municipality a finance officer works for.
    pub municipality_id: Option<i64>,
}

/// What the access rule needs to know about an application.
#[derive(Clone, Copy, Debug)]
pub struct ApplicationScope<'a> {
    /// The lead and every co-applicant.
    pub member_organisation_ids: &'a [i64],
    pub municipality_id: Option<i64>,
}

/// Whether `caller` may see an application and its filings: an applicant when one of its
/// organisations is a member (lead or co-applicant), a finance officer when the application
/// is in its municipality, a program manager always.
pub fn may_view_application(caller: &Caller, application: &ApplicationScope<'_>) -> bool {
    match caller.role {
        Role::ProgramManager => true,
        Role::FinanceOfficer => caller
            .municipality_id
            .is_some_and(|own| application.municipality_id == Some(own)),
        Role::Applicant => caller
            .organisation_ids
            .iter()
            .any(|id| application.member_organisation_ids.contains(id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, organisations: &[i64], municipality: Option<i64>) -> Caller {
        Caller {
            user_id: 1,
            role,
            organisation_ids: organisations.to_vec(),
            municipality_id: municipality,
        }
    }

    #[test]
    fn who_may_view_an_application() {
        let members = [10, 11];
        let scope = ApplicationScope {
            member_organisation_ids: &members,
            municipality_id: Some(5),
        };
        // Applicants: the lead's and a co-applicant's people, nobody else's.
        assert!(may_view_application(
            &caller(Role::Applicant, &[10], None),
            &scope
        ));
        assert!(may_view_application(
            &caller(Role::Applicant, &[99, 11], None),
            &scope
        ));
        assert!(!may_view_application(
            &caller(Role::Applicant, &[12], None),
            &scope
        ));
        assert!(!may_view_application(
            &caller(Role::Applicant, &[], Some(5)),
            &scope
        ));
        // Finance officers: their own municipality only.
        assert!(may_view_application(
            &caller(Role::FinanceOfficer, &[], Some(5)),
            &scope
        ));
        assert!(!may_view_application(
            &caller(Role::FinanceOfficer, &[], Some(6)),
            &scope
        ));
        assert!(!may_view_application(
            &caller(Role::FinanceOfficer, &[10], None),
            &scope
        ));
        let without_municipality = ApplicationScope {
            member_organisation_ids: &members,
            municipality_id: None,
        };
        assert!(!may_view_application(
            &caller(Role::FinanceOfficer, &[], Some(5)),
            &without_municipality
        ));
        // Program managers: everything.
        assert!(may_view_application(
            &caller(Role::ProgramManager, &[], None),
            &without_municipality
        ));
    }

    #[test]
    fn roles_round_trip_through_their_codes() {
        for role in Role::ALL {
            assert_eq!(role.code().parse::<Role>(), Ok(role));
        }
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn email_addresses_are_checked_and_lower_cased() {
        assert_eq!(
            EmailAddress::parse(" Taro@Example.JP ").map(|e| e.to_string()),
            Ok("taro@example.jp".to_owned())
        );
        for bad in [
            "",
            "taro",
            "taro@",
            "@example.jp",
            "taro@example",
            "ta ro@example.jp",
            "a@b@c.jp",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
