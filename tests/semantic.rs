//! The FAQ's semantic layer, through the engine and the real binary: a
//! question in other words than the entries' finds them, a confident wrong
//! answer from the words alone becomes a choice, a symptom still goes to
//! triage, `[faq] semantic = false` ranks by words alone, and `--explain`
//! says which ranking it shows.

use carebot::{Conversation, Engine, Reply, ReplyKind};

use crate::support::{carebot, shipped_engine, shipped_lexical_engine};

fn reply(engine: &Engine, text: &str) -> Reply {
    engine.reply(&mut Conversation::default(), text)
}

#[test]
fn the_shipped_engine_has_the_semantic_layer_and_can_do_without() {
    assert!(shipped_engine().has_semantic_layer());
    assert!(!shipped_lexical_engine().has_semantic_layer());
    assert!(shipped_lexical_engine()
        .rank_faq_by_meaning("opening hours")
        .is_none());
}

#[test]
fn a_question_sharing_no_word_with_the_entries_is_offered_them() {
    let text = "what do I owe and how can I settle it";
    // Words alone find nothing to offer.
    assert_eq!(
        reply(&shipped_lexical_engine(), text).kind,
        ReplyKind::Fallback
    );
    let semantic = reply(&shipped_engine(), text);
    assert_eq!(semantic.kind, ReplyKind::Choices, "{semantic:?}");
    assert!(semantic.choices.contains(&"payment-options".to_string()));
    assert!(semantic.choices.contains(&"billing-questions".to_string()));
}

#[test]
fn a_confident_wrong_answer_from_the_words_becomes_a_choice_with_the_right_entry() {
    let text = "my online account page won't let me in, it just spins forever";
    let words = reply(&shipped_lexical_engine(), text);
    assert_eq!(words.entry.as_deref(), Some("portal-signup"), "{words:?}");
    let semantic = reply(&shipped_engine(), text);
    assert_ne!(semantic.kind, ReplyKind::Answer, "{semantic:?}");
    assert!(
        semantic.choices.contains(&"portal-not-working".to_string()),
        "{semantic:?}"
    );
}

#[test]
fn a_clear_question_is_answered_the_same_either_way() {
    for text in ["what time do you open on saturday", "where can I park"] {
        let words = reply(&shipped_lexical_engine(), text);
        let semantic = reply(&shipped_engine(), text);
        assert_eq!(words.kind, ReplyKind::Answer, "{text}");
        assert_eq!(semantic.entry, words.entry, "{text}");
    }
}

#[test]
fn a_symptom_is_triaged_never_answered_from_the_faq() {
    for text in [
        "I tripped and my ankle is swollen",
        "crushing chest pain and my left arm is numb, what are your opening hours",
    ] {
        let semantic = reply(&shipped_engine(), text);
        assert!(
            matches!(semantic.kind, ReplyKind::Triage | ReplyKind::Question),
            "{text}: {semantic:?}"
        );
        assert!(!semantic.text.contains("Travel vaccines"), "{semantic:?}");
    }
}

#[test]
fn the_explanation_says_which_ranking_it_shows() {
    let engine = shipped_engine();
    let outcome = engine.respond(
        &mut Conversation::default(),
        "what do I owe and how can I settle it",
    );
    assert!(outcome.explanation.semantic);
    assert_eq!(outcome.explanation.candidates[0].entry, "payment-options");
    // A sure question stays on the fast path: the words' ranking.
    let sure = engine.respond(&mut Conversation::default(), "what are your opening hours");
    assert!(!sure.explanation.semantic);
}

/// `carebot ask --json --explain`, optionally with a configuration file.
fn ask(config: Option<&str>, text: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let mut command = carebot();
    if let Some(config) = config {
        let path = dir.path().join("carebot.toml");
        std::fs::write(&path, config).unwrap();
        command.arg("--config").arg(path);
    }
    let output = command
        .args(["ask", "--json", "--explain", "--data"])
        .arg(dir.path().join("data"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            let line = serde_json::json!({"user": "u", "text": text}).to_string();
            child.stdin.take().unwrap().write_all(line.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_configuration_turns_the_layer_off_and_explain_shows_the_ranking_used() {
    let text = "what do I owe and how can I settle it";
    let semantic = ask(None, text);
    assert_eq!(semantic["kind"], "choices");
    assert_eq!(semantic["semantic"], true);
    let words = ask(Some("[faq]\nsemantic = false\n"), text);
    assert_eq!(words["kind"], "fallback");
    assert!(words.get("semantic").is_none(), "{words}");
    // A symptom goes to triage, and the explanation still shows what the FAQ
    // would have offered, by meaning.
    let symptom = ask(None, "I tripped and my ankle is swollen");
    assert_eq!(symptom["kind"], "question");
    assert_eq!(symptom["semantic"], true);
    assert!(symptom["candidates"]
        .as_array()
        .is_some_and(|c| !c.is_empty()));
}

#[test]
fn a_configuration_with_a_misspelt_faq_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carebot.toml");
    std::fs::write(&path, "[faq]\nsemantics = false\n").unwrap();
    let output = carebot()
        .arg("--config")
        .arg(&path)
        .args(["ask", "hello"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("faq.semantics"), "{stderr}");
}

#[test]
fn a_large_bank_is_embedded_in_the_background_while_the_words_answer() {
    // Texts no cache holds yet (unique to this run), in a bank the engine is
    // told to treat as large.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let faq = format!(
        "[[faq]]\nid = \"parking\"\nquestions = [\"where can I park {run}\"]\nanswer = \"Behind the building, bay {run}.\"\nreviewed = 2026-11-01\nowner = \"Practice manager\"\n\n[[faq]]\nid = \"billing\"\nquestions = [\"how do I pay my bill {run}\"]\nanswer = \"Online or by phone, reference {run}.\"\nreviewed = 2026-11-01\nowner = \"Practice manager\"\n"
    );
    let dir = crate::support::temp_knowledge(&[("faq.toml", &faq)]);
    let knowledge = carebot::load_dir(dir.path()).expect("knowledge loads");
    let engine = Engine::new(knowledge).embed_in_background_above(1);
    // The first question does not wait for the embeddings: the words answer.
    let first = engine.respond(&mut Conversation::default(), "settle what I owe");
    assert!(!first.explanation.semantic, "{first:?}");
    // They arrive, and from then on the meaning ranks too.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if let Some(ranked) = engine.rank_faq_by_meaning("settle what I owe") {
            assert_eq!(ranked[0].entry, "billing");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the background embedding never finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let later = engine.respond(&mut Conversation::default(), "settle what I owe");
    assert!(later.explanation.semantic, "{later:?}");
}
