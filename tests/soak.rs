//! Soak test (ignored by default): the whole service (engine, per-patient
//! rate limit, sled store, outbox, clinicians resolving cases) under mixed
//! traffic from many patients for a long time, to show that memory stays flat.
//!
//! ```sh
//! cargo test --release --test tests soak -- --ignored --nocapture
//! CAREBOT_SOAK_SECS=60 cargo test --release --test tests soak -- --ignored --nocapture
//! ```
//!
//! It runs for `CAREBOT_SOAK_SECS` seconds (default 600). Two practices, each
//! a [`Service`] on its own sled store in a temporary folder: one on a
//! generated knowledge base of 1,000 FAQ entries and 500 rules, one on the
//! shipped knowledge. 5,000 patients write through [`Service::handle`], as
//! the chat adapters do, so their conversations, cases and the audit log are
//! written to disk; one patient sends bursts of 20 messages and is
//! rate-limited. The clock is simulated, a second per message, so a run covers
//! days; retention (of conversations, cases and the audit log) is one day. Every 2,000 messages the outbox is drained as
//! the dispatcher would, reminders run, a nurse resolves the cases opened, and
//! the retention purge runs: the store holds about a day of traffic, as a
//! practice's holds its retention period's.
//!
//! Every 10% of the run it prints resident memory and throughput; after a
//! warm-up (the first 10%) it fails if resident memory grew by more than
//! 20 MB or 25%, and at the end the stores must pass [`Store::verify`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use carebot::clock::ManualClock;
use carebot::{Address, Engine, ReplyKind, Service, Store};
use carebot_chat::Inbound;
use carebot_synthetic::{self as synthetic, Rng, Size, Traffic, SEED};

use crate::support::handoff::{monday_afternoon, nurse, settings};
use crate::support::shipped_dir;
use carebot::audit::Actor;

const PATIENTS: usize = 5_000;
/// Messages between two rounds of outbox draining and case resolving.
const ROUND: u64 = 2_000;

struct Practice {
    service: Service,
    traffic: Traffic,
    _dir: tempfile::TempDir,
}

impl Practice {
    fn new(engine: Engine, clock: Arc<ManualClock>) -> Practice {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("store opens");
        let traffic = Traffic::new(engine.knowledge(), 7);
        let settings = carebot::HandoffSettings {
            retention_days: 1,
            audit_retention_days: 1,
            ..settings()
        };
        Practice {
            service: Service::new(Arc::new(engine), store, settings, clock),
            traffic,
            _dir: dir,
        }
    }

    /// What the dispatcher, the clinicians and the upkeep task do between
    /// messages: every queued message is delivered, reminders are sent, each
    /// case that was opened is resolved, and what is past retention is
    /// deleted. Returns how many cases were resolved.
    fn upkeep(&self) -> usize {
        let service = &self.service;
        let mut opened = Vec::new();
        for item in service.store().due(service.now(), usize::MAX).unwrap() {
            let message = item.message;
            if let carebot_chat::Purpose::CaseOpened { case } = message.purpose {
                opened.push(case);
            }
            service.store().delivered(message.id).unwrap();
        }
        service.remind_unclaimed().unwrap();
        for case in &opened {
            let replies = service
                .handle(Inbound::from_text(
                    nurse(),
                    &format!("/resolve {case} seen"),
                ))
                .unwrap();
            assert_eq!(replies.len(), 1);
        }
        service.purge(Actor::System).unwrap();
        opened.len()
    }
}

