//! The store on real sled files and a real PostgreSQL server (each test that
//! loops over `every_store()` runs on both): what must survive a restart
//! does, the outbox keeps order and retries, retention purges what is old and
//! nothing else, identifiers never reach the disk, and processes sharing one
//! database never share a case number.

use std::sync::Arc;
use std::time::Duration;

use carebot::audit::{Action, Actor};
use carebot::clock::{self, ManualClock};
use carebot::store::NewOutbound;
use carebot::{Address, CaseId, ClinicianCommand, Level, Reply, ReplyKind, Store, StoreError};
use carebot_chat::Purpose;

use crate::support::handoff::*;

fn command(text: &str) -> ClinicianCommand {
    ClinicianCommand::parse(text).unwrap().unwrap()
}

#[test]
fn cases_outbox_and_conversations_survive_a_restart() {
    for place in every_store() {
        cases_outbox_and_conversations_survive_a_restart_on(&place);
    }
}

fn cases_outbox_and_conversations_survive_a_restart_on(place: &StorePlace) {
    let clock = Arc::new(ManualClock::new(monday_afternoon()));
    let patient = patient(1);
    let (case_before, outbox_before, record_before) = {
        let service = service_on(place, settings(), clock.clone());
        service
            .patient_message(&patient, "I've got chest pain")
            .unwrap();
        let id = service
            .patient_message(&patient, "yes, sweating and it's going to my jaw")
            .unwrap()
            .case
            .unwrap();
        service
            .clinician_command(&nurse(), command("/reply C-0001 Please call 911 now."))
            .unwrap();
        service
            .patient_message(&patient, "I have a question about parking")
            .unwrap();
        (
            service.store().case(id).unwrap().unwrap(),
            service.store().outbox().unwrap(),
            service.store().conversation(&patient).unwrap().unwrap(),
        )
        // The service and its store are dropped here, as in a restart.
    };
    assert!(
        outbox_before.len() >= 3,
        "{}: notification, reply, update: {}",
        place.backend(),
        outbox_before.len()
    );

    let service = service_on(place, settings(), clock);
    let store = service.store();
    assert_eq!(store.case(case_before.id).unwrap().unwrap(), case_before);
    assert_eq!(store.outbox().unwrap(), outbox_before);
    assert_eq!(
        store.conversation(&patient).unwrap().unwrap(),
        record_before
    );
    assert!(store.notice_shown(&patient).unwrap().is_some());
    assert_eq!(store.verify().unwrap().cases, 1);
    // Numbers continue after a restart; none is given out twice.
    let next = service
        .patient_message(&crate::support::handoff::patient(2), "agent")
        .unwrap();
    assert_eq!(next.case, Some(CaseId(2)));
}

#[test]
fn a_data_folder_is_used_by_one_process_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Store::open(dir.path()).unwrap();
    let second = Store::open(dir.path());
    assert!(
        matches!(second, Err(StoreError::Locked { .. })),
        "{second:?}"
    );
    assert!(second
        .unwrap_err()
        .to_string()
        .contains("in use by another carebot process"));
}

fn delivery(to: &Address, case: u64, text: &str) -> NewOutbound {
    NewOutbound {
        to: to.clone(),
        purpose: Purpose::ClinicianReply { case: CaseId(case) },
        reply: Reply::plain(ReplyKind::Notice, text),
    }
}

#[test]
fn the_outbox_keeps_each_recipients_order_through_retries() {
    for place in every_store() {
        the_outbox_keeps_each_recipients_order_through_retries_on(&place);
    }
}

fn the_outbox_keeps_each_recipients_order_through_retries_on(place: &StorePlace) {
    let store = place.open();
    let now = monday_afternoon();
    let (alice, bob) = (patient(1), patient(2));
    store
        .enqueue(
            vec![
                delivery(&alice, 1, "first"),
                delivery(&bob, 2, "to bob"),
                delivery(&alice, 1, "second"),
            ],
            now,
        )
        .unwrap();
    let due = store.due(now, 10).unwrap();
    assert_eq!(due.len(), 3);
    let first = due[0].message.id;
    let retry_at = clock::after(now, Duration::from_secs(30));
    assert_eq!(
        store.delivery_failed(first, retry_at, "timeout").unwrap(),
        Some(1)
    );
    assert!(store.delivered(due[1].message.id).unwrap());

    // Alice's second message waits behind her first.
    assert!(store.due(now, 10).unwrap().is_empty());
    assert_eq!(store.next_attempt().unwrap(), Some(retry_at));
    let later = store.due(retry_at, 10).unwrap();
    assert_eq!(
        later
            .iter()
            .map(|i| i.message.reply.text.as_str())
            .collect::<Vec<_>>(),
        ["first", "second"]
    );
    assert_eq!(later[0].attempts, 1);
    assert_eq!(later[0].last_error.as_deref(), Some("timeout"));
    drop(store);

    // A retry scheduled before a restart is still scheduled after it.
    let store = place.open();
    assert_eq!(store.next_attempt().unwrap(), Some(retry_at));
    for item in store.due(retry_at, 10).unwrap() {
        assert!(store.delivered(item.message.id).unwrap());
    }
    assert!(store.outbox().unwrap().is_empty());
    assert_eq!(store.next_attempt().unwrap(), None);
    assert_eq!(
        store.delivery_failed(first, retry_at, "gone").unwrap(),
        None
    );
}

