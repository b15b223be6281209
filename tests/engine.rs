//! The engine's behaviour as a patient meets it, on the fixture knowledge base:
//! triage before FAQ, negation, follow-up questions by button and free text,
//! leaving a follow-up, choices, modifiers, identifiers and hostile input.

use carebot::{Conversation, Level, ReplyKind};

use crate::support::{converse, fixture_engine};

#[test]
fn triage_wins_over_the_faq_and_the_most_severe_rule_wins() {
    let engine = fixture_engine();
    let reply = &converse(
        &engine,
        &["crushing chest pain and my left arm is numb, also when are you open?"],
    )[0];
    assert_eq!(reply.kind, ReplyKind::Triage);
    assert_eq!(reply.level, Some(Level::Emergency));
    assert_eq!(reply.entry.as_deref(), Some("heart-attack-signs"));
    assert!(
        reply.text.contains("999"),
        "emergency advice names the emergency number: {}",
        reply.text
    );
    assert!(reply.handoff);
}

#[test]
fn negated_and_past_findings_do_not_escalate() {
    let engine = fixture_engine();
    let reply = &converse(&engine, &["no chest pain, just a runny nose"])[0];
    assert_eq!(reply.entry.as_deref(), Some("cold"));
    assert_eq!(reply.level, Some(Level::SelfCare));
    for text in [
        "my chest pain went away last year",
        "I don't have chest pain",
        "what are the signs of chest pain?",
    ] {
        let reply = &converse(&engine, &[text])[0];
        assert_ne!(
            reply.kind,
            ReplyKind::Triage,
            "{text:?} escalated to {:?}",
            reply.entry
        );
    }
}

#[test]
fn a_complete_ankle_message_is_decided_without_questions() {
    let engine = fixture_engine();
    let urgent = &converse(
        &engine,
        &["I tripped and my ankel is swolen, can't put weight on it"],
    )[0];
    assert_eq!(
        (urgent.kind, urgent.level),
        (ReplyKind::Triage, Some(Level::Urgent))
    );
    assert!(urgent.text.contains("today"));
    let minor = &converse(&engine, &["twisted my ankle, a bit puffy but I can walk fine and the bone doesn't hurt when I press"])[0];
    assert_eq!(
        (minor.kind, minor.level),
        (ReplyKind::Triage, Some(Level::SelfCare))
    );
}

#[test]
fn ankle_follow_up_by_buttons() {
    let engine = fixture_engine();
    let replies = converse(&engine, &["I twisted my ankle", "Yes", "Not sure"]);
    assert_eq!(replies[0].kind, ReplyKind::Question);
    assert!(replies[0].text.contains("four steps"));
    let labels: Vec<&str> = replies[0]
        .buttons
        .iter()
        .map(|b| b.label.as_str())
        .collect();
    assert_eq!(labels, ["Yes", "No", "Not sure"]);
    assert_eq!(
        replies[1].kind,
        ReplyKind::Question,
        "can walk: asks about bony tenderness next"
    );
    assert!(replies[1].text.contains("press"));
    // "Not sure" takes the safe side.
    assert_eq!(replies[2].level, Some(Level::Urgent));
}

#[test]
fn ankle_follow_up_by_free_text() {
    let engine = fixture_engine();
    let replies = converse(&engine, &["I twisted my ankle", "nope, can't walk on it"]);
    assert_eq!(replies[1].level, Some(Level::Urgent));
    let replies = converse(
        &engine,
        &[
            "rolled my ankle at football",
            "yeah I can walk on it",
            "no the bone is fine",
        ],
    );
    assert_eq!(replies[2].level, Some(Level::SelfCare), "{:?}", replies[2]);
    let replies = converse(
        &engine,
        &["I twisted my ankle", "yes", "yes it hurts when I press"],
    );
    assert_eq!(replies[2].level, Some(Level::Urgent));
}

#[test]
fn an_unrelated_question_leaves_the_follow_up_cleanly() {
    let engine = fixture_engine();
    let mut conversation = Conversation::default();
    assert_eq!(
        engine.reply(&mut conversation, "I twisted my ankle").kind,
        ReplyKind::Question
    );
    let reply = engine.reply(&mut conversation, "what are your opening hours?");
    assert_eq!(reply.entry.as_deref(), Some("opening-hours"));
    assert!(conversation.pending.is_none());
    // The next message starts afresh rather than answering the old question.
    let reply = engine.reply(&mut conversation, "yes");
    assert_ne!(reply.kind, ReplyKind::Triage);
}

#[test]
fn an_unclear_answer_is_asked_again_once_then_taken_on_the_safe_side() {
    let engine = fixture_engine();
    let replies = converse(&engine, &["I twisted my ankle", "hmm", "banana"]);
    assert_eq!(replies[1].kind, ReplyKind::Question);
    assert!(replies[1].text.starts_with("Sorry"), "{}", replies[1].text);
    assert_eq!(replies[2].level, Some(Level::Urgent));
}

