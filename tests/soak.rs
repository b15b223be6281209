//! Soak test (ignored by default): the engine under mixed traffic from many
//! patients for a long time, to show that memory stays flat.
//!
//! ```sh
//! cargo test --release --test tests soak -- --ignored --nocapture
//! CAREBOT_SOAK_SECS=60 cargo test --release --test tests soak -- --ignored --nocapture
//! ```
//!
//! It runs for `CAREBOT_SOAK_SECS` seconds (default 600), on a generated
//! knowledge base of 1,000 FAQ entries and 500 rules plus the shipped one, with
//! 5,000 patients whose conversations are kept (follow-up questions and
//! choices carry over between their messages), each message checked by the
//! per-patient rate limiter first, one patient flooding throughout. Every 10%
//! of the run it prints resident memory; after a warm-up (the first 10%) it
//! fails if resident memory grew by more than 20 MB or 25%.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use carebot::ratelimit::{Decision, RateLimit, RateLimiter};
use carebot::synthetic::{self, Rng, Size, Traffic, SEED};
use carebot::{Conversation, Engine, ReplyKind};

use crate::harness::shipped_dir;

const PATIENTS: usize = 5_000;

#[test]
#[ignore = "runs for CAREBOT_SOAK_SECS seconds (default 600); see the module docs"]
fn soak_mixed_traffic_keeps_memory_flat() {
    let seconds: u64 = std::env::var("CAREBOT_SOAK_SECS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(600);
    let duration = Duration::from_secs(seconds);
    let before_load = synthetic::resident_memory_kib().unwrap_or(0);
    let engines = [
        Engine::new(
            synthetic::knowledge(Size::new(1_000, 500), SEED).expect("synthetic knowledge loads"),
        ),
        Engine::new(
            carebot::load_dir(&shipped_dir())
                .unwrap_or_else(|problems| panic!("shipped knowledge loads: {problems:?}")),
        ),
    ];
    let mut traffic: Vec<Traffic> = engines
        .iter()
        .map(|engine| Traffic::new(engine.knowledge(), 7))
        .collect();
    let mut conversations: HashMap<String, Conversation> = HashMap::new();
    let mut limiter = RateLimiter::new(RateLimit::default());
    let mut rng = Rng::new(99);
    println!(
        "soak: {seconds} s, {PATIENTS} patients; resident memory {:.1} MB before loading",
        before_load as f64 / 1024.0
    );

    let started = Instant::now();
    let mut messages = 0u64;
    let mut counts: HashMap<ReplyKind, u64> = HashMap::new();
    let mut limited = 0u64;
    let mut baseline = None;
    let mut peak = 0u64;
    let mut next_report = 1;
    while started.elapsed() < duration {
        // Patients write at a simulated pace of one message every few seconds,
        // a thousand times faster than real time, so the limiter sees realistic
        // gaps; patient 0 floods at every step.
        let now = started + Duration::from_millis(messages);
        let patient = if messages.is_multiple_of(10) {
            0
        } else {
            rng.below(PATIENTS)
        };
        let id = format!("patient-{patient}");
        match limiter.check(&id, now) {
            Decision::Allow => {}
            Decision::SlowDown { .. } | Decision::Ignore { .. } => {
                limited += 1;
                messages += 1;
                continue;
            }
        }
        // Each patient belongs to one practice's engine.
        let which = patient % engines.len();
        let text = traffic[which].message();
        let conversation = conversations.entry(id).or_default();
        let reply = engines[which].reply(conversation, &text);
        assert!(!reply.text.is_empty());
        *counts.entry(reply.kind).or_default() += 1;
        messages += 1;

        let elapsed = started.elapsed();
        if elapsed >= duration * next_report / 10 {
            let resident = synthetic::resident_memory_kib().unwrap_or(0);
            peak = peak.max(resident);
            if next_report == 1 {
                baseline = Some(resident);
            }
            println!(
                "soak: {:>5.0} s  {messages:>10} messages  {:>8.0}/s  resident {:.1} MB",
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
    println!("soak: replies by kind {kinds:?}; {limited} messages rate-limited");
    println!(
        "soak: {} conversations, {} patients tracked by the limiter",
        conversations.len(),
        limiter.tracked()
    );
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