#[test]
fn the_outbox_sends_a_new_emergency_case_before_updates_queued_earlier() {
    for place in every_store() {
        the_outbox_sends_a_new_emergency_case_first_on(&place);
    }
}

fn the_outbox_sends_a_new_emergency_case_first_on(place: &StorePlace) {
    let store = place.open();
    let now = monday_afternoon();
    let channel: Address = "telegram:-500".parse().unwrap();
    let to_channel = |purpose: Purpose, level: Option<Level>, text: &str| NewOutbound {
        to: channel.clone(),
        purpose,
        reply: Reply {
            level,
            ..Reply::plain(ReplyKind::Notice, text)
        },
    };
    store
        .enqueue(
            vec![
                to_channel(Purpose::CaseUpdated { case: CaseId(1) }, None, "update 1"),
                to_channel(Purpose::CaseUpdated { case: CaseId(1) }, None, "update 2"),
                to_channel(
                    Purpose::CaseOpened { case: CaseId(2) },
                    Some(Level::Routine),
                    "case 2",
                ),
                to_channel(
                    Purpose::CaseOpened { case: CaseId(3) },
                    Some(Level::Emergency),
                    "case 3",
                ),
                delivery(&patient(1), 1, "to the patient"),
            ],
            now,
        )
        .unwrap();
    let texts = |items: Vec<carebot::store::OutboxItem>| -> Vec<String> {
        items
            .into_iter()
            .map(|item| item.message.reply.text)
            .collect()
    };
    assert_eq!(
        texts(store.due(now, 10).unwrap()),
        ["case 3", "case 2", "to the patient", "update 1", "update 2"]
    );
    // One at a time per recipient: the channel's next is the emergency.
    assert_eq!(
        texts(store.next_per_recipient().unwrap()),
        ["case 3", "to the patient"]
    );
}

#[test]
fn retention_purges_old_conversations_resolved_cases_and_unanswered_questions_only() {
    for place in every_store() {
        retention_purges_on(&place);
    }
}

fn retention_purges_on(place: &StorePlace) {
    let clock = Arc::new(ManualClock::new(monday_afternoon()));
    let service = service_on(place, settings(), clock.clone());
    let (old, open_case, resolved, recent) = (patient(1), patient(2), patient(3), patient(4));
    service
        .patient_message(&old, "what are your opening hours")
        .unwrap();
    service
        .patient_message(&old, "can you teach my parrot to sing")
        .unwrap();
    let open_id = service
        .patient_message(&open_case, "agent")
        .unwrap()
        .case
        .unwrap();
    let resolved_id = service
        .patient_message(&resolved, "agent")
        .unwrap()
        .case
        .unwrap();
    service
        .clinician_command(
            &nurse(),
            command(&format!("/resolve {resolved_id} answered by phone")),
        )
        .unwrap();

    clock.advance(Duration::from_secs(20 * 24 * 3600));
    service
        .patient_message(&recent, "do you do flu shots")
        .unwrap();
    service
        .patient_message(&recent, "do you sell garden gnomes")
        .unwrap();
    let unanswered = |service: &carebot::Service| -> Vec<String> {
        let mut texts: Vec<String> = service
            .store()
            .unanswered()
            .unwrap()
            .into_iter()
            .map(|question| question.text)
            .collect();
        texts.sort();
        texts
    };
    assert_eq!(
        unanswered(&service),
        [
            "can you teach my parrot to sing",
            "do you sell garden gnomes"
        ]
    );
    let nothing = service.purge(Actor::System).unwrap();
    assert_eq!(
        nothing,
        carebot::store::Purged::default(),
        "nothing is 30 days old yet"
    );

    clock.advance(Duration::from_secs(11 * 24 * 3600));
    let purged = service
        .purge(Actor::Staff {
            login: "admin".into(),
        })
        .unwrap();
    assert_eq!(
        purged.conversations, 3,
        "the three 31-day-old conversations"
    );
    assert_eq!(purged.cases, 1, "only the resolved case");
    assert_eq!(purged.notices, 3);
    assert_eq!(purged.unanswered, 1, "only the 31-day-old question");
    assert_eq!(unanswered(&service), ["do you sell garden gnomes"]);
    let store = service.store();
    assert!(
        store.case(open_id).unwrap().is_some(),
        "an open case stays, however old"
    );
    assert!(store.case(resolved_id).unwrap().is_none());
    assert!(store.conversation(&old).unwrap().is_none());
    assert!(store.conversation(&recent).unwrap().is_some());
    assert!(store.notice_shown(&recent).unwrap().is_some());
    let log = store.audit_log().unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        last.action,
        Action::Purged {
            conversations: 3,
            cases: 1,
            notices: 3,
            unanswered: 1,
            audit: 0
        }
    );
    assert_eq!(
        last.actor,
        Actor::Staff {
            login: "admin".into()
        }
    );
}

