//! Which version of each fiscal year's rules the service runs, so that a decision's
//! `rules_version` can be traced to the definitions in force.

use diesel::prelude::*;

use super::schema::program_years;
use super::{DbConnection, now};
use crate::domain::program::ProgramSet;
use crate::error::AppResult;
use crate::on_backend;

/// Records the loaded programmes; a changed file updates its year's row.
pub fn record_program_years(conn: &mut DbConnection, programs: &ProgramSet) -> AppResult<()> {
    let loaded_at = now();
    super::write(conn, |conn| {
        for program in programs.iter() {
            let values = (
                program_years::fiscal_year.eq(program.fiscal_year.0),
                program_years::name_ja.eq(&program.name_ja.value),
                program_years::rules_version.eq(&program.rules_version),
                program_years::loaded_at.eq(loaded_at),
            );
            on_backend!(conn, c => diesel::insert_into(program_years::table)
                .values(values)
                .on_conflict(program_years::fiscal_year)
                .do_update()
                .set((
                    program_years::name_ja.eq(&program.name_ja.value),
                    program_years::rules_version.eq(&program.rules_version),
                    program_years::loaded_at.eq(loaded_at),
                ))
                .execute(c))?;
        }
        Ok(())
    })
}

/// (fiscal year, rules version) as recorded, oldest year first.
pub fn recorded_program_years(conn: &mut DbConnection) -> AppResult<Vec<(i32, String)>> {
    Ok(program_years::table
        .select((program_years::fiscal_year, program_years::rules_version))
        .order(program_years::fiscal_year)
        .load(conn)?)
}
