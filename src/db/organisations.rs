//! Organisations (applicants and co-applicants) and municipalities.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{municipalities, organisation_aliases, organisations};
use crate::domain::codes::ApplicantKind;
use crate::domain::names::org_key;
use crate::error::{AppError, AppResult};
use crate::on_backend;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = municipalities)]
pub struct Municipality {
    pub id: i64,
    pub local_government_code: String,
    pub name: String,
    pub prefecture: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = municipalities)]
pub struct NewMunicipality<'a> {
    pub local_government_code: &'a str,
    pub name: &'a str,
    pub prefecture: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    pub id: i64,
    pub corporate_number: Option<String>,
    pub name: String,
    pub name_key: String,
    #[schema(value_type = String)]
    pub kind: ApplicantKind,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    pub capital_yen: Option<i64>,
    pub prefecture: Option<String>,
    pub municipality_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = organisations)]
pub struct NewOrganisation {
    pub corporate_number: Option<String>,
    pub name: String,
    pub name_key: String,
    pub kind: ApplicantKind,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    pub capital_yen: Option<i64>,
    pub prefecture: Option<String>,
    pub municipality_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewOrganisation {
    /// An organisation known only by name and kind (as award lists give them).
    pub fn named(name: &str, kind: ApplicantKind, now: NaiveDateTime) -> Self {
        Self {
            corporate_number: None,
            name: name.to_owned(),
            name_key: org_key(name),
            kind,
            industry: None,
            employees: None,
            capital_yen: None,
            prefecture: None,
            municipality_id: None,
            created_at: now,
            updated_at: now,
        }
    }
}

pub fn insert_municipality(conn: &mut DbConnection, new: &NewMunicipality<'_>) -> AppResult<i64> {
    let id = on_backend!(conn, c => diesel::insert_into(municipalities::table)
        .values(new)
        .returning(municipalities::id)
        .get_result::<i64>(c))?;
    Ok(id)
}

/// Finds a municipality by its 6-digit code or its exact name.
pub fn find_municipality(
    conn: &mut DbConnection,
    code_or_name: &str,
) -> AppResult<Option<Municipality>> {
    let found = municipalities::table
        .filter(
            municipalities::local_government_code
                .eq(code_or_name)
                .or(municipalities::name.eq(code_or_name)),
        )
        .select(Municipality::as_select())
        .load(conn)?;
    match found.len() {
        0 | 1 => Ok(found.into_iter().next()),
        _ => Err(AppError::conflict(format!(
            "自治体 \"{code_or_name}\" は複数あります。全国地方公共団体コードで指定してください"
        ))),
    }
}

pub fn list_municipalities(conn: &mut DbConnection) -> AppResult<Vec<Municipality>> {
    Ok(municipalities::table
        .order(municipalities::local_government_code)
        .select(Municipality::as_select())
        .load(conn)?)
}

pub fn insert_organisation(conn: &mut DbConnection, new: &NewOrganisation) -> AppResult<i64> {
    let id = on_backend!(conn, c => diesel::insert_into(organisations::table)
        .values(new)
        .returning(organisations::id)
        .get_result::<i64>(c))?;
    Ok(id)
}

pub fn get_organisation(conn: &mut DbConnection, id: i64) -> AppResult<Organisation> {
    Ok(organisations::table
        .find(id)
        .select(Organisation::as_select())
        .first(conn)?)
}

/// Finds an organisation by 法人番号, exact name, or any name or alias with the same key.
/// More than one candidate is an error that lists them, never a guess.
pub fn find_organisation(conn: &mut DbConnection, text: &str) -> AppResult<Option<Organisation>> {
    let by_number = organisations::table
        .filter(organisations::corporate_number.eq(text))
        .select(Organisation::as_select())
        .first(conn)
        .optional()?;
    if by_number.is_some() {
        return Ok(by_number);
    }
    let key = org_key(text);
    let alias_owners = organisation_aliases::table
        .filter(organisation_aliases::alias_key.eq(&key))
        .select(organisation_aliases::organisation_id);
    let mut found = organisations::table
        .filter(
            organisations::name
                .eq(text)
                .or(organisations::name_key.eq(&key))
                .or(organisations::id.eq_any(alias_owners)),
        )
        .select(Organisation::as_select())
        .load(conn)?;
    match found.len() {
        0 | 1 => Ok(found.pop()),
        _ => Err(AppError::conflict(format!(
            "\"{text}\" に当たる団体が複数あります（{}）。法人番号か正式名称で指定してください",
            found
                .iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join("、")
        ))),
    }
}

pub fn count_organisations(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(organisations::table.count().get_result(conn)?)
}

/// Every organisation, by name (the editor's choice of co-applicants).
pub fn list_organisations(conn: &mut DbConnection) -> AppResult<Vec<Organisation>> {
    Ok(organisations::table
        .order(organisations::name)
        .select(Organisation::as_select())
        .load(conn)?)
}

/// The names of these organisations, by id (the lead organisation of each listed application).
pub fn names_by_id(
    conn: &mut DbConnection,
    ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, String>> {
    let mut names = std::collections::HashMap::with_capacity(ids.len());
    // Within every backend's limit on bound parameters.
    for chunk in ids.chunks(1_000) {
        let rows: Vec<(i64, String)> = organisations::table
            .filter(organisations::id.eq_any(chunk))
            .select((organisations::id, organisations::name))
            .load(conn)?;
        names.extend(rows);
    }
    Ok(names)
}

/// The name of a municipality, if it exists.
pub fn municipality_name(conn: &mut DbConnection, id: i64) -> AppResult<Option<String>> {
    Ok(municipalities::table
        .find(id)
        .select(municipalities::name)
        .first::<String>(conn)
        .optional()?)
}

/// Which of these organisation ids have no row.
pub fn missing_organisations(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<i64>> {
    let found: Vec<i64> = organisations::table
        .filter(organisations::id.eq_any(ids))
        .select(organisations::id)
        .load(conn)?;
    Ok(ids
        .iter()
        .copied()
        .filter(|id| !found.contains(id))
        .collect())
}

/// Which of these municipality ids have no row.
pub fn missing_municipalities(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<i64>> {
    let found: Vec<i64> = municipalities::table
        .filter(municipalities::id.eq_any(ids))
        .select(municipalities::id)
        .load(conn)?;
    Ok(ids
        .iter()
        .copied()
        .filter(|id| !found.contains(id))
        .collect())
}
