//! hojokin (補助金): a compliance workflow engine for METI's 地域の人事部支援事業.
//!
//! Layers, from the inside out (each uses only those above it): `domain` (pure rules),
//! `contract` (the evaluation request and decision as JSON), `program` (loads the rules from
//! `forms/`), `db`, `web`; `cli` wires them together.

pub mod actions;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contract;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod evaluate_stream;
pub mod forms;
pub mod impact_workbook;
pub mod jobs;
pub mod mail;
pub mod passwords;
pub mod pdf;
pub mod program;
pub mod spreadsheet;
pub mod startup;
pub mod telemetry;
pub mod web;