#[test]
fn the_audit_log_is_kept_for_its_own_retention_period() {
    for place in every_store() {
        the_audit_log_is_kept_for_its_own_retention_period_on(&place);
    }
}

fn the_audit_log_is_kept_for_its_own_retention_period_on(place: &StorePlace) {
    let clock = Arc::new(ManualClock::new(monday_afternoon()));
    let settings = carebot::HandoffSettings {
        retention_days: 30,
        audit_retention_days: 400,
        ..settings()
    };
    let service = service_on(place, settings, clock.clone());
    let first = service
        .patient_message(&patient(1), "agent")
        .unwrap()
        .case
        .unwrap();
    service
        .clinician_command(&nurse(), command(&format!("/resolve {first} called back")))
        .unwrap();
    let early = service.store().audit_log().unwrap().len();
    assert!(early >= 2, "opening and resolving are audited");

    clock.advance(Duration::from_secs(200 * 24 * 3600));
    let second = service
        .patient_message(&patient(2), "agent")
        .unwrap()
        .case
        .unwrap();
    // The case and conversation are long gone (30 days); their audit stays.
    let purged = service.purge(Actor::System).unwrap();
    assert_eq!((purged.cases, purged.audit), (1, 0));

    clock.advance(Duration::from_secs(201 * 24 * 3600));
    let purged = service.purge(Actor::System).unwrap();
    assert_eq!(purged.audit, early, "the entries from 401 days ago");
    let log = service.store().audit_log().unwrap();
    assert!(log.iter().all(|entry| entry.case != Some(first)), "{log:?}");
    assert!(log.iter().any(|entry| entry.case == Some(second)));
    assert!(matches!(
        log.last().unwrap().action,
        Action::Purged { audit, .. } if audit == early
    ));
}

/// Every file under `dir`, as bytes.
fn files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[test]
fn identifiers_are_redacted_before_anything_is_stored() {
    let (dir, service, _clock) = service_at(monday_afternoon());
    let patient = patient(1);
    let secrets = ["123-45-6789", "4111 1111 1111 1111", "555 867 5309"];
    let replies = service
        .patient_message(&patient, "my ssn is 123-45-6789 and card 4111 1111 1111 1111, why is my bill wrong, call 555 867 5309")
        .unwrap();
    assert!(
        replies.reply.text.contains("Please don't share"),
        "the patient is warned"
    );
    service
        .patient_message(&patient, "zxq wibble 123-45-6789 blorp")
        .unwrap();
    service
        .patient_message(&patient, "I've got chest pain, call me on 555 867 5309")
        .unwrap();
    service
        .patient_message(&patient, "yes and my ssn is 123-45-6789")
        .unwrap();

    let unanswered = service.store().unanswered().unwrap();
    assert!(
        unanswered
            .iter()
            .any(|q| q.text == "zxq wibble ########### blorp"),
        "{unanswered:?}"
    );
    let case = &service.store().cases().unwrap()[0];
    assert!(
        case.messages
            .iter()
            .any(|m| m.contains("call me on ############")),
        "{:?}",
        case.messages
    );
    service.store().flush().unwrap();
    for (path, bytes) in files(dir.path()) {
        for secret in secrets {
            let found = bytes
                .windows(secret.len())
                .any(|window| window == secret.as_bytes());
            assert!(!found, "{secret} is in {}", path.display());
        }
    }
}

