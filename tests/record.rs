//! Correspondence copied to the patient's record: `carebot export fhir`
//! writes FHIR R4 that the official R4 JSON schema accepts
//! (`fixtures/fhir/fhir.schema.json`; the schema checks types, formats and
//! element names, the tests add the required elements and value sets it
//! leaves out), for a conversation with triage, a
//! case, a clinician's reply and a resolution; "forget me" deletes carebot's
//! copy; and the push delivers a linked, resolved case to a FHIR server
//! exactly once through an outage, a lost answer and a restart.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

use carebot::clock::{Clock, ManualClock, SystemClock};
use carebot::dispatch::{self, Backoff, DeliveryError};
use carebot::record::push::FhirServer;
use carebot::record::RecordSettings;
use carebot::{Address, ClinicianCommand, Outbound, ReplyKind, Service};

use crate::support::handoff::*;

const ANKLE: &str = "fell on the stairs, my ankle is swollen and I can't put weight on it";

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("tests/fixtures/fhir/fhir.schema.json"))
        .expect("the FHIR R4 schema is in the fixtures");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// Every way `bundle` breaks the FHIR R4 schema (none when it is valid).
fn schema_errors(validator: &jsonschema::Validator, bundle: &Value) -> Vec<String> {
    validator
        .iter_errors(bundle)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

fn command(service: &Service, text: &str) -> String {
    let command = ClinicianCommand::parse(text)
        .expect("a clinician command")
        .expect("well formed");
    service
        .clinician_command(&nurse(), command)
        .expect("the command runs")
        .text
}

/// A patient asks an FAQ question, then reports an injury that opens a
/// case, which Nurse Kim claims, answers, links to a record and resolves.
fn conversation_with_a_case(service: &Service, patient: &Address) -> carebot::CaseId {
    service
        .patient_message(patient, "what are your opening hours?")
        .expect("answered");
    let injury = service.patient_message(patient, ANKLE).expect("answered");
    let case = injury.case.expect("the injury opens a case");
    command(service, &format!("/claim {case}"));
    command(
        service,
        &format!("/reply {case} Please come in at 3pm today, we will look at it."),
    );
    service
        .patient_message(patient, "ok thank you, I'll be there")
        .expect("answered");
    let linked = command(service, &format!("/link {case} MRN-20931"));
    assert!(linked.contains("MRN-20931"), "{linked}");
    command(
        service,
        &format!("/resolve {case} seen in clinic, x-ray normal"),
    );
    case
}

fn entries(bundle: &Value) -> Vec<&Value> {
    bundle["entry"]
        .as_array()
        .map(|entries| entries.iter().collect())
        .unwrap_or_default()
}

fn category(entry: &Value) -> &str {
    entry["resource"]["category"][0]["coding"][0]["code"]
        .as_str()
        .unwrap_or_default()
}

fn text(entry: &Value) -> &str {
    entry["resource"]["payload"][0]["contentString"]
        .as_str()
        .unwrap_or_default()
}

#[test]
fn a_conversation_with_a_case_exports_as_valid_fhir_r4() {
    let validator = schema();
    for place in every_store() {
        let clock = Arc::new(ManualClock::new(monday_afternoon()));
        let service = service_on(&place, settings(), clock.clone());
        let patient = patient(1);
        let case = conversation_with_a_case(&service, &patient);
        let bundle = serde_json::to_value(
            service
                .export_record("frontdesk", None, None)
                .expect("exported"),
        )
        .unwrap();
        let backend = place.backend();
        assert_eq!(
            schema_errors(&validator, &bundle),
            Vec::<String>::new(),
            "{backend}: the export is not valid FHIR R4"
        );
        assert_eq!(bundle["type"], "collection");
        // The schema is no rubber stamp: a date that is not a FHIR
        // dateTime, or an element Communication does not have, fails.
        let mut broken = bundle.clone();
        broken["entry"][0]["resource"]["sent"] = "yesterday".into();
        assert!(!schema_errors(&validator, &broken).is_empty());
        let mut broken = bundle.clone();
        broken["entry"][0]["resource"]["sentAt"] = "2026-11-23T19:00:00Z".into();
        assert!(!schema_errors(&validator, &broken).is_empty());
        // What the schema leaves out: required elements and their required
        // value sets (event-status, request-priority).
        for entry in entries(&bundle) {
            let resource = &entry["resource"];
            assert!(
                matches!(
                    resource["status"].as_str(),
                    Some(
                        "preparation"
                            | "in-progress"
                            | "not-done"
                            | "on-hold"
                            | "stopped"
                            | "completed"
                            | "entered-in-error"
                            | "unknown"
                    )
                ),
                "{resource}"
            );
            assert!(matches!(
                resource["priority"].as_str(),
                None | Some("routine" | "urgent" | "asap" | "stat")
            ));
        }
        let all = entries(&bundle);
        let entries = all;
        let categories: Vec<&str> = entries.iter().map(|entry| category(entry)).collect();
        for wanted in [
            "patient-message",
            "faq-answer",
            "triage-advice",
            "handoff",
            "case-claimed",
            "clinician-reply",
            "case-resolved",
        ] {
            assert!(
                categories.contains(&wanted),
                "{backend}: no {wanted} in {categories:?}"
            );
        }
        // The patient's own words, the clinician's reply and who sent it.
        assert!(entries.iter().any(|entry| text(entry) == ANKLE));
        let reply = entries
            .iter()
            .find(|entry| category(entry) == "clinician-reply")
            .unwrap();
        assert_eq!(reply["resource"]["sender"]["display"], "Nurse Kim");
        assert!(text(reply).contains("3pm"));
        // Triage advice carries its level as FHIR priority; the case opened
        // names the case.
        let advice = entries
            .iter()
            .find(|entry| category(entry) == "triage-advice")
            .unwrap();
        assert!(
            matches!(
                advice["resource"]["priority"].as_str(),
                Some("asap" | "stat" | "routine")
            ),
            "{advice}"
        );
        let opened = entries
            .iter()
            .find(|entry| category(entry) == "handoff")
            .unwrap();
        assert_eq!(
            opened["resource"]["topic"]["text"],
            format!("carebot case {case}")
        );
        // Every reply points at a message in the bundle, and all is in order.
        let urls: HashSet<&str> = entries
            .iter()
            .filter_map(|entry| entry["fullUrl"].as_str())
            .collect();
        assert_eq!(urls.len(), entries.len(), "{backend}: fullUrls are unique");
        let mut answered = 0;
        for entry in &entries {
            if let Some(target) = entry["resource"]["inResponseTo"][0]["reference"].as_str() {
                assert!(
                    urls.contains(target),
                    "{backend}: {target} is not in the bundle"
                );
                answered += 1;
            }
        }
        assert!(
            answered >= 3,
            "{backend}: replies are chained to what they answer"
        );
        let sent: Vec<&str> = entries
            .iter()
            .filter_map(|entry| entry["resource"]["sent"].as_str())
            .collect();
        let mut sorted = sent.clone();
        sorted.sort();
        assert_eq!(sent, sorted, "{backend}: oldest first");
        // Linked: the patient is named by their record number.
        for entry in &entries {
            assert_eq!(
                entry["resource"]["subject"]["identifier"]["value"], "MRN-20931",
                "{backend}"
            );
        }
        // The same export twice names every message the same way.
        let again = serde_json::to_value(
            service
                .export_record("frontdesk", Some(&patient), None)
                .unwrap(),
        )
        .unwrap();
        let ids = |bundle: &Value| -> Vec<Value> {
            bundle["entry"]
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| entry["resource"]["identifier"].clone())
                .collect()
        };
        assert_eq!(ids(&bundle), ids(&again), "{backend}");
        // Exports and links are audited, without the record number.
        let log = service.store().audit_log().unwrap();
        let names: Vec<&str> = log.iter().map(|entry| entry.action.name()).collect();
        assert!(names.contains(&"record_linked"), "{names:?}");
        assert!(names.contains(&"record_exported"), "{names:?}");
        assert!(!serde_json::to_string(&log).unwrap().contains("MRN-20931"));
        // Since a later moment: only what happened after it, still valid.
        clock.advance(Duration::from_secs(3600));
        service
            .patient_message(&patient, "is the pharmacy open late?")
            .unwrap();
        let later = serde_json::to_value(
            service
                .export_record(
                    "frontdesk",
                    Some(&patient),
                    Some(
                        monday_afternoon()
                            .checked_add(jiff::SignedDuration::from_secs(1800))
                            .unwrap(),
                    ),
                )
                .unwrap(),
        )
        .unwrap();
        assert_eq!(schema_errors(&validator, &later), Vec::<String>::new());
        assert!(
            (1..=4).contains(&later["entry"].as_array().map_or(0, Vec::len)),
            "{backend}: {later}"
        );
    }
}

