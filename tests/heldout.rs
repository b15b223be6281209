//! Accuracy on the held-out patient messages in `tests/heldout/messages.jsonl`,
//! written before the engine was tuned and never copied into knowledge files.
//!
//! The suite fails if any emergency is not given `emergency` (sensitivity below
//! 100%) or if any message is under-triaged. Scoring, as a patient experiences it:
//! - triage advice has its level;
//! - the fallback tells the patient to call the practice (and the emergency number
//!   in an emergency), which counts as `routine`: under-triage where `urgent` or
//!   `emergency` was expected, agreement where `routine` was, over-triage (harmless,
//!   but counted) where `self_care` was;
//! - an FAQ answer or choices give no care advice: under-triage wherever a level
//!   was expected;
//! - a follow-up question is not yet a decision: counted apart, except that an
//!   expected emergency must be given `emergency` at once.
//!
//! The figures are printed for the README: `cargo test heldout -- --nocapture`.

use carebot::{Level, ReplyKind};
use serde::Deserialize;

use crate::harness::{converse, root, shipped_engine};

#[derive(Debug, Deserialize)]
struct Labelled {
    text: String,
    expect_level: Option<Level>,
    expect_entry: Option<String>,
}

#[derive(Debug, Default)]
pub struct Scores {
    pub total: usize,
    pub agree: usize,
    pub emergencies: usize,
    pub emergencies_caught: usize,
    pub under_triage: Vec<String>,
    pub over_triage: Vec<String>,
    pub asked_follow_up: usize,
    pub faq_total: usize,
    pub faq_right: usize,
}

fn evaluate() -> Scores {
    let engine = shipped_engine();
    let text = std::fs::read_to_string(root().join("tests/heldout/messages.jsonl")).unwrap();
    let mut scores = Scores::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let item: Labelled = serde_json::from_str(line).expect("valid held-out line");
        let reply = &converse(&engine, &[&item.text])[0];
        scores.total += 1;
        let got = match reply.kind {
            ReplyKind::Triage => reply.level,
            ReplyKind::Fallback => Some(Level::Routine),
            _ => None,
        };
        match item.expect_level {
            Some(expected) => {
                if expected == Level::Emergency {
                    scores.emergencies += 1;
                    if got == Some(Level::Emergency) {
                        scores.emergencies_caught += 1;
                    }
                }
                if reply.kind == ReplyKind::Question {
                    // Asking is not a decision: it is neither under- nor over-triage,
                    // unless an emergency was expected (counted above).
                    scores.asked_follow_up += 1;
                } else if got == Some(expected) {
                    scores.agree += 1;
                } else if got.is_none_or(|level| level < expected) {
                    scores.under_triage.push(format!(
                        "{:?}: expected {expected}, got {}",
                        item.text,
                        carebot::kbtest::describe(reply)
                    ));
                } else {
                    scores.over_triage.push(format!(
                        "{:?}: expected {expected}, got {}",
                        item.text,
                        carebot::kbtest::describe(reply)
                    ));
                }
            }
            None => {
                if item.expect_entry.is_some() {
                    scores.faq_total += 1;
                }
                if let Some(level) = got.filter(|_| reply.kind == ReplyKind::Triage) {
                    scores
                        .over_triage
                        .push(format!("{:?}: expected no level, got {level}", item.text));
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

#[test]
fn held_out_emergencies_are_all_caught_and_nothing_is_under_triaged() {
    let scores = evaluate();
    println!(
        "held-out: {} messages, agreement {}/{} ({:.1}%), emergency sensitivity {}/{}, under-triage {}, over-triage {}, follow-up asked {}, FAQ right {}/{}",
        scores.total,
        scores.agree,
        scores.total,
        100.0 * scores.agree as f64 / scores.total as f64,
        scores.emergencies_caught,
        scores.emergencies,
        scores.under_triage.len(),
        scores.over_triage.len(),
        scores.asked_follow_up,
        scores.faq_right,
        scores.faq_total
    );
    for line in &scores.over_triage {
        println!("  over-triage: {line}");
    }
    assert!(scores.total >= 150);
    assert_eq!(
        scores.emergencies_caught, scores.emergencies,
        "missed emergencies; under-triage: {:#?}",
        scores.under_triage
    );
    assert!(
        scores.under_triage.is_empty(),
        "under-triaged:\n{}",
        scores.under_triage.join("\n")
    );
}