#[test]
fn an_overlong_message_is_not_stored_whole() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let patient = patient(1);
    let reply = service
        .patient_message(&patient, &"x".repeat(1_000_000))
        .unwrap();
    assert_eq!(reply.reply.kind, ReplyKind::Notice, "too long to read");
    let record = service.store().conversation(&patient).unwrap().unwrap();
    let kept = &record.turns[0].text;
    assert_eq!(
        kept.chars().count(),
        3001,
        "3000 characters and an ellipsis"
    );
}

#[cfg(unix)]
#[test]
fn the_data_folder_and_its_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    // A folder another user could read, as a 022 umask or a careless mkdir leaves it.
    let wide = parent.path().join("wide");
    std::fs::create_dir(&wide).unwrap();
    std::fs::set_permissions(&wide, std::fs::Permissions::from_mode(0o755)).unwrap();
    let fresh = parent.path().join("fresh").join("data");
    for dir in [&wide, &fresh] {
        let store = Store::open(dir).unwrap();
        store.flush().unwrap();
        drop(store);
        // Reopening narrows anything sled created with the umask's mode since.
        drop(Store::open(dir).unwrap());
        let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let metadata = entry.metadata().unwrap();
            let mode = metadata.permissions().mode() & 0o777;
            let expected = if metadata.is_dir() { 0o700 } else { 0o600 };
            assert_eq!(mode, expected, "{}", entry.path().display());
        }
    }
}

#[test]
fn processes_sharing_one_database_never_share_a_case_number_or_lose_a_notification() {
    let Some(url) = crate::support::postgres::database() else {
        return;
    };
    // Two stores connected separately stand for two carebot processes:
    // nothing is shared between them but the database.
    let clock: Arc<dyn carebot::clock::Clock> = Arc::new(ManualClock::new(monday_afternoon()));
    let services: Vec<_> = (0..2)
        .map(|_| {
            Arc::new(carebot::Service::new(
                crate::support::shipped_engine(),
                Store::connect(&url).unwrap(),
                settings(),
                clock.clone(),
            ))
        })
        .collect();
    const PER_THREAD: usize = 8;
    let threads: Vec<_> = (0..6)
        .map(|thread| {
            let service = services[thread % 2].clone();
            std::thread::spawn(move || {
                (0..PER_THREAD)
                    .map(|n| {
                        service
                            .patient_message(&patient((thread * 100 + n) as u32), "agent")
                            .unwrap()
                            .case
                            .unwrap()
                    })
                    .collect::<Vec<CaseId>>()
            })
        })
        .collect();
    let mut numbers: Vec<u64> = threads
        .into_iter()
        .flat_map(|thread| thread.join().unwrap())
        .map(|id| id.0)
        .collect();
    numbers.sort();
    let expected: Vec<u64> = (1..=6 * PER_THREAD as u64).collect();
    assert_eq!(numbers, expected, "each number once, none skipped");

    // Either process sees everything, each case with its notification.
    let store = Store::connect(&url).unwrap();
    assert_eq!(store.verify().unwrap().cases, 6 * PER_THREAD);
    let outbox = store.outbox().unwrap();
    for number in &numbers {
        assert!(
            outbox.iter().any(|item| item.message.purpose
                == Purpose::CaseOpened {
                    case: CaseId(*number)
                }),
            "case {number} has its notification"
        );
    }
    assert_eq!(store.next_case_number().unwrap(), 6 * PER_THREAD as u64 + 1);
}

#[test]
fn a_patient_forgotten_through_one_process_is_gone_for_the_others() {
    let Some(url) = crate::support::postgres::database() else {
        return;
    };
    let clock: Arc<dyn carebot::clock::Clock> = Arc::new(ManualClock::new(monday_afternoon()));
    let [first, second] = [0, 1].map(|_| {
        carebot::Service::new(
            crate::support::shipped_engine(),
            Store::connect(&url).unwrap(),
            settings(),
            clock.clone(),
        )
    });
    let alice = patient(1);
    first.patient_message(&alice, "agent").unwrap();
    assert_eq!(second.store().patient_data(&alice).unwrap().cases.len(), 1);
    first.patient_message(&alice, "forget me").unwrap();
    let seen = second.store().patient_data(&alice).unwrap();
    assert!(
        seen.cases.is_empty() && seen.conversation.is_none(),
        "{seen:?}"
    );
}

