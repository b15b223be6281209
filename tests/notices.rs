//! Health notices in the knowledge folder (`[[notice]]`): in force between
//! `publish_at` and `expires_at`, a notice answers the questions it is about
//! before the FAQ; before and after, it is as if it were not there. A notice
//! file with a mistake is refused with file and line, and `kb check` warns
//! about one that has expired.

use carebot::{Conversation, Engine, Outcome, ReplyKind};

use crate::support::{copy_dir, run, shipped_dir};

const FLU_CLINICS: &str = r#"
[[notice]]
id = "flu-clinics-autumn"
title = "Walk-in flu clinics on Saturdays"
text = """
Our walk-in **flu clinics** run on Saturdays from 9am to noon until 28 November, at {address}. No appointment needed.
"""
topics = ["vaccination-clinics"]
publish_at = 2026-10-01
expires_at = 2026-11-29
questions = ["is there a flu clinic this week", "when is the flu clinic on", "can I just walk in for a flu jab"]
keywords = ["flu clinic", "walk-in"]
sources = ["CDC: Who needs a flu vaccine"]
reviewed = 2026-09-20
owner = "Practice manager"
"#;

/// The shipped knowledge with notice topics and `notices` (a file's text).
fn knowledge_with(notices: &str, topics: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&shipped_dir(), dir.path());
    let practice_path = dir.path().join("practice.toml");
    let practice = std::fs::read_to_string(&practice_path).expect("practice.toml");
    // The shipped practice.toml lists topics; these tests choose their own.
    let practice: String = practice
        .lines()
        .map(|line| {
            if line.starts_with("notice_topics = ") {
                format!("notice_topics = {topics}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    assert!(practice.contains(&format!("notice_topics = {topics}")));
    std::fs::write(&practice_path, practice).expect("write practice.toml");
    std::fs::create_dir_all(dir.path().join("notices")).expect("mkdir");
    std::fs::write(dir.path().join("notices/autumn.toml"), notices).expect("write notice");
    dir
}

const TOPICS: &str = r#"["outbreaks", "vaccination-clinics", "closures"]"#;

fn engine() -> (tempfile::TempDir, Engine) {
    let dir = knowledge_with(FLU_CLINICS, TOPICS);
    let knowledge = carebot::load_dir(dir.path()).expect("knowledge with a notice loads");
    (dir, Engine::new(knowledge).lexical_only())
}

fn at(engine: &Engine, when: &str, text: &str) -> Outcome {
    let now: jiff::Timestamp = when.parse().expect("a timestamp");
    engine.respond_at(&mut Conversation::default(), text, now)
}

#[test]
fn a_notice_in_force_answers_before_the_faq() {
    let (_dir, engine) = engine();
    let reply = at(
        &engine,
        "2026-10-15T14:00:00Z",
        "is there a flu clinic this week?",
    )
    .reply;
    assert_eq!(reply.kind, ReplyKind::Answer, "{reply:?}");
    assert_eq!(reply.entry.as_deref(), Some("flu-clinics-autumn"));
    // Placeholders are filled in from practice.toml.
    assert!(reply.text.contains("12 River Road"), "{}", reply.text);
    assert!(!reply.text.contains("{address}"));
}

#[test]
fn a_notice_is_not_seen_before_it_is_published_or_after_it_expires() {
    let (_dir, engine) = engine();
    for when in [
        "2026-09-30T12:00:00Z",
        "2026-11-29T12:00:00Z",
        "2027-03-01T12:00:00Z",
    ] {
        let reply = at(&engine, when, "is there a flu clinic this week?").reply;
        assert_ne!(
            reply.entry.as_deref(),
            Some("flu-clinics-autumn"),
            "{when}: {reply:?}"
        );
    }
    // The practice's own midnight, not UTC's: in New York the notice ends at
    // 05:00 UTC on 29 November.
    let last_evening = at(&engine, "2026-11-29T03:00:00Z", "when is the flu clinic on").reply;
    assert_eq!(last_evening.entry.as_deref(), Some("flu-clinics-autumn"));
}

#[test]
fn a_health_problem_is_triaged_even_while_a_notice_is_in_force() {
    let (_dir, engine) = engine();
    let reply = at(
        &engine,
        "2026-10-15T14:00:00Z",
        "I have flu and now I can't breathe properly, is there a flu clinic?",
    )
    .reply;
    assert_eq!(reply.kind, ReplyKind::Triage, "{reply:?}");
    assert_ne!(reply.entry.as_deref(), Some("flu-clinics-autumn"));
}

fn load_errors(notices: &str, topics: &str) -> String {
    let dir = knowledge_with(notices, topics);
    let problems = carebot::load_dir(dir.path()).expect_err("the notice is refused");
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_notice_on_a_topic_the_practice_does_not_list_is_refused_with_its_line() {
    let errors = load_errors(
        &FLU_CLINICS.replace("\"vaccination-clinics\"", "\"vacination-clinics\""),
        TOPICS,
    );
    assert!(errors.contains("notices/autumn.toml:8:"), "{errors}");
    assert!(
        errors.contains("`vacination-clinics` is not a notice topic"),
        "{errors}"
    );
    assert!(errors.contains("vaccination-clinics"), "{errors}");
    // A practice that lists no topics is told where to list them.
    let errors = load_errors(FLU_CLINICS, "[]");
    assert!(errors.contains("notice_topics"), "{errors}");
}

#[test]
fn a_notice_that_expires_before_it_is_published_or_has_no_date_is_refused() {
    let errors = load_errors(
        &FLU_CLINICS.replace("expires_at = 2026-11-29", "expires_at = 2026-09-01"),
        TOPICS,
    );
    assert!(errors.contains("notices/autumn.toml:10:"), "{errors}");
    assert!(
        errors.contains("expires before it is published"),
        "{errors}"
    );
    let errors = load_errors(
        &FLU_CLINICS.replace("publish_at = 2026-10-01", "publish_at = \"next week\""),
        TOPICS,
    );
    assert!(errors.contains("notices/autumn.toml:9:"), "{errors}");
    assert!(errors.contains("`publish_at` must be a date"), "{errors}");
}

#[test]
fn kb_check_warns_about_an_expired_notice() {
    // The notice ended on 29 November 2026: before today's date on every
    // machine that runs this test.
    let dir = knowledge_with(FLU_CLINICS, TOPICS);
    let output = run(
        &["kb", "check", dir.path().to_str().expect("utf-8 path")],
        b"",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let all = format!("{stdout}{stderr}");
    assert!(
        all.contains("notice `flu-clinics-autumn` expired on 2026-11-29"),
        "{all}"
    );
}
