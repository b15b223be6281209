//! `carebot cases` and `carebot case C-0042`: handoff cases for staff at a
//! terminal of the practice. Every read is audited under the login name.
//! Each renders to text from a [`Service`], so that the same words come out
//! whether this process opens the store or a running `serve` answers
//! (`admin.rs`).

use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use carebot::handoff::CaseStatus;
use carebot::service::wording;
use carebot::{CaseId, Service};

use super::admin::{self, StaffCommand};
use super::data::DataArgs;
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
    admin::run(
        knowledge,
        data,
        StaffCommand::Cases {
            status: args.status,
        },
    )
}

pub fn show(knowledge: &Path, data: &DataArgs, args: &CaseArgs) -> Result<ExitCode, CliError> {
    admin::run(knowledge, data, StaffCommand::Case { case: args.case })
}

/// What `carebot cases` prints: the cases with `status`, read by `login`.
pub fn render_list(
    service: &Service,
    login: &str,
    status: Option<CaseStatus>,
) -> Result<String, CliError> {
    let cases = service.staff_cases(login, status)?;
    let engine = service.engine();
    let practice = &engine.knowledge().practice;
    let mut out = String::new();
    if cases.is_empty() {
        let _ = writeln!(
            out,
            "No cases{}.",
            status
                .map(|s| format!(" with status {s}"))
                .unwrap_or_default()
        );
    }
    for case in &cases {
        let _ = writeln!(out, "{}", wording::case_line(practice, case));
    }
    Ok(out)
}

/// What `carebot case C-0042` prints: case `id` in full, read by `login`.
pub fn render_case(service: &Service, login: &str, id: CaseId) -> Result<String, CliError> {
    let Some(case) = service.staff_case(login, id)? else {
        return Err(CliError::failed(format!("there is no case {id}")));
    };
    let engine = service.engine();
    let title = case
        .rule()
        .and_then(|rule| engine.knowledge().rule(rule))
        .map(|rule| rule.title.as_str());
    Ok(format!(
        "{}\n",
        wording::case_details(&engine.knowledge().practice, &case, title)
    ))
}
