//! `carebot purge`: deletes conversations and resolved cases past the
//! retention period now, rather than waiting for the running bot to.

use std::path::Path;
use std::process::ExitCode;

use carebot::audit::Actor;

use super::data::{login, open_service, DataArgs, WithoutData};

pub fn run(knowledge: &Path, data: &DataArgs) -> Result<ExitCode, ExitCode> {
    let service = open_service(knowledge, data, WithoutData::UserFolder)?;
    let purged = service
        .purge(Actor::Staff { login: login() })
        .map_err(super::failed)?;
    println!(
        "Deleted {} conversation(s), {} resolved case(s) and {} first-contact record(s) older than {} days.",
        purged.conversations,
        purged.cases,
        purged.notices,
        service.settings().retention_days
    );
    Ok(ExitCode::SUCCESS)
}
