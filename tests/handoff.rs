//! The handoff workflow through the service, on real sled files: cases from
//! rules and from "agent", every clinician command, refusals, after-hours
//! replies, reminders under tokio's paused time, the outbox dispatcher,
//! "what do you know about me", "forget me", and hundreds of patients at once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use carebot::audit::{Action, Actor};
use carebot::clock::TokioClock;
use carebot::dispatch::{self, Backoff, DeliveryError};
use carebot::handoff::{CaseStatus, Trigger};
use carebot::upkeep::{self, Schedule};
use carebot::{Address, CaseId, ClinicianCommand, Level, Outbound, ReplyKind};
use carebot_chat::{Inbound, Purpose};

use crate::support::handoff::*;

const EMERGENCY: &str = "crushing chest pain and my left arm is numb";

fn command(text: &str) -> ClinicianCommand {
    ClinicianCommand::parse(text)
        .expect("a command")
        .expect("well formed")
}

#[test]
fn a_rule_with_handoff_opens_a_case_and_notifies_the_channel() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let patient = patient(1);
    let first = service
        .patient_message(&patient, "I've got chest pain")
        .unwrap();
    assert!(first.notice.is_some(), "first contact gets the notice");
    assert_eq!(first.reply.kind, ReplyKind::Question);
    assert_eq!(first.case, None);
    let second = service
        .patient_message(
            &patient,
            "yes, I'm sweating and it's going down my left arm",
        )
        .unwrap();
    assert!(second.notice.is_none(), "the notice is shown once");
    assert_eq!(second.reply.level, Some(Level::Emergency));
    let id = second.case.expect("a case was opened");
    assert_eq!(id, CaseId(1));
    let next_steps = second
        .handoff
        .expect("the patient is told what happens next");
    assert!(
        next_steps.text.contains("Call 911 now"),
        "{}",
        next_steps.text
    );
    assert!(next_steps.text.contains("C-0001"));
    assert!(
        next_steps.text.contains("(555) 010-0100"),
        "open: the practice's phone: {}",
        next_steps.text
    );

    let case = service.store().case(id).unwrap().unwrap();
    assert_eq!(case.patient, patient);
    assert_eq!(
        case.trigger,
        Trigger::Rule {
            rule: "heart-attack-signs".into()
        }
    );
    assert_eq!(case.status(), CaseStatus::Open);
    assert!(!case.after_hours);
    assert_eq!(
        case.messages,
        [
            "I've got chest pain",
            "yes, I'm sweating and it's going down my left arm"
        ]
    );
    assert_eq!(case.answers.len(), 1);
    assert!(case.answers[0]
        .question
        .contains("heavy, tight or crushing"));

    let outbox = service.store().outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    let notification = &outbox[0].message;
    assert_eq!(notification.to, CHANNEL.parse::<Address>().unwrap());
    assert_eq!(notification.purpose, Purpose::CaseOpened { case: id });
    let text = &notification.reply.text;
    for expected in [
        "C-0001",
        "EMERGENCY",
        "heart-attack-signs",
        "> I've got chest pain",
        "Follow-up answers:",
        "/claim C-0001",
        "/resolve C-0001",
    ] {
        assert!(
            text.contains(expected),
            "notification lacks {expected:?}:\n{text}"
        );
    }
    assert_eq!(notification.reply.buttons[0].reply, "/claim C-0001");

    let log = service.store().audit_log().unwrap();
    assert!(log.iter().any(|e| e.case == Some(id)
        && matches!(
            e.action,
            Action::CaseOpened {
                level: Some(Level::Emergency),
                ..
            }
        )));
}

#[test]
fn after_hours_the_patient_gets_the_after_hours_line() {
    let (_dir, service, _clock) = service_at(sunday_afternoon());
    let response = service.patient_message(&patient(1), EMERGENCY).unwrap();
    let next_steps = response.handoff.unwrap();
    assert!(
        next_steps.text.contains("closed right now"),
        "{}",
        next_steps.text
    );
    assert!(
        next_steps.text.contains("(555) 010-0199"),
        "the after-hours line: {}",
        next_steps.text
    );
    assert!(next_steps.text.contains("Call 911 now"));
    let case = service
        .store()
        .case(response.case.unwrap())
        .unwrap()
        .unwrap();
    assert!(case.after_hours);
    assert!(service.store().outbox().unwrap()[0]
        .message
        .reply
        .text
        .contains("(after hours)"));
}

