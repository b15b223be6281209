//! What a command can fail with, and the one place that prints it:
//! [`CliError::report`], called by `cli::main`. Commands return
//! `Result<ExitCode, CliError>`: `Ok` with the exit code when they ran (a
//! `kb check` that found errors ran, and exits 1), `Err` when they could not.
//!
//! The library's errors are typed and already say what went wrong and why
//! (a store error names the folder and the cause), so a failure is printed
//! as its own message, once, after `carebot: `.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use carebot::knowledge::problem::printable;
use carebot::{Problem, StoreError};

use super::config::ConfigProblem;

#[derive(Debug)]
pub enum CliError {
    /// The command line was used wrongly: exit 2, as clap does.
    Usage(String),
    /// Every problem with the configuration.
    Config(Vec<ConfigProblem>),
    /// Every problem with the knowledge in `dir` (warnings included).
    Knowledge {
        dir: PathBuf,
        problems: Vec<Problem>,
    },
    /// Adapters that have a token but are not built into this carebot.
    NotBuilt(Vec<&'static str>),
    /// The data folder is held by another process (sled allows one per
    /// folder): the staff commands then ask a running `serve` (`admin.rs`);
    /// other commands print `message`, the store's own.
    InUse { dir: PathBuf, message: String },
    /// Anything else that stopped the command.
    Failed(String),
}

/// A failure of the store, the service or anything else with a message
/// (`?` on a library error).
impl<E: std::error::Error> From<E> for CliError {
    fn from(error: E) -> CliError {
        CliError::Failed(error.to_string())
    }
}

impl CliError {
    /// A failure described by `message`.
    pub fn failed(message: impl fmt::Display) -> CliError {
        CliError::Failed(message.to_string())
    }

    /// Opening the store failed: a folder held by another process is told
    /// apart, so that the staff commands can ask that process instead.
    pub fn opening(error: StoreError) -> CliError {
        match &error {
            StoreError::Locked { path } => CliError::InUse {
                dir: path.clone(),
                message: error.to_string(),
            },
            _ => error.into(),
        }
    }

    /// Prints the error on standard error and returns the exit code.
    pub fn report(self) -> ExitCode {
        match self {
            CliError::Usage(message) => {
                eprintln!("carebot: {message}");
                ExitCode::from(2)
            }
            CliError::Config(problems) => {
                for problem in &problems {
                    eprintln!("{problem}");
                }
                eprintln!(
                    "carebot: the configuration has {} problem{}; fix {} and try again (carebot.example.toml explains every key)",
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" },
                    if problems.len() == 1 { "it" } else { "them" },
                );
                ExitCode::FAILURE
            }
            CliError::Knowledge { dir, problems } => {
                for problem in &problems {
                    eprintln!("{problem}");
                }
                let errors = problems.iter().filter(|p| p.is_error()).count();
                eprintln!(
                    "carebot: the knowledge in {} has {errors} error{}; fix them and try again",
                    printable(&dir.display().to_string()),
                    if errors == 1 { "" } else { "s" }
                );
                ExitCode::FAILURE
            }
            CliError::NotBuilt(names) => {
                for name in names {
                    eprintln!(
                        "{name}: a token is configured, but this carebot was built without {name} support: build it with `--features {name}`, or set {name}.enabled = false"
                    );
                }
                ExitCode::FAILURE
            }
            CliError::InUse { message, .. } | CliError::Failed(message) => {
                eprintln!("carebot: {message}");
                ExitCode::FAILURE
            }
        }
    }
}
