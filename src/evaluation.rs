//! Scoring a labelled set of patient messages: how often carebot gives the level
//! of care a triage nurse would, how many emergencies it catches, and where it
//! under-triages. This is what `carebot kb eval FILE.jsonl` prints and what the
//! held-out tests assert, so that a practice can measure its own knowledge base
//! on messages it did not write its files from.
//!
//! Scoring, as a patient experiences the reply:
//! - triage advice has its level;
//! - the fallback tells the patient to call the practice (and names the
//!   emergency number), which counts as `routine`;
//! - an FAQ answer or choices give no care advice: under-triage wherever a level
//!   was expected;
//! - a follow-up question is not yet a decision: counted apart, except that an
//!   expected emergency must be given `emergency` at once.

use serde::{Deserialize, Serialize};

use crate::{Conversation, Engine, Level, Reply, ReplyKind};

/// One labelled message, as a line of the JSONL file.
#[derive(Debug, Clone, Deserialize)]
pub struct Labelled {
    pub text: String,
    /// The level a careful triage nurse would give, for a message about a health
    /// problem; `None` for an admin question or a message that should not escalate.
    pub expect_level: Option<Level>,
    /// For an admin question: the FAQ entry that answers it.
    pub expect_entry: Option<String>,
}

/// Why a message counts against carebot.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub text: String,
    pub expected: String,
    pub got: String,
}

/// The figures for one set.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Scores {
    pub total: usize,
    pub agree: usize,
    pub emergencies: usize,
    pub emergencies_caught: usize,
    /// Messages with an expected level that got an FAQ answer or choices.
    pub health_given_faq: usize,
    /// Emergencies among those.
    pub emergencies_given_faq: usize,
    /// Messages with an expected level that got the bare fallback.
    pub health_given_fallback: usize,
    pub under_triage: Vec<Miss>,
    pub over_triage: Vec<Miss>,
    /// Health messages answered with a follow-up question (no decision yet).
    pub asked_follow_up: usize,
    pub faq_total: usize,
    pub faq_right: usize,
}

impl Scores {
    fn percent(part: usize, whole: usize) -> f64 {
        if whole == 0 {
            100.0
        } else {
            100.0 * part as f64 / whole as f64
        }
    }

    /// Agreement with the labels, in percent.
    pub fn agreement(&self) -> f64 {
        Scores::percent(self.agree, self.total)
    }

    /// Under-triaged messages, in percent of all messages.
    pub fn under_triage_rate(&self) -> f64 {
        Scores::percent(self.under_triage.len(), self.total)
    }

    /// One line for a terminal or a README table.
    pub fn summary(&self) -> String {
        format!(
            "{} messages: agreement {}/{} ({:.1}%), emergencies caught {}/{}, under-triage {} ({:.1}%), over-triage {}, follow-up asked {}, health problems given an FAQ answer {} ({} emergencies), given the bare fallback {}, FAQ right {}/{}",
            self.total,
            self.agree,
            self.total,
            self.agreement(),
            self.emergencies_caught,
            self.emergencies,
            self.under_triage.len(),
            self.under_triage_rate(),
            self.over_triage.len(),
            self.asked_follow_up,
            self.health_given_faq,
            self.emergencies_given_faq,
            self.health_given_fallback,
            self.faq_right,
            self.faq_total
        )
    }
}

/// The level a reply gives a patient, as scored.
fn level_given(reply: &Reply) -> Option<Level> {
    match reply.kind {
        ReplyKind::Triage => reply.level,
        ReplyKind::Fallback => Some(Level::Routine),
        _ => None,
    }
}

/// Reads a labelled set: one JSON object per line, blank lines skipped.
pub fn parse(text: &str) -> Result<Vec<Labelled>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            serde_json::from_str(line).map_err(|error| format!("line {}: {error}", number + 1))
        })
        .collect()
}

/// Scores `engine` on `set`, each message as the first of a new conversation.
pub fn score(engine: &Engine, set: &[Labelled]) -> Scores {
    let mut scores = Scores::default();
    for item in set {
        let reply = engine.reply(&mut Conversation::default(), &item.text);
        scores.total += 1;
        let got = level_given(&reply);
        let miss = |expected: String| Miss {
            text: item.text.clone(),
            expected,
            got: crate::kbtest::describe(&reply),
        };
        match item.expect_level {
            Some(expected) => {
                let faq = matches!(reply.kind, ReplyKind::Answer | ReplyKind::Choices);
                if faq {
                    scores.health_given_faq += 1;
                    if expected == Level::Emergency {
                        scores.emergencies_given_faq += 1;
                    }
                }
                if reply.kind == ReplyKind::Fallback {
                    scores.health_given_fallback += 1;
                }
                if expected == Level::Emergency {
                    scores.emergencies += 1;
                    if got == Some(Level::Emergency) {
                        scores.emergencies_caught += 1;
                    }
                }
                if reply.kind == ReplyKind::Question {
                    // Asking is not a decision: neither under- nor over-triage,
                    // unless an emergency was expected.
                    scores.asked_follow_up += 1;
                    if expected == Level::Emergency {
                        scores.under_triage.push(miss(expected.to_string()));
                    }
                } else if got == Some(expected) {
                    scores.agree += 1;
                } else if got.is_none_or(|level| level < expected) {
                    scores.under_triage.push(miss(expected.to_string()));
                } else {
                    scores.over_triage.push(miss(expected.to_string()));
                }
            }
            None => {
                if item.expect_entry.is_some() {
                    scores.faq_total += 1;
                }
                let expected = match &item.expect_entry {
                    Some(id) => format!("FAQ `{id}`"),
                    None => "no escalation".to_string(),
                };
                if reply.kind == ReplyKind::Triage {
                    scores.over_triage.push(miss(expected));
                } else if item.expect_entry.is_none() || item.expect_entry == reply.entry {
                    scores.agree += 1;
                    if item.expect_entry.is_some() {
                        scores.faq_right += 1;
                    }
                }
            }
        }
    }
    scores
}