#[test]
fn agent_opens_a_case_and_asking_again_joins_it() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let patient = patient(2);
    service
        .patient_message(&patient, "when can I get my repeat prescription")
        .unwrap();
    let asked = service.patient_message(&patient, "agent").unwrap();
    let id = asked.case.unwrap();
    assert_eq!(asked.reply.kind, ReplyKind::Notice);
    assert!(
        asked.reply.text.contains("case **C-0001**"),
        "{}",
        asked.reply.text
    );
    let case = service.store().case(id).unwrap().unwrap();
    assert_eq!(case.trigger, Trigger::PatientAsked);
    assert_eq!(case.level, None);
    assert_eq!(
        case.messages.first().map(String::as_str),
        Some("when can I get my repeat prescription")
    );

    for again in ["/agent", "Talk to a nurse please"] {
        let response = service.patient_message(&patient, again).unwrap();
        assert_eq!(response.case, Some(id), "{again} joins the open case");
        assert!(response.reply.text.contains("added this to your case"));
    }
    assert_eq!(service.store().cases().unwrap().len(), 1);
    // Asking for a human in other words, with a greeting, opens a case too.
    let asked = service
        .patient_message(
            &crate::support::handoff::patient(3),
            "hi, i want to speak to a human please",
        )
        .unwrap();
    assert!(asked.case.is_some());
    assert_ne!(asked.case, Some(id));
}

#[test]
fn clinicians_list_show_claim_reply_and_resolve() {
    let (_dir, service, clock) = service_at(monday_afternoon());
    let patient = patient(4);
    let id = service
        .patient_message(&patient, EMERGENCY)
        .unwrap()
        .case
        .unwrap();
    service
        .store()
        .delivered(service.store().outbox().unwrap()[0].message.id)
        .unwrap();

    let list = service
        .clinician_command(&nurse(), command("/cases"))
        .unwrap();
    assert!(
        list.text
            .contains("C-0001 open emergency · heart-attack-signs"),
        "{}",
        list.text
    );
    let shown = service
        .clinician_command(&doctor_in_channel(), command("/case C-0001"))
        .unwrap();
    assert!(
        shown.text.contains("> crushing chest pain"),
        "{}",
        shown.text
    );

    clock.advance(Duration::from_secs(4 * 60));
    let claimed = service
        .clinician_command(&nurse(), command("/claim C-0001"))
        .unwrap();
    assert!(
        claimed.text.contains("You've claimed case C-0001"),
        "{}",
        claimed.text
    );
    let again = service
        .clinician_command(&doctor_in_channel(), command("/claim C-1"))
        .unwrap();
    assert!(
        again.text.contains("already claimed by Nurse Kim"),
        "{}",
        again.text
    );
    let case = service.store().case(id).unwrap().unwrap();
    assert_eq!(case.status(), CaseStatus::Claimed);
    assert_eq!(case.time_to_claim(), Some(Duration::from_secs(240)));
    let outbox = service.store().outbox().unwrap();
    let to_patient: Vec<&Outbound> = outbox
        .iter()
        .map(|i| &i.message)
        .filter(|m| m.to == patient)
        .collect();
    assert_eq!(to_patient.len(), 1);
    assert!(to_patient[0]
        .reply
        .text
        .contains("Nurse Kim from the practice team is looking at your case"));
    assert!(
        outbox
            .iter()
            .any(|i| i.message.to == CHANNEL.parse::<Address>().unwrap()
                && i.message.reply.text.contains("claimed by Nurse Kim")),
        "the channel learns that the nurse took it from her direct chat"
    );

    let sent = service
        .clinician_command(
            &nurse(),
            command("/reply C-0001 Did you call 911? We can call you on 555 0100."),
        )
        .unwrap();
    // No dispatcher runs here: the clinician is told it is queued, not sent.
    assert!(
        sent.text
            .starts_with("Queued for the patient of case C-0001")
            && sent.text.contains("will be delivered"),
        "{}",
        sent.text
    );
    let relayed = service.store().outbox_for(&patient).unwrap();
    let reply = &relayed.last().unwrap().message;
    assert_eq!(reply.purpose, Purpose::ClinicianReply { case: id });
    assert_eq!(
        reply.reply.text,
        "**Nurse Kim (Riverside Family Practice):** Did you call 911? We can call you on 555 0100."
    );

    // The patient's answer goes to the nurse, not into a "sorry, I can't help".
    let answer = service
        .patient_message(&patient, "ambulance is here now thanks")
        .unwrap();
    assert_eq!(answer.case, Some(id));
    assert!(
        answer.reply.text.contains("passed that on to Nurse Kim"),
        "{}",
        answer.reply.text
    );
    let to_nurse = service.store().outbox_for(&nurse().chat).unwrap();
    assert!(to_nurse
        .last()
        .unwrap()
        .message
        .reply
        .text
        .contains("ambulance is here now thanks"));

    let resolved = service
        .clinician_command(
            &nurse(),
            command("/resolve C-0001 taken to hospital by ambulance"),
        )
        .unwrap();
    assert!(resolved.text.contains("resolved"), "{}", resolved.text);
    let case = service.store().case(id).unwrap().unwrap();
    assert_eq!(case.status(), CaseStatus::Resolved);
    assert_eq!(
        case.resolution.as_ref().unwrap().note,
        "taken to hospital by ambulance"
    );
    assert_eq!(
        case.thread.iter().filter(|m| m.clinician.is_some()).count(),
        1
    );
    assert!(service
        .store()
        .outbox_for(&patient)
        .unwrap()
        .last()
        .unwrap()
        .message
        .reply
        .text
        .contains("closed case"));
    let twice = service
        .clinician_command(&nurse(), command("/resolve C-0001 again"))
        .unwrap();
    assert!(twice.text.contains("already resolved"));
    let reply_after = service
        .clinician_command(&nurse(), command("/reply C-0001 hello?"))
        .unwrap();
    assert!(reply_after.text.contains("is resolved"));
    let empty = service
        .clinician_command(&nurse(), command("/cases"))
        .unwrap();
    assert_eq!(empty.text, "No open cases.");
    let missing = service
        .clinician_command(&nurse(), command("/claim C-0099"))
        .unwrap();
    assert!(missing.text.contains("There is no case C-0099"));
    let help = service
        .clinician_command(&nurse(), command("/help"))
        .unwrap();
    assert!(help.text.contains("/resolve C-0042 <note>"));

    let actions: Vec<&str> = service
        .store()
        .audit_log()
        .unwrap()
        .iter()
        .filter(|e| e.case == Some(id))
        .map(|e| e.action.name())
        .collect();
    assert_eq!(
        actions,
        [
            "case_opened",
            "case_read",
            "case_claimed",
            "clinician_replied",
            "case_updated",
            "case_resolved"
        ]
    );
}

