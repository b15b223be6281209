//! How fast the sled store takes what matters: opening a case (durable:
//! flushed before the patient is told), queueing and delivering outbox
//! messages, and plain conversation writes. Real files in a temporary folder
//! on the same disk as the data folder would be.
//!
//! Run with `cargo bench --bench store`; add
//! `-- --measurement-time 3 --warm-up-time 1` for a quick look.

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use carebot::clock::SystemClock;
use carebot::store::{NewOutbound, PatientRecord};
use carebot::{Address, CaseId, Engine, HandoffSettings, Reply, ReplyKind, Service, Store};
use carebot_chat::Purpose;

fn engine() -> Arc<Engine> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    Arc::new(Engine::new(
        carebot::load_dir(&dir).expect("shipped knowledge loads"),
    ))
}

fn settings() -> HandoffSettings {
    HandoffSettings {
        clinician_channel: Some("telegram:-500".parse().unwrap()),
        ..HandoffSettings::default()
    }
}

fn case_creation(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let service = Service::new(engine(), store, settings(), Arc::new(SystemClock));
    let mut group = c.benchmark_group("cases");
    group.throughput(Throughput::Elements(1));
    let mut n = 0u64;
    // A new patient types "agent": notice, conversation, case, notification
    // and audit entry in one transaction, flushed to disk.
    group.bench_function("open a case (durable)", |b| {
        b.iter(|| {
            n += 1;
            let patient = Address::new("telegram", n.to_string());
            service
                .patient_message(&patient, "agent")
                .unwrap()
                .case
                .unwrap()
        })
    });
    group.finish();
}

fn outbox(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let to = Address::new("telegram", "-500");
    let message = |case: u64| NewOutbound {
        to: to.clone(),
        purpose: Purpose::CaseOpened { case: CaseId(case) },
        reply: Reply::plain(
            ReplyKind::Notice,
            "🔔 New case: a notification of typical length ".repeat(8),
        ),
    };
    let mut group = c.benchmark_group("outbox");
    group.throughput(Throughput::Elements(1));
    // Queue one message (flushed), hand it out, confirm it.
    group.bench_function("enqueue + deliver one", |b| {
        let mut n = 0;
        b.iter(|| {
            n += 1;
            let now = jiff::Timestamp::now();
            store.enqueue(vec![message(n)], now).unwrap();
            for item in store.due(now, 64).unwrap() {
                store.delivered(item.message.id).unwrap();
            }
        })
    });
    // The same in batches of 64, as when many cases open at once.
    group.throughput(Throughput::Elements(64));
    group.bench_function("enqueue + deliver 64", |b| {
        let mut n = 0;
        b.iter(|| {
            n += 1;
            let now = jiff::Timestamp::now();
            store
                .enqueue((0..64).map(|i| message(n * 64 + i)).collect(), now)
                .unwrap();
            for item in store.due(now, 64).unwrap() {
                store.delivered(item.message.id).unwrap();
            }
        })
    });
    group.finish();
}

fn conversation_writes(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let service = Service::new(engine(), store.clone(), settings(), Arc::new(SystemClock));
    let mut group = c.benchmark_group("conversations");
    group.throughput(Throughput::Elements(1));
    // A store write that is not flushed at once (sled writes it out within
    // half a second).
    group.bench_function("save a conversation", |b| {
        let record = PatientRecord::new(jiff::Timestamp::now());
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            store
                .save_conversation(&Address::new("telegram", (n % 1000).to_string()), &record)
                .unwrap()
        })
    });
    // A whole patient message through the service: engine reply, stats,
    // conversation write.
    group.bench_function("patient message (FAQ answer)", |b| {
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            let patient = Address::new("telegram", (n % 1000).to_string());
            service
                .patient_message(&patient, "are you open on saturday?")
                .unwrap()
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = case_creation, outbox, conversation_writes
}
criterion_main!(benches);
