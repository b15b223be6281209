//! carebot's integration tests, in one binary so the crate links once.
//!
//! `harness` holds the shared helpers (running the real `carebot` binary,
//! building temporary knowledge folders); each other module tests one area.

mod harness;

mod cli;
mod engine;
mod heldout;
mod knowledge_errors;
mod properties;
mod shipped_knowledge;
mod soak;
