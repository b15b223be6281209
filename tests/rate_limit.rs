//! Per-patient rate limiting through the service, on a real sled store: a
//! flood from one patient gets one slow-down notice and is then dropped
//! (nothing of it stored), the patients writing at the same time are answered
//! as usual, the allowance comes back with time, and an emergency always gets
//! through.

use std::sync::Arc;
use std::time::Duration;

use carebot::clock::ManualClock;
use carebot::ratelimit::RateLimit;
use carebot::{Address, Level, Reply, ReplyKind};
use carebot_chat::{Inbound, Sender};

use crate::support::handoff::*;

const EMERGENCY: &str = "crushing chest pain and my left arm is numb";

fn message(from: &Address, text: &str) -> Inbound {
    Inbound::Message {
        from: from.clone(),
        text: text.to_string(),
    }
}

/// The replies the service sends back now, and where to.
fn send(service: &carebot::Service, inbound: Inbound) -> Vec<(Address, Reply)> {
    service
        .handle(inbound)
        .expect("handled")
        .into_iter()
        .map(|delivery| (delivery.to, delivery.reply))
        .collect()
}

fn is_slow_down(reply: &Reply) -> bool {
    reply.kind == ReplyKind::Notice && reply.text.contains("faster than I can answer")
}

#[test]
fn a_flood_gets_one_notice_and_other_patients_are_answered_as_usual() {
    let (_dir, service, clock) = service_at(monday_afternoon());
    let flooder = patient(1);
    let default = RateLimit::default();
    let mut answered = 0;
    let mut notices = Vec::new();
    let mut dropped = 0;
    for n in 0..200 {
        // All within the same second; fifty other patients write meanwhile.
        let replies = send(
            &service,
            message(&flooder, &format!("what time do you open {n}")),
        );
        match replies.as_slice() {
            [] => dropped += 1,
            [(to, reply)] if is_slow_down(reply) => notices.push((n, to.clone(), reply.clone())),
            replies => {
                assert!(replies.iter().all(|(to, _)| to == &flooder), "{replies:?}");
                answered += 1;
            }
        }
        if n % 4 == 0 {
            let other = patient(100 + n / 4);
            let replies = send(&service, message(&other, "what are your opening hours"));
            let answer = replies
                .last()
                .expect("another patient is answered")
                .1
                .clone();
            assert_eq!(answer.kind, ReplyKind::Answer, "{answer:?}");
            assert_eq!(answer.entry.as_deref(), Some("opening-hours"), "{answer:?}");
        }
    }
    assert_eq!(answered, default.burst as usize);
    assert_eq!(notices.len(), 1, "one notice for the whole flood");
    let (at, to, notice) = &notices[0];
    assert_eq!(*at, default.burst);
    assert_eq!(to, &flooder);
    assert!(notice.text.contains("911"), "{}", notice.text);
    assert_eq!(dropped, 200 - default.burst as usize - 1);
    assert_eq!(service.rate_limited(), 200 - u64::from(default.burst));

    // Nothing held back was read into the conversation or stored.
    let record = service
        .store()
        .conversation(&flooder)
        .unwrap()
        .expect("a conversation");
    let last_kept = format!("what time do you open {}", default.burst - 1);
    let said: Vec<&str> = record
        .turns
        .iter()
        .filter(|turn| turn.from_patient)
        .map(|turn| turn.text.as_str())
        .collect();
    assert_eq!(said.last(), Some(&last_kept.as_str()), "{said:?}");

    // Two seconds later (30 a minute) one more message is answered, and the
    // flood, still going, stays quiet.
    clock.advance(Duration::from_secs(2));
    let replies = send(&service, message(&flooder, "what time do you open"));
    assert_eq!(replies.last().unwrap().1.kind, ReplyKind::Answer);
    assert!(send(&service, message(&flooder, "what time do you open")).is_empty());

    // Once the patient has been quiet long enough, the whole allowance is
    // back, and a new flood gets its own notice.
    clock.advance(Duration::from_secs(60));
    for _ in 0..default.burst {
        let replies = send(&service, message(&flooder, "what time do you open"));
        assert_eq!(replies.last().unwrap().1.kind, ReplyKind::Answer);
    }
    let replies = send(&service, message(&flooder, "what time do you open"));
    assert!(
        matches!(replies.as_slice(), [(_, reply)] if is_slow_down(reply)),
        "{replies:?}"
    );
}

