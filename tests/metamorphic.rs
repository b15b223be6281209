//! Metamorphic triage test: every emergency example in the shipped knowledge
//! base, wrapped in ordinary chat openings and endings ("not sure why but…",
//! "…any advice?"), must stay an emergency. Patients rarely write a symptom
//! alone; a pseudo-trigger in an opening ("no idea what's going on") or a
//! question in an ending must never talk carebot out of an emergency.

use carebot::{Level, ReplyKind};

use crate::support::{converse, shipped_engine};

/// Openings people put before what is wrong. None of them says anything about
/// the emergency itself.
const OPENINGS: &[&str] = &[
    "",
    "hi, ",
    "hello? ",
    "sorry to bother you but ",
    "not sure why but ",
    "idk what's going on, ",
    "can't explain it but ",
    "out of nowhere ",
    "first time ever, ",
    "nobody is picking up the phone, ",
    "quick question, ",
    "ok so ",
    "um ",
    "honestly no idea what this is but ",
    "weird one, ",
    "not an emergency probably but ",
    "been googling and ",
    "my friend said to ask here, ",
    "HELP ",
    "pls help ",
];

/// Endings people put after it.
const ENDINGS: &[&str] = &[
    "",
    " pls help",
    " what do i do",
    " is this normal?",
    " any advice?",
    " thanks in advance",
    " lol",
    " 😟",
    " should I be worried?",
    " not sure what to do",
    " can you help",
    " please reply",
];

#[test]
fn every_emergency_example_stays_an_emergency_in_ordinary_chat_wrapping() {
    let engine = shipped_engine();
    let examples: Vec<&String> = engine
        .knowledge()
        .rules
        .iter()
        .filter(|rule| rule.level == Level::Emergency && !rule.screen)
        .flat_map(|rule| &rule.tests.examples)
        .collect();
    assert!(
        examples.len() >= 100,
        "{} emergency examples",
        examples.len()
    );
    assert!(OPENINGS.len() + ENDINGS.len() >= 30);
    let mut missed = Vec::new();
    let mut checked = 0;
    for (number, example) in examples.iter().enumerate() {
        // Every opening and every ending for each example, paired in turn so
        // that each example also meets each opening with a different ending.
        for (turn, opening) in OPENINGS.iter().enumerate() {
            let ending = ENDINGS[(number + turn) % ENDINGS.len()];
            let text = format!("{opening}{example}{ending}");
            let reply = &converse(&engine, &[&text])[0];
            checked += 1;
            if !(reply.kind == ReplyKind::Triage && reply.level == Some(Level::Emergency)) {
                missed.push(format!("{text:?}: {}", carebot::kbtest::describe(reply)));
            }
        }
        for ending in ENDINGS {
            let text = format!("{example}{ending}");
            let reply = &converse(&engine, &[&text])[0];
            checked += 1;
            if !(reply.kind == ReplyKind::Triage && reply.level == Some(Level::Emergency)) {
                missed.push(format!("{text:?}: {}", carebot::kbtest::describe(reply)));
            }
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {checked} wrapped emergencies were not emergencies:\n{}",
        missed.len(),
        missed.join("\n")
    );
}
