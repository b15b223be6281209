//! Health notices in the knowledge folder (`[[notice]]`): in force between
//! `publish_at` and `expires_at`, a notice answers the questions it is about
//! before the FAQ; before and after, it is as if it were not there. A notice
//! file with a mistake is refused with file and line, and `kb check` warns
//! about one that has expired.

use carebot::{Conversation, Engine, Outcome, ReplyKind};

use crate::support::{knowledge_with_notices as knowledge_with, run};

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

/// A service on `knowledge` and `store`, its clock set to `at`.
fn service_with(
    knowledge: &std::path::Path,
    store: carebot::Store,
    at: &str,
) -> std::sync::Arc<carebot::Service> {
    let engine = Engine::new(carebot::load_dir(knowledge).expect("knowledge loads")).lexical_only();
    let clock = carebot::clock::ManualClock::new(at.parse().expect("a timestamp"));
    std::sync::Arc::new(carebot::Service::new(
        std::sync::Arc::new(engine),
        store,
        crate::support::handoff::settings(),
        std::sync::Arc::new(clock),
    ))
}

/// A service on `knowledge` with a store of its own, its clock set to `at`.
fn service_on(
    knowledge: &std::path::Path,
    at: &str,
) -> (tempfile::TempDir, std::sync::Arc<carebot::Service>) {
    let data = tempfile::tempdir().expect("temp dir");
    let store = carebot::Store::open(data.path()).expect("store opens");
    let service = service_with(knowledge, store, at);
    (data, service)
}

#[test]
fn a_patient_asking_for_notices_gets_those_in_force_or_hears_there_are_none() {
    let knowledge = knowledge_with(FLU_CLINICS, TOPICS);
    let patient = carebot::Address::new("telegram", "notices-1");
    let (_data, service) = service_on(knowledge.path(), "2026-10-15T14:00:00Z");
    let reply = service
        .patient_message(&patient, "/notices")
        .expect("replies")
        .reply;
    assert!(
        reply.text.contains("Walk-in flu clinics on Saturdays"),
        "{}",
        reply.text
    );
    // The last day, in the practice's calendar: it ends at midnight on the 29th.
    assert!(
        reply.text.contains("until Sat 28 Nov 2026"),
        "{}",
        reply.text
    );
    assert!(reply.text.contains("12 River Road"), "{}", reply.text);

    let (_data, service) = service_on(knowledge.path(), "2027-01-10T14:00:00Z");
    let reply = service
        .patient_message(&patient, "any health alerts?")
        .expect("replies")
        .reply;
    assert!(reply.text.contains("no notices"), "{}", reply.text);
    assert!(!reply.text.contains("flu clinics"), "{}", reply.text);
}

fn say(service: &carebot::Service, patient: &carebot::Address, text: &str) -> carebot::Reply {
    service
        .patient_message(patient, text)
        .expect("replies")
        .reply
}

#[test]
fn a_patient_subscribes_by_topic_sees_it_in_their_data_and_stops() {
    let knowledge = knowledge_with(FLU_CLINICS, TOPICS);
    let (_data, service) = service_on(knowledge.path(), "2026-10-15T14:00:00Z");
    let patient = carebot::Address::new("telegram", "subscriber-1");
    let list = say(&service, &patient, "/notices");
    assert!(
        list.buttons.iter().any(|b| b.reply == "/subscribe"),
        "{list:?}"
    );
    assert!(list
        .buttons
        .iter()
        .any(|b| b.reply == "/subscribe outbreaks"));
    // Nobody is subscribed without asking.
    assert_eq!(service.store().subscription(&patient).unwrap(), None);

    let done = say(&service, &patient, "/subscribe vaccination clinics");
    assert!(done.text.contains("vaccination-clinics"), "{}", done.text);
    let topics = service
        .store()
        .subscription(&patient)
        .unwrap()
        .expect("subscribed")
        .topics;
    assert_eq!(
        topics.into_iter().collect::<Vec<_>>(),
        ["vaccination-clinics"]
    );

    let refused = say(&service, &patient, "/subscribe flu");
    assert!(
        refused
            .text
            .contains("The topics are: outbreaks, vaccination-clinics, closures"),
        "{}",
        refused.text
    );

    let data = say(&service, &patient, "/mydata");
    assert!(
        data.text
            .contains("You get health notices about: vaccination-clinics"),
        "{}",
        data.text
    );

    let stopped = say(&service, &patient, "stop alerts");
    assert!(
        stopped.text.contains("won't get any more notices"),
        "{}",
        stopped.text
    );
    assert_eq!(service.store().subscription(&patient).unwrap(), None);
}

