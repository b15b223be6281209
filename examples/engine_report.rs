//! Engine speed and memory at practice and health-system scale, as a table.
//!
//! For the shipped knowledge base and generated ones of 100, 1,000 and 10,000
//! FAQ entries (500 rules each), in a fresh process per base so that resident
//! memory is that base's alone: knowledge load and index build time, resident
//! memory before and after, then replies per second on one core and p50/p99
//! latency per message over mixed patient traffic (`carebot_synthetic`).
//!
//! These rows rank the FAQ by words alone (the fast path, `[faq] semantic =
//! false`). `shipped+semantic` is the shipped base with the FAQ's semantic layer
//! on, as carebot runs by default: the entries are embedded before the timing
//! starts (as the disk cache makes them at a real start), and the row says how
//! many messages the encoder read. It times 2,000 messages unless
//! `CAREBOT_REPORT_MESSAGES` says otherwise.
//!
//! ```sh
//! cargo run --release --example engine_report                 # every base
//! cargo run --release --example engine_report -- synthetic-10k  # one base
//! ```
//!
//! `CAREBOT_REPORT_MESSAGES` sets how many messages are timed (default 20,000).
//! The criterion benches (`cargo bench --bench engine`) measure the same
//! workloads with confidence intervals.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use carebot::{Conversation, Engine};
use carebot_synthetic::{self as synthetic, Traffic, BENCH_SIZES, SEED};

const TRAFFIC_SEED: u64 = 11;

fn bases() -> Vec<&'static str> {
    let mut names = vec!["shipped", "shipped+semantic"];
    names.extend(BENCH_SIZES.iter().map(|(name, _)| *name));
    names
}

fn main() {
    match std::env::args().nth(1) {
        Some(base) => measure(&base),
        None => {
            println!("| knowledge base | FAQ entries | rules | load + index | resident memory (after − before) | replies/s (1 core) | mean | p50 | p99 | read by the encoder |");
            println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            let me = std::env::current_exe().expect("own path");
            for base in bases() {
                let status = Command::new(&me).arg(base).status().expect("runs");
                assert!(status.success(), "{base} failed");
            }
        }
    }
}

fn micros(duration: Duration) -> String {
    format!("{:.1} µs", duration.as_secs_f64() * 1e6)
}

fn measure(base: &str) {
    // Write the knowledge files first, outside the timing, so that what is timed
    // is exactly what a practice's server does at start: read the folder, validate
    // it and build the indexes.
    let work = tempfile::tempdir().expect("temp dir");
    let semantic = base == "shipped+semantic";
    let dir = if base == "shipped" || semantic {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
    } else {
        let (_, size) = BENCH_SIZES
            .iter()
            .find(|(name, _)| *name == base)
            .unwrap_or_else(|| panic!("unknown base {base}; one of {:?}", bases()));
        synthetic::write_knowledge(work.path(), *size, SEED).expect("write knowledge");
        work.path().to_path_buf()
    };
    let before = synthetic::resident_memory_kib().unwrap_or(0);
    let started = Instant::now();
    let knowledge = carebot::load_dir(&dir).expect("knowledge loads");
    let engine = Engine::new(knowledge);
    let engine = if semantic {
        engine
    } else {
        engine.lexical_only()
    };
    let load = started.elapsed();
    if semantic {
        // Embeds the entries (or reads them from the disk cache).
        std::hint::black_box(engine.rank_faq_by_meaning("warm up"));
    }
    let after = synthetic::resident_memory_kib().unwrap_or(0);

    let count: usize = std::env::var("CAREBOT_REPORT_MESSAGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if semantic { 2_000 } else { 20_000 });
    let messages = Traffic::new(engine.knowledge(), TRAFFIC_SEED).messages(count);
    // Warm the caches and the allocator.
    for message in messages.iter().take(if semantic { 200 } else { 2_000 }) {
        std::hint::black_box(engine.respond(&mut Conversation::default(), message));
    }
    let mut latencies = Vec::with_capacity(messages.len());
    let mut encoded = 0usize;
    let run = Instant::now();
    for message in &messages {
        let started = Instant::now();
        let outcome = engine.respond(&mut Conversation::default(), message);
        latencies.push(started.elapsed());
        encoded += usize::from(outcome.explanation.semantic);
        std::hint::black_box(outcome);
    }
    let total = run.elapsed();
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    let knowledge = engine.knowledge();
    println!(
        "| {base} | {} | {} | {:.0} ms | {:.1} MB ({:.1} MB) | {:.0} | {} | {} | {} | {:.0}% |",
        knowledge.faqs.len(),
        knowledge.rules.len(),
        load.as_secs_f64() * 1e3,
        after as f64 / 1024.0,
        after.saturating_sub(before) as f64 / 1024.0,
        messages.len() as f64 / total.as_secs_f64(),
        micros(total / messages.len() as u32),
        micros(percentile(0.50)),
        micros(percentile(0.99)),
        100.0 * encoded as f64 / messages.len() as f64,
    );
}
