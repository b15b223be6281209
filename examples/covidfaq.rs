//! FAQ retrieval benchmark on real user questions (benchmarks/covidfaq), or on
//! any folder holding the same two files (`faqs.jsonl`, `queries.jsonl`).
//!
//! Imports the FAQs through `carebot kb import`, sends every question through
//! `carebot ask --json --explain` twice, with the FAQ's semantic layer (the
//! default) and with `[faq] semantic = false` (words only), and ranks the same
//! questions with the sentence encoder alone (all-MiniLM-L6-v2, the very model
//! files carebot runs: the sentence-embedding baseline). Reports P@1, MRR@10,
//! how many questions are answered outright and how many of those are right,
//! the hybrid ranking's precision/coverage curve, and queries per second.
//!
//! ```sh
//! cargo run --release --example covidfaq            # benchmarks/covidfaq
//! cargo run --release --example covidfaq -- DIR     # another set
//! ```
//!
//! `benchmarks/covidfaq/run.sh` runs this and BM25 (rank_bm25) in one go.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use carebot::semantic::Encoder;
use serde::Deserialize;

#[derive(Deserialize)]
struct Faq {
    id: String,
    question: String,
    answer: String,
}

#[derive(Deserialize)]
struct Query {
    query: String,
    relevant_ids: Vec<String>,
    /// A set may label its questions' styles (paraphrase, consumer…).
    #[serde(default)]
    style: Option<String>,
}

fn carebot_binary() -> PathBuf {
    // The example lives in target/<profile>/examples/; the binary one level up.
    let mut path = std::env::current_exe().expect("own path");
    path.pop();
    path.pop();
    path.join("carebot")
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Vec<T> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("valid JSON line"))
        .collect()
}

/// Every query through `carebot ask --json --explain`; the replies and the
/// seconds it took.
fn ask_all(
    carebot: &Path,
    knowledge: &Path,
    config: &Path,
    queries: &[Query],
) -> (Vec<serde_json::Value>, f64) {
    let mut input = String::new();
    for (number, query) in queries.iter().enumerate() {
        input.push_str(
            &serde_json::json!({"user": number.to_string(), "text": query.query}).to_string(),
        );
        input.push('\n');
    }
    let data = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let mut child = Command::new(carebot)
        .arg("--config")
        .arg(config)
        .args(["ask", "--json", "--explain", "--knowledge"])
        .arg(knowledge)
        .arg("--data")
        .arg(data.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("carebot ask runs");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let replies: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(replies.len(), queries.len(), "one reply per query");
    (replies, elapsed)
}

/// P@1 and MRR@10 of rankings (entry ids, best first) against the queries.
fn rank_scores<'a>(
    queries: impl Iterator<Item = &'a Query>,
    rankings: impl Iterator<Item = Vec<String>>,
) -> (f64, f64, usize) {
    let (mut hits, mut reciprocal, mut n) = (0usize, 0f64, 0usize);
    for (query, ranking) in queries.zip(rankings) {
        n += 1;
        let relevant = |id: &String| query.relevant_ids.contains(id);
        if ranking.first().is_some_and(relevant) {
            hits += 1;
        }
        if let Some(rank) = ranking.iter().take(10).position(relevant) {
            reciprocal += 1.0 / (rank + 1) as f64;
        }
    }
    let d = n.max(1) as f64;
    (hits as f64 / d, reciprocal / d, n)
}