#[test]
fn anyone_else_is_refused_and_the_attempt_is_audited() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let id = service
        .patient_message(&patient(5), EMERGENCY)
        .unwrap()
        .case
        .unwrap();
    for text in [
        "/cases",
        "/case C-0001",
        "/claim C-0001",
        "/reply C-0001 hi",
        "/resolve C-0001 done",
    ] {
        let replies = replies_of(service.handle(Inbound::from_text(stranger(), text)));
        assert_eq!(replies.len(), 1);
        assert!(
            replies[0]
                .text
                .starts_with("Sorry, only the practice's clinicians"),
            "{text}: {}",
            replies[0].text
        );
    }
    // A malformed command gets the usage only when a clinician wrote it.
    let stranger_usage = replies_of(service.handle(Inbound::from_text(stranger(), "/claim")));
    assert!(stranger_usage[0].text.starts_with("Sorry, only"));
    let nurse_usage = replies_of(service.handle(Inbound::from_text(nurse(), "/claim")));
    assert!(
        nurse_usage[0].text.contains("/claim C-0042"),
        "{}",
        nurse_usage[0].text
    );
    // Clinicians chatting in their channel are not patients.
    let chatter = service
        .handle(Inbound::from_text(
            doctor_in_channel(),
            "anyone free for lunch?",
        ))
        .unwrap();
    assert!(chatter.is_empty());

    let case = service.store().case(id).unwrap().unwrap();
    assert_eq!(case.status(), CaseStatus::Open);
    assert!(case.thread.is_empty());
    let refusals: Vec<_> = service
        .store()
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.action, Action::CommandRefused { .. }))
        .collect();
    assert_eq!(refusals.len(), 6);
    assert!(refusals.iter().all(|e| e.actor
        == Actor::Unauthorized {
            address: stranger().user,
            chat: stranger().chat
        }));
    assert_eq!(
        service.store().outbox_for(&patient(5)).unwrap().len(),
        0,
        "nothing reached the patient"
    );
}