#[test]
fn a_record_copy_is_a_valid_fhir_transaction_that_creates_nothing_twice() {
    let validator = schema();
    let (_dir, service) = service_recording(pushing());
    conversation_with_a_case(&service, &patient(2));
    let copies: Vec<Outbound> = service
        .store()
        .patient_data(&patient(2))
        .unwrap()
        .outbox
        .into_iter()
        .map(|item| item.message)
        .filter(|message| message.to.platform == "fhir")
        .collect();
    assert_eq!(
        copies.len(),
        1,
        "one copy, queued when the case was resolved"
    );
    let bundle: Value = serde_json::from_str(&copies[0].reply.text).unwrap();
    assert_eq!(schema_errors(&validator, &bundle), Vec::<String>::new());
    assert_eq!(bundle["type"], "transaction");
    for entry in entries(&bundle) {
        let identifier = &entry["resource"]["identifier"][0];
        assert_eq!(
            entry["request"]["ifNoneExist"],
            format!(
                "identifier={}|{}",
                identifier["system"].as_str().unwrap(),
                identifier["value"].as_str().unwrap()
            )
        );
        assert_eq!(
            entry["resource"]["subject"]["reference"],
            "Patient?identifier=urn:carebot:record-number|MRN-20931"
        );
    }
}

#[test]
fn forget_me_deletes_the_correspondence_and_says_the_record_keeps_its_copies() {
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let patient = patient(3);
    conversation_with_a_case(&service, &patient);
    let data = service
        .patient_message(&patient, "what do you know about me")
        .unwrap();
    assert!(
        data.reply.text.contains("kept as correspondence"),
        "{}",
        data.reply.text
    );
    assert!(data.reply.text.contains("linked this chat to your record"));
    let forgotten = service.patient_message(&patient, "forget me").unwrap();
    assert!(
        forgotten
            .reply
            .text
            .contains("copied to your medical record"),
        "{}",
        forgotten.reply.text
    );
    let export = service
        .export_record("frontdesk", Some(&patient), None)
        .unwrap();
    assert!(
        export.entry.is_empty(),
        "nothing of theirs is left to export"
    );
    assert_eq!(service.store().record_link(&patient).unwrap(), None);
    assert!(service.store().correspondence(&patient).unwrap().is_empty());
}

