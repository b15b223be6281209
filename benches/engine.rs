//! Criterion benchmarks of the engine at practice and health-system scale.
//!
//! - `reply/<base>`: one patient message through `Engine::respond` (fresh
//!   conversation each time), cycling through 2,000 messages of mixed traffic
//!   from `carebot_synthetic::Traffic`; criterion reports it as replies per
//!   second (one thread, so one core). The FAQ is ranked by words alone (the
//!   fast path).
//! - `reply/shipped+semantic`: the same on the shipped base with the FAQ's
//!   semantic layer on, as carebot runs by default (entries embedded first).
//! - `encode/question`: one question through the sentence encoder.
//! - `load/<base>`: reading and validating the knowledge folder and building
//!   every index (`load_dir` + `Engine::new`), as a server does at start.
//!
//! Bases: the shipped `knowledge/` folder, and generated ones of 100, 1,000 and
//! 10,000 FAQ entries with 500 rules each. Run `cargo bench --bench engine`, or
//! one group with `cargo bench --bench engine -- reply/`. For p50/p99 latency and
//! resident memory, see `cargo run --release --example engine_report`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use carebot::{Conversation, Engine};
use carebot_synthetic::{self as synthetic, Traffic, BENCH_SIZES, SEED};

/// The knowledge folders, the generated ones written to a temporary folder
/// that lives as long as the benchmark.
fn bases(work: &Path) -> Vec<(&'static str, PathBuf)> {
    let mut bases = vec![(
        "shipped",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
    )];
    for (name, size) in BENCH_SIZES {
        let dir = work.join(name);
        synthetic::write_knowledge(&dir, size, SEED).expect("write knowledge");
        bases.push((name, dir));
    }
    bases
}

fn load(dir: &Path) -> Engine {
    Engine::new(carebot::load_dir(dir).expect("knowledge loads")).lexical_only()
}

fn reply(c: &mut Criterion) {
    let work = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("reply");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let semantic = Engine::new(carebot::load_dir(&shipped).expect("knowledge loads"));
    // Embeds the entries (or reads them from the disk cache) before timing.
    semantic.rank_faq_by_meaning("warm up");
    let mut engines: Vec<(&str, Engine)> = vec![("shipped+semantic", semantic)];
    engines.extend(
        bases(work.path())
            .into_iter()
            .map(|(name, dir)| (name, load(&dir))),
    );
    for (name, engine) in engines {
        let messages = Traffic::new(engine.knowledge(), 11).messages(2_000);
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            let mut next = 0;
            b.iter(|| {
                let message = &messages[next % messages.len()];
                next += 1;
                engine.respond(&mut Conversation::default(), message)
            })
        });
    }
    group.finish();
}

fn load_and_index(c: &mut Criterion) {
    let work = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    for (name, dir) in bases(work.path()) {
        group.bench_function(BenchmarkId::from_parameter(name), |b| b.iter(|| load(&dir)));
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let encoder = carebot::semantic::Encoder::builtin();
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("question", |b| {
        b.iter(|| encoder.embed("can I get my blood pressure tablets sorted before the weekend"))
    });
    group.finish();
}

criterion_group!(benches, reply, load_and_index, encode);
criterion_main!(benches);
