//! The one integration-test binary (DESIGN.md habit 3): a module per area. Tests that open a
//! database run twice, on a throwaway SQLite file and on a throwaway PostgreSQL database,
//! except the two that the README's *Tests* names as PostgreSQL only; those that open none run
//! once (the README lists them).

// Test and bench code may stop at the first surprise; the service may not (Cargo.toml [lints]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
#[macro_use]
mod http;
mod fixtures;

mod authorization;
mod awards;
mod browser;
mod changes;
mod cli;
mod concurrency;
mod config;
mod demo;
mod evaluate;
mod golden;
mod handovers;
mod harness;
mod headers;
mod health;
mod impact;
mod input;
mod migrations;
mod openapi;
mod pages;
mod pdf;
mod readme;
mod reminders;
mod sessions;
mod workflow;
