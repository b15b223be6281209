//! How many durable cases and patient messages per second the store takes,
//! on sled and on PostgreSQL with 1, 2 and 4 carebot instances sharing one
//! database, as a Markdown table for the README.
//!
//! An "instance" here is what one `carebot serve` process holds: its own
//! store connection (pool) and its own service, driven by its own thread;
//! they share nothing but the database. Each instance's patients are its
//! own, as a load balancer spreads them. Two workloads:
//!
//! - cases: a new patient writes "agent", which opens a case (the case, its
//!   notification, its audit entry and the conversation in one durable
//!   transaction, the patient's key made first);
//! - messages: returning patients ask FAQ questions (their conversation
//!   saved, the answer counted, and on a shared store their turn taken and
//!   given back through a lease).
//!
//! ```sh
//! cargo run --release --example store_scale                                   # sled only
//! cargo run --release --example store_scale -- postgres://carebot@127.0.0.1/db # and PostgreSQL
//! ```
//!
//! The database should be empty or disposable: the example writes into it.
//! `CAREBOT_SCALE_SECONDS` sets each measurement's length (default 5).

use std::sync::Arc;
use std::time::{Duration, Instant};

use carebot::clock::SystemClock;
use carebot::{Address, HandoffSettings, Service, Store};

const QUESTIONS: [&str; 4] = [
    "what are your opening hours",
    "where can I park",
    "how do I get a repeat prescription",
    "do you do flu shots",
];

fn seconds() -> Duration {
    let secs = std::env::var("CAREBOT_SCALE_SECONDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(5);
    Duration::from_secs(secs)
}

fn engine() -> Arc<carebot::Engine> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    Arc::new(carebot::Engine::new(
        carebot::load_dir(&dir).expect("the shipped knowledge loads"),
    ))
}

/// Runs `work` on each store's service from its own thread for the
/// measurement's length; operations per second over all of them.
fn measure(stores: Vec<Store>, run: usize, work: fn(&Service, usize, usize, u64)) -> f64 {
    let engine = engine();
    let started = Instant::now();
    let length = seconds();
    let threads: Vec<_> = stores
        .into_iter()
        .enumerate()
        .map(|(instance, store)| {
            let service = Service::new(
                engine.clone(),
                store,
                HandoffSettings::default(),
                Arc::new(SystemClock),
            );
            std::thread::spawn(move || {
                let mut done = 0u64;
                while started.elapsed() < length {
                    work(&service, run, instance, done);
                    done += 1;
                }
                done
            })
        })
        .collect();
    let total: u64 = threads
        .into_iter()
        .map(|thread| thread.join().unwrap())
        .sum();
    total as f64 / started.elapsed().as_secs_f64()
}

/// A new patient opens a case.
fn open_case(service: &Service, run: usize, instance: usize, n: u64) {
    let patient = Address::new("bench", format!("case-{run}-{instance}-{n}"));
    let response = service.patient_message(&patient, "agent").unwrap();
    assert!(response.case.is_some());
}

/// One of 200 returning patients per instance asks a question.
fn ask(service: &Service, run: usize, instance: usize, n: u64) {
    let patient = Address::new("bench", format!("faq-{run}-{instance}-{}", n % 200));
    service
        .patient_message(&patient, QUESTIONS[n as usize % QUESTIONS.len()])
        .unwrap();
}

fn main() {
    let url = std::env::args().nth(1);
    println!("| store | instances | durable cases/s | patient messages/s |");
    println!("|---|---:|---:|---:|");
    let sled_dir = tempfile::tempdir().unwrap();
    let sled = || Store::open(sled_dir.path()).unwrap();
    let cases = measure(vec![sled()], 0, open_case);
    let messages = measure(vec![sled()], 0, ask);
    println!("| sled | 1 | {cases:.0} | {messages:.0} |");
    let Some(url) = url else {
        return;
    };
    for (run, instances) in [1usize, 2, 4].into_iter().enumerate() {
        let connect = || -> Vec<Store> {
            (0..instances)
                .map(|_| Store::connect(&url).expect("the database answers"))
                .collect()
        };
        let cases = measure(connect(), run + 1, open_case);
        let messages = measure(connect(), run + 1, ask);
        println!("| PostgreSQL | {instances} | {cases:.0} | {messages:.0} |");
    }
}
