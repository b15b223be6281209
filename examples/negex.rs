//! Negation benchmark on the public NegEx test set (benchmarks/negex).
//!
//! Reads a NegEx annotation file (tab-separated, with a header row:
//! `Report No.`, `Concept`, `Sentence`, `Negation` = `Negated` | `Affirmed`),
//! asks [`carebot::findings::context_of`] for the context of every
//! (sentence, concept) pair, and scores negation detection: accuracy on
//! Negated vs not-Negated, and precision / recall / F1 for Negated.
//!
//! ```sh
//! cargo run --release --example negex -- benchmarks/negex/Annotations-1-120.txt \
//!     [--predictions FILE.jsonl] [--summary-json FILE.json]
//! ```
//!
//! Per-pair predictions are JSON lines (to `--predictions`, or to stdout when
//! it is not given): `{"id":row,"report":"..","concept":"..","gold":"negated"|
//! "affirmed","predicted":"negated"|"affirmed"|"not_found","context":".."}`,
//! where `id` is the 1-based data row (report numbers repeat) and `context` is
//! carebot's own label (historical and hypothetical count as not negated).
//! The summary goes to stderr; `--summary-json` also writes it as JSON for
//! benchmarks/negex/run.sh.
//!
//! Concept lookup, in this order (the summary counts each):
//! 1. the concept as annotated (carebot folds case and white space itself);
//! 2. with punctuation turned into spaces ("p.o. intake" → "p o intake");
//! 3. the longest word prefix of (2) that is found. carebot's phrase matcher
//!    does not match a phrase across punctuation (a clause boundary) or across
//!    a negation word, and many NegEx concepts are whole clauses such as
//!    "Abdomen soft, nontender, nondistended" or "Neck - Supple, no
//!    lymphadenopathy"; ConText places a target by where it starts, so the
//!    start of the concept ("abdomen soft", "neck") stands in for it.
//!
//! Targets still not found are reported as `not_found`, counted as affirmed for
//! the metrics, and counted separately in the summary.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use carebot::findings::{context_of, Context};
use serde::Serialize;

struct Args {
    file: PathBuf,
    predictions: Option<PathBuf>,
    summary_json: Option<PathBuf>,
}

fn parse_args() -> Args {
    let usage = "usage: negex FILE [--predictions FILE.jsonl] [--summary-json FILE.json]";
    let mut file = None;
    let mut predictions = None;
    let mut summary_json = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--predictions" => predictions = Some(PathBuf::from(args.next().expect(usage))),
            "--summary-json" => summary_json = Some(PathBuf::from(args.next().expect(usage))),
            "-h" | "--help" => {
                println!("{usage}");
                std::process::exit(0);
            }
            _ if file.is_none() && !arg.starts_with("--") => file = Some(PathBuf::from(arg)),
            _ => {
                eprintln!("{usage}");
                std::process::exit(2);
            }
        }
    }
    Args {
        file: file.unwrap_or_else(|| {
            eprintln!("{usage}");
            std::process::exit(2)
        }),
        predictions,
        summary_json,
    }
}

#[derive(Serialize)]
struct Prediction<'a> {
    id: usize,
    report: &'a str,
    concept: &'a str,
    gold: &'static str,
    predicted: &'static str,
    /// carebot's own context label, or "not_found".
    context: &'static str,
    /// How the concept was found: "as_annotated", "punctuation_stripped",
    /// "prefix" or "not_found".
    lookup: &'static str,
    /// For a "prefix" lookup, the words of the concept that were looked up.
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
}

#[derive(Serialize, Default)]
struct Summary {
    system: &'static str,
    pairs: usize,
    gold_negated: usize,
    true_positives: usize,
    false_positives: usize,
    false_negatives: usize,
    true_negatives: usize,
    accuracy: f64,
    precision: f64,
    recall: f64,
    f1: f64,
    not_found: usize,
    found_as_annotated: usize,
    found_after_punctuation_stripped: usize,
    found_by_prefix: usize,
    historical: usize,
    hypothetical: usize,
}

