//! What clinicians can tell the bot to do with handoff cases and health
//! notices, independent of how a platform spells it. Adapters map their own
//! syntax (a Telegram `/claim C-0042`, a Discord slash command, a button
//! tap) to a [`ClinicianCommand`]; [`ClinicianCommand::parse`] reads the
//! plain-text form that text-based platforms and the terminal share.

use serde::{Deserialize, Serialize};

use crate::{Address, CaseId};

/// A clinician's instruction about handoff cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum ClinicianCommand {
    /// List the cases nobody has resolved yet.
    Cases,
    /// Show one case in full.
    Show { case: CaseId },
    /// Take a case: the patient is told someone has it, other clinicians see who.
    Claim { case: CaseId },
    /// Send `text` to the case's patient through the bot.
    Reply { case: CaseId, text: String },
    /// Close a case with a note for the record.
    Resolve { case: CaseId, note: String },
    /// Link the case's patient to their record at the practice (a record
    /// number), so exports and copies to the record name them by it.
    Link { case: CaseId, identifier: String },
    /// Remove that link.
    Unlink { case: CaseId },
    /// How to use the commands.
    Help,
    /// Publish a health notice to the patients subscribed to its topics,
    /// or see those in force (`/notice …`).
    Notice { action: NoticeAction },
}

/// What a clinician does with health notices. Drafting and publishing are
/// two steps, so nothing reaches patients without a second look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum NoticeAction {
    /// The notices in force and the drafts awaiting confirmation (`/notice`).
    List,
    /// A draft on `topics`: `text` as written, an expiry (`until 2026-12-24`,
    /// `for 3 days`) at its start still in it, for the core to read.
    Draft { topics: Vec<String>, text: String },
    /// Publish draft `notice` (`/notice confirm N-0004`).
    Confirm { notice: String },
    /// Drop draft `notice` unsent (`/notice cancel N-0004`).
    Cancel { notice: String },
}

/// Who sent a clinician command, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    /// The person (platform user id), checked against the configured clinicians.
    pub user: Address,
    /// The chat the command was sent in, checked against the clinician channel;
    /// the same as `user` for a direct message.
    pub chat: Address,
    /// The name shown to patients and colleagues ("Nurse Kim").
    pub name: String,
}

/// A command that was recognised but not written correctly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    /// How to write it, for the reply.
    pub usage: &'static str,
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "usage: {}", self.usage)
    }
}

impl std::error::Error for CommandError {}

/// Every command's usage line, for help replies.
pub const USAGE: [&str; 7] = [
    "/cases — list cases not yet resolved",
    "/case C-0042 — show a case",
    "/claim C-0042 — take a case",
    "/reply C-0042 <message> — send a message to the patient",
    "/resolve C-0042 <note> — close a case with a note",
    "/help — this list",
    "/notice outbreaks [until 2026-12-24] <text> — draft a health notice for a topic's subscribers; publish it with /notice confirm N-0001 (/notice alone lists notices)",
];