#[test]
fn the_answer_to_a_follow_up_question_gets_through_a_flood() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let patient = patient(3);
    // The allowance spent but for one message, which asks about an ankle.
    for n in 1..RateLimit::default().burst {
        send(
            &service,
            message(&patient, &format!("what time do you open {n}")),
        );
    }
    let replies = send(&service, message(&patient, "I twisted my ankle"));
    assert_eq!(replies.last().unwrap().1.kind, ReplyKind::Question);
    // Over the limit now, but each answer is what the bot asked for: each is
    // answered, never with the slow-down notice, never dropped.
    for answer in ["yes", "no"] {
        let replies = send(&service, message(&patient, answer));
        let (_, reply) = replies
            .last()
            .unwrap_or_else(|| panic!("{answer:?} dropped"));
        assert!(!is_slow_down(reply), "{answer:?}: {reply:?}");
        assert!(
            matches!(reply.kind, ReplyKind::Question | ReplyKind::Triage),
            "{answer:?}: {reply:?}"
        );
    }
}

#[test]
fn an_emergency_gets_through_a_flood_and_opens_a_case() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let flooder = patient(2);
    for n in 0..50 {
        send(&service, message(&flooder, &format!("hello {n}")));
    }
    assert!(send(&service, message(&flooder, "hello again")).is_empty());
    let replies = send(&service, message(&flooder, EMERGENCY));
    let triage = replies
        .iter()
        .map(|(_, reply)| reply)
        .find(|reply| reply.kind == ReplyKind::Triage)
        .expect("an emergency reply");
    assert_eq!(triage.level, Some(Level::Emergency));
    assert!(triage.text.contains("911"), "{}", triage.text);
    let cases = service.store().cases().unwrap();
    assert_eq!(cases.len(), 1, "the emergency opened a case");
    assert_eq!(cases[0].patient, flooder);
}

#[test]
fn a_flood_in_a_shared_channel_gets_one_notice_there() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let sender = Sender {
        user: "discord:4242".parse().unwrap(),
        chat: "discord:channel:777".parse().unwrap(),
        name: "Sam".to_string(),
    };
    let public = |text: &str| Inbound::Public {
        sender: sender.clone(),
        text: text.to_string(),
    };
    let mut notices = 0;
    for _ in 0..30 {
        for (to, reply) in send(&service, public("what are your opening hours")) {
            assert_eq!(to, sender.chat, "general answers stay in the channel");
            if is_slow_down(&reply) {
                notices += 1;
            }
        }
    }
    assert_eq!(notices, 1);
}

#[test]
fn clinician_commands_and_local_tools_are_not_limited() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    for _ in 0..50 {
        let replies = send(&service, Inbound::from_text(nurse(), "/cases"));
        assert_eq!(replies.len(), 1);
        assert!(!is_slow_down(&replies[0].1));
    }
    // The terminal chat and `carebot ask` call the service directly.
    let patient = patient(3);
    for _ in 0..50 {
        let response = service
            .patient_message(&patient, "what are your opening hours")
            .unwrap();
        assert_eq!(response.reply.kind, ReplyKind::Answer);
    }
    assert_eq!(service.rate_limited(), 0);
}

#[test]
fn a_configured_limit_replaces_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let service = carebot::Service::new(
        shipped_engine(),
        carebot::Store::open(dir.path()).unwrap(),
        settings(),
        Arc::new(ManualClock::new(monday_afternoon())),
    )
    .with_rate_limit(RateLimit {
        burst: 3,
        per_minute: 6,
    });
    let patient = patient(4);
    let answered = (0..10)
        .filter(|_| {
            send(&service, message(&patient, "what are your opening hours"))
                .iter()
                .any(|(_, reply)| reply.kind == ReplyKind::Answer)
        })
        .count();
    assert_eq!(answered, 3);
}
