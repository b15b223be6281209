//! `carebot notice send FILE [--dry-run]`: staff publish a health notice
//! written as a file of `[[notice]]` entries, in the knowledge folder's
//! format. The file is checked exactly as `kb check` would check it in the
//! knowledge folder (every problem as `file:line:col`, and then nothing is
//! published), except that `publish_at` may be left out: the notice comes
//! into force when sent.
//!
//! The notice is published into the store, not copied into the knowledge
//! folder: every `carebot serve` sharing the store (one on a sled folder,
//! several on PostgreSQL, each with its own copy of the knowledge) sends and
//! lists it, and a deployment of the knowledge folder from git does not
//! wipe it. Like the other staff commands it runs on the store, or through
//! the `serve` that holds the data folder (`admin.rs`); the publication is
//! audited under the login of the person at the terminal.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use carebot::audit::Actor;
use carebot::service::wording;
use carebot::service::StaffPublication;
use carebot::store::PublishedNotice;
use carebot::Service;

use super::admin::{self, StaffCommand};
use super::data::{login, DataArgs};
use super::error::CliError;

#[derive(Debug, Subcommand)]
pub enum NoticeCommand {
    /// Check a notice file as `kb check` would, show whom it reaches, and publish it: subscribers to its topics get it at once (or from its publish_at).
    Send(SendArgs),
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// A file of [[notice]] entries in the knowledge folder's format; `publish_at` may be left out (now).
    file: PathBuf,
    /// Check the file and show what would be sent and to how many subscribers; publish nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(
    knowledge: &Path,
    data: &DataArgs,
    command: NoticeCommand,
) -> Result<ExitCode, CliError> {
    match command {
        NoticeCommand::Send(args) => send(knowledge, data, &args),
    }
}

fn send(knowledge: &Path, data: &DataArgs, args: &SendArgs) -> Result<ExitCode, CliError> {
    let file = &args.file;
    let inside = file
        .canonicalize()
        .ok()
        .zip(knowledge.canonicalize().ok())
        .is_some_and(|(file, dir)| file.starts_with(dir));
    if inside {
        return Err(CliError::failed(format!(
            "{} is in the knowledge folder already: carebot serves it from its publish_at by itself. `notice send` takes a file from elsewhere",
            file.display()
        )));
    }
    let notices = check(knowledge, file, jiff::Timestamp::now())?;
    admin::run(
        knowledge,
        data,
        StaffCommand::SendNotice {
            notices,
            dry_run: args.dry_run,
        },
    )
}

/// The notices of `file`, checked with the knowledge folder `dir` as `kb
/// check` would check them there (a notice without `publish_at` comes into
/// force `now`).
fn check(dir: &Path, file: &Path, now: jiff::Timestamp) -> Result<Vec<PublishedNotice>, CliError> {
    let knowledge =
        carebot::knowledge::load_dir_and_notice_file(dir, file, now).map_err(|problems| {
            // Named after the file when the file is at fault.
            let at_fault = if problems.iter().any(|problem| problem.file == file) {
                file
            } else {
                dir
            };
            CliError::Knowledge {
                dir: at_fault.to_path_buf(),
                problems,
            }
        })?;
    let in_file = |origin: &carebot::knowledge::Origin| origin.file == file;
    if knowledge.faqs.iter().any(|entry| in_file(&entry.origin))
        || knowledge.rules.iter().any(|rule| in_file(&rule.origin))
        || knowledge
            .concepts
            .iter()
            .any(|concept| in_file(&concept.origin))
    {
        return Err(CliError::failed(format!(
            "{}: only [[notice]] entries can be sent; FAQ entries, rules and concepts belong in the knowledge folder. Nothing was published",
            file.display()
        )));
    }
    let notices: Vec<PublishedNotice> = knowledge
        .notices
        .iter()
        .filter(|notice| in_file(&notice.origin))
        .map(|notice| PublishedNotice {
            id: notice.id.clone(),
            title: notice.title.clone(),
            text: notice.text.clone(),
            topics: notice.topics.clone(),
            publish_at: notice.publish_at,
            expires_at: notice.expires_at,
            by: Actor::Staff { login: login() },
            drafted_at: now,
            published_at: Some(now),
        })
        .collect();
    if notices.is_empty() {
        return Err(CliError::failed(format!(
            "{} has no [[notice]] entry to send",
            file.display()
        )));
    }
    Ok(notices)
}

/// Publishes `notices` for `login` on `service` (or, on a dry run, shows
/// what would go) and says what happened: the one rendering for the command
/// and the admin socket.
pub fn render(
    service: &Service,
    login: &str,
    notices: Vec<PublishedNotice>,
    dry_run: bool,
) -> Result<String, CliError> {
    let (previews, queued) = match service.staff_publish_notices(login, notices, dry_run)? {
        StaffPublication::Refused(why) => {
            return Err(CliError::failed(format!("{why}. Nothing was published")));
        }
        StaffPublication::Done { previews, queued } => (previews, queued),
    };
    let engine = service.engine();
    let practice = &engine.knowledge().practice;
    let now = service.now();
    let mut out = String::new();
    for preview in &previews {
        let notice = &preview.notice;
        let from = if notice.publish_at <= now {
            "now".to_string()
        } else {
            wording::local_time(practice, notice.publish_at)
        };
        out.push_str(&format!(
            "notice {}: {}\n  topics: {} ({} subscriber{} now)\n  in force: from {from} until {}\n  subscribers get:\n",
            notice.id,
            notice.title,
            notice.topics.join(", "),
            preview.subscribers,
            if preview.subscribers == 1 { "" } else { "s" },
            wording::last_day(practice, notice.expires_at),
        ));
        for line in preview.message.lines() {
            out.push_str(&format!("    {line}\n").replace("    \n", "\n"));
        }
        out.push('\n');
    }
    let count = previews.len();
    let plural = if count == 1 { "" } else { "s" };
    if dry_run {
        out.push_str(&format!(
            "Dry run: {count} notice{plural} checked, nothing published.\n"
        ));
    } else {
        out.push_str(&format!(
            "Published {count} notice{plural}: {queued} message{} queued for subscribers now, delivered by carebot serve (progress: /notice in the clinician channel, carebot_notice_messages on /metrics).\n",
            if queued == 1 { "" } else { "s" }
        ));
    }
    Ok(out)
}
