//! `carebot purge`: deletes conversations, resolved cases and unanswered
//! questions past the retention period (and audit entries past the audit
//! log's) now, rather than waiting for the running bot to. While `serve`
//! runs, it purges in that process, through the same service (`admin.rs`).

use std::path::Path;
use std::process::ExitCode;

use carebot::audit::Actor;
use carebot::Service;

use super::admin::{self, StaffCommand};
use super::data::DataArgs;
use super::error::CliError;

pub fn run(knowledge: &Path, data: &DataArgs) -> Result<ExitCode, CliError> {
    admin::run(knowledge, data, StaffCommand::Purge)
}

/// Purges for `login` and says what went.
pub fn render(service: &Service, login: &str) -> Result<String, CliError> {
    let purged = service.purge(Actor::Staff {
        login: login.to_string(),
    })?;
    Ok(format!(
        "Deleted {} conversation(s), {} resolved case(s), {} first-contact record(s) and {} unanswered question(s) older than {} days, and {} audit entries older than {} days.\n",
        purged.conversations,
        purged.cases,
        purged.notices,
        purged.unanswered,
        service.settings().retention_days,
        purged.audit,
        service.settings().audit_retention_days
    ))
}
