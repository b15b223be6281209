//! Publishing health notices outside the knowledge folder: a clinician's
//! `/notice` in chat is a draft with a preview and the number of
//! subscribers it reaches, published only by its author's confirmation and
//! kept in the store (so it survives restarts and is seen by every process),
//! audited, sent by the same path as the folder's notices, listed by
//! `/notices` while in force, and gone when it ends. Staff's `carebot notice
//! send` runs the real binary against a running `carebot serve`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use carebot::audit::{Action, Actor};
use carebot::clock::{ManualClock, TokioClock};
use carebot::dispatch::{self, Backoff, DeliveryError};
use carebot::{Address, Inbound, Outbound, Reply, Sender, Service};
use carebot_chat::Purpose;

use crate::serve::Deployment;
use crate::support::handoff::{
    doctor_in_channel, every_store, monday_afternoon, nurse, patient, service_on, settings,
    stranger,
};

/// What `sender` is told when they write `text` (a clinician command).
fn clinician(service: &Service, sender: &Sender, text: &str) -> Reply {
    let mut replies = service
        .handle(Inbound::from_text(sender.clone(), text))
        .expect("handled");
    assert_eq!(replies.len(), 1, "{replies:?}");
    replies.remove(0).reply
}

fn say(service: &Service, patient: &Address, text: &str) -> Reply {
    service
        .patient_message(patient, text)
        .expect("replies")
        .reply
}

/// The health notices queued for `patient`.
fn notices_for(service: &Service, patient: &Address) -> Vec<Outbound> {
    service
        .store()
        .outbox_for(patient)
        .unwrap()
        .into_iter()
        .map(|item| item.message)
        .filter(|message| message.purpose == Purpose::HealthNotice)
        .collect()
}

const MEASLES: &str = "/notice outbreaks Measles has been confirmed in our area. Check that your child's MMR vaccinations are up to date.";

#[test]
fn a_clinicians_notice_is_drafted_confirmed_sent_once_listed_and_ends_across_restarts() {
    for place in every_store() {
        let backend = place.backend();
        let clock = Arc::new(ManualClock::new(monday_afternoon()));
        let service = service_on(&place, settings(), clock.clone());
        let (anna, ben, cy) = (patient(1), patient(2), patient(3));
        say(&service, &anna, "/subscribe outbreaks");
        say(&service, &ben, "/subscribe outbreaks, closures");
        say(&service, &cy, "/subscribe weather");

        let draft = clinician(&service, &doctor_in_channel(), MEASLES);
        for wanted in [
            "Draft N-0001, not sent yet",
            "Subscribers to outbreaks (2 now)",
            "Measles has been confirmed in our area",
            // Seven days from Monday 23 November, 14:00 in New York.
            "until Mon 30 Nov 2026",
            "/notice confirm N-0001",
        ] {
            assert!(
                draft.text.contains(wanted),
                "{backend}: {wanted} in {}",
                draft.text
            );
        }
        let buttons: Vec<&str> = draft.buttons.iter().map(|b| b.reply.as_str()).collect();
        assert_eq!(buttons, ["/notice confirm N-0001", "/notice cancel N-0001"]);
        // A draft reaches nobody.
        assert_eq!(service.send_notices().unwrap(), 0, "{backend}");
        assert!(notices_for(&service, &anna).is_empty());
        assert!(!say(&service, &anna, "/notices").text.contains("Measles"));
        drop(service);

        // Confirmed by the button, in another process (a restart here).
        let service = service_on(&place, settings(), clock.clone());
        let published = clinician(&service, &doctor_in_channel(), buttons[0]);
        assert!(
            published
                .text
                .contains("Published N-0001 (outbreaks): queued for 2 subscribers"),
            "{backend}: {}",
            published.text
        );
        for subscriber in [&anna, &ben] {
            let queued = notices_for(&service, subscriber);
            assert_eq!(queued.len(), 1, "{backend}: {queued:?}");
            assert!(queued[0].reply.text.contains("Measles has been confirmed"));
            assert!(queued[0].reply.text.contains("/unsubscribe"));
        }
        assert!(notices_for(&service, &cy).is_empty(), "{backend}");
        let again = clinician(&service, &doctor_in_channel(), buttons[0]);
        assert!(
            again.text.contains("N-0001 was published already"),
            "{}",
            again.text
        );

        // The publication is audited by who, which notice and topics, never its text.
        let audit = service.store().audit_log().unwrap();
        let entry = audit
            .iter()
            .find(|entry| matches!(entry.action, Action::NoticePublished { .. }))
            .expect("audited");
        assert_eq!(
            entry.action,
            Action::NoticePublished {
                notice: "N-0001".into(),
                title: "Outbreaks".into(),
                topics: vec!["outbreaks".into()],
            }
        );
        assert!(matches!(&entry.actor, Actor::Clinician { name, .. } if name == "Dr Lee"));
        assert!(!serde_json::to_string(&audit).unwrap().contains("Measles"));
        assert!(say(&service, &cy, "/notices").text.contains("Measles"));
        // `store check` reads the published notice back with the rest.
        assert_eq!(
            service.store().verify().unwrap().subscriptions,
            3,
            "{backend}"
        );
        drop(service);

        // After a restart: not sent twice, but a new subscriber gets it.
        let service = service_on(&place, settings(), clock.clone());
        assert_eq!(service.send_notices().unwrap(), 0, "{backend}");
        let dee = patient(4);
        say(&service, &dee, "/subscribe outbreaks");
        assert_eq!(service.send_notices().unwrap(), 1, "{backend}");
        let anna_s = notices_for(&service, &anna).remove(0).id;
        service.store().delivered(anna_s).unwrap();
        let list = clinician(&service, &nurse(), "/notice");
        assert!(
            list.text.contains(
                "N-0001 Outbreaks (outbreaks), until Mon 30 Nov 2026, published by Dr Lee: 1 sent, 2 pending, 0 failed"
            ),
            "{backend}: {}",
            list.text
        );

        // Eight days on it has ended: nobody sees it, nobody new gets it.
        clock.advance(Duration::from_secs(8 * 24 * 3600));
        assert!(!say(&service, &anna, "/notices").text.contains("Measles"));
        say(&service, &patient(5), "/subscribe");
        assert_eq!(service.send_notices().unwrap(), 0, "{backend}");
        assert!(clinician(&service, &nurse(), "/notice")
            .text
            .contains("No health notices in force."));
    }
}

