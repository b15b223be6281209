//! The staff commands (`cases`, `case`, `report`, `purge`, `notice send`)
//! wherever the store is: opened here, or, when a running `carebot serve`
//! holds the data folder (sled allows one process per folder), asked of that
//! `serve` over its admin socket, `<data>/admin.sock` (the server side is
//! `serve/admin.rs`).
//!
//! Either way the same [`Request::answer`] renders the same text from a
//! [`Service`], so a staff member sees the same bytes and the same exit
//! status, and every read is audited under their login name.
//!
//! The protocol is one JSON [`Request`] line from the command, one JSON
//! [`Answer`] line back. The socket is local-only and 0600 inside the 0700
//! data folder, so only the user that runs `serve` can connect.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

use carebot::handoff::CaseStatus;
use carebot::{Address, CaseId, Service};

use super::data::{login, open_service, DataArgs, WithoutData};
use super::error::CliError;
use super::{cases, export, notice, purge, report};

/// The admin socket's name inside the data folder.
pub const SOCKET_FILE: &str = "admin.sock";

/// Where the admin socket of the `serve` that holds `data` is.
pub fn socket_path(data: &Path) -> PathBuf {
    data.join(SOCKET_FILE)
}

/// A staff command and who is at the terminal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The login name the reads and the purge are audited under.
    pub login: String,
    pub command: StaffCommand,
}

/// The staff commands, with what each one's flags select.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffCommand {
    Cases {
        status: Option<CaseStatus>,
    },
    Case {
        case: CaseId,
    },
    Report {
        json: bool,
    },
    Purge,
    /// `notice send`: the file's notices, already checked.
    SendNotice {
        notices: Vec<carebot::store::PublishedNotice>,
        dry_run: bool,
    },
    /// `export fhir`.
    ExportFhir {
        patient: Option<Address>,
        since: Option<String>,
    },
}

impl StaffCommand {
    /// The command's name, for the log (which gets nothing else of it).
    pub fn name(&self) -> &'static str {
        match self {
            StaffCommand::Cases { .. } => "cases",
            StaffCommand::Case { .. } => "case",
            StaffCommand::Report { .. } => "report",
            StaffCommand::Purge => "purge",
            StaffCommand::SendNotice { .. } => "notice send",
            StaffCommand::ExportFhir { .. } => "export fhir",
        }
    }
}

/// What a staff command printed and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// Standard output, exactly.
    pub output: String,
    /// Why the command failed: printed after `carebot: ` on standard error,
    /// exit status 1.
    pub error: Option<String>,
    /// The exit status when the command ran.
    pub status: u8,
}

impl Answer {
    pub fn failed(message: impl Into<String>) -> Answer {
        Answer {
            output: String::new(),
            error: Some(message.into()),
            status: 1,
        }
    }

    fn of(rendered: Result<String, CliError>) -> Answer {
        match rendered {
            Ok(output) => Answer {
                output,
                error: None,
                status: 0,
            },
            Err(CliError::Failed(message) | CliError::InUse { message, .. }) => {
                Answer::failed(message)
            }
            // Rendering from a service fails only with a message; anything
            // else would be a mistake here, still reported rather than lost.
            Err(other) => Answer::failed(format!("{other:?}")),
        }
    }

    /// Prints the answer as the command's own output and ends as it did.
    pub fn finish(self) -> Result<ExitCode, CliError> {
        print!("{}", self.output);
        match self.error {
            Some(message) => Err(CliError::Failed(message)),
            None => Ok(ExitCode::from(self.status)),
        }
    }
}

impl Request {
    /// Runs the command on `service`: the one rendering for both sides.
    pub fn answer(&self, service: &Service) -> Answer {
        Answer::of(match &self.command {
            StaffCommand::Cases { status } => cases::render_list(service, &self.login, *status),
            StaffCommand::Case { case } => cases::render_case(service, &self.login, *case),
            StaffCommand::Report { json } => report::render(service, *json),
            StaffCommand::Purge => purge::render(service, &self.login),
            StaffCommand::SendNotice { notices, dry_run } => {
                notice::render(service, &self.login, notices.clone(), *dry_run)
            }
            StaffCommand::ExportFhir { patient, since } => {
                export::render_fhir(service, &self.login, patient.as_ref(), since.as_deref())
            }
        })
    }
}

/// Runs `command` for the person at the terminal: on the store, or through
/// the `serve` that holds it.
pub fn run(knowledge: &Path, data: &DataArgs, command: StaffCommand) -> Result<ExitCode, CliError> {
    ask(knowledge, data, command)?.finish()
}

