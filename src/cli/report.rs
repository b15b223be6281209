//! `carebot report`: unanswered questions, top FAQ entries, escalations and
//! time to claim, for the practice.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use carebot::report::Report;

use super::data::{open_service, DataArgs, WithoutData};
use super::error::CliError;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(knowledge: &Path, data: &DataArgs, args: &ReportArgs) -> Result<ExitCode, CliError> {
    let service = open_service(knowledge, data, WithoutData::UserFolder)?;
    let engine = service.engine();
    let report = Report::build(service.store(), engine.knowledge(), service.now())?;
    if args.json {
        let json = serde_json::to_string_pretty(&report)?;
        println!("{json}");
    } else {
        print!("{}", report.render());
    }
    Ok(ExitCode::SUCCESS)
}