#[test]
fn with_correspondence_off_only_cases_are_kept() {
    let (_dir, service) = service_recording(RecordSettings {
        keep_correspondence: false,
        ..RecordSettings::default()
    });
    let patient = patient(4);
    service
        .patient_message(&patient, "what are your opening hours?")
        .unwrap();
    assert!(service.store().correspondence(&patient).unwrap().is_empty());
    let injury = service.patient_message(&patient, ANKLE).unwrap();
    assert!(injury.case.is_some());
    let bundle =
        serde_json::to_value(service.export_record("frontdesk", None, None).unwrap()).unwrap();
    let entries = entries(&bundle);
    // The case still holds the patient's words and its opening.
    assert!(entries.iter().any(|entry| category(entry) == "handoff"));
    assert!(entries.iter().any(|entry| text(entry) == ANKLE));
    assert!(!entries.iter().any(|entry| category(entry) == "faq-answer"));
}

#[test]
fn the_retention_purge_deletes_old_correspondence() {
    let (_dir, service, clock) = service_at(monday_afternoon());
    let patient = patient(5);
    service
        .patient_message(&patient, "what are your opening hours?")
        .unwrap();
    assert_eq!(service.store().correspondence(&patient).unwrap().len(), 3);
    clock.advance(Duration::from_secs(31 * 24 * 3600));
    service
        .purge(carebot::audit::Actor::System)
        .expect("purged");
    assert!(service.store().correspondence(&patient).unwrap().is_empty());
}