#[test]
fn forget_me_deletes_the_subscription() {
    let knowledge = knowledge_with(FLU_CLINICS, TOPICS);
    let (_data, service) = service_on(knowledge.path(), "2026-10-15T14:00:00Z");
    let patient = carebot::Address::new("discord", "subscriber-2");
    say(&service, &patient, "subscribe to health alerts");
    assert!(service.store().subscription(&patient).unwrap().is_some());
    let forgotten = say(&service, &patient, "forget me");
    assert!(
        forgotten
            .text
            .contains("your subscription to health notices"),
        "{}",
        forgotten.text
    );
    assert_eq!(service.store().subscription(&patient).unwrap(), None);
}

#[test]
fn a_notice_in_force_is_queued_once_for_each_subscriber_of_its_topics_across_restarts() {
    let knowledge = knowledge_with(FLU_CLINICS, TOPICS);
    for place in crate::support::handoff::every_store() {
        let backend = place.backend();
        let service = service_with(knowledge.path(), place.open(), "2026-10-15T14:00:00Z");
        let flu = carebot::Address::new("telegram", "flu-subscriber");
        let outbreaks = carebot::Address::new("telegram", "outbreak-subscriber");
        let nobody = carebot::Address::new("telegram", "not-subscribed");
        say(&service, &flu, "/subscribe vaccination-clinics");
        say(&service, &outbreaks, "/subscribe outbreaks");
        say(&service, &nobody, "hello");

        assert_eq!(service.send_notices().unwrap(), 1, "{backend}");
        let queued = service.store().outbox_for(&flu).unwrap();
        let notices: Vec<_> = queued
            .iter()
            .filter(|item| item.message.purpose == carebot_chat::Purpose::HealthNotice)
            .collect();
        assert_eq!(notices.len(), 1, "{backend}: {queued:?}");
        assert!(notices[0]
            .message
            .reply
            .text
            .contains("Walk-in flu clinics on Saturdays"));
        assert!(notices[0].message.reply.text.contains("/unsubscribe"));
        for other in [&outbreaks, &nobody] {
            assert!(service
                .store()
                .outbox_for(other)
                .unwrap()
                .iter()
                .all(|item| item.message.purpose != carebot_chat::Purpose::HealthNotice));
        }
        // Again, and after a restart: nothing more.
        assert_eq!(service.send_notices().unwrap(), 0, "{backend}");
        drop(service);
        let restarted = service_with(knowledge.path(), place.open(), "2026-10-16T14:00:00Z");
        assert_eq!(restarted.send_notices().unwrap(), 0, "{backend}");
        assert_eq!(
            restarted.store().verify().unwrap().subscriptions,
            2,
            "{backend}"
        );
        drop(restarted);
        // Once expired, a notice is sent to nobody, not even a new subscriber.
        let late = service_with(knowledge.path(), place.open(), "2026-12-01T14:00:00Z");
        let newcomer = carebot::Address::new("telegram", "late-subscriber");
        say(&late, &newcomer, "/subscribe");
        assert_eq!(late.send_notices().unwrap(), 0, "{backend}");
    }
}

#[test]
fn a_notice_waits_behind_an_emergency_queued_after_it() {
    let knowledge = knowledge_with(FLU_CLINICS, TOPICS);
    let (_data, service) = service_on(knowledge.path(), "2026-10-15T14:00:00Z");
    let patient = carebot::Address::new("telegram", "busy-subscriber");
    say(&service, &patient, "/subscribe");
    assert_eq!(service.send_notices().unwrap(), 1);
    let emergency = say(
        &service,
        &patient,
        "crushing chest pain and my left arm is numb",
    );
    assert_eq!(
        emergency.level,
        Some(carebot::Level::Emergency),
        "{emergency:?}"
    );
    let now: jiff::Timestamp = "2026-10-15T14:00:00Z".parse().unwrap();
    let due = service.store().due(now, 10).unwrap();
    assert!(due.len() >= 2, "{due:?}");
    assert_eq!(due[0].message.priority(), carebot_chat::Priority::Emergency);
    assert_eq!(
        due.last().unwrap().message.purpose,
        carebot_chat::Purpose::HealthNotice
    );
}

#[test]
fn a_notice_answers_only_what_it_is_about() {
    let (_dir, engine) = engine();
    // A general question about flu vaccines is still the FAQ's...
    let general = at(
        &engine,
        "2026-10-15T14:00:00Z",
        "how much does a flu shot cost",
    )
    .reply;
    assert_eq!(general.entry.as_deref(), Some("flu-vaccine"), "{general:?}");
    // ...one about the clinics is the notice's while it is in force, and the
    // FAQ's again afterwards.
    let text = "do I need an appointment for the flu clinic";
    let during = at(&engine, "2026-10-15T14:00:00Z", text).reply;
    assert_eq!(
        during.entry.as_deref(),
        Some("flu-clinics-autumn"),
        "{during:?}"
    );
    let after = at(&engine, "2027-03-01T14:00:00Z", text).reply;
    assert_eq!(after.entry.as_deref(), Some("flu-vaccine"), "{after:?}");
}
