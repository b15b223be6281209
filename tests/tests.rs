//! carebot's integration tests, in one binary so the crate links once.
//!
//! `harness` holds the shared helpers (running the real `carebot` binary,
//! building temporary knowledge folders); each other module tests one area.

mod harness;

mod cli;
mod crash;
#[cfg(feature = "discord")]
mod discord;
#[cfg(target_os = "linux")]
mod disk_full;
mod engine;
mod fail_safe;
#[cfg(feature = "discord")]
mod fake_discord;
#[cfg(feature = "telegram")]
mod fake_telegram;
mod handoff;
mod handoff_cli;
mod handoff_support;
mod heldout;
mod knowledge_errors;
mod metamorphic;
mod properties;
mod public;
mod rate_limit;
mod serve;
#[cfg(all(feature = "telegram", feature = "discord"))]
mod serve_e2e;
mod shipped_knowledge;
mod soak;
mod store;
#[cfg(feature = "telegram")]
mod telegram;
