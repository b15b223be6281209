//! `carebot kb import FILE.csv`: most practices keep their FAQs in a spreadsheet
//! or on a web page; this turns such a CSV into a valid knowledge file that the
//! practice then edits. Bad rows are reported by their row number as the
//! spreadsheet shows it (the header is row 1) and skipped; every good row is
//! kept. Ids are made unique, against each other and against the FAQ entries
//! and rules already in the knowledge folder.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Deserialize;
use toml::Spanned;

use carebot::knowledge::problem::line_column;
use carebot::knowledge::{write_faq, FaqText};

use super::error::CliError;

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

/// The FAQ and rule ids in use (they share one namespace), and for each base
/// id the next number to try after it: de-duplicating counts on from there, so
/// 20,000 rows with the same id cost 20,000 steps rather than 200 million.
struct Ids {
    taken: HashSet<String>,
    /// Where each id of the knowledge folder is defined, to say so.
    in_knowledge: HashMap<String, String>,
    next_suffix: HashMap<String, usize>,
}

impl Ids {
    /// The ids already in `knowledge`'s files, except `out` (which the
    /// import replaces). Files that do not parse are passed over: `kb check`
    /// reports them, and a clash with their ids would show there too.
    fn in_folder(knowledge: &Path, out: &Path) -> Ids {
        #[derive(Deserialize)]
        struct Entries {
            #[serde(default)]
            faq: Vec<Entry>,
            #[serde(default)]
            rule: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            id: Option<Spanned<String>>,
        }
        let replaced = out.canonicalize().ok();
        let mut in_knowledge = HashMap::new();
        for path in carebot::knowledge::toml_files(knowledge).unwrap_or_default() {
            if replaced.is_some() && path.canonicalize().ok() == replaced {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(entries) = toml::from_str::<Entries>(&text) else {
                continue;
            };
            let shown = path.strip_prefix(knowledge).unwrap_or(&path);
            for id in entries
                .faq
                .into_iter()
                .chain(entries.rule)
                .filter_map(|e| e.id)
            {
                let (line, column) = line_column(&text, id.span().start);
                in_knowledge
                    .entry(id.into_inner())
                    .or_insert_with(|| format!("{}:{line}:{column}", shown.display()));
            }
        }
        Ids {
            taken: in_knowledge.keys().cloned().collect(),
            in_knowledge,
            next_suffix: HashMap::new(),
        }
    }

    /// A free id for `base`: `base` itself, else `base-2`, `base-3`…; with
    /// where `base` is defined if the knowledge folder already has it.
    fn claim(&mut self, base: &str) -> (String, Option<String>) {
        let mut id = base.to_string();
        if self.taken.contains(&id) {
            let suffix = self.next_suffix.entry(base.to_string()).or_insert(2);
            loop {
                id = format!("{base}-{suffix}");
                *suffix += 1;
                if !self.taken.contains(&id) {
                    break;
                }
            }
        }
        self.taken.insert(id.clone());
        let place = (id != base)
            .then(|| self.in_knowledge.get(base).cloned())
            .flatten();
        (id, place)
    }
}

/// Numbers the CSV's rows as a spreadsheet shows them: the header is row 1 and
/// every line break outside a quoted cell starts a row, blank lines included.
/// The csv reader's line numbers differ: it counts `\r\n` (which spreadsheets
/// save) as no line at all, gives a skipped blank line's number to the next
/// row, and counts the line breaks inside a cell.
struct SpreadsheetRows<'a> {
    bytes: &'a [u8],
    /// How far `line_breaks` has counted.
    scanned: usize,
    line_breaks: usize,
    /// The line breaks inside the cells of the rows read so far, which a
    /// spreadsheet shows within one row.
    inside_cells: usize,
}

