//! `carebot report`: unanswered questions, top FAQ entries, escalations and
//! time to claim, for the practice; rendered from a [`Service`] here or by a
//! running `serve` (`admin.rs`).

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use carebot::report::Report;
use carebot::Service;

use super::admin::{self, StaffCommand};
use super::data::DataArgs;
use super::error::CliError;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(knowledge: &Path, data: &DataArgs, args: &ReportArgs) -> Result<ExitCode, CliError> {
    admin::run(knowledge, data, StaffCommand::Report { json: args.json })
}

/// What `carebot report [--json]` prints.
pub fn render(service: &Service, json: bool) -> Result<String, CliError> {
    let engine = service.engine();
    let report = Report::build(service.store(), engine.knowledge(), service.now())?;
    if json {
        Ok(serde_json::to_string_pretty(&report)? + "\n")
    } else {
        Ok(report.render())
    }
}
