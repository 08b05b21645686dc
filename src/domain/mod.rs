//! Pure rules and types of the programme. Nothing here does I/O, reads the clock or touches
//! the database: every function takes its facts as arguments so that it can be tested alone.

pub mod access;
pub mod amounts;
pub mod audit;
pub mod budget;
pub mod calendar;
pub mod changes;
pub mod codes;
pub mod corporate_number;
pub mod deadlines;
pub mod delivery;
pub mod evaluation;
pub mod evidence;
pub mod forecast;
pub mod holidays;
pub mod impact;
pub mod jobs;
pub mod kpi;
pub mod ledger;
pub mod login_limit;
mod message;
pub mod money;
pub mod names;
pub mod pending;
pub mod program;
pub mod reconcile;
pub mod search;
pub mod sessions;
pub mod sources;
pub mod text;
pub mod timeline;
pub mod validation;
pub mod workflow;
