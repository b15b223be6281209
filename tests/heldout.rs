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

use crate::support::{root, shipped_engine};

fn evaluate() -> carebot::evaluation::Scores {
    let text = std::fs::read_to_string(root().join("tests/heldout/messages.jsonl")).unwrap();
    let set = carebot::evaluation::parse(&text).expect("valid held-out lines");
    carebot::evaluation::score(&shipped_engine(), &set)
}

#[test]
fn held_out_emergencies_are_all_caught_and_nothing_is_under_triaged() {
    let scores = evaluate();
    println!("held-out: {}", scores.summary());
    for miss in &scores.over_triage {
        println!("  over-triage: {miss:?}");
    }
    assert!(scores.total >= 150);
    assert_eq!(
        scores.emergencies_caught, scores.emergencies,
        "missed emergencies; under-triage: {:#?}",
        scores.under_triage
    );
    assert!(
        scores.under_triage.is_empty(),
        "under-triaged:\n{:#?}",
        scores.under_triage
    );
}