fn candidates(reply: &serde_json::Value) -> Vec<String> {
    reply["candidates"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|c| c["entry"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

struct Outright {
    answered: usize,
    right: usize,
}

fn outright(queries: &[Query], replies: &[serde_json::Value]) -> Outright {
    let mut out = Outright {
        answered: 0,
        right: 0,
    };
    for (query, reply) in queries.iter().zip(replies) {
        if reply["kind"] == "answer" {
            out.answered += 1;
            if reply["entry"]
                .as_str()
                .is_some_and(|id| query.relevant_ids.iter().any(|r| r == id))
            {
                out.right += 1;
            }
        }
    }
    out
}

/// The encoder alone: cosine between the query and each entry's text.
fn embedding_rankings(
    encoder: &Encoder,
    faqs: &[Faq],
    queries: &[Query],
    with_answer: bool,
) -> (Vec<Vec<String>>, f64) {
    let documents: Vec<Vec<f32>> = faqs
        .iter()
        .map(|faq| {
            if with_answer {
                encoder.embed(&format!("{} {}", faq.question, faq.answer))
            } else {
                encoder.embed(&faq.question)
            }
        })
        .collect();
    let started = Instant::now();
    let rankings = queries
        .iter()
        .map(|query| {
            let q = encoder.embed(&query.query);
            let mut scored: Vec<(f32, &str)> = documents
                .iter()
                .zip(faqs)
                .map(|(d, faq)| (carebot::semantic::dot(d, &q), faq.id.as_str()))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            scored
                .iter()
                .take(10)
                .map(|(_, id)| id.to_string())
                .collect()
        })
        .collect();
    (
        rankings,
        queries.len() as f64 / started.elapsed().as_secs_f64(),
    )
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("benchmarks/covidfaq"));
    let faqs: Vec<Faq> = read_jsonl(&data.join("faqs.jsonl"));
    let queries: Vec<Query> = read_jsonl(&data.join("queries.jsonl"));
    let carebot = carebot_binary();
    assert!(
        carebot.exists(),
        "build the binary first: cargo build --release"
    );

    let work = tempfile::tempdir().expect("temp dir");
    let knowledge = work.path().join("knowledge");
    std::fs::create_dir_all(&knowledge).unwrap();
    std::fs::copy(
        root.join("knowledge/practice.toml"),
        knowledge.join("practice.toml"),
    )
    .unwrap();
    let csv_path = work.path().join("faqs.csv");
    let mut writer = csv::Writer::from_path(&csv_path).unwrap();
    writer.write_record(["id", "question", "answer"]).unwrap();
    for faq in &faqs {
        writer
            .write_record([&faq.id, &faq.question, &faq.answer])
            .unwrap();
    }
    writer.flush().unwrap();
    let import = Command::new(&carebot)
        .args(["kb", "import", "--knowledge"])
        .arg(&knowledge)
        .arg(&csv_path)
        .output()
        .expect("carebot kb import runs");
    assert!(
        import.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&import.stderr)
    );
    let semantic_config = work.path().join("semantic.toml");
    std::fs::write(&semantic_config, "[faq]\nsemantic = true\n").unwrap();
    let lexical_config = work.path().join("lexical.toml");
    std::fs::write(&lexical_config, "[faq]\nsemantic = false\n").unwrap();

    // The first run embeds the entries (and fills the embedding cache); the
    // timed run is the second.
    ask_all(
        &carebot,
        &knowledge,
        &semantic_config,
        &queries[..1.min(queries.len())],
    );
    let (hybrid, hybrid_seconds) = ask_all(&carebot, &knowledge, &semantic_config, &queries);
    let (lexical, lexical_seconds) = ask_all(&carebot, &knowledge, &lexical_config, &queries);

    let encoder = Encoder::builtin();
    let (question_only, question_qps) = embedding_rankings(encoder, &faqs, &queries, false);
    let (with_answer, answer_qps) = embedding_rankings(encoder, &faqs, &queries, true);

    let name = data
        .file_name()
        .map_or("set".into(), |n| n.to_string_lossy().to_string());
    println!("{name}: {} FAQs, {} queries", faqs.len(), queries.len());
    println!();
    println!("| system | P@1 | MRR@10 | answered outright | right when answered | queries/s |");
    println!("|---|---:|---:|---:|---:|---:|");
    let n = queries.len() as f64;
    for (system, rankings, qps) in [
        (
            "all-MiniLM-L6-v2 embeddings, question (carebot's encoder)",
            question_only,
            question_qps,
        ),
        (
            "all-MiniLM-L6-v2 embeddings, question + answer",
            with_answer,
            answer_qps,
        ),
    ] {
        let (p1, mrr, _) = rank_scores(queries.iter(), rankings.into_iter());
        println!("| {system} | {p1:.3} | {mrr:.3} | | | {qps:.0} |");
    }
    for (system, replies, seconds) in [
        (
            "carebot, words only (`[faq] semantic = false`)",
            &lexical,
            lexical_seconds,
        ),
        ("**carebot** (hybrid, the default)", &hybrid, hybrid_seconds),
    ] {
        let (p1, mrr, _) = rank_scores(queries.iter(), replies.iter().map(candidates));
        let o = outright(&queries, replies);
        println!(
            "| {system} | {p1:.3} | {mrr:.3} | {:.1}% | {:.1}% | {:.0} |",
            100.0 * o.answered as f64 / n,
            100.0 * o.right as f64 / o.answered.max(1) as f64,
            n / seconds
        );
    }

    let mut styles: Vec<&str> = queries.iter().filter_map(|q| q.style.as_deref()).collect();
    styles.sort();
    styles.dedup();
    for style in styles {
        let chosen: Vec<usize> = (0..queries.len())
            .filter(|&i| queries[i].style.as_deref() == Some(style))
            .collect();
        let pick = |replies: &[serde_json::Value]| {
            rank_scores(
                chosen.iter().map(|&i| &queries[i]),
                chosen.iter().map(|&i| candidates(&replies[i])),
            )
        };
        let (hybrid_p1, _, count) = pick(&hybrid);
        let (lexical_p1, _, _) = pick(&lexical);
        println!("style {style} ({count} queries): P@1 hybrid {hybrid_p1:.3}, words only {lexical_p1:.3}");
    }

    // Precision against coverage for the hybrid ranking's top score, with the
    // engine's margin over the runner-up (0.2), over the questions the
    // semantic layer ranked (not those the lexical ranking was sure of, nor
    // those read as a health problem, which went to triage).
    println!();
    println!(
        "hybrid precision/coverage over all questions (top score at least t, 0.2 ahead of the next; {} of {} questions were ranked by the semantic layer):",
        hybrid.iter().filter(|r| r["semantic"] == true).count(),
        queries.len()
    );
    let ranked: Vec<(usize, f64, f64)> = hybrid
        .iter()
        .enumerate()
        .filter(|(_, r)| r["semantic"] == true)
        .filter_map(|(i, r)| {
            let list = r["candidates"].as_array()?;
            let top = list.first()?["score"].as_f64()?;
            let second = list
                .get(1)
                .and_then(|c| c["score"].as_f64())
                .unwrap_or(f64::MIN);
            Some((i, top, second))
        })
        .collect();
    for t in [0.8, 1.0, 1.2, 1.4, 1.6, 1.8] {
        let answered: Vec<usize> = ranked
            .iter()
            .filter(|(_, top, second)| *top >= t && *second <= top - 0.2)
            .map(|(i, _, _)| *i)
            .collect();
        let right = answered
            .iter()
            .filter(|&&i| {
                candidates(&hybrid[i])
                    .first()
                    .is_some_and(|id| queries[i].relevant_ids.contains(id))
            })
            .count();
        println!(
            "  t = {t:.1}: coverage {:.1}%, precision {:.1}%",
            100.0 * answered.len() as f64 / n,
            100.0 * right as f64 / answered.len().max(1) as f64
        );
    }
}