impl<'a> SpreadsheetRows<'a> {
    fn new(bytes: &'a [u8]) -> SpreadsheetRows<'a> {
        SpreadsheetRows {
            bytes,
            scanned: 0,
            line_breaks: 0,
            inside_cells: 0,
        }
    }

    /// The row of `record`; records must come in file order.
    fn row_of(&mut self, record: &csv::ByteRecord) -> usize {
        let row = self.row_at(
            record
                .position()
                .map_or(self.scanned, |p| p.byte() as usize),
        );
        self.inside_cells += record
            .iter()
            .map(|cell| line_breaks(cell, 0..cell.len()))
            .sum::<usize>();
        row
    }

    /// The row of whatever starts at byte `start` (the csv reader's record
    /// start, which can fall before the blank lines it skipped).
    fn row_at(&mut self, start: usize) -> usize {
        let start = start.clamp(self.scanned, self.bytes.len());
        let content = start
            + self.bytes[start..]
                .iter()
                .take_while(|byte| matches!(byte, b'\r' | b'\n'))
                .count();
        self.line_breaks += line_breaks(self.bytes, self.scanned..content);
        self.scanned = content;
        1 + self.line_breaks.saturating_sub(self.inside_cells)
    }
}

/// The line breaks that start within `range` of `bytes`: `\r\n`, `\n` and a
/// lone `\r` each count once.
fn line_breaks(bytes: &[u8], range: std::ops::Range<usize>) -> usize {
    range
        .filter(|&i| match bytes[i] {
            b'\r' => true,
            b'\n' => i == 0 || bytes[i - 1] != b'\r',
            _ => false,
        })
        .count()
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
) -> Result<ExitCode, CliError> {
    let out: PathBuf = out.map_or_else(
        || knowledge.join("faq").join("imported.toml"),
        Path::to_path_buf,
    );
    if out.exists() && !force {
        return Err(CliError::failed(format!(
            "{} already exists; choose another --out or add --force",
            out.display()
        )));
    }
    let bytes = std::fs::read(csv_path).map_err(|error| {
        CliError::failed(format!("cannot read {}: {error}", csv_path.display()))
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut rows = SpreadsheetRows::new(&bytes);
    let header = reader.byte_headers().map_err(|error| {
        CliError::failed(format!(
            "{}: cannot read the header row: {error}",
            csv_path.display()
        ))
    })?;
    let header_row = rows.row_of(header);
    let headers: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_lowercase())
        .collect();
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (Some(question_column), Some(answer_column)) = (
        column(&["question", "questions"]),
        column(&["answer", "answers"]),
    ) else {
        return Err(CliError::failed(format!(
            "{}: row {header_row}: the header row must name a `question` and an `answer` column (found: {})",
            csv_path.display(),
            headers.join(", ")
        )));
    };
    let id_column = column(&["id"]);
    let extra_column = column(&["extra questions", "examples", "other questions", "variants"]);
    let keyword_column = column(&["keywords", "keyword", "tags"]);

    let mut ids = Ids::in_folder(knowledge, &out);
    let mut entries: Vec<ImportedEntry> = Vec::new();
    let mut skipped = 0;
    for record in reader.byte_records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let row = error
                    .position()
                    .map_or(0, |p| rows.row_at(p.byte() as usize));
                eprintln!("{}: row {row}: skipped: {error}", csv_path.display());
                skipped += 1;
                continue;
            }
        };
        let row = rows.row_of(&record);
        let Ok(record) = csv::StringRecord::from_byte_record(record) else {
            eprintln!(
                "{}: row {row}: skipped: the row is not UTF-8 text (save the spreadsheet as \"CSV UTF-8\")",
                csv_path.display()
            );
            skipped += 1;
            continue;
        };
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
            eprintln!("{}: row {row}: skipped: {problem}", csv_path.display());
            skipped += 1;
            continue;
        }
        let wanted = field(id_column);
        let base = if wanted.is_empty() {
            slug(&question)
        } else {
            slug(&wanted)
        };
        let (id, in_knowledge) = ids.claim(&base);
        if let Some(place) = in_knowledge {
            eprintln!(
                "{}: row {row}: note: id `{base}` is already used in the knowledge folder ({place}); written as `{id}`",
                csv_path.display()
            );
        } else if !wanted.is_empty() && id != wanted {
            eprintln!(
                "{}: row {row}: note: id `{wanted}` written as `{id}`",
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
    let sources = [source];
    let reviewed = today.to_string();
    for entry in &entries {
        write_faq(
            &mut text,
            &FaqText {
                id: &entry.id,
                title: &entry.questions[0],
                questions: &entry.questions,
                keywords: &entry.keywords,
                answer: &escape_braces(&entry.answer),
                sources: &sources,
                reviewed: &reviewed,
                owner,
            },
        );
    }
    if let Some(parent) = out.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::write(&out, text)
        .map_err(|error| CliError::failed(format!("cannot write {}: {error}", out.display())))?;
    println!(
        "wrote {} FAQ entr{} to {}; skipped {skipped} row{}",
        entries.len(),
        if entries.len() == 1 { "y" } else { "ies" },
        out.display(),
        if skipped == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}
