//! The emergency net (`triage_semantic`): a message that describes an
//! emergency in words no concept lists gets the red-flag screen's emergency
//! advice, with the emergency number and a case, where words alone only ask;
//! a message that denies a life-threatening sign, a minor complaint and a
//! practical question are left as the words read them. The health net: an
//! injury in words nothing knows gets the red-flag screen, not the bare
//! fallback, and so does a problem that names no body part; a body mentioned
//! in passing and a pet's problem do not. A question that tells two of the
//! clinicians' rules apart stands, however sure the net.

use carebot::{Conversation, Engine, Level, Outcome, ReplyKind};

use crate::support::{shipped_engine, shipped_lexical_engine};

fn respond(engine: &Engine, text: &str) -> Outcome {
    engine.respond(&mut Conversation::default(), text)
}

#[test]
fn an_emergency_in_words_no_concept_lists_gets_emergency_advice_and_a_case() {
    let text = "he came off the quad bike, landed on his neck and says he cant feel his legs";
    let words = respond(&shipped_lexical_engine(), text);
    assert_eq!(words.reply.kind, ReplyKind::Question, "{words:?}");
    assert_eq!(words.explanation.emergency_by_meaning, None);

    let meaning = respond(&shipped_engine(), text);
    assert_eq!(meaning.reply.kind, ReplyKind::Triage, "{meaning:?}");
    assert_eq!(meaning.reply.level, Some(Level::Emergency));
    assert!(meaning.reply.text.contains("911"), "{}", meaning.reply.text);
    assert!(meaning.reply.handoff, "an emergency opens a case");
    let probability = meaning.explanation.emergency_by_meaning.expect("consulted");
    assert!(probability >= carebot::triage_semantic::EMERGENCY_PROBABILITY);
}

#[test]
fn a_message_that_denies_a_life_threatening_sign_is_not_raised() {
    let text = "got stung by a wasp on my hand, its swollen and itchy but my breathing is totally fine and no swelling in my face";
    let meaning = respond(&shipped_engine(), text);
    assert_eq!(meaning.reply.level, Some(Level::SelfCare), "{meaning:?}");
    // The patient answered the life-threatening question themselves.
    assert_eq!(meaning.explanation.emergency_by_meaning, None);
    assert_eq!(
        meaning.reply,
        respond(&shipped_lexical_engine(), text).reply
    );
}

#[test]
fn a_minor_complaint_keeps_the_advice_its_rule_gives() {
    let text = "ive had a bit of a runny nose for two days";
    let meaning = respond(&shipped_engine(), text);
    assert_eq!(meaning.reply.level, Some(Level::SelfCare), "{meaning:?}");
    let probability = meaning.explanation.emergency_by_meaning.expect("consulted");
    assert!(probability < 0.5, "{probability}");
}

#[test]
fn a_practical_question_is_not_read_for_emergencies() {
    let meaning = respond(&shipped_engine(), "can I get my flu shot on a saturday?");
    assert_eq!(meaning.reply.kind, ReplyKind::Answer, "{meaning:?}");
    assert_eq!(meaning.explanation.emergency_by_meaning, None);
}

#[test]
fn an_answer_to_the_screens_question_is_read_as_an_answer() {
    // "No" to the life-threatening question is a no, whatever the first
    // message said; the net reads new messages only.
    let engine = shipped_engine();
    let mut conversation = Conversation::default();
    let first = engine.respond(
        &mut conversation,
        "took the dog for a walk and now my calf aches a bit",
    );
    assert_eq!(first.reply.kind, ReplyKind::Question, "{first:?}");
    assert_eq!(
        first.reply.entry.as_deref(),
        Some("screen-life-threatening")
    );
    let answer = engine.respond(&mut conversation, "No");
    assert_eq!(answer.explanation.emergency_by_meaning, None, "{answer:?}");
    assert_ne!(answer.reply.level, Some(Level::Emergency), "{answer:?}");
}

#[test]
fn an_injury_in_words_nothing_knows_gets_the_screen_not_the_bare_fallback() {
    let text = "sliced the top of my finger on the mandoline, flap of skin loose";
    let words = respond(&shipped_lexical_engine(), text);
    assert_eq!(words.reply.kind, ReplyKind::Fallback, "{words:?}");

    let meaning = respond(&shipped_engine(), text);
    assert_eq!(meaning.reply.kind, ReplyKind::Question, "{meaning:?}");
    assert!(meaning.reply.text.contains("911"), "{}", meaning.reply.text);
    let probability = meaning.explanation.health_by_meaning.expect("consulted");
    assert!(probability >= carebot::triage_semantic::HEALTH_PROBABILITY);
}

#[test]
fn a_body_mentioned_in_passing_still_gets_the_fallback() {
    for text in [
        "my arm is fine thanks, the physio was great",
        "had a great massage, my shoulders feel amazing",
    ] {
        let meaning = respond(&shipped_engine(), text);
        assert_eq!(
            meaning.reply.kind,
            ReplyKind::Fallback,
            "{text}: {meaning:?}"
        );
    }
    // No body part at all: a figure of speech is not read for a problem.
    let meaning = respond(
        &shipped_engine(),
        "we totally killed it at the quiz tonight",
    );
    assert_eq!(meaning.explanation.health_by_meaning, None, "{meaning:?}");
}

#[test]
fn a_problem_without_a_body_part_gets_the_screen_not_the_bare_fallback() {
    // Words alone know no problem here, and it names no body part: the health
    // net reads it, and the red-flag screen asks, with the emergency number.
    let text =
        "nan has been seeing people who aren't there since this morning, she was fine yesterday";
    let words = respond(&shipped_lexical_engine(), text);
    assert_eq!(words.reply.kind, ReplyKind::Fallback, "{words:?}");

    let meaning = respond(&shipped_engine(), text);
    assert_eq!(meaning.reply.kind, ReplyKind::Question, "{meaning:?}");
    assert!(meaning.reply.text.contains("911"), "{}", meaning.reply.text);
    assert!(meaning.explanation.health_by_meaning.is_some());
}

#[test]
fn a_pets_problem_is_not_triaged_as_a_persons() {
    for text in [
        "our pony is off his food and lying down a lot",
        "my cat has been sneezing all week",
    ] {
        let meaning = respond(&shipped_engine(), text);
        assert_eq!(meaning.reply.level, None, "{text}: {meaning:?}");
        assert_eq!(meaning.explanation.health_by_meaning, None, "{text}");
    }
    // A person hurt by an animal is a person's problem.
    let bite = respond(&shipped_engine(), "the dog bit my hand and it's bleeding");
    assert!(bite.reply.level.is_some(), "{bite:?}");
}

#[test]
fn the_crisis_flows_question_stands_whatever_the_net_reads() {
    // "Do you have a plan?" tells the clinicians' crisis rule from their
    // thoughts-of-suicide rule: the net, however sure, does not answer it, so
    // the reply is the crisis flow's own question with the crisis line.
    let engine = shipped_engine();
    let mut conversation = Conversation::default();
    let first = engine.respond(&mut conversation, "I don't want to be alive anymore");
    assert_eq!(first.reply.kind, ReplyKind::Question, "{first:?}");
    assert_eq!(first.reply.entry.as_deref(), Some("suicide-plan-or-intent"));
    assert!(first.reply.text.contains("988"), "{}", first.reply.text);
    let answer = engine.respond(&mut conversation, "no, I wouldn't act on it");
    assert_eq!(
        answer.reply.entry.as_deref(),
        Some("suicidal-thoughts"),
        "{answer:?}"
    );
}