/// Lets spawned tasks run after the paused clock moved.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn unclaimed_cases_are_reminded_and_the_patient_told_to_phone() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::starting_at(monday_afternoon()));
    let service = service_in(dir.path(), settings(), clock);
    let patient = patient(6);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let schedule = Schedule {
        check_every: Duration::from_secs(60),
        purge_every: Duration::from_secs(24 * 3600),
        ..Schedule::default()
    };
    let upkeep = tokio::spawn(upkeep::run(service.clone(), schedule, async {
        let _ = stopped.await;
    }));
    let id = service
        .patient_message(&patient, EMERGENCY)
        .unwrap()
        .case
        .unwrap();
    let reminders = |service: &carebot::Service| {
        service
            .store()
            .outbox()
            .unwrap()
            .into_iter()
            .filter(|i| i.message.purpose == Purpose::CaseReminder { case: id })
            .count()
    };

    tokio::time::sleep(Duration::from_secs(14 * 60)).await;
    settle().await;
    assert_eq!(reminders(&service), 0, "not yet: 15 minutes is the default");

    tokio::time::sleep(Duration::from_secs(2 * 60)).await;
    settle().await;
    assert_eq!(reminders(&service), 1);
    let to_patient = service.store().outbox_for(&patient).unwrap();
    assert_eq!(to_patient.len(), 1);
    assert!(
        to_patient[0]
            .message
            .reply
            .text
            .contains("Please phone the practice on (555) 010-0100"),
        "{}",
        to_patient[0].message.reply.text
    );
    let reminder = service
        .store()
        .outbox()
        .unwrap()
        .into_iter()
        .find(|i| i.message.purpose == Purpose::CaseReminder { case: id })
        .unwrap();
    assert!(
        reminder
            .message
            .reply
            .text
            .contains("Still unclaimed after 15 min"),
        "{}",
        reminder.message.reply.text
    );

    tokio::time::sleep(Duration::from_secs(15 * 60)).await;
    settle().await;
    assert_eq!(reminders(&service), 2, "reminded again");
    assert_eq!(
        service.store().outbox_for(&patient).unwrap().len(),
        1,
        "the patient is told once"
    );

    service
        .clinician_command(&nurse(), command("/claim C-0001"))
        .unwrap();
    tokio::time::sleep(Duration::from_secs(60 * 60)).await;
    settle().await;
    assert_eq!(reminders(&service), 2, "a claimed case is not reminded");
    assert_eq!(service.store().case(id).unwrap().unwrap().reminders, 2);

    stop.send(()).unwrap();
    upkeep.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_dispatcher_retries_with_backoff_until_delivery_is_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let start = monday_afternoon();
    let clock = Arc::new(TokioClock::starting_at(start));
    let service = service_in(dir.path(), settings(), clock.clone());
    // Two cases: two notifications for the channel, which is down at first.
    service.patient_message(&patient(7), EMERGENCY).unwrap();
    service.patient_message(&patient(8), "agent").unwrap();

    let attempts: Arc<Mutex<Vec<(u64, carebot_chat::OutboundId)>>> = Arc::default();
    let log = attempts.clone();
    let deliver = move |message: Outbound| {
        let log = log.clone();
        let clock = clock.clone();
        async move {
            use carebot::clock::Clock;
            let mut log = log.lock().unwrap();
            let seconds = carebot::clock::elapsed(start, clock.now()).as_secs();
            log.push((seconds, message.id));
            if log.len() <= 3 {
                Err(DeliveryError::new("502 Bad Gateway"))
            } else {
                Ok(())
            }
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let backoff = Backoff {
        first: Duration::from_secs(2),
        max: Duration::from_secs(60),
    };
    let dispatcher = tokio::spawn(dispatch::run(service.clone(), deliver, backoff, async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_secs(30)).await;
    settle().await;
    assert!(
        service.store().outbox().unwrap().is_empty(),
        "everything delivered in the end"
    );
    let attempts = attempts.lock().unwrap().clone();
    let first = attempts[0].1;
    // The first message fails at 0 s, 2 s and 6 s (waits of 2 then 4 seconds)
    // and goes through at 14 s; the second waits its turn behind it.
    assert_eq!(
        attempts.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [0, 2, 6, 14, 14]
    );
    assert!(attempts[..4].iter().all(|(_, id)| *id == first));
    assert_ne!(attempts[4].1, first);
    stop.send(()).unwrap();
    dispatcher.await.unwrap();
}

/// Runs the outbox dispatcher with `deliver` for `how_long` of tokio's
/// (paused) time, then stops it.
async fn dispatch_for<D: dispatch::Deliver + 'static>(
    service: &Arc<carebot::Service>,
    deliver: D,
    how_long: Duration,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let dispatcher = tokio::spawn(dispatch::run(
        service.clone(),
        deliver,
        Backoff::default(),
        async {
            let _ = stopped.await;
        },
    ));
    tokio::time::sleep(how_long).await;
    settle().await;
    stop.send(()).unwrap();
    dispatcher.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_patient_who_blocked_the_bot_is_given_up_on_clinicians_are_told_and_notices_stop() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::starting_at(monday_afternoon()));
    let service = service_in(dir.path(), settings(), clock);
    let blocked = patient(11);
    service.patient_message(&blocked, "/subscribe").unwrap();
    assert!(service.store().subscription(&blocked).unwrap().is_some());
    let case = service
        .patient_message(&blocked, "agent")
        .unwrap()
        .case
        .unwrap();
    // Claimed and answered: two messages for the patient, who has since
    // blocked the bot, and the notification for the channel.
    service
        .clinician_command(&nurse(), command(&format!("/claim {case}")))
        .unwrap();
    service
        .clinician_command(
            &nurse(),
            command(&format!("/reply {case} please call us back")),
        )
        .unwrap();
    let delivered: Arc<Mutex<Vec<Outbound>>> = Arc::default();
    let attempts = Arc::new(Mutex::new(0));
    let (sink, tries, patient) = (delivered.clone(), attempts.clone(), blocked.clone());
    let deliver = move |message: Outbound| {
        let refused = message.to == patient;
        if refused {
            *tries.lock().unwrap() += 1;
        } else {
            sink.lock().unwrap().push(message);
        }
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
    dispatch_for(&service, deliver, Duration::from_secs(3600)).await;
    assert!(service.store().outbox().unwrap().is_empty());
    assert_eq!(
        *attempts.lock().unwrap(),
        2,
        "each message to the patient tried once, not retried for an hour"
    );
    let delivered = delivered.lock().unwrap().clone();
    let alerts: Vec<&Outbound> = delivered
        .iter()
        .filter(|message| message.purpose == Purpose::Alert)
        .collect();
    assert_eq!(alerts.len(), 1, "one alert for the case: {delivered:?}");
    assert_eq!(alerts[0].to.to_string(), CHANNEL);
    let text = &alerts[0].reply.text;
    assert!(text.contains(&case.to_string()), "{text}");
    assert!(text.contains("another way"), "{text}");
    assert!(
        !text.contains("please call us back"),
        "no message text: {text}"
    );
    // Nor do they get health notices any more.
    assert_eq!(service.store().subscription(&blocked).unwrap(), None);
}

#[tokio::test(start_paused = true)]
async fn a_clinician_channel_that_refuses_the_bot_is_retried_not_given_up() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::starting_at(monday_afternoon()));
    let service = service_in(dir.path(), settings(), clock);
    service.patient_message(&patient(12), EMERGENCY).unwrap();
    let attempts = Arc::new(Mutex::new(0));
    let tries = attempts.clone();
    let deliver = move |_message: Outbound| {
        *tries.lock().unwrap() += 1;
        async {
            Err(DeliveryError::recipient_refuses(
                "Forbidden: bot was kicked from the group chat",
            ))
        }
    };
    dispatch_for(&service, deliver, Duration::from_secs(3600)).await;
    let outbox = service.store().outbox().unwrap();
    assert_eq!(outbox.len(), 1, "the case notification is kept");
    assert!(outbox[0].attempts > 1);
    assert!(*attempts.lock().unwrap() > 1);
}

