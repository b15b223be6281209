//! carebot's integration tests, in one binary so the crate links once.
//!
//! `support` holds everything the tests share (running the real `carebot`
//! binary, knowledge folders and engines, a service on a real store, the fake
//! chat servers); each other module tests one area.

mod support;

#[cfg(unix)]
mod admin;
mod cli;
mod crash;
#[cfg(feature = "discord")]
mod discord;
#[cfg(target_os = "linux")]
mod disk_full;
mod emergency_by_meaning;
mod engine;
mod fail_safe;
mod handoff;
mod handoff_cli;
mod heldout;
#[cfg(feature = "telegram")]
mod instances;
mod knowledge_errors;
mod languages;
mod metamorphic;
mod notice_publishing;
mod notices;
mod properties;
mod public;
mod rate_limit;
mod record;
mod semantic;
mod serve;
#[cfg(all(feature = "telegram", feature = "discord"))]
mod serve_e2e;
mod shipped_knowledge;
mod soak;
mod store;
#[cfg(feature = "telegram")]
mod telegram;
