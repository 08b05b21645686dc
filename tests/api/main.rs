//! The one integration-test binary (DESIGN.md habit 3): a module per area. Tests that touch
//! the database run twice, on a throwaway SQLite file and on a throwaway PostgreSQL database.

mod helpers;
#[macro_use]
mod http;
mod fixtures;

mod authorization;
mod awards;
mod browser;
mod cli;
mod concurrency;
mod config;
mod demo;
mod evaluate;
mod golden;
mod health;
mod migrations;
mod openapi;
mod pages;
mod pdf;
mod reminders;
mod sessions;
mod workflow;