#[test]
fn only_a_clinician_drafts_only_its_author_publishes_and_a_cancelled_draft_sends_nothing() {
    for place in every_store() {
        let backend = place.backend();
        let clock = Arc::new(ManualClock::new(monday_afternoon()));
        let service = service_on(&place, settings(), clock.clone());
        let anna = patient(1);
        say(&service, &anna, "/subscribe");

        // Someone who is not a clinician is refused, and that is audited.
        let refused = clinician(&service, &stranger(), "/notice outbreaks Panic!");
        assert!(
            refused.text.contains("only the practice's clinicians"),
            "{}",
            refused.text
        );
        assert!(service.store().published_notices().unwrap().is_empty());
        assert!(service.store().audit_log().unwrap().iter().any(|entry| {
            entry.action
                == Action::CommandRefused {
                    command: "notice".into(),
                }
        }));

        // A topic the practice does not have, or a day gone by.
        let unknown = clinician(&service, &nurse(), "/notice measles Cases in town");
        assert!(
            unknown.text.contains(
                "The practice's topics are: outbreaks, vaccination-clinics, closures, weather"
            ),
            "{}",
            unknown.text
        );
        let past = clinician(
            &service,
            &nurse(),
            "/notice closures until 2026-11-01 Closed",
        );
        assert!(past.text.contains("That day has passed"), "{}", past.text);
        let usage = clinician(&service, &nurse(), "/notice closures");
        assert!(usage.text.starts_with("Usage: /notice"), "{}", usage.text);

        // Dr Lee's draft is Dr Lee's to publish or cancel.
        let draft = clinician(
            &service,
            &doctor_in_channel(),
            "/notice closures until 2026-11-27 Closed on Thanksgiving day.",
        );
        assert!(
            draft.text.contains("until Fri 27 Nov 2026"),
            "{}",
            draft.text
        );
        let not_yours = clinician(&service, &nurse(), "/notice confirm n-1");
        assert!(
            not_yours
                .text
                .contains("N-0001 is Dr Lee's draft: only they can publish or cancel it"),
            "{}",
            not_yours.text
        );
        assert!(clinician(&service, &nurse(), "/notice")
            .text
            .contains("Drafts awaiting confirmation:\n• N-0001 Closures by Dr Lee"));
        let cancelled = clinician(&service, &doctor_in_channel(), "/notice cancel N-0001");
        assert_eq!(cancelled.text, "Cancelled N-0001: nothing was sent.");
        let gone = clinician(&service, &doctor_in_channel(), "/notice confirm N-0001");
        assert!(
            gone.text.contains("There is no draft N-0001"),
            "{}",
            gone.text
        );
        assert_eq!(service.send_notices().unwrap(), 0, "{backend}");
        assert!(notices_for(&service, &anna).is_empty());
        assert!(service.store().audit_log().unwrap().iter().any(|entry| {
            entry.action
                == Action::NoticeCancelled {
                    notice: "N-0001".into(),
                }
        }));
        assert!(!service
            .store()
            .audit_log()
            .unwrap()
            .iter()
            .any(|entry| matches!(entry.action, Action::NoticePublished { .. })));
        // The next draft gets the next number.
        let next = clinician(
            &service,
            &nurse(),
            "/notice weather for 2 days Heat warning: drink water.",
        );
        assert!(next.text.contains("Draft N-0002"), "{}", next.text);
        assert!(next.text.contains("until Wed 25 Nov 2026"), "{}", next.text);
    }
}

