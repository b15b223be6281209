//! Handoff settings: who may act on cases, where notifications go, and the
//! timings. These are deployment settings (platform ids, not clinical content),
//! so they live apart from the knowledge files, in the `[handoff]` table of
//! the configuration file (`carebot.example.toml` at the top of the
//! repository shows every key).

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use carebot_chat::{Address, Sender};

/// How handoff is run at this practice.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandoffSettings {
    /// The people (platform user ids) who may use clinician commands; case
    /// notifications go to each of them when there is no clinician channel.
    pub clinicians: Vec<Address>,
    /// A group chat or channel of clinicians: notifications go here, and
    /// anyone in it may use clinician commands.
    pub clinician_channel: Option<Address>,
    /// Minutes an open case may stay unclaimed before clinicians are reminded
    /// and the patient is told to phone the practice.
    pub remind_after_minutes: u64,
    /// Days after which conversations and resolved cases are deleted.
    pub retention_days: u64,
    /// Hours after which an unfinished conversation (a follow-up question left
    /// unanswered) is forgotten, so a patient coming back days later starts afresh.
    pub conversation_ttl_hours: u64,
    /// Days the audit log (who did what and when, no message text) is kept:
    /// longer than conversations, since it is the practice's record of how
    /// cases were handled. Six years by default, the HIPAA documentation
    /// retention period.
    pub audit_retention_days: u64,
}

impl Default for HandoffSettings {
    fn default() -> HandoffSettings {
        HandoffSettings {
            clinicians: Vec::new(),
            clinician_channel: None,
            remind_after_minutes: 15,
            retention_days: 30,
            conversation_ttl_hours: 24,
            audit_retention_days: 6 * 365,
        }
    }
}

/// Why the settings file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid {
        path: std::path::PathBuf,
        message: String,
    },
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    handoff: HandoffSettings,
}

impl HandoffSettings {
    /// Reads the `[handoff]` table of a TOML settings file (other tables are
    /// for other parts of carebot and are ignored here).
    pub fn load(path: &Path) -> Result<HandoffSettings, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        HandoffSettings::parse(&text).map_err(|message| SettingsError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Reads settings from TOML text; the error says what to fix.
    pub fn parse(text: &str) -> Result<HandoffSettings, String> {
        let file: File = toml::from_str(text).map_err(|error| error.to_string())?;
        let settings = file.handoff;
        match settings.problems().first() {
            Some((key, problem)) => Err(format!("handoff.{key} {problem}")),
            None => Ok(settings),
        }
    }

    /// What is wrong with values that parsed but cannot be used: each key
    /// (within `[handoff]`) and what is wrong with it. Empty when all is well.
    pub fn problems(&self) -> Vec<(&'static str, &'static str)> {
        let mut problems = Vec::new();
        if self.remind_after_minutes == 0 {
            problems.push(("remind_after_minutes", "must be at least 1"));
        }
        if self.retention_days == 0 {
            problems.push(("retention_days", "must be at least 1"));
        }
        if self.audit_retention_days == 0 {
            problems.push(("audit_retention_days", "must be at least 1"));
        }
        problems
    }

    pub fn remind_after(&self) -> Duration {
        Duration::from_secs(self.remind_after_minutes.saturating_mul(60))
    }

    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.retention_days.saturating_mul(24 * 3600))
    }

    pub fn audit_retention(&self) -> Duration {
        Duration::from_secs(self.audit_retention_days.saturating_mul(24 * 3600))
    }

    pub fn conversation_ttl(&self) -> Duration {
        Duration::from_secs(self.conversation_ttl_hours.saturating_mul(3600))
    }

    /// Whether `sender` may use clinician commands: a configured clinician, or
    /// anyone writing in the clinician channel.
    pub fn is_clinician(&self, sender: &Sender) -> bool {
        self.clinicians.contains(&sender.user)
            || self.clinician_channel.as_ref() == Some(&sender.chat)
    }

    /// Where case notifications go: the channel if there is one, else every clinician.
    pub fn notification_targets(&self) -> Vec<Address> {
        match &self.clinician_channel {
            Some(channel) => vec![channel.clone()],
            None => self.clinicians.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_handoff_table_with_defaults() {
        let settings = HandoffSettings::parse(
            "[handoff]\nclinicians = [\"telegram:1\"]\nclinician_channel = \"telegram:-100\"\nremind_after_minutes = 10\n\n[telegram]\ntoken_file = \"x\"\n",
        )
        .unwrap();
        assert_eq!(settings.clinicians, vec![Address::new("telegram", "1")]);
        assert_eq!(settings.remind_after(), Duration::from_secs(600));
        assert_eq!(settings.retention_days, 30);
        assert_eq!(
            settings.notification_targets(),
            vec![Address::new("telegram", "-100")]
        );
        assert!(HandoffSettings::parse("[handoff]\nclinicians = [\"nope\"]\n").is_err());
        assert!(HandoffSettings::parse("[handoff]\nretension_days = 3\n").is_err());
        assert_eq!(
            HandoffSettings::parse("").unwrap(),
            HandoffSettings::default()
        );
    }

    #[test]
    fn the_example_file_is_valid() {
        let example = HandoffSettings::parse(include_str!("../../carebot.example.toml")).unwrap();
        assert_eq!(example.clinicians.len(), 2);
        assert_eq!(
            example.remind_after_minutes,
            HandoffSettings::default().remind_after_minutes
        );
    }

    #[test]
    fn only_clinicians_and_the_channel_may_act() {
        let settings = HandoffSettings {
            clinicians: vec![Address::new("telegram", "1")],
            clinician_channel: Some(Address::new("telegram", "-100")),
            ..HandoffSettings::default()
        };
        let sender = |user: &str, chat: &str| Sender {
            user: Address::new("telegram", user),
            chat: Address::new("telegram", chat),
            name: "x".to_string(),
        };
        assert!(settings.is_clinician(&sender("1", "1")));
        assert!(settings.is_clinician(&sender("2", "-100")));
        assert!(!settings.is_clinician(&sender("2", "2")));
    }
}
