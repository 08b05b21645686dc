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

/// What a user of a role must or may not be tied to: an applicant acts for organisations, a
/// finance officer for exactly one municipality, the 事務局 for neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TieError {
    OrganisationsRequired,
    MunicipalityRequired,
    MunicipalityNotAllowed,
    OrganisationsNotAllowed,
}

impl TieError {
    pub fn message(self) -> &'static str {
        match self {
            TieError::OrganisationsRequired => "申請者 (applicant) には所属団体を指定してください",
            TieError::MunicipalityRequired => {
                "自治体財政担当 (finance_officer) には市町村を指定してください"
            }
            TieError::MunicipalityNotAllowed => {
                "市町村は自治体財政担当 (finance_officer) にだけ指定できます"
            }
            TieError::OrganisationsNotAllowed => "団体は申請者 (applicant) にだけ指定できます",
        }
    }
}

pub fn check_ties(
    role: Role,
    has_municipality: bool,
    has_organisations: bool,
) -> Result<(), TieError> {
    match role {
        Role::Applicant if !has_organisations => Err(TieError::OrganisationsRequired),
        Role::FinanceOfficer if !has_municipality => Err(TieError::MunicipalityRequired),
        Role::Applicant | Role::ProgramManager if has_municipality => {
            Err(TieError::MunicipalityNotAllowed)
        }
        Role::FinanceOfficer | Role::ProgramManager if has_organisations => {
            Err(TieError::OrganisationsNotAllowed)
        }
        _ => Ok(()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_is_tied_to_what_it_acts_for() {
        use TieError::*;
        // (role, has a municipality, has organisations, answer)
        let cases = [
            (Role::Applicant, false, true, Ok(())),
            (Role::Applicant, false, false, Err(OrganisationsRequired)),
            (Role::Applicant, true, true, Err(MunicipalityNotAllowed)),
            (Role::FinanceOfficer, true, false, Ok(())),
            (
                Role::FinanceOfficer,
                false,
                false,
                Err(MunicipalityRequired),
            ),
            (
                Role::FinanceOfficer,
                true,
                true,
                Err(OrganisationsNotAllowed),
            ),
            (Role::ProgramManager, false, false, Ok(())),
            (
                Role::ProgramManager,
                false,
                true,
                Err(OrganisationsNotAllowed),
            ),
        ];
        for (role, municipality, organisations, answer) in cases {
            assert_eq!(
                check_ties(role, municipality, organisations),
                answer,
                "{role:?} {municipality} {organisations}"
            );
        }
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
