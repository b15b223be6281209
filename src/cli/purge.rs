//! `carebot purge`: deletes conversations, resolved cases and unanswered
//! questions past the retention period (and audit entries past the audit
//! log's) now, rather than waiting for the running bot to.

use std::path::Path;
use std::process::ExitCode;

use carebot::audit::Actor;

use super::data::{login, open_service, DataArgs, WithoutData};
use super::error::CliError;

pub fn run(knowledge: &Path, data: &DataArgs) -> Result<ExitCode, CliError> {
    let service = open_service(knowledge, data, WithoutData::UserFolder)?;
    let purged = service.purge(Actor::Staff { login: login() })?;
    println!(
        "Deleted {} conversation(s), {} resolved case(s), {} first-contact record(s) and {} unanswered question(s) older than {} days, and {} audit entries older than {} days.",
        purged.conversations,
        purged.cases,
        purged.notices,
        purged.unanswered,
        service.settings().retention_days,
        purged.audit,
        service.settings().audit_retention_days
    );
    Ok(ExitCode::SUCCESS)
}