/// The concept's words with punctuation turned into spaces.
fn words_without_punctuation(concept: &str) -> Vec<String> {
    concept
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// How a concept was found in its sentence.
enum Lookup {
    AsAnnotated,
    PunctuationStripped,
    /// The first words of the concept (punctuation stripped).
    Prefix(String),
    NotFound,
}

/// carebot's context for `concept` in `sentence`, trying the concept as
/// annotated, then without punctuation, then its longest prefix that is found.
fn lookup(sentence: &str, concept: &str) -> (Option<Context>, Lookup) {
    if let Some(context) = context_of(sentence, concept) {
        return (Some(context), Lookup::AsAnnotated);
    }
    let words = words_without_punctuation(concept);
    let collapsed = concept.split_whitespace().collect::<Vec<_>>().join(" ");
    let stripped = words.join(" ");
    if !stripped.is_empty() && stripped != collapsed {
        if let Some(context) = context_of(sentence, &stripped) {
            return (Some(context), Lookup::PunctuationStripped);
        }
    }
    for n in (1..words.len()).rev() {
        let prefix = words[..n].join(" ");
        if let Some(context) = context_of(sentence, &prefix) {
            return (Some(context), Lookup::Prefix(prefix));
        }
    }
    (None, Lookup::NotFound)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn main() {
    let args = parse_args();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .has_headers(true)
        .flexible(true)
        .from_path(&args.file)
        .unwrap_or_else(|e| panic!("{}: {e}", args.file.display()));

    let mut out: Box<dyn Write> = match &args.predictions {
        Some(path) => Box::new(BufWriter::new(
            std::fs::File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };

    let mut summary = Summary {
        system: "carebot",
        ..Summary::default()
    };
    for (row, record) in reader.records().enumerate() {
        let record = record.unwrap_or_else(|e| panic!("{}: {e}", args.file.display()));
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let (report, concept, sentence, status) = (field(0), field(1), field(2), field(3));
        let gold_negated = match status {
            "Negated" => true,
            "Affirmed" => false,
            other => panic!("row {}: unknown negation status {other:?}", row + 1),
        };

        let (context, how) = lookup(sentence, concept);
        let (predicted, label) = match context {
            None => ("not_found", "not_found"),
            Some(Context::Negated) => ("negated", "negated"),
            Some(Context::Affirmed) => ("affirmed", "affirmed"),
            Some(Context::Historical) => ("affirmed", "historical"),
            Some(Context::Hypothetical) => ("affirmed", "hypothetical"),
        };
        let predicted_negated = predicted == "negated";

        summary.pairs += 1;
        summary.gold_negated += usize::from(gold_negated);
        summary.not_found += usize::from(context.is_none());
        match how {
            Lookup::AsAnnotated => summary.found_as_annotated += 1,
            Lookup::PunctuationStripped => summary.found_after_punctuation_stripped += 1,
            Lookup::Prefix(_) => summary.found_by_prefix += 1,
            Lookup::NotFound => {}
        }
        summary.historical += usize::from(context == Some(Context::Historical));
        summary.hypothetical += usize::from(context == Some(Context::Hypothetical));
        match (gold_negated, predicted_negated) {
            (true, true) => summary.true_positives += 1,
            (false, true) => summary.false_positives += 1,
            (true, false) => summary.false_negatives += 1,
            (false, false) => summary.true_negatives += 1,
        }

        let line = Prediction {
            id: row + 1,
            report,
            concept,
            gold: if gold_negated { "negated" } else { "affirmed" },
            predicted,
            context: label,
            lookup: match how {
                Lookup::AsAnnotated => "as_annotated",
                Lookup::PunctuationStripped => "punctuation_stripped",
                Lookup::Prefix(_) => "prefix",
                Lookup::NotFound => "not_found",
            },
            target: match how {
                Lookup::Prefix(prefix) => Some(prefix),
                _ => None,
            },
        };
        serde_json::to_writer(&mut out, &line).expect("write prediction");
        out.write_all(b"\n").expect("write prediction");
    }
    out.flush().expect("write predictions");

    let s = &mut summary;
    s.accuracy = ratio(s.true_positives + s.true_negatives, s.pairs);
    s.precision = ratio(s.true_positives, s.true_positives + s.false_positives);
    s.recall = ratio(s.true_positives, s.true_positives + s.false_negatives);
    s.f1 = if s.precision + s.recall == 0.0 {
        0.0
    } else {
        2.0 * s.precision * s.recall / (s.precision + s.recall)
    };

    eprintln!(
        "carebot on {}: {} pairs ({} negated)\n  negation accuracy {:.3}\n  negated precision {:.3} recall {:.3} F1 {:.3}  (TP {} FP {} FN {} TN {})\n  not found {} (counted as affirmed)\n  found as annotated {}, after stripping punctuation {}, by a prefix of the concept {}\n  historical {}, hypothetical {} (counted as not negated)",
        args.file.display(),
        s.pairs,
        s.gold_negated,
        s.accuracy,
        s.precision,
        s.recall,
        s.f1,
        s.true_positives,
        s.false_positives,
        s.false_negatives,
        s.true_negatives,
        s.not_found,
        s.found_as_annotated,
        s.found_after_punctuation_stripped,
        s.found_by_prefix,
        s.historical,
        s.hypothetical,
    );
    if let Some(path) = &args.summary_json {
        let json = serde_json::to_string_pretty(&summary).expect("summary JSON");
        std::fs::write(path, json + "\n").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