impl ClinicianCommand {
    /// The command's name, for audit entries and logs (never its text).
    pub fn name(&self) -> &'static str {
        match self {
            ClinicianCommand::Cases => "cases",
            ClinicianCommand::Show { .. } => "case",
            ClinicianCommand::Claim { .. } => "claim",
            ClinicianCommand::Reply { .. } => "reply",
            ClinicianCommand::Resolve { .. } => "resolve",
            ClinicianCommand::Link { .. } => "link",
            ClinicianCommand::Unlink { .. } => "unlink",
            ClinicianCommand::Help => "help",
            ClinicianCommand::Notice { .. } => "notice",
        }
    }

    /// The case the command is about, if any.
    pub fn case(&self) -> Option<CaseId> {
        match self {
            ClinicianCommand::Show { case }
            | ClinicianCommand::Claim { case }
            | ClinicianCommand::Reply { case, .. }
            | ClinicianCommand::Resolve { case, .. }
            | ClinicianCommand::Link { case, .. }
            | ClinicianCommand::Unlink { case } => Some(*case),
            ClinicianCommand::Cases | ClinicianCommand::Help | ClinicianCommand::Notice { .. } => {
                None
            }
        }
    }

    /// Reads `/claim C-0042`-style text. `None` when the text is not a
    /// clinician command at all (so it can go to the bot as usual); an error
    /// with the usage when it is one but malformed. A `@botname` suffix on the
    /// command, as Telegram adds in groups, is ignored.
    pub fn parse(text: &str) -> Option<Result<ClinicianCommand, CommandError>> {
        let text = text.trim();
        let rest = text.strip_prefix('/')?;
        let (word, args) = match rest.split_once(char::is_whitespace) {
            Some((word, args)) => (word, args.trim()),
            None => (rest, ""),
        };
        let word = word.split('@').next().unwrap_or(word).to_ascii_lowercase();
        let (case, tail) = match args.split_once(char::is_whitespace) {
            Some((case, tail)) => (case, tail.trim()),
            None => (args, ""),
        };
        let case_id = |usage| case.parse::<CaseId>().map_err(|_| CommandError { usage });
        let command = match word.as_str() {
            "cases" => Ok(ClinicianCommand::Cases),
            "help" => Ok(ClinicianCommand::Help),
            "case" => case_id(USAGE[1]).map(|case| ClinicianCommand::Show { case }),
            "claim" => case_id(USAGE[2]).map(|case| ClinicianCommand::Claim { case }),
            "reply" => case_id(USAGE[3]).and_then(|case| {
                if tail.is_empty() {
                    return Err(CommandError { usage: USAGE[3] });
                }
                Ok(ClinicianCommand::Reply {
                    case,
                    text: tail.to_string(),
                })
            }),
            "resolve" => case_id(USAGE[4]).and_then(|case| {
                if tail.is_empty() {
                    return Err(CommandError { usage: USAGE[4] });
                }
                Ok(ClinicianCommand::Resolve {
                    case,
                    note: tail.to_string(),
                })
            }),
            "notice" => notice_action(args).map(|action| ClinicianCommand::Notice { action }),
            "link" => case_id(USAGE[5]).and_then(|case| {
                // One token, like any record number: a second word is
                // more likely a mistake than part of the number.
                if tail.is_empty() || tail.contains(char::is_whitespace) {
                    return Err(CommandError { usage: USAGE[5] });
                }
                Ok(ClinicianCommand::Link {
                    case,
                    identifier: tail.to_string(),
                })
            }),
            "unlink" => case_id(USAGE[6]).map(|case| ClinicianCommand::Unlink { case }),
            _ => return None,
        };
        Some(command)
    }
}

/// The usage line of `/notice`.
fn notice_usage() -> &'static str {
    USAGE
        .iter()
        .find(|usage| usage.starts_with("/notice "))
        .copied()
        .unwrap_or("/notice <topic> <text>")
}