#[tokio::test(start_paused = true)]
async fn a_notice_to_a_chat_that_refuses_the_bot_counts_as_failed_the_rest_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::starting_at(monday_afternoon()));
    let service = crate::support::handoff::service_in(dir.path(), settings(), clock);
    let (anna, blocked) = (patient(1), patient(2));
    say(&service, &anna, "/subscribe outbreaks");
    say(&service, &blocked, "/subscribe outbreaks");
    clinician(&service, &nurse(), MEASLES);
    clinician(&service, &nurse(), "/notice confirm N-0001");
    let progress = service.store().notice_progress().unwrap()["N-0001"];
    assert_eq!(
        (progress.queued, progress.sent, progress.pending),
        (2, 0, 2)
    );

    let delivered = Arc::new(Mutex::new(Vec::new()));
    let sink = delivered.clone();
    let refuses = blocked.clone();
    let deliver = move |message: Outbound| {
        let refused = message.to == refuses;
        sink.lock().unwrap().push(message);
        async move {
            if refused {
                Err(DeliveryError::recipient_refuses(
                    "Forbidden: bot was blocked by the user",
                ))
            } else {
                Ok(())
            }
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let dispatcher = tokio::spawn(dispatch::run(
        service.clone(),
        deliver,
        Backoff::default(),
        async {
            let _ = stopped.await;
        },
    ));
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.send(()).unwrap();
    dispatcher.await.unwrap();

    let progress = service.store().notice_progress().unwrap()["N-0001"];
    assert_eq!(
        (
            progress.queued,
            progress.sent,
            progress.pending,
            progress.failed
        ),
        (2, 1, 0, 1)
    );
    assert!(clinician(&service, &nurse(), "/notice")
        .text
        .contains("1 sent, 0 pending, 1 failed"));
}

/// A notice file as staff write it, without `publish_at`: in force when sent.
const HEAT_WAVE: &str = r#"
[[notice]]
id = "heat-wave-2026"
title = "Heat wave this week"
text = "Drink water, stay in the shade, and call {phone} if an older relative seems confused."
topics = ["weather"]
expires_at = 2099-01-01
sources = ["National Weather Service"]
reviewed = 2026-11-20
owner = "Practice manager"
"#;

#[test]
fn staff_send_a_notice_file_to_a_running_carebot_checked_first_and_audited() {
    let deployment = Deployment::new("");
    let mut carebot = deployment.serve();
    carebot.send("anna", "/subscribe weather");
    carebot.next_out("the subscription", |value| {
        value["reply"]["text"]
            .as_str()
            .is_some_and(|text| text.starts_with("Done: you'll get"))
    });
    let outside = tempfile::tempdir().unwrap();
    let send = |file: &str, extra: &[&str]| {
        let mut command = deployment.carebot();
        command
            .env("USER", "frontdesk")
            .args(["notice", "send"])
            .arg(outside.path().join(file))
            .args(extra);
        command.output().expect("carebot notice send runs")
    };

    // A mistake is reported with file and line, and nothing is published.
    std::fs::write(
        outside.path().join("typo.toml"),
        HEAT_WAVE.replace("[\"weather\"]", "[\"wether\"]"),
    )
    .unwrap();
    let output = send("typo.toml", &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("typo.toml:6:"), "{stderr}");
    assert!(
        stderr.contains("`wether` is not a notice topic"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());

    // A dry run shows whom it reaches and what they get, and sends nothing.
    std::fs::write(outside.path().join("heat.toml"), HEAT_WAVE).unwrap();
    let output = send("heat.toml", &["--dry-run"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for wanted in [
        "notice heat-wave-2026: Heat wave this week",
        "topics: weather (1 subscriber now)",
        "in force: from now until",
        "**Notice from",
        // The practice's phone number, filled in.
        "call (555) 010-0100",
        "Dry run: 1 notice checked, nothing published.",
    ] {
        assert!(stdout.contains(wanted), "{wanted} missing from\n{stdout}");
    }

    // Sent for real, through the running carebot's admin socket.
    let output = send("heat.toml", &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Published 1 notice: 1 message queued for subscribers now"),
        "{stdout}"
    );
    let delivered = carebot.next_out("the notice", |value| {
        value["purpose"] == "health_notice" && value["to"] == "terminal:anna"
    });
    assert!(delivered["reply"]["text"]
        .as_str()
        .unwrap()
        .contains("Heat wave this week"));
    let sent = "carebot_notice_messages{notice=\"heat-wave-2026\",state=\"sent\"}";
    let deadline = std::time::Instant::now() + crate::serve::PATIENCE;
    while carebot.metric(sent) != 1.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            carebot.get("/metrics").1
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (_, metrics) = carebot.get("/metrics");
    for line in [
        "carebot_notice_messages{notice=\"heat-wave-2026\",state=\"pending\"} 0",
        "carebot_notice_messages{notice=\"heat-wave-2026\",state=\"failed\"} 0",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
    carebot.wait_for_log(|event| {
        event["fields"]["message"] == "health notice queued for subscribers"
            && event["fields"]["notice"] == "heat-wave-2026"
    });

    // The same id again is refused: it was published already.
    let output = send("heat.toml", &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("notice `heat-wave-2026` was published already"),
        "{stderr}"
    );
    assert!(stderr.contains("by frontdesk"), "{stderr}");

    // It survives a restart: patients still see it.
    let (status, _) = carebot.terminate();
    assert!(status.success(), "{status:?}");
    let mut carebot = deployment.serve();
    let listed = carebot.ask("bea", "/notices");
    assert!(
        listed["reply"]["text"]
            .as_str()
            .unwrap()
            .contains("Heat wave this week"),
        "{listed}"
    );
    let (status, _) = carebot.terminate();
    assert!(status.success(), "{status:?}");

    // Published once, audited under the login at the terminal.
    let store = carebot::Store::open(&deployment.data()).unwrap();
    let published: Vec<_> = store
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|entry| matches!(entry.action, Action::NoticePublished { .. }))
        .collect();
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(
        published[0].actor,
        Actor::Staff {
            login: "frontdesk".into()
        }
    );
    assert_eq!(
        published[0].action,
        Action::NoticePublished {
            notice: "heat-wave-2026".into(),
            title: "Heat wave this week".into(),
            topics: vec!["weather".into()],
        }
    );
}

#[test]
fn notice_send_publishes_straight_into_a_postgresql_store() {
    let Some(url) = crate::support::postgres::database() else {
        return;
    };
    let store = carebot::Store::connect(&url).unwrap();
    store
        .set_subscription(
            &patient(1),
            ["weather".to_string()].into(),
            jiff::Timestamp::now(),
        )
        .unwrap();
    let outside = tempfile::tempdir().unwrap();
    let file = outside.path().join("heat.toml");
    std::fs::write(&file, HEAT_WAVE).unwrap();
    let output = crate::support::carebot()
        .env("USER", "frontdesk")
        .env_remove("CAREBOT_STORE_FILE")
        .args(["--store", &url, "notice", "send"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("(1 subscriber now)"), "{stdout}");
    assert!(stdout.contains("1 message queued"), "{stdout}");
    // Any process sharing the store sees it and its queued message.
    let notice = store
        .published_notice("heat-wave-2026")
        .unwrap()
        .expect("stored");
    assert_eq!(notice.title, "Heat wave this week");
    assert_eq!(store.outbox_for(&patient(1)).unwrap().len(), 1);
}
