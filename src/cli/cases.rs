//! `carebot cases` and `carebot case C-0042`: handoff cases for staff at a
//! terminal of the practice. Every read is audited under the login name.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use carebot::handoff::CaseStatus;
use carebot::service::wording;
use carebot::CaseId;

use super::data::{login, open_service, DataArgs, WithoutData};
use super::error::CliError;

#[derive(Debug, Args)]
pub struct CasesArgs {
    /// Only cases with this status: open, claimed or resolved.
    #[arg(long, value_parser = parse_status)]
    status: Option<CaseStatus>,
}

#[derive(Debug, Args)]
pub struct CaseArgs {
    /// The case, e.g. C-0042.
    #[arg(value_parser = parse_case)]
    case: CaseId,
}

fn parse_status(text: &str) -> Result<CaseStatus, String> {
    CaseStatus::parse(text)
        .ok_or_else(|| format!("`{text}` is not a status: use open, claimed or resolved"))
}

fn parse_case(text: &str) -> Result<CaseId, String> {
    text.parse()
        .map_err(|error: carebot_chat::CaseIdError| error.to_string())
}

pub fn list(knowledge: &Path, data: &DataArgs, args: &CasesArgs) -> Result<ExitCode, CliError> {
    let service = open_service(knowledge, data, WithoutData::UserFolder)?;
    let cases = service.staff_cases(&login(), args.status)?;
    let engine = service.engine();
    let practice = &engine.knowledge().practice;
    if cases.is_empty() {
        println!(
            "No cases{}.",
            args.status
                .map(|s| format!(" with status {s}"))
                .unwrap_or_default()
        );
    }
    for case in &cases {
        println!("{}", wording::case_line(practice, case));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn show(knowledge: &Path, data: &DataArgs, args: &CaseArgs) -> Result<ExitCode, CliError> {
    let service = open_service(knowledge, data, WithoutData::UserFolder)?;
    let Some(case) = service.staff_case(&login(), args.case)? else {
        return Err(CliError::failed(format!("there is no case {}", args.case)));
    };
    let engine = service.engine();
    let title = case
        .rule()
        .and_then(|rule| engine.knowledge().rule(rule))
        .map(|rule| rule.title.as_str());
    println!(
        "{}",
        wording::case_details(&engine.knowledge().practice, &case, title)
    );
    Ok(ExitCode::SUCCESS)
}
