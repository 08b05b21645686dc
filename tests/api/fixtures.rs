//! A small world for workflow tests: two municipalities, two organisations with complete
//! data, and a user of every role on each side.

use hojokin::db::organisations::{
    NewMunicipality, NewOrganisation, insert_municipality, insert_organisation,
};
use hojokin::db::users::{NewUser, add_user};
use hojokin::db::{self, DbConnection};
use hojokin::domain::access::{EmailAddress, Role};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";

pub struct World {
    pub shiojiri: i64,
    pub own_org: i64,
}

pub fn organisation(conn: &mut DbConnection, name: &str, municipality: i64) -> i64 {
    let mut new = NewOrganisation::named(
        name,
        hojokin::domain::codes::ApplicantKind::GeneralIncorporatedAssociation,
        db::now(),
    );
    new.employees = Some(12);
    new.industry = Some("services".into());
    new.municipality_id = Some(municipality);
    insert_organisation(conn, &new).expect("organisation")
}

pub fn user(
    conn: &mut DbConnection,
    email: &str,
    role: Role,
    municipality: Option<i64>,
    organisations: Vec<i64>,
) {
    add_user(
        conn,
        &NewUser {
            email: EmailAddress::parse(email).expect("email"),
            display_name: email.split('@').next().unwrap_or_default().to_owned(),
            role,
            password_hash: Some(hojokin::passwords::hash_password(PASSWORD).expect("hash")),
            municipality_id: municipality,
            organisation_ids: organisations,
        },
    )
    .expect("user");
}

pub fn world(conn: &mut DbConnection) -> World {
    let municipality = |conn: &mut DbConnection, code: &str, name: &str| {
        insert_municipality(
            conn,
            &NewMunicipality {
                local_government_code: code,
                name,
                prefecture: "長野県",
                created_at: db::now(),
            },
        )
        .expect("municipality")
    };
    let shiojiri = municipality(conn, "202151", "塩尻市");
    let matsumoto = municipality(conn, "202029", "松本市");
    let own_org = organisation(conn, "一般社団法人しおじり未来人材機構", shiojiri);
    let other_org = organisation(conn, "一般社団法人まつもと人材ラボ", matsumoto);
    user(
        conn,
        "applicant@own.example",
        Role::Applicant,
        None,
        vec![own_org],
    );
    user(
        conn,
        "applicant@other.example",
        Role::Applicant,
        None,
        vec![other_org],
    );
    user(
        conn,
        "officer@shiojiri.example",
        Role::FinanceOfficer,
        Some(shiojiri),
        vec![],
    );
    user(
        conn,
        "officer@matsumoto.example",
        Role::FinanceOfficer,
        Some(matsumoto),
        vec![],
    );
    user(
        conn,
        "manager@meti.example",
        Role::ProgramManager,
        None,
        vec![],
    );
    World { shiojiri, own_org }
}

/// A complete R8 右腕人材枠 draft for `organisation` in `municipality`: 6,000,000 personnel,
/// 600,000 travel and 1,000,000 outsourcing claimed (the outsourcing also funded by the city:
/// double funding), 300,000 of meetings from own funds.
pub fn draft(organisation: i64, municipality: i64) -> Value {
    json!({
        "fiscal_year": 2026,
        "frame": "right_hand",
        "title": "塩尻 幹部人材インターンシップ",
        "lead_organisation_id": organisation,
        "municipality_id": municipality,
        "project_start": "2026-12-01",
        "project_end": "2027-02-26",
        "partners": [
            {"kind": "municipality", "name": "塩尻市", "municipality_id": municipality},
            {"kind": "education_institution", "name": "信州大学"}
        ],
        "activities": [
            {"name": "幹部インターンシップ", "category": "development", "executive_internship": true,
             "kpi": "受入企業 8 社",
             "budget_lines": [
                {"category": "personnel", "description": "コーディネーター", "amount_yen": 6000000, "funding_source": "this_subsidy"},
                {"category": "travel", "description": "企業訪問旅費", "amount_yen": 600000, "funding_source": "this_subsidy"},
                {"category": "outsourcing", "description": "マッチング運営（外注）", "amount_yen": 1000000,
                 "funding_source": "this_subsidy", "co_funding_sources": ["municipal"]}
             ]},
            {"name": "協議会", "category": "council",
             "budget_lines": [
                {"category": "meetings", "description": "会場費", "amount_yen": 300000, "funding_source": "own_funds"}
             ]}
        ]
    })
}

/// Gives `organisation` past awards (as an imported award list would).
pub fn past_awards(conn: &mut DbConnection, organisation: i64, awards: &[(&str, i32, &str)]) {
    use diesel::prelude::*;
    use hojokin::db::schema::{award_members, awards};
    for (code, fiscal_year, frame) in awards {
        diesel::insert_into(awards::table)
            .values((
                awards::award_code.eq(code),
                awards::fiscal_year.eq(fiscal_year),
                awards::frame.eq(frame),
                awards::origin.eq("imported"),
                awards::created_at.eq(db::now()),
            ))
            .execute(conn)
            .expect("award");
        let id: i64 = awards::table
            .filter(awards::award_code.eq(code))
            .select(awards::id)
            .first(conn)
            .expect("id");
        diesel::insert_into(award_members::table)
            .values((
                award_members::award_id.eq(id),
                award_members::organisation_id.eq(organisation),
                award_members::listed_as.eq("一般社団法人しおじり未来人材機構"),
                award_members::role.eq("sole"),
            ))
            .execute(conn)
            .expect("member");
    }
}

/// The budget line with this description in an application as the API answers it.
pub fn budget_line<'a>(application: &'a Value, description: &str) -> &'a Value {
    application["activities"]
        .as_array()
        .expect("activities")
        .iter()
        .flat_map(|a| a["budget_lines"].as_array().expect("lines").iter())
        .find(|l| l["description"] == description)
        .unwrap_or_else(|| panic!("line {description}"))
}

/// The id of the budget line with this description.
pub fn line_id(application: &Value, description: &str) -> i64 {
    budget_line(application, description)["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("line {description} has an id"))
}
