//! What clinicians can tell the bot to do with handoff cases, independent of
//! how a platform spells it. Adapters map their own syntax (a Telegram
//! `/claim C-0042`, a Discord slash command, a button tap) to a
//! [`ClinicianCommand`]; [`ClinicianCommand::parse`] reads the plain-text form
//! that text-based platforms and the terminal share.

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
    /// How to use the commands.
    Help,
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
pub const USAGE: [&str; 6] = [
    "/cases — list cases not yet resolved",
    "/case C-0042 — show a case",
    "/claim C-0042 — take a case",
    "/reply C-0042 <message> — send a message to the patient",
    "/resolve C-0042 <note> — close a case with a note",
    "/help — this list",
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
            ClinicianCommand::Help => "help",
        }
    }

    /// The case the command is about, if any.
    pub fn case(&self) -> Option<CaseId> {
        match self {
            ClinicianCommand::Show { case }
            | ClinicianCommand::Claim { case }
            | ClinicianCommand::Reply { case, .. }
            | ClinicianCommand::Resolve { case, .. } => Some(*case),
            ClinicianCommand::Cases | ClinicianCommand::Help => None,
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
            _ => return None,
        };
        Some(command)
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
    }

    #[test]
    fn tells_usage_and_ignores_other_text() {
        assert!(ClinicianCommand::parse("/claim").unwrap().is_err());
        assert!(ClinicianCommand::parse("/reply C-0042").unwrap().is_err());
        assert!(ClinicianCommand::parse("/resolve nope done")
            .unwrap()
            .is_err());
        assert_eq!(ClinicianCommand::parse("claim C-0042"), None);
        assert_eq!(ClinicianCommand::parse("/agent"), None);
    }
}
