//! `carebot export fhir`: patients' correspondence with the practice as a
//! FHIR R4 Bundle (JSON), for the practice's record system. Like the other
//! staff commands it runs on the store or through the `serve` that holds it
//! (`admin.rs`), and every export is audited under the login name.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use jiff::Timestamp;

use carebot::{Address, Service};

use super::admin::{self, StaffCommand};
use super::data::DataArgs;
use super::error::CliError;

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Every exchange (patients' messages, carebot's replies with triage level and rule, case events, clinicians' replies) as a FHIR R4 Bundle of Communication resources.
    Fhir(FhirArgs),
}

#[derive(Debug, Args)]
pub struct FhirArgs {
    /// Only this patient, by chat address, e.g. telegram:12345 (default: everyone).
    #[arg(long, value_name = "ADDRESS", value_parser = parse_address)]
    patient: Option<Address>,
    /// Only what happened on or after this day (YYYY-MM-DD, in the practice's time zone) or instant (RFC 3339).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Write the bundle to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

fn parse_address(text: &str) -> Result<Address, String> {
    text.parse()
        .map_err(|error: carebot_chat::AddressError| error.to_string())
}

pub fn run(
    knowledge: &Path,
    data: &DataArgs,
    command: ExportCommand,
) -> Result<ExitCode, CliError> {
    let ExportCommand::Fhir(args) = command;
    let answer = admin::ask(
        knowledge,
        data,
        StaffCommand::ExportFhir {
            patient: args.patient,
            since: args.since,
        },
    )?;
    match (&args.output, &answer.error) {
        (Some(path), None) => {
            write_atomically(path, answer.output.as_bytes())?;
            eprintln!("carebot: wrote the bundle to {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        _ => answer.finish(),
    }
}

/// Writes `bytes` to `path` through a temporary file beside it, so that a
/// reader never sees half a bundle.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let temporary = path.with_extension("partial");
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|error| CliError::failed(format!("cannot write {}: {error}", path.display())))
}

/// `since` as an instant: a day begins at midnight in the practice's time
/// zone.
fn parse_since(service: &Service, since: &str) -> Result<Timestamp, CliError> {
    if let Ok(at) = since.parse::<Timestamp>() {
        return Ok(at);
    }
    let zone = service.engine().knowledge().practice.time_zone.clone();
    since
        .parse::<jiff::civil::Date>()
        .ok()
        .and_then(|day| day.to_zoned(zone).ok())
        .map(|midnight| midnight.timestamp())
        .ok_or_else(|| {
            CliError::failed(format!(
                "--since `{since}` is not a day (2026-12-01) or an instant (2026-12-01T09:00:00Z)"
            ))
        })
}

/// What `carebot export fhir` prints: the bundle as JSON, exported by `login`.
pub fn render_fhir(
    service: &Service,
    login: &str,
    patient: Option<&Address>,
    since: Option<&str>,
) -> Result<String, CliError> {
    let since = since.map(|since| parse_since(service, since)).transpose()?;
    let bundle = service.export_record(login, patient, since)?;
    let mut json = serde_json::to_string_pretty(&bundle)?;
    json.push('\n');
    Ok(json)
}