#[tokio::test(start_paused = true)]
async fn the_dispatcher_delivers_new_messages_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::starting_at(monday_afternoon()));
    let service = service_in(dir.path(), settings(), clock);
    let delivered: Arc<Mutex<Vec<Outbound>>> = Arc::default();
    let sink = delivered.clone();
    let deliver = move |message: Outbound| {
        sink.lock().unwrap().push(message);
        async { Ok(()) }
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
    settle().await;
    let before = tokio::time::Instant::now();
    service.patient_message(&patient(9), "agent").unwrap();
    settle().await;
    assert_eq!(delivered.lock().unwrap().len(), 1);
    assert_eq!(
        before.elapsed(),
        Duration::ZERO,
        "woken by the queue, not by a timer"
    );
    stop.send(()).unwrap();
    dispatcher.await.unwrap();
}

#[test]
fn what_do_you_know_about_me_shows_everything_and_is_audited() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let patient = patient(10);
    service
        .patient_message(&patient, "I've got chest pain")
        .unwrap();
    service
        .patient_message(&patient, "yes it goes down my left arm")
        .unwrap();
    let data = service
        .patient_message(&patient, "what do you know about me?")
        .unwrap();
    let text = &data.reply.text;
    for expected in [
        "You first wrote on Mon 23 Nov 2026 14:00 EST",
        "> I've got chest pain",
        "Case C-0001 (open)",
        "forget me",
    ] {
        assert!(text.contains(expected), "lacks {expected:?}:\n{text}");
    }
    let reads = service
        .store()
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| e.action == Action::PatientDataRead && e.patient.as_ref() == Some(&patient))
        .count();
    assert_eq!(reads, 1);
    let nothing = service
        .patient_message(&crate::support::handoff::patient(11), "/mydata")
        .unwrap();
    assert!(
        nothing.reply.text.contains("first wrote"),
        "the first contact itself is stored"
    );
}