/// What `command` answers for the person at the terminal, not yet printed.
pub fn ask(knowledge: &Path, data: &DataArgs, command: StaffCommand) -> Result<Answer, CliError> {
    let request = Request {
        login: login(),
        command,
    };
    Ok(
        match open_service(knowledge, data, WithoutData::UserFolder) {
            Ok(service) => request.answer(&service),
            #[cfg(unix)]
            Err(CliError::InUse { dir, .. }) => client::ask(&dir, &request)?,
            Err(error) => return Err(error),
        },
    )
}

#[cfg(unix)]
mod client {
    use std::io::{BufRead, BufReader, ErrorKind, Write};
    use std::os::unix::net::UnixStream;
    use std::path::Path;
    use std::time::Duration;

    use super::{socket_path, Answer, Request};
    use crate::cli::error::CliError;

    /// How long to wait for `serve`'s answer: a report or a purge of a
    /// large store takes seconds, a `serve` that takes longer is stuck.
    const ANSWER_WAIT: Duration = Duration::from_secs(60);

    /// Asks the `serve` that holds the data folder `dir`.
    pub fn ask(dir: &Path, request: &Request) -> Result<Answer, CliError> {
        let socket = socket_path(dir);
        let mut stream = UnixStream::connect(&socket).map_err(|error| {
            let why = match error.kind() {
                ErrorKind::NotFound => "there is none".to_string(),
                ErrorKind::ConnectionRefused => {
                    "nothing listens on it (left by a serve that did not stop cleanly)".to_string()
                }
                _ => error.to_string(),
            };
            CliError::failed(format!(
                "the data folder {} is in use by another carebot process, and no carebot serve answers on its admin socket {}: {why}. If `carebot serve` runs on this folder, its log says why it has no admin socket; otherwise stop the other process first (only one process can use a data folder at a time)",
                dir.display(),
                socket.display()
            ))
        })?;
        let not_answered = |error: &dyn std::fmt::Display| {
            CliError::failed(format!(
                "carebot serve, which holds the data folder {}, did not answer on {}: {error}",
                dir.display(),
                socket.display()
            ))
        };
        let mut line = serde_json::to_string(request)?;
        line.push('\n');
        stream
            .set_read_timeout(Some(ANSWER_WAIT))
            .and_then(|()| stream.set_write_timeout(Some(ANSWER_WAIT)))
            .and_then(|()| stream.write_all(line.as_bytes()))
            .map_err(|error| not_answered(&error))?;
        let mut answer = String::new();
        match BufReader::new(stream).read_line(&mut answer) {
            Ok(0) => Err(not_answered(&"it closed the connection")),
            Ok(_) => serde_json::from_str(&answer).map_err(|error| not_answered(&error)),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err(not_answered(&format_args!(
                    "no answer within {} s",
                    ANSWER_WAIT.as_secs()
                )))
            }
            Err(error) => Err(not_answered(&error)),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::cli::admin::StaffCommand;

        fn request() -> Request {
            Request {
                login: "frontdesk".to_string(),
                command: StaffCommand::Cases { status: None },
            }
        }

        fn message(error: CliError) -> String {
            match error {
                CliError::Failed(message) => message,
                other => panic!("not a failure: {other:?}"),
            }
        }

        #[test]
        fn a_socket_nobody_listens_on_is_named_as_left_behind() {
            let dir = tempfile::tempdir().unwrap();
            drop(std::os::unix::net::UnixListener::bind(socket_path(dir.path())).unwrap());
            let error = message(ask(dir.path(), &request()).unwrap_err());
            assert!(
                error.contains("is in use by another carebot process, and no carebot serve answers on its admin socket"),
                "{error}"
            );
            assert!(error.contains("nothing listens on it"), "{error}");
        }

        #[test]
        fn a_missing_socket_is_named_with_what_to_do() {
            let dir = tempfile::tempdir().unwrap();
            let error = message(ask(dir.path(), &request()).unwrap_err());
            assert!(error.ends_with("admin.sock: there is none. If `carebot serve` runs on this folder, its log says why it has no admin socket; otherwise stop the other process first (only one process can use a data folder at a time)"), "{error}");
        }

        #[test]
        fn a_request_reads_back_as_sent() {
            for command in [
                StaffCommand::Cases {
                    status: Some(carebot::handoff::CaseStatus::Open),
                },
                StaffCommand::Case {
                    case: carebot::CaseId(42),
                },
                StaffCommand::Report { json: true },
                StaffCommand::Purge,
            ] {
                let request = Request {
                    login: "frontdesk".to_string(),
                    command,
                };
                let line = serde_json::to_string(&request).unwrap();
                assert!(!line.contains('\n'));
                assert_eq!(serde_json::from_str::<Request>(&line).unwrap(), request);
            }
        }
    }
}
