//! The one integration-test binary (DESIGN.md habit 3): a module per area. Tests that touch
//! the database run twice, on a throwaway SQLite file and on a throwaway PostgreSQL database.

mod helpers;

mod awards;
mod cli;
mod config;
mod demo;
mod evaluate;
mod health;
mod migrations;
mod pdf;
