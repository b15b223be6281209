//! Properties of the engine that must hold for any input (proptest): it never
//! panics and always replies sensibly, normalisation is idempotent, and denying
//! a red flag never makes the advice more severe.
//!
//! Case counts are kept so that this module runs in well under a minute in a
//! debug build; `PROPTEST_CASES=10000 cargo test --release properties` runs
//! more.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;

use carebot::{Conversation, Engine, Level, Limits, Reply, ReplyKind};

use crate::support::{fixture_dir, fixture_engine};

/// The fixture knowledge base with no message size limit, so that huge
/// messages go all the way through analysis instead of getting the notice.
fn unlimited_engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let knowledge = carebot::load_dir(&fixture_dir()).expect("fixture knowledge loads");
            let limits = Limits {
                max_message_chars: usize::MAX,
            };
            Arc::new(Engine::with_limits(knowledge, limits))
        })
        .clone()
}

/// Words the fixture knowledge base reacts to, and words around them that
/// change how they are read (negation, history, hypotheticals, ages...).
const VOCABULARY: &[&str] = &[
    "chest",
    "pain",
    "crushing",
    "arm",
    "numb",
    "tingling",
    "ankle",
    "ankel",
    "foot",
    "heel",
    "fell",
    "tripped",
    "twisted",
    "swollen",
    "swolen",
    "puffy",
    "can't",
    "walk",
    "weight",
    "put",
    "bone",
    "hurts",
    "press",
    "fever",
    "temperature",
    "38.4",
    "37.6",
    "39",
    "baby",
    "7",
    "week",
    "weeks",
    "old",
    "year",
    "runny",
    "nose",
    "cold",
    "no",
    "not",
    "never",
    "without",
    "denies",
    "had",
    "last",
    "year",
    "ago",
    "signs",
    "of",
    "what",
    "are",
    "gone",
    "anymore",
    "but",
    "just",
    "and",
    "my",
    "i",
    "is",
    "it",
    "on",
    "yes",
    "nope",
    "not sure",
    "open",
    "hours",
    "book",
    "cancel",
    "appointment",
    "prescription",
    "refill",
    "flu",
    "vaccine",
    "123-45-6789",
    ",",
    ".",
    "?",
    "!",
    "'",
    "😭",
    "ﬁ",
    "İ",
    "\u{200b}",
];

fn vocabulary_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..24).prop_map(|words| words.join(" "))
}

/// Arbitrary Unicode, fixture vocabulary, or both interleaved.
fn message() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        vocabulary_text(),
        (vocabulary_text(), any::<String>(), vocabulary_text()).prop_map(|(a, b, c)| a + &b + &c),
        prop::collection::vec(any::<char>(), 0..2_000).prop_map(String::from_iter),
    ]
}

/// What every reply must look like, whatever the message.
fn check_reply(reply: &Reply) -> Result<(), TestCaseError> {
    prop_assert!(!reply.text.trim().is_empty(), "empty text: {reply:?}");
    match reply.kind {
        ReplyKind::Triage => {
            prop_assert!(reply.level.is_some() && reply.entry.is_some(), "{reply:?}")
        }
        ReplyKind::Question | ReplyKind::Answer => {
            prop_assert!(reply.entry.is_some(), "{reply:?}")
        }
        ReplyKind::Choices => {
            prop_assert!(reply.choices.len() >= 2, "{reply:?}");
            prop_assert_eq!(reply.choices.len(), reply.buttons.len());
        }
        ReplyKind::Fallback | ReplyKind::Notice => {
            prop_assert!(reply.entry.is_none() && reply.level.is_none(), "{reply:?}")
        }
    }
    Ok(())
}

/// How severe a reply is: its level of care, or for a follow-up question the
/// level of the rule asking it (the advice it may lead to).
fn severity(engine: &Engine, reply: &Reply) -> Option<Level> {
    match reply.kind {
        ReplyKind::Triage => reply.level,
        ReplyKind::Question => reply
            .entry
            .as_deref()
            .and_then(|id| engine.knowledge().rule(id))
            .map(|rule| rule.level),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_message_gets_a_valid_reply(text in message()) {
        let engine = fixture_engine();
        check_reply(&engine.reply(&mut Conversation::default(), &text))?;
    }

    /// Follow-up questions and choices keep state between messages: whatever
    /// arrives next must still get a valid reply.
    #[test]
    fn any_conversation_gets_valid_replies(turns in prop::collection::vec(message(), 1..6)) {
        let engine = fixture_engine();
        let mut conversation = Conversation::default();
        for turn in &turns {
            check_reply(&engine.reply(&mut conversation, turn))?;
        }
    }

    #[test]
    fn normalisation_is_idempotent(text in message()) {
        let once = carebot::text::normalize(&text);
        prop_assert_eq!(carebot::text::normalize(&once), once);
    }

    #[test]
    fn a_negated_red_flag_never_raises_severity(
        text in vocabulary_text(),
        denial in prop::sample::select(&[
            ", no chest pain",
            " no chest pain",
            " no crushing chest pain",
            ", no crushing chest pain",
            ". No crushing chest pain.",
            " and no chest pain",
        ][..]),
    ) {
        let engine = fixture_engine();
        let alone = engine.reply(&mut Conversation::default(), &text);
        let denied = engine.reply(&mut Conversation::default(), &format!("{text}{denial}"));
        prop_assert!(
            severity(&engine, &denied) <= severity(&engine, &alone),
            "{text:?}: {:?} alone, {:?} with {denial:?}",
            (alone.kind, alone.level, &alone.entry),
            (denied.kind, denied.level, &denied.entry)
        );
    }
}

proptest! {
    // Few cases: each one analyses half a megabyte to a megabyte in a debug
    // build (the other properties cover short messages).
    #![proptest_config(ProptestConfig::with_cases(3))]

    #[test]
    fn messages_up_to_a_megabyte_never_panic(
        seed in vocabulary_text(),
        noise in prop::collection::vec(any::<char>(), 0..200),
        repeats in (1usize << 19)..(1 << 20),
    ) {
        // Vocabulary and random characters, repeated up to about 1 MB.
        let unit = format!("{seed} {} ", String::from_iter(noise));
        let mut text = unit.repeat(repeats / unit.len().max(1) + 1);
        let mut cut = text.len().min(1 << 20);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        let full = unlimited_engine().reply(&mut Conversation::default(), &text);
        check_reply(&full)?;
        let limited = fixture_engine().reply(&mut Conversation::default(), &text);
        check_reply(&limited)?;
        if text.chars().count() > Limits::default().max_message_chars {
            prop_assert_eq!(limited.kind, ReplyKind::Notice);
        }
    }
}