#[test]
fn a_lease_is_held_by_one_process_until_it_gives_it_up_or_stops_renewing() {
    let Some(url) = crate::support::postgres::database() else {
        return;
    };
    let (first, second) = (Store::connect(&url).unwrap(), Store::connect(&url).unwrap());
    assert!(first.is_shared());
    assert_ne!(first.instance(), second.instance());
    let period = Duration::from_millis(300);
    assert!(first.hold_lease("upkeep", period).unwrap());
    assert!(
        first.hold_lease("upkeep", period).unwrap(),
        "renewed by its holder"
    );
    assert!(
        !second.hold_lease("upkeep", period).unwrap(),
        "held by the first"
    );
    // Released: the other takes it at once.
    first.release_lease("upkeep").unwrap();
    assert!(second.hold_lease("upkeep", period).unwrap());
    // Not renewed (its holder died): taken over once it runs out.
    assert!(!first.hold_lease("upkeep", period).unwrap());
    std::thread::sleep(period + Duration::from_millis(100));
    assert!(first.hold_lease("upkeep", period).unwrap());
    // Giving up a lease another holds changes nothing.
    second.release_lease("upkeep").unwrap();
    assert!(!second.hold_lease("upkeep", period).unwrap());
}

/// `carebot` with `args`; its standard output, after checking it succeeded.
fn carebot_ok(args: &[&str]) -> String {
    let output = crate::support::run(args, b"");
    assert!(
        output.status.success(),
        "carebot {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_sled_store_copied_to_postgres_and_back_reads_the_same() {
    let Some(url) = crate::support::postgres::database() else {
        return;
    };
    let sled = tempfile::tempdir().unwrap();
    let data = sled.path().to_str().unwrap();
    let lines = [
        r#"{"user": "alice", "text": "what are your opening hours"}"#,
        r#"{"user": "bob", "text": "I'd like to talk to a person please"}"#,
        r#"{"user": "carol", "text": "can you teach my parrot to sing"}"#,
    ]
    .join("\n");
    let asked = crate::support::run(&["ask", "--data", data, "--json"], lines.as_bytes());
    assert!(asked.status.success());
    let cases_in_sled = carebot_ok(&["--data", data, "cases"]);
    assert!(cases_in_sled.contains("C-0001"), "{cases_in_sled}");

    let copied = carebot_ok(&["store", "copy", "--from-data", data, "--to", &url]);
    assert!(copied.contains("1 case(s)"), "{copied}");
    assert!(
        !copied.contains("carebot@"),
        "no credentials shown: {copied}"
    );
    // Sealed records open with the copied keys.
    assert_eq!(carebot_ok(&["--store", &url, "cases"]), cases_in_sled);
    assert!(carebot_ok(&["--store", &url, "report"]).contains("can you teach my parrot to sing"));
    assert!(carebot_ok(&["--store", &url, "store", "migrate"]).contains("schema version 1"));
    assert!(carebot_ok(&["--store", &url, "store", "check"]).contains("every record reads"));

    // A second copy would mix two stores: refused.
    let again = crate::support::run(&["store", "copy", "--from-data", data, "--to", &url], b"");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds records"));

    // And back into a new folder; new ids continue after the copied ones.
    let back = tempfile::tempdir().unwrap();
    let back_dir = back.path().join("data");
    let back_data = back_dir.to_str().unwrap();
    carebot_ok(&["store", "copy", "--from", &url, "--to-data", back_data]);
    assert_eq!(carebot_ok(&["--data", back_data, "cases"]), cases_in_sled);
    let store = Store::open(&back_dir).unwrap();
    let before = store.audit_log().unwrap().len();
    store
        .audit(carebot::audit::AuditEntry {
            at: monday_afternoon(),
            actor: Actor::System,
            action: Action::Purged {
                conversations: 0,
                cases: 0,
                notices: 0,
                unanswered: 0,
                audit: 0,
            },
            case: None,
            patient: None,
        })
        .unwrap();
    assert_eq!(
        store.audit_log().unwrap().len(),
        before + 1,
        "a new audit entry overwrites none of the copied ones"
    );
}

#[test]
fn an_unreachable_or_malformed_store_url_is_a_clear_error_without_the_password() {
    // Port 1 on this machine: nothing listens there.
    let unreachable = crate::support::run(
        &[
            "--store",
            "postgres://carebot:hunter2@127.0.0.1:1/carebot",
            "cases",
        ],
        b"",
    );
    assert!(!unreachable.status.success());
    let said = String::from_utf8_lossy(&unreachable.stderr);
    assert!(said.contains("postgres://127.0.0.1:1/carebot"), "{said}");
    assert!(said.contains("error connecting to server"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");

    let malformed = crate::support::run(
        &[
            "--store",
            "postgres://carebot:hunter2@127.0.0.1/carebot?bogus=1",
            "cases",
        ],
        b"",
    );
    assert!(!malformed.status.success());
    let said = String::from_utf8_lossy(&malformed.stderr);
    assert!(said.contains("the URL cannot be read"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
}