#[test]
fn forget_me_deletes_everything_but_the_record_of_the_deletion() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let patient = patient(12);
    let other = patient_other();
    service.patient_message(&other, "agent").unwrap();
    let id = service
        .patient_message(&patient, EMERGENCY)
        .unwrap()
        .case
        .unwrap();
    service
        .clinician_command(&nurse(), command("/reply C-0002 are you safe?"))
        .unwrap();
    service.patient_message(&patient, "/mydata").unwrap();
    assert_eq!(id, CaseId(2));

    let response = service.patient_message(&patient, "forget me").unwrap();
    assert!(
        response.reply.text.contains("deleted everything"),
        "{}",
        response.reply.text
    );
    let data = service.store().patient_data(&patient).unwrap();
    assert!(
        data.conversation.is_none()
            && data.notice.is_none()
            && data.cases.is_empty()
            && data.outbox.is_empty(),
        "{data:?}"
    );
    assert!(
        service
            .store()
            .outbox()
            .unwrap()
            .iter()
            .all(|i| i.message.purpose.case() != Some(id)),
        "notifications about the case are gone too"
    );
    let naming: Vec<_> = service
        .store()
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| e.patient.as_ref() == Some(&patient) || e.case == Some(id))
        .collect();
    assert_eq!(naming.len(), 1, "{naming:?}");
    assert_eq!(
        naming[0].action,
        Action::PatientDataDeleted {
            cases: vec![id],
            conversation: true,
            outbox: 2
        }
    );
    // Other patients keep their data.
    assert_eq!(service.store().patient_data(&other).unwrap().cases.len(), 1);
    let claim = service
        .clinician_command(&nurse(), command("/claim C-0002"))
        .unwrap();
    assert_eq!(
        claim.text,
        "Case C-0002 was deleted at the patient's request."
    );
    // Writing again starts afresh, with the notice.
    assert!(service
        .patient_message(&patient, "hello")
        .unwrap()
        .notice
        .is_some());
}

/// Every file under `dir` that contains `word` in any case, as bytes.
fn files_containing(dir: &std::path::Path, word: &str) -> Vec<std::path::PathBuf> {
    let word = word.to_lowercase().into_bytes();
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap().to_ascii_lowercase();
                if bytes.windows(word.len()).any(|w| w == word.as_slice()) {
                    found.push(path);
                }
            }
        }
    }
    found
}

#[test]
fn what_a_patient_wrote_is_never_readable_in_the_data_folder_and_forget_me_takes_it_from_the_report(
) {
    let (dir, service, _clock) = service_at(monday_afternoon());
    let patient = patient(14);
    let other = patient_other();
    service
        .patient_message(&patient, "is the zorblat quokka allowed to play the tuba")
        .unwrap();
    service
        .patient_message(&other, "is the zorblat quokka allowed to play the tuba")
        .unwrap();
    let case = service
        .patient_message(
            &patient,
            "crushing chest pain since I fed the quokka, going down my left arm",
        )
        .unwrap()
        .case
        .unwrap();
    service
        .clinician_command(
            &nurse(),
            command(&format!("/reply {case} is the quokka with you?")),
        )
        .unwrap();
    let asked = |service: &carebot::Service| -> u64 {
        service
            .store()
            .unanswered()
            .unwrap()
            .iter()
            .filter(|q| q.text.contains("quokka"))
            .map(|q| q.count)
            .sum()
    };
    assert_eq!(
        asked(&service),
        2,
        "both patients' question is in the report"
    );
    assert!(service.store().cases().unwrap()[0]
        .messages
        .iter()
        .any(|m| m.contains("quokka")));
    service.store().flush().unwrap();
    assert_eq!(
        files_containing(dir.path(), "quokka"),
        Vec::<std::path::PathBuf>::new(),
        "patients' words are sealed at rest"
    );
    let keys = || -> usize {
        std::fs::read(dir.path().join(carebot::store::KEYS_FILE))
            .unwrap()
            .chunks(64)
            .filter(|slot| slot.iter().any(|&b| b != 0))
            .count()
    };
    let keys_before = keys();

    service.patient_message(&patient, "forget me").unwrap();
    assert_eq!(
        asked(&service),
        1,
        "only the other patient's question is left"
    );
    assert!(service.store().cases().unwrap().is_empty());
    assert_eq!(keys(), keys_before - 1, "the patient's key is destroyed");
    assert!(files_containing(dir.path(), "quokka").is_empty());
}

fn patient_other() -> Address {
    Address::new("discord", "555")
}

#[test]
fn an_idle_conversation_starts_afresh_after_its_time_to_live() {
    let (_dir, service, clock) = service_at(monday_afternoon());
    let patient = patient(13);
    let question = service
        .patient_message(&patient, "I've got chest pain")
        .unwrap();
    assert_eq!(question.reply.kind, ReplyKind::Question);
    clock.advance(Duration::from_secs(25 * 3600));
    let later = service.patient_message(&patient, "yes").unwrap();
    assert_ne!(
        later.reply.entry.as_deref(),
        Some("heart-attack-signs"),
        "yesterday's question no longer applies"
    );
    assert_eq!(later.case, None);
}