/// A service on a fresh sled store, on Monday afternoon, with `record`.
fn service_recording(record: RecordSettings) -> (tempfile::TempDir, Service) {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::new(
        shipped_engine(),
        carebot::Store::open(dir.path()).unwrap(),
        settings(),
        Arc::new(ManualClock::new(monday_afternoon())),
    )
    .with_record(record);
    (dir, service)
}

/// Push on, with the default identifier system.
fn pushing() -> RecordSettings {
    RecordSettings {
        push: true,
        ..RecordSettings::default()
    }
}

/// What the fake FHIR server does with the next request.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Answers 503 without looking at it (the server is down).
    Unavailable,
    /// Carries the transaction out, then answers 500 (the answer is lost).
    LostAnswer,
}

/// A FHIR server that carries out transactions of conditional creates,
/// failing as its fault list says first.
#[derive(Default)]
struct FakeFhir {
    faults: Vec<Fault>,
    requests: usize,
    refused_tokens: usize,
    /// Communications by identifier, and how many times each was created.
    created: BTreeMap<String, (Value, usize)>,
}

async fn transaction(
    State(fhir): State<Arc<Mutex<FakeFhir>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut fhir = fhir.lock().unwrap();
    fhir.requests += 1;
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer s3cret") {
        fhir.refused_tokens += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let fault = (!fhir.faults.is_empty()).then(|| fhir.faults.remove(0));
    if let Some(Fault::Unavailable) = fault {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let Ok(bundle) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    for entry in bundle["entry"].as_array().into_iter().flatten() {
        let condition = entry["request"]["ifNoneExist"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let created = fhir
            .created
            .entry(condition)
            .or_insert_with(|| (entry["resource"].clone(), 0));
        if created.1 == 0 {
            created.1 = 1;
        }
    }
    // A second create of the same identifier would be counted here: the
    // conditional create above never makes one.
    match fault {
        Some(Fault::LostAnswer) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::OK,
    }
}

async fn start_fake_fhir(faults: Vec<Fault>) -> (url::Url, Arc<Mutex<FakeFhir>>) {
    let fhir = Arc::new(Mutex::new(FakeFhir {
        faults,
        ..FakeFhir::default()
    }));
    let app = axum::Router::new()
        .route("/fhir", axum::routing::post(transaction))
        .with_state(fhir.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{address}/fhir").parse().unwrap(), fhir)
}

/// Runs the dispatcher, chat messages accepted at once and copies to the
/// record posted to `server`, until `done` or 20 s.
async fn dispatch_until(service: Arc<Service>, server: FhirServer, done: impl Fn() -> bool) {
    let server = Arc::new(server);
    let deliver = move |message: Outbound| {
        let server = server.clone();
        async move {
            if message.to.platform == "fhir" {
                server.post(&message).await
            } else {
                Ok::<(), DeliveryError>(())
            }
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(dispatch::run(
        service,
        deliver,
        Backoff {
            first: Duration::from_millis(20),
            max: Duration::from_millis(100),
        },
        async move {
            let _ = stopped.await;
        },
    ));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    running.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_case_reaches_the_fhir_server_once_through_an_outage_a_lost_answer_and_a_restart()
{
    let (base, fhir) = start_fake_fhir(vec![
        Fault::Unavailable,
        Fault::Unavailable,
        Fault::LostAnswer,
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let open = || {
        Arc::new(
            Service::new(
                shipped_engine(),
                carebot::Store::open(dir.path()).unwrap(),
                settings(),
                clock.clone(),
            )
            .with_record(pushing()),
        )
    };
    let service = open();
    let patient = patient(6);
    conversation_with_a_case(&service, &patient);
    let expected = service
        .export_record("test", Some(&patient), None)
        .unwrap()
        .entry
        .len();

    // The server is down: two refusals, then carebot stops (a restart).
    let server = || FhirServer::new(base.clone(), Some("s3cret".to_string())).unwrap();
    let seen = fhir.clone();
    dispatch_until(service.clone(), server(), move || {
        seen.lock().unwrap().requests >= 2
    })
    .await;
    assert!(fhir.lock().unwrap().created.is_empty());
    drop(service);

    // After the restart: the answer to the first post that goes through is
    // lost, so it is posted again; the record holds each message once.
    let service = open();
    let store = service.store().clone();
    let copy_pending = move || {
        store
            .patient_data(&patient)
            .unwrap()
            .outbox
            .iter()
            .any(|item| item.message.to.platform == "fhir")
    };
    let pending = copy_pending.clone();
    dispatch_until(service.clone(), server(), move || !pending()).await;
    assert!(!copy_pending(), "the copy was delivered and forgotten");
    let fhir = fhir.lock().unwrap();
    assert_eq!(
        fhir.requests, 4,
        "two refused, one answer lost, one confirmed"
    );
    assert_eq!(fhir.refused_tokens, 0);
    assert_eq!(
        fhir.created.len(),
        expected,
        "each message and case event once"
    );
    assert!(fhir.created.values().all(|(_, times)| *times == 1));
    assert!(fhir.created.values().any(|(resource, _)| {
        resource["payload"][0]["contentString"]
            .as_str()
            .is_some_and(|text| text.contains("3pm"))
    }));
}

#[test]
fn the_first_contact_notice_says_when_copies_go_to_the_record() {
    let (_dir, service) = service_recording(pushing());
    let first = service
        .patient_message(&patient(7), "hello")
        .unwrap()
        .notice
        .expect("the first-contact notice");
    assert_eq!(first.kind, ReplyKind::Notice);
    assert!(
        first.text.contains("copied to that record"),
        "{}",
        first.text
    );
    let (_dir, quiet, _) = service_at(monday_afternoon());
    let first = quiet
        .patient_message(&patient(7), "hello")
        .unwrap()
        .notice
        .unwrap();
    assert!(!first.text.contains("copied to that record"));
}

#[test]
fn carebot_export_fhir_writes_the_bundle_and_explains_a_bad_date() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let asked = crate::support::run(&["ask", "--data", dir, "what are your opening hours?"], b"");
    assert!(asked.status.success());
    let file = data.path().join("export.json");
    let exported = crate::support::run(
        &[
            "export",
            "fhir",
            "--data",
            dir,
            "--since",
            "2020-01-01",
            "-o",
            file.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let bundle: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(schema_errors(&schema(), &bundle), Vec::<String>::new());
    assert!(entries(&bundle)
        .iter()
        .any(|entry| text(entry) == "what are your opening hours?"));
    // Another patient's export is empty, and a date that is not one says so.
    let other = crate::support::run(
        &["export", "fhir", "--data", dir, "--patient", "telegram:1"],
        b"",
    );
    let other: Value = serde_json::from_slice(&other.stdout).unwrap();
    assert!(entries(&other).is_empty());
    let wrong = crate::support::run(
        &["export", "fhir", "--data", dir, "--since", "last tuesday"],
        b"",
    );
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("is not a day"));
}
