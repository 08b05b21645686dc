//! Users and their roles (the CLI's `user add`). The role's ties are the domain's rule
//! (`domain::access::check_ties`); the names of organisations and the municipality are
//! resolved, the user written and the event audited in one transaction.

use serde_json::json;

use crate::db::{self, DbConnection, audit};
use crate::domain::access::{EmailAddress, Role, TieError, check_ties};
use crate::domain::audit::AuditAction;
use crate::domain::validation::{ErrorCode, FieldErrors};
use crate::error::{AppError, AppResult};

/// A user to add, as the administrator names it.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub email: EmailAddress,
    pub role: Role,
    pub display_name: String,
    pub password_hash: String,
    /// Names of the organisations an applicant acts for (alias-tolerant lookup).
    pub organisations: &'a [String],
    /// The municipality of a finance officer.
    pub municipality: Option<&'a str>,
}

/// The field an error of the role's ties is about (`organisations`, `municipality`).
fn tie_field(error: TieError) -> &'static str {
    match error {
        TieError::OrganisationsRequired | TieError::OrganisationsNotAllowed => "organisations",
        TieError::MunicipalityRequired | TieError::MunicipalityNotAllowed => "municipality",
    }
}

/// Adds a user; refusals are field errors (`organisations`, `municipality`) and change nothing.
pub fn add_user(conn: &mut DbConnection, account: &NewAccount<'_>) -> AppResult<i64> {
    let refuse = |field: &str, code: ErrorCode, message: String| {
        let mut errors = FieldErrors::new();
        errors.add(field, code, message);
        AppError::invalid(errors)
    };
    check_ties(
        account.role,
        account.municipality.is_some(),
        !account.organisations.is_empty(),
    )
    .map_err(|error| {
        refuse(
            tie_field(error),
            ErrorCode::Required,
            error.message().to_owned(),
        )
    })?;
    db::write(conn, |conn| {
        let mut organisation_ids = Vec::new();
        for name in account.organisations {
            let organisation =
                db::organisations::find_organisation(conn, name)?.ok_or_else(|| {
                    refuse(
                        "organisations",
                        ErrorCode::UnknownCode,
                        format!("団体 \"{name}\" が見つかりません"),
                    )
                })?;
            organisation_ids.push(organisation.id);
        }
        let municipality_id = match account.municipality {
            Some(name) => Some(
                db::organisations::find_municipality(conn, name)?
                    .ok_or_else(|| {
                        refuse(
                            "municipality",
                            ErrorCode::UnknownCode,
                            format!("自治体 \"{name}\" が見つかりません"),
                        )
                    })?
                    .id,
            ),
            None => None,
        };
        let id = db::users::add_user(
            conn,
            &db::users::NewUser {
                email: account.email.clone(),
                display_name: account.display_name.clone(),
                role: account.role,
                password_hash: Some(account.password_hash.clone()),
                municipality_id,
                organisation_ids: organisation_ids.clone(),
            },
        )?;
        audit::append(
            conn,
            &audit::NewAuditEvent {
                changes: json!({
                    "user_id": id,
                    "email": account.email.as_str(),
                    "role": account.role.code(),
                    "organisation_ids": organisation_ids,
                    "municipality_id": municipality_id,
                }),
                ..audit::NewAuditEvent::of(AuditAction::AddUser)
            },
        )?;
        Ok(id)
    })
}
