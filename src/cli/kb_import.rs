//! `carebot kb import FILE.csv`: most practices keep their FAQs in a spreadsheet
//! or on a web page; this turns such a CSV into a valid knowledge file that the
//! practice then edits. Bad rows are reported by line number and skipped; every
//! good row is kept.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use carebot::knowledge::toml_string;

/// One FAQ entry read from a CSV row.
struct ImportedEntry {
    id: String,
    questions: Vec<String>,
    keywords: Vec<String>,
    answer: String,
}

/// A made-up id from a question: "What are your opening hours?" → "what-are-your-opening-hours".
fn slug(text: &str) -> String {
    let mut slug = String::new();
    for c in carebot::text::normalize(text).chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(48).collect();
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "entry".to_string()
    } else {
        slug
    }
}

/// Answers are templates: braces from a spreadsheet are literal text.
fn escape_braces(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

fn split_list(text: &str) -> Vec<String> {
    text.split(['|', '\n', ';'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn run(
    knowledge: &Path,
    csv_path: &Path,
    out: Option<&Path>,
    force: bool,
    owner: &str,
) -> Result<ExitCode, ExitCode> {
    let out: PathBuf = out.map_or_else(
        || knowledge.join("faq").join("imported.toml"),
        Path::to_path_buf,
    );
    if out.exists() && !force {
        eprintln!(
            "carebot: {} already exists; choose another --out or add --force",
            out.display()
        );
        return Err(ExitCode::FAILURE);
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(csv_path)
        .map_err(|error| {
            eprintln!("carebot: cannot read {}: {error}", csv_path.display());
            ExitCode::FAILURE
        })?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|error| {
            eprintln!(
                "carebot: {}: cannot read the header row: {error}",
                csv_path.display()
            );
            ExitCode::FAILURE
        })?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (Some(question_column), Some(answer_column)) = (
        column(&["question", "questions"]),
        column(&["answer", "answers"]),
    ) else {
        eprintln!(
            "carebot: {}:1: the header row must name a `question` and an `answer` column (found: {})",
            csv_path.display(),
            headers.join(", ")
        );
        return Err(ExitCode::FAILURE);
    };
    let id_column = column(&["id"]);
    let extra_column = column(&["extra questions", "examples", "other questions", "variants"]);
    let keyword_column = column(&["keywords", "keyword", "tags"]);

    let mut entries: Vec<ImportedEntry> = Vec::new();
    let mut ids: HashSet<String> = HashSet::new();
    let mut skipped = 0;
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                eprintln!("{}:{line}: row skipped: {error}", csv_path.display());
                skipped += 1;
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |index: Option<usize>| {
            index
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let question = field(Some(question_column));
        let answer = field(Some(answer_column));
        let problem = if question.is_empty() {
            Some("the question is empty")
        } else if answer.is_empty() {
            Some("the answer is empty")
        } else {
            None
        };
        if let Some(problem) = problem {
            eprintln!("{}:{line}: row skipped: {problem}", csv_path.display());
            skipped += 1;
            continue;
        }
        let wanted = field(id_column);
        let base = if wanted.is_empty() {
            slug(&question)
        } else {
            slug(&wanted)
        };
        let mut id = base.clone();
        let mut counter = 2;
        while !ids.insert(id.clone()) {
            id = format!("{base}-{counter}");
            counter += 1;
        }
        if !wanted.is_empty() && id != wanted {
            eprintln!(
                "{}:{line}: note: id `{wanted}` written as `{id}`",
                csv_path.display()
            );
        }
        let mut questions = vec![question];
        questions.extend(split_list(&field(extra_column)));
        entries.push(ImportedEntry {
            id,
            questions,
            keywords: split_list(&field(keyword_column)),
            answer,
        });
    }

    let today = jiff::Zoned::now().date();
    let mut text = format!(
        "# Imported from {} on {today} by `carebot kb import`.\n# Review every entry: add example questions, counter-examples and sources,\n# set `owner`, then run `carebot kb check` and `carebot kb test`.\n",
        csv_path.display()
    );
    let source = format!(
        "Imported from {}",
        csv_path.file_name().map_or_else(
            || csv_path.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        )
    );
    for entry in &entries {
        let list = |items: &[String]| {
            items
                .iter()
                .map(|q| format!("  {},", toml_string(q)))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let _ = write!(
            text,
            "\n[[faq]]\nid = {}\ntitle = {}\nquestions = [\n{}\n]\n",
            toml_string(&entry.id),
            toml_string(&entry.questions[0]),
            list(&entry.questions)
        );
        if !entry.keywords.is_empty() {
            let _ = writeln!(
                text,
                "keywords = [{}]",
                entry
                    .keywords
                    .iter()
                    .map(|k| toml_string(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let _ = write!(
            text,
            "answer = {}\nsources = [{}]\nreviewed = {today}\nowner = {}\n",
            toml_string(&escape_braces(&entry.answer)),
            toml_string(&source),
            toml_string(owner)
        );
    }
    if let Some(parent) = out.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::write(&out, text).map_err(|error| {
        eprintln!("carebot: cannot write {}: {error}", out.display());
        ExitCode::FAILURE
    })?;
    println!(
        "wrote {} FAQ entr{} to {}; skipped {skipped} row{}",
        entries.len(),
        if entries.len() == 1 { "y" } else { "ies" },
        out.display(),
        if skipped == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}