#[test]
#[ignore = "runs for CAREBOT_SOAK_SECS seconds (default 600); see the module docs"]
fn soak_mixed_traffic_keeps_memory_flat() {
    let seconds: u64 = std::env::var("CAREBOT_SOAK_SECS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(600);
    let duration = Duration::from_secs(seconds);
    let before_load = synthetic::resident_memory_kib().unwrap_or(0);
    let clock = Arc::new(ManualClock::new(monday_afternoon()));
    let mut practices = [
        Practice::new(
            Engine::new(
                synthetic::knowledge(Size::new(1_000, 500), SEED)
                    .expect("synthetic knowledge loads"),
            ),
            clock.clone(),
        ),
        Practice::new(
            Engine::new(
                carebot::load_dir(&shipped_dir())
                    .unwrap_or_else(|problems| panic!("shipped knowledge loads: {problems:?}")),
            ),
            clock.clone(),
        ),
    ];
    let mut rng = Rng::new(99);
    println!(
        "soak: {seconds} s, {PATIENTS} patients; resident memory {:.1} MB before loading",
        before_load as f64 / 1024.0
    );

    let started = Instant::now();
    let mut messages = 0u64;
    let mut counts: HashMap<ReplyKind, u64> = HashMap::new();
    let mut unanswered = 0u64;
    let mut resolved = 0usize;
    let mut baseline = None;
    let mut peak = 0u64;
    let mut next_report = 1;
    while started.elapsed() < duration {
        // Patient 0 sends a burst of 20 at once every 100 messages; the
        // others write a message a (simulated) second between them.
        let burst = messages.is_multiple_of(100);
        let (patient, count) = if burst {
            (0, 20)
        } else {
            clock.advance(Duration::from_secs(1));
            (rng.below(PATIENTS), 1)
        };
        // Each patient belongs to one practice.
        let practice = &mut practices[patient % 2];
        let from = Address::new("telegram", format!("{}", 10_000 + patient));
        for _ in 0..count {
            let text = practice.traffic.message();
            let replies = practice
                .service
                .handle(Inbound::Message {
                    from: from.clone(),
                    text,
                })
                .expect("handled");
            if replies.is_empty() {
                unanswered += 1;
            }
            for delivery in &replies {
                assert!(!delivery.reply.text.is_empty());
            }
            if let Some(last) = replies.last() {
                *counts.entry(last.reply.kind).or_default() += 1;
            }
        }
        messages += 1;
        if messages.is_multiple_of(ROUND) {
            resolved += practices.iter().map(Practice::upkeep).sum::<usize>();
        }

        let elapsed = started.elapsed();
        if elapsed >= duration * next_report / 10 {
            let resident = synthetic::resident_memory_kib().unwrap_or(0);
            peak = peak.max(resident);
            if next_report == 1 {
                baseline = Some(resident);
            }
            println!(
                "soak: {:>5.0} s  {messages:>9} messages  {:>6.0}/s  {resolved:>6} cases resolved  resident {:.1} MB",
                elapsed.as_secs_f64(),
                messages as f64 / elapsed.as_secs_f64(),
                resident as f64 / 1024.0
            );
            next_report += 1;
        }
    }
    let end = synthetic::resident_memory_kib().unwrap_or(0);
    let mut kinds: Vec<(String, u64)> = counts
        .into_iter()
        .map(|(kind, count)| (kind.as_str().to_string(), count))
        .collect();
    kinds.sort();
    let limited: u64 = practices.iter().map(|p| p.service.rate_limited()).sum();
    println!(
        "soak: last reply by kind {kinds:?}; {limited} messages rate-limited ({unanswered} without a reply); {resolved} cases opened and resolved"
    );
    for practice in &practices {
        let store = practice.service.store();
        let report = store.verify().expect("the store verifies");
        println!(
            "soak: store: {} conversations, {} cases, outbox {}; {report:?}",
            store.conversation_count(),
            store.cases().unwrap().len(),
            store.outbox().unwrap().len(),
        );
    }
    assert!(limited > 0, "the flooding patient was rate-limited");
    assert!(resolved > 0, "cases were opened and resolved");
    if let Some(baseline) = baseline {
        let growth = end.saturating_sub(baseline);
        println!(
            "soak: resident memory after warm-up {:.1} MB, at the end {:.1} MB (growth {:.1} MB, peak {:.1} MB)",
            baseline as f64 / 1024.0,
            end as f64 / 1024.0,
            growth as f64 / 1024.0,
            peak as f64 / 1024.0
        );
        assert!(
            growth < 20 * 1024 && growth * 4 < baseline,
            "resident memory grew by {growth} KiB after warm-up"
        );
    }
}