#[test]
fn the_engine_can_be_swapped_while_conversations_go_on() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let patient = patient(14);
    service
        .patient_message(&patient, "I've got chest pain")
        .unwrap();
    let reloaded = carebot::load_dir(&root().join("knowledge")).unwrap();
    service.set_engine(Arc::new(carebot::Engine::new(reloaded)));
    let advice = service
        .patient_message(&patient, "yes, sweating and it spreads to my jaw")
        .unwrap();
    assert_eq!(advice.reply.entry.as_deref(), Some("heart-attack-signs"));
    assert!(advice.case.is_some());
}

/// A short tag made of letters only, different for every `n`.
fn tag(mut n: usize) -> String {
    let mut tag = String::from("zz");
    loop {
        tag.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            return tag;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundreds_of_patients_at_once_each_get_their_own_conversation() {
    const PATIENTS: usize = 300;
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let tasks: Vec<_> = (0..PATIENTS)
        .map(|n| {
            let service = service.clone();
            tokio::spawn(async move {
                let patient = Address::new("telegram", format!("p{n}"));
                let first = service
                    .patient_message(&patient, &format!("I've got chest pain, ref {}", tag(n)))
                    .unwrap();
                assert_eq!(first.reply.kind, ReplyKind::Question, "patient {n}");
                assert!(first.notice.is_some(), "patient {n} is new");
                tokio::task::yield_now().await;
                let second = service.patient_message(&patient, "no").unwrap();
                assert_ne!(
                    second.reply.kind,
                    ReplyKind::Question,
                    "patient {n}: the answer was theirs"
                );
                if n % 10 == 0 {
                    let case = service
                        .patient_message(&patient, "agent")
                        .unwrap()
                        .case
                        .unwrap();
                    Some((n, case))
                } else {
                    None
                }
            })
        })
        .collect();
    let mut cases = Vec::new();
    for task in tasks {
        cases.extend(task.await.unwrap());
    }
    assert_eq!(service.store().conversation_count(), PATIENTS);
    for n in 0..PATIENTS {
        let record = service
            .store()
            .conversation(&Address::new("telegram", format!("p{n}")))
            .unwrap()
            .unwrap();
        let said: Vec<&str> = record
            .turns
            .iter()
            .filter(|t| t.from_patient)
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(
            said[0],
            format!("I've got chest pain, ref {}", tag(n)),
            "patient {n} sees only their own messages"
        );
        assert_eq!(said[1], "no");
        assert_eq!(said.len(), if n % 10 == 0 { 3 } else { 2 });
    }
    // Chest pain without the warning signs opens a case too (an urgent rule
    // with handoff), so most patients have one; "agent" joins it.
    let stored = service.store().cases().unwrap();
    let ids: Vec<u64> = stored.iter().map(|case| case.id.0).collect();
    assert_eq!(
        ids,
        (1..=stored.len() as u64).collect::<Vec<_>>(),
        "case numbers are unique and gapless"
    );
    let patients: std::collections::HashSet<&Address> =
        stored.iter().map(|case| &case.patient).collect();
    assert_eq!(patients.len(), stored.len(), "one case per patient");
    for (n, id) in cases {
        let case = service.store().case(id).unwrap().unwrap();
        assert_eq!(case.patient, Address::new("telegram", format!("p{n}")));
    }
}

/// The replies of a handled message, which all go back to the chat it came from.
fn replies_of(
    deliveries: Result<Vec<carebot_chat::Delivery>, carebot::service::ServiceError>,
) -> Vec<carebot_chat::Reply> {
    deliveries.unwrap().into_iter().map(|d| d.reply).collect()
}

#[test]
fn alerts_about_carebot_go_where_notifications_go_and_survive_forget_me() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let alert = carebot::Reply::plain(ReplyKind::Notice, "the knowledge files have errors");
    assert_eq!(service.alert_clinicians(alert.clone()).unwrap(), 1);
    let outbox = service.store().outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].message.to, CHANNEL.parse::<Address>().unwrap());
    assert_eq!(outbox[0].message.purpose, Purpose::Alert);
    assert_eq!(outbox[0].message.purpose.case(), None);
    assert_eq!(outbox[0].message.reply, alert);

    // A patient's "forget me" deletes what concerns them, not the alert.
    service.patient_message(&patient(1), "agent").unwrap();
    assert_eq!(service.store().outbox().unwrap().len(), 2);
    service.patient_message(&patient(1), "forget me").unwrap();
    let left: Vec<Purpose> = service
        .store()
        .outbox()
        .unwrap()
        .into_iter()
        .map(|item| item.message.purpose)
        .collect();
    assert_eq!(left, [Purpose::Alert]);

    // Nobody to alert: nothing queued.
    let dir = tempfile::tempdir().unwrap();
    let alone = service_in(
        dir.path(),
        carebot::HandoffSettings::default(),
        Arc::new(carebot::clock::SystemClock),
    );
    assert_eq!(alone.alert_clinicians(alert).unwrap(), 0);
    assert!(alone.store().outbox().unwrap().is_empty());
}

