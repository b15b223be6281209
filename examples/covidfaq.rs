//! FAQ retrieval benchmark on real user questions (benchmarks/covidfaq).
//!
//! Imports the 68 FAQs through `carebot kb import`, sends the 1,073 questions
//! through `carebot ask --json --explain`, and reports P@1, MRR@10 and queries
//! per second. Run with `cargo run --release --example covidfaq`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

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

/// Imported entry ids are made from the CSV `id` column: "covidfaq-1".
fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("benchmarks/covidfaq");
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

    let mut input = String::new();
    for (number, query) in queries.iter().enumerate() {
        input.push_str(
            &serde_json::json!({"user": number.to_string(), "text": query.query}).to_string(),
        );
        input.push('\n');
    }
    let started = Instant::now();
    let mut child = Command::new(&carebot)
        .args(["ask", "--json", "--explain", "--knowledge"])
        .arg(&knowledge)
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
    let (mut hits_at_1, mut reciprocal_ranks, mut answered, mut answered_right) =
        (0usize, 0f64, 0usize, 0usize);
    for (query, reply) in queries.iter().zip(&replies) {
        let candidates: Vec<&str> = reply["candidates"]
            .as_array()
            .map(|list| list.iter().filter_map(|c| c["entry"].as_str()).collect())
            .unwrap_or_default();
        let relevant = |id: &str| query.relevant_ids.iter().any(|r| r == id);
        if candidates.first().is_some_and(|id| relevant(id)) {
            hits_at_1 += 1;
        }
        if let Some(rank) = candidates.iter().take(10).position(|id| relevant(id)) {
            reciprocal_ranks += 1.0 / (rank + 1) as f64;
        }
        if reply["kind"] == "answer" {
            answered += 1;
            if reply["entry"].as_str().is_some_and(relevant) {
                answered_right += 1;
            }
        }
    }
    let n = queries.len() as f64;
    println!("covidfaq: {} FAQs, {} queries", faqs.len(), queries.len());
    println!("P@1     {:.3}", hits_at_1 as f64 / n);
    println!("MRR@10  {:.3}", reciprocal_ranks / n);
    println!(
        "answered outright {answered} ({:.1}%), of which right {answered_right} ({:.1}% precision)",
        100.0 * answered as f64 / n,
        100.0 * answered_right as f64 / answered.max(1) as f64
    );
    println!(
        "{:.0} queries/s end to end through `ask --json --explain` (one process, knowledge load included, {elapsed:.2} s)",
        n / elapsed
    );
}
