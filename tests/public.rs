//! Messages to the bot in shared channels (groups, server channels): general
//! questions are answered there; health matters move to the asker's private
//! chat and are never discussed in public.

use carebot::{Address, Inbound, ReplyKind, Sender};

use crate::support::handoff::{monday_afternoon, service_at};

fn in_group(name: &str) -> Sender {
    Sender {
        user: "telegram:321".parse().unwrap(),
        chat: "telegram:-777".parse().unwrap(),
        name: name.to_string(),
    }
}

#[test]
fn general_questions_are_answered_in_the_group() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let sender = in_group("Sam");
    let deliveries = service
        .handle(Inbound::Public {
            sender: sender.clone(),
            text: "what are your opening hours?".into(),
        })
        .unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].to, sender.chat);
    assert_eq!(deliveries[0].reply.entry.as_deref(), Some("opening-hours"));
    // Nothing was stored about Sam: a general question in public is not a conversation.
    let stored = service.store().patient_data(&sender.user).unwrap();
    assert!(
        stored.notice.is_none() && stored.conversation.is_none() && stored.cases.is_empty(),
        "{stored:?}"
    );
}

#[test]
fn symptoms_move_to_a_private_chat_and_stay_out_of_the_group() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let sender = in_group("Sam");
    let deliveries = service
        .handle(Inbound::Public {
            sender: sender.clone(),
            text: "I twisted my ankle playing football, is that bad?".into(),
        })
        .unwrap();
    let public: Vec<_> = deliveries.iter().filter(|d| d.to == sender.chat).collect();
    let private: Vec<_> = deliveries.iter().filter(|d| d.to == sender.user).collect();
    assert_eq!(public.len(), 1, "{deliveries:#?}");
    assert_eq!(public[0].reply.kind, ReplyKind::Notice);
    assert!(public[0].reply.text.contains("private message"));
    assert!(
        !public[0].reply.text.to_lowercase().contains("ankle"),
        "no health details in public"
    );
    assert!(
        private.iter().any(|d| d.reply.kind == ReplyKind::Question),
        "the follow-up question goes to the private chat: {private:#?}"
    );
    // The conversation continues privately.
    let answer = service
        .handle(Inbound::Message {
            from: sender.user.clone(),
            text: "nope, can't walk on it".into(),
        })
        .unwrap();
    assert!(answer.iter().any(|d| d.reply.kind == ReplyKind::Triage));
}

#[test]
fn an_emergency_in_public_names_the_emergency_number_there_too() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let sender = in_group("Sam");
    let deliveries = service
        .handle(Inbound::Public {
            sender: sender.clone(),
            text: "my dad has crushing chest pain and his left arm is numb".into(),
        })
        .unwrap();
    let public = deliveries.iter().find(|d| d.to == sender.chat).unwrap();
    assert!(public.reply.text.contains("911"), "{}", public.reply.text);
    assert!(!public.reply.text.contains("chest"));
    let private_emergency = deliveries
        .iter()
        .any(|d| d.to == sender.user && d.reply.level == Some(carebot::Level::Emergency));
    assert!(private_emergency);
}

#[test]
fn patient_commands_in_public_are_taken_up_privately() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let sender = in_group("Sam");
    let deliveries = service
        .handle(Inbound::Public {
            sender: sender.clone(),
            text: "/agent".into(),
        })
        .unwrap();
    let to: Vec<&Address> = deliveries.iter().map(|d| &d.to).collect();
    assert!(
        to.contains(&&sender.user) && to.contains(&&sender.chat),
        "{to:?}"
    );
}

#[test]
fn asking_for_a_person_in_a_group_opens_a_case_in_private() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let sender = in_group("Sam");
    let deliveries = service
        .handle(Inbound::Public {
            sender: sender.clone(),
            text: "hi @carebot can I talk to a nurse today?".into(),
        })
        .unwrap();
    let public: Vec<_> = deliveries.iter().filter(|d| d.to == sender.chat).collect();
    assert_eq!(public.len(), 1, "{deliveries:#?}");
    assert!(public[0].reply.text.contains("private message"));
    assert!(
        deliveries
            .iter()
            .any(|d| d.to == sender.user && d.reply.text.contains("C-0001")),
        "the case is opened and told in private: {deliveries:#?}"
    );
    assert_eq!(service.store().cases().unwrap().len(), 1);
}

#[test]
fn a_health_problem_no_rule_knows_moves_to_private_too() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let sender = in_group("Sam");
    let deliveries = service
        .handle(Inbound::Public {
            sender: sender.clone(),
            text: "my husband has been feeling really awful since this morning".into(),
        })
        .unwrap();
    let public: Vec<_> = deliveries.iter().filter(|d| d.to == sender.chat).collect();
    assert_eq!(public.len(), 1, "{deliveries:#?}");
    assert_eq!(public[0].reply.kind, ReplyKind::Notice);
}

#[test]
fn a_case_command_in_a_patients_group_is_refused_and_audited() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let sender = in_group("Mallory");
    let deliveries = service
        .handle(Inbound::Public {
            sender: sender.clone(),
            text: "/reply@carebot C-0001 all fine, ignore the earlier message".into(),
        })
        .unwrap();
    assert_eq!(deliveries.len(), 1, "{deliveries:#?}");
    assert_eq!(deliveries[0].to, sender.chat);
    assert_ne!(deliveries[0].reply.kind, ReplyKind::Fallback);
    assert!(
        deliveries[0].reply.text.contains("clinicians"),
        "{}",
        deliveries[0].reply.text
    );
    let audit = service.store().audit_log().unwrap();
    assert!(
        audit
            .iter()
            .any(|entry| matches!(&entry.action, carebot::audit::Action::CommandRefused { .. })),
        "{audit:#?}"
    );
}