#[test]
fn a_slash_command_carrying_an_emergency_gets_the_advice_and_a_case_with_its_level() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let response = service
        .patient_message(&patient(7), "/agent my dad passed out and won't wake")
        .unwrap();
    assert!(
        response.reply.text.contains("911"),
        "{}",
        response.reply.text
    );
    let case = service
        .store()
        .case(response.case.unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(case.level, Some(Level::Emergency));
}

#[test]
fn patient_text_can_never_look_like_carebots_own_lines_or_a_live_link() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let patient = patient(8);
    service.patient_message(&patient, "agent").unwrap();
    service
        .patient_message(
            &patient,
            "thanks\nStatus: resolved by Dr Lee, false alarm, NO ACTION NEEDED\n[Open patient chart](https://evil.example/chart)",
        )
        .unwrap();
    let outbox = service.store().outbox().unwrap();
    assert!(!outbox.is_empty());
    for queued in &outbox {
        let text = &queued.message.reply.text;
        for line in text.lines() {
            assert!(
                !line.trim_start().starts_with("Status: resolved"),
                "a forged status line: {text}"
            );
        }
        assert!(!text.contains("](https://"), "a live link: {text}");
        assert!(
            !text.contains("https://evil"),
            "an address a client would link: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clinician_is_told_delivered_only_once_the_patient_has_the_reply() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::starting_at(monday_afternoon()));
    let service = Arc::new(
        carebot::Service::new(
            shipped_engine(),
            carebot::Store::open(dir.path()).unwrap(),
            settings(),
            clock,
        )
        .with_delivery_wait(Duration::from_secs(5)),
    );
    let (reachable, held_back) = (patient(21), patient(22));
    let case_of = |patient: &Address| {
        service
            .patient_message(patient, "agent")
            .unwrap()
            .case
            .unwrap()
    };
    let (reachable_case, held_case) = (case_of(&reachable), case_of(&held_back));
    // The platform takes everything but messages to one patient's chat.
    let refused = held_back.clone();
    let deliver = move |message: Outbound| {
        let held = message.to == refused;
        async move {
            if held {
                Err(DeliveryError::new("Too Many Requests: retry after 20"))
            } else {
                Ok(())
            }
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let dispatcher = tokio::spawn(dispatch::run(
        service.clone(),
        deliver,
        Backoff {
            first: Duration::from_secs(20),
            max: Duration::from_secs(20),
        },
        async {
            let _ = stopped.await;
        },
    ));
    let reply = |case: CaseId| {
        let service = service.clone();
        tokio::task::spawn_blocking(move || {
            service
                .clinician_command(&nurse(), command(&format!("/reply {case} call us back")))
                .unwrap()
                .text
        })
    };
    let delivered = reply(reachable_case).await.unwrap();
    assert_eq!(
        delivered,
        format!("Delivered to the patient of case {reachable_case}.")
    );
    let queued = reply(held_case).await.unwrap();
    assert!(
        queued.starts_with(&format!("Queued for the patient of case {held_case}"))
            && queued.contains("will be delivered"),
        "{queued}"
    );
    assert!(service
        .store()
        .outbox_for(&held_back)
        .unwrap()
        .iter()
        .any(|item| item.message.purpose == Purpose::ClinicianReply { case: held_case }));
    stop.send(()).unwrap();
    dispatcher.await.unwrap();
}

#[test]
fn a_message_that_makes_a_case_an_emergency_is_sent_as_urgently_as_a_new_one() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let worried = patient(23);
    let case = service
        .patient_message(&worried, "agent")
        .unwrap()
        .case
        .unwrap();
    service
        .patient_message(&worried, "sorry, one more thing: how do I pay my bill")
        .unwrap();
    service.patient_message(&worried, EMERGENCY).unwrap();
    let to_channel: Vec<Outbound> = service
        .store()
        .outbox()
        .unwrap()
        .into_iter()
        .map(|item| item.message)
        .filter(|message| message.to.to_string() == CHANNEL)
        .collect();
    let escalated = to_channel
        .iter()
        .find(|message| message.purpose == Purpose::CaseEscalated { case })
        .expect("the escalation, not an ordinary update");
    assert_eq!(escalated.priority(), carebot_chat::Priority::Emergency);
    assert!(
        escalated.reply.text.starts_with("🚨 Case now an emergency"),
        "{}",
        escalated.reply.text
    );
    // It goes before the update queued before it.
    let next = service.store().next_per_recipient().unwrap();
    let first_for_channel = next
        .iter()
        .find(|item| item.message.to.to_string() == CHANNEL)
        .unwrap();
    assert_eq!(
        first_for_channel.message.purpose,
        Purpose::CaseEscalated { case }
    );
}