#[test]
fn a_new_red_flag_during_a_follow_up_escalates() {
    let engine = fixture_engine();
    let replies = converse(
        &engine,
        &[
            "I twisted my ankle",
            "I can walk but now I have crushing chest pain",
        ],
    );
    assert_eq!(replies[1].level, Some(Level::Emergency));
}

#[test]
fn age_and_temperature_change_the_outcome() {
    let engine = fixture_engine();
    let baby = &converse(&engine, &["my 7 week old has a fever of 38.4"])[0];
    assert_eq!(baby.level, Some(Level::Emergency));
    let toddler = &converse(&engine, &["my 2 year old has a fever of 38.4"])[0];
    assert_eq!(toddler.level, Some(Level::SelfCare));
    let low = &converse(&engine, &["my 7 week old has a fever of 37.6"])[0];
    assert_ne!(low.level, Some(Level::Emergency));
    // "baby" alone does not settle "under 3 months": the bot asks.
    let replies = converse(&engine, &["my baby has a fever", "she's 7 weeks"]);
    assert_eq!(replies[0].kind, ReplyKind::Question);
    assert!(
        replies[0].buttons.is_empty(),
        "an age question takes free text"
    );
    assert_eq!(replies[1].level, Some(Level::Emergency));
}

#[test]
fn faq_answers_typos_and_text_speak() {
    let engine = fixture_engine();
    for (text, entry) in [
        ("r u open tmrw", "opening-hours"),
        (
            "how do i get my perscription refiled",
            "repeat-prescription",
        ),
        ("I need to cancel my apointment", "cancel-appointment"),
    ] {
        let reply = &converse(&engine, &[text])[0];
        assert_eq!(
            (reply.kind, reply.entry.as_deref()),
            (ReplyKind::Answer, Some(entry)),
            "{text:?}"
        );
    }
}

#[test]
fn placeholders_are_filled_from_the_practice_settings() {
    let engine = fixture_engine();
    let reply = &converse(&engine, &["when are you open"])[0];
    assert!(
        reply.text.contains("- Monday: 08:00–18:00"),
        "{}",
        reply.text
    );
    assert!(!reply.text.contains('{'));
}

#[test]
fn close_candidates_are_offered_as_choices_and_picked_by_number() {
    let engine = fixture_engine();
    let mut conversation = Conversation::default();
    let reply = engine.reply(&mut conversation, "do you do vaccines");
    assert_eq!(reply.kind, ReplyKind::Choices, "{reply:?}");
    assert!(reply.choices.len() >= 2);
    assert_eq!(reply.buttons[0].reply, "1");
    let picked = engine.reply(&mut conversation, "2");
    assert_eq!(picked.kind, ReplyKind::Answer);
    assert_eq!(picked.entry.as_ref(), Some(&reply.choices[1]));
}

#[test]
fn unknown_questions_get_an_honest_fallback() {
    let engine = fixture_engine();
    let reply = &converse(&engine, &["what is the capital of peru"])[0];
    assert_eq!(reply.kind, ReplyKind::Fallback);
    assert!(reply.text.contains("555-0100") && reply.text.contains("999"));
}

#[test]
fn identifiers_get_a_warning_and_the_question_is_still_answered() {
    let engine = fixture_engine();
    let reply = &converse(
        &engine,
        &["my ssn is 123-45-6789, how do I order a repeat prescription"],
    )[0];
    assert!(reply.text.starts_with("⚠️"), "{}", reply.text);
    assert_eq!(reply.entry.as_deref(), Some("repeat-prescription"));
}

#[test]
fn hostile_input_never_panics_and_always_replies() {
    let engine = fixture_engine();
    let huge = "chest pain ".repeat(100_000);
    let control: String = (0u8..32).map(char::from).collect();
    let inputs = [
        "".to_string(),
        "   \n\t ".to_string(),
        huge,
        control,
        "🙂🙂🙂".to_string(),
        "\u{202e}\u{200b}\u{feff}".to_string(),
        "{}{{}}{phone}".to_string(),
        "ß".repeat(2_000),
        "no no no not never without".to_string(),
        "9".repeat(2_500),
    ];
    for input in &inputs {
        let mut conversation = Conversation::default();
        let reply = engine.reply(&mut conversation, input);
        assert!(
            !reply.text.is_empty(),
            "no reply text for {:?}",
            &input[..input.len().min(40)]
        );
    }
    let too_long = &converse(&engine, &[&"a".repeat(10_000)])[0];
    assert_eq!(too_long.kind, ReplyKind::Notice);
    assert!(too_long.text.contains("short") && too_long.text.contains("999"));
    // Under the limit as typed, eighteen times over it once normalised.
    let expanding = "\u{FDFA}".repeat(2_000);
    let too_long = &converse(&engine, &[&expanding])[0];
    assert_eq!(too_long.kind, ReplyKind::Notice);
    assert!(too_long.text.contains("short"), "{}", too_long.text);
}