/// `/notice`'s arguments: `confirm ID`, `cancel ID`, nothing (the list),
/// or topics (`outbreaks` or `outbreaks, closures`) and the notice's text.
fn notice_action(args: &str) -> Result<NoticeAction, CommandError> {
    let usage = CommandError {
        usage: notice_usage(),
    };
    let (first, rest) = args
        .split_once(char::is_whitespace)
        .map_or((args, ""), |(first, rest)| (first, rest.trim()));
    match first.to_ascii_lowercase().as_str() {
        "" => Ok(NoticeAction::List),
        "confirm" | "publish" | "cancel"
            if rest.is_empty() || rest.contains(char::is_whitespace) =>
        {
            Err(usage)
        }
        "confirm" | "publish" => Ok(NoticeAction::Confirm {
            notice: rest.to_string(),
        }),
        "cancel" => Ok(NoticeAction::Cancel {
            notice: rest.to_string(),
        }),
        _ => {
            // Topics run up to the first word not joined to them by a comma.
            let mut topics = first.to_string();
            let mut text = rest;
            while topics.ends_with(',') || text.starts_with(',') {
                let (word, after) = text
                    .split_once(char::is_whitespace)
                    .map_or((text, ""), |(word, after)| (word, after.trim_start()));
                if word.is_empty() {
                    break;
                }
                topics.push_str(word);
                text = after;
            }
            if text.is_empty() {
                return Err(usage);
            }
            Ok(NoticeAction::Draft {
                topics: topics
                    .split(',')
                    .map(str::trim)
                    .filter(|topic| !topic.is_empty())
                    .map(str::to_string)
                    .collect(),
                text: text.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_command() {
        let parse = |text| ClinicianCommand::parse(text).unwrap().unwrap();
        assert_eq!(parse("/cases"), ClinicianCommand::Cases);
        assert_eq!(
            parse("/claim@carebot C-0042"),
            ClinicianCommand::Claim { case: CaseId(42) }
        );
        assert_eq!(parse("/case 7"), ClinicianCommand::Show { case: CaseId(7) });
        assert_eq!(
            parse("/reply C-0042  Please call us on 555 0100 today."),
            ClinicianCommand::Reply {
                case: CaseId(42),
                text: "Please call us on 555 0100 today.".to_string()
            }
        );
        assert_eq!(
            parse("/RESOLVE c-42 seen in clinic"),
            ClinicianCommand::Resolve {
                case: CaseId(42),
                note: "seen in clinic".to_string()
            }
        );
        assert_eq!(
            parse("/link C-0042 MRN123"),
            ClinicianCommand::Link {
                case: CaseId(42),
                identifier: "MRN123".to_string()
            }
        );
        assert_eq!(
            parse("/unlink C-0042"),
            ClinicianCommand::Unlink { case: CaseId(42) }
        );
    }

    #[test]
    fn reads_notice_drafts_confirmations_and_the_list() {
        let parse = |text| ClinicianCommand::parse(text).unwrap().unwrap();
        assert_eq!(
            parse("/notice"),
            ClinicianCommand::Notice {
                action: NoticeAction::List
            }
        );
        assert_eq!(
            parse("/notice outbreaks, closures until 2026-12-24 Measles in the area.\nCall first."),
            ClinicianCommand::Notice {
                action: NoticeAction::Draft {
                    topics: vec!["outbreaks".into(), "closures".into()],
                    text: "until 2026-12-24 Measles in the area.\nCall first.".into()
                }
            }
        );
        assert_eq!(
            parse("/notice@carebot Confirm n-4"),
            ClinicianCommand::Notice {
                action: NoticeAction::Confirm {
                    notice: "n-4".into()
                }
            }
        );
        assert_eq!(
            parse("/notice cancel N-0004"),
            ClinicianCommand::Notice {
                action: NoticeAction::Cancel {
                    notice: "N-0004".into()
                }
            }
        );
        for wrong in [
            "/notice outbreaks",
            "/notice confirm",
            "/notice cancel N-1 now",
        ] {
            let error = ClinicianCommand::parse(wrong).unwrap().unwrap_err();
            assert!(error.usage.starts_with("/notice "), "{wrong}");
        }
        // A patient's `/notices` is theirs, not a clinician command.
        assert_eq!(ClinicianCommand::parse("/notices"), None);
    }

    #[test]
    fn tells_usage_and_ignores_other_text() {
        assert!(ClinicianCommand::parse("/claim").unwrap().is_err());
        assert!(ClinicianCommand::parse("/reply C-0042").unwrap().is_err());
        assert!(ClinicianCommand::parse("/resolve nope done")
            .unwrap()
            .is_err());
        assert!(ClinicianCommand::parse("/link C-0042").unwrap().is_err());
        assert!(ClinicianCommand::parse("/link C-0042 MRN 123")
            .unwrap()
            .is_err());
        assert_eq!(ClinicianCommand::parse("claim C-0042"), None);
        assert_eq!(ClinicianCommand::parse("/agent"), None);
    }
}
