//! Reading a knowledge folder and validating it into a [`Knowledge`].
//!
//! Every problem is collected (not just the first) and located by file, line and
//! column, so one run of `carebot kb check` shows the practice everything to fix.
//! Loading never panics on bad input: unreadable files, invalid UTF-8, TOML syntax
//! errors and semantic mistakes all become [`Problem`]s.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::practice::{Messages, OpeningHours, Practice, BUILTIN_PLACEHOLDERS, WEEKDAY_NAMES};
use super::problem::{LineIndex, Problem, Severity};
use super::quantity::{parse_duration_days, parse_temperature_celsius};
use super::raw::{
    RawAsk, RawConcept, RawFaq, RawFile, RawNotice, RawPair, RawPractice, RawRule,
    RawTranslationFile, RawWhen,
};
use super::template::{self, TemplateError};
use super::{
    Ask, AskAbout, Bound, Comparison, Concept, Conditions, EntryTests, FaqEntry, Knowledge, Level,
    Notice, Origin, Quantity, Review, TriageRule,
};
use crate::text::{Analyzer, Language};

mod translations;

/// One knowledge file's path and text.
#[derive(Debug, Clone)]
pub struct KnowledgeFile {
    pub path: PathBuf,
    pub source: String,
}

/// Loads and validates every `*.toml` file under `dir`.
pub fn load_dir(dir: &Path) -> Result<Knowledge, Vec<Problem>> {
    load_dir_with(dir, None, None)
}

/// Checks `file`, a notice file to send (`carebot notice send`), exactly as
/// if it were one more file of the knowledge folder `dir`, except that a
/// notice without `publish_at` comes into force at `now`: the knowledge with
/// it, or every problem (the file's under its own path).
pub fn load_dir_and_notice_file(
    dir: &Path,
    file: &Path,
    now: jiff::Timestamp,
) -> Result<Knowledge, Vec<Problem>> {
    load_dir_with(dir, Some(file), Some(now))
}

fn load_dir_with(
    dir: &Path,
    extra: Option<&Path>,
    publish_now: Option<jiff::Timestamp>,
) -> Result<Knowledge, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    let mut paths = toml_files(dir).map_err(|error| {
        vec![Problem::error_at(
            dir,
            "",
            0,
            format!("cannot read the knowledge folder: {error}"),
        )]
    })?;
    paths.extend(extra.map(Path::to_path_buf));
    for path in paths {
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(source) => files.push(KnowledgeFile { path, source }),
                Err(error) => {
                    let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
                    let text = String::from_utf8_lossy(valid).into_owned();
                    problems.push(Problem::error_at(
                        &path,
                        &text,
                        text.len(),
                        "the file is not UTF-8 text (save it as UTF-8 in your editor)",
                    ));
                }
            },
            Err(error) => problems.push(Problem::error_at(
                &path,
                "",
                0,
                format!("cannot read the file: {error}"),
            )),
        }
    }
    match load_files_with(dir, files, publish_now) {
        Ok(knowledge) if problems.is_empty() => Ok(knowledge),
        Ok(_) => Err(problems),
        Err(mut more) => {
            problems.append(&mut more);
            Err(problems)
        }
    }
}

/// Every `*.toml` file under `dir`, in path order: the files a knowledge
/// folder is made of, for the tools that look at them before loading.
pub fn toml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    collect_toml_paths(dir, &mut paths)?;
    paths.sort();
    Ok(paths)
}

fn collect_toml_paths(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            collect_toml_paths(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Validates already-read knowledge files; `dir` names the knowledge base.
pub fn load_files(dir: &Path, files: Vec<KnowledgeFile>) -> Result<Knowledge, Vec<Problem>> {
    load_files_with(dir, files, None)
}

fn load_files_with(
    dir: &Path,
    files: Vec<KnowledgeFile>,
    publish_now: Option<jiff::Timestamp>,
) -> Result<Knowledge, Vec<Problem>> {
    let mut validator = Validator {
        problems: Vec::new(),
        analyzer: Analyzer::without_vocabulary(),
        publish_now,
    };
    let mut parsed = Vec::new();
    let mut translated = Vec::new();
    for file in &files {
        if translations::is_translation(&file.source) {
            if let Some(raw) = parse::<RawTranslationFile>(file, &mut validator.problems) {
                translated.push((file, raw));
            }
        } else if let Some(raw) = parse::<RawFile>(file, &mut validator.problems) {
            parsed.push((file, raw));
        }
    }
    let mut knowledge = validator.validate(dir, parsed);
    if let Some(knowledge) = &mut knowledge {
        let line_indexes: Vec<LineIndex> = translated
            .iter()
            .map(|(file, _)| LineIndex::new(&file.source))
            .collect();
        let sources = translated
            .into_iter()
            .zip(&line_indexes)
            .map(|((file, raw), lines)| {
                let source = Source {
                    path: &file.path,
                    text: &file.source,
                    lines,
                };
                (source, raw)
            })
            .collect();
        validator.translations(knowledge, sources);
    }
    // Report top to bottom, file by file, as an editor would walk them.
    validator
        .problems
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    match knowledge {
        Some(knowledge) if validator.problems.is_empty() => Ok(knowledge),
        _ => Err(validator.problems),
    }
}

struct Validator {
    problems: Vec<Problem>,
    analyzer: Analyzer,
    /// When a notice without `publish_at` comes into force: `None` in the
    /// knowledge folder, where it is required; the moment of sending for
    /// `carebot notice send`.
    publish_now: Option<jiff::Timestamp>,
}

/// The file a value came from, for locating problems.
#[derive(Clone, Copy)]
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
    lines: &'a LineIndex,
}

fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

impl Validator {
    fn error<T>(&mut self, source: Source, at: &Spanned<T>, message: impl Into<String>) {
        self.error_at(source, at.span().start, message);
    }

    fn error_at(&mut self, source: Source, offset: usize, message: impl Into<String>) {
        let at = Self::origin_at(source, offset);
        self.problems
            .push(Problem::at(Severity::Error, &at, message));
    }

    fn origin<T>(source: Source, at: &Spanned<T>) -> Origin {
        Self::origin_at(source, at.span().start)
    }

    /// Locates byte `offset` of the file with its line index: a file with
    /// thousands of entries and problems is not scanned from the top for each.
    fn origin_at(source: Source, offset: usize) -> Origin {
        let (line, column) = source.lines.line_column(source.text, offset);
        Origin {
            file: source.path.to_path_buf(),
            line,
            column,
        }
    }

    fn validate(
        &mut self,
        dir: &Path,
        parsed: Vec<(&KnowledgeFile, RawFile)>,
    ) -> Option<Knowledge> {
        let mut practices = Vec::new();
        let mut concepts = Vec::new();
        let mut faqs = Vec::new();
        let mut rules = Vec::new();
        let mut notices = Vec::new();
        let line_indexes: Vec<LineIndex> = parsed
            .iter()
            .map(|(file, _)| LineIndex::new(&file.source))
            .collect();
        for ((file, raw), lines) in parsed.into_iter().zip(&line_indexes) {
            let source = Source {
                path: &file.path,
                text: &file.source,
                lines,
            };
            if let Some(practice) = raw.practice {
                practices.push((source, practice));
            }
            concepts.extend(raw.concept.into_iter().map(|c| (source, c)));
            faqs.extend(raw.faq.into_iter().map(|f| (source, f)));
            rules.extend(raw.rule.into_iter().map(|r| (source, r)));
            notices.extend(raw.notice.into_iter().map(|n| (source, n)));
        }

        let practice = self.practice(dir, practices);
        let concepts = self.concepts(concepts);
        let mut concept_ids: HashSet<String> = concepts.iter().map(|c| c.id.clone()).collect();
        // The built-in finding a red-flag screen starts from.
        concept_ids.insert(super::HEALTH_PROBLEM.to_string());
        let placeholders = practice
            .as_ref()
            .map(Practice::placeholders)
            .unwrap_or_default();
        let mut entry_ids: HashMap<String, Origin> = HashMap::new();
        let faqs: Vec<FaqEntry> = faqs
            .into_iter()
            .filter_map(|(source, raw)| self.faq(source, raw, &placeholders, &mut entry_ids))
            .collect();
        let emergency_number = practice
            .as_ref()
            .map(|p| p.emergency_number.clone())
            .unwrap_or_default();
        let rules: Vec<TriageRule> = rules
            .into_iter()
            .filter_map(|(source, raw)| {
                self.rule(
                    source,
                    raw,
                    &concept_ids,
                    &placeholders,
                    &emergency_number,
                    &mut entry_ids,
                )
            })
            .collect();
        let notices: Vec<Notice> = match &practice {
            Some(practice) => notices
                .into_iter()
                .filter_map(|(source, raw)| {
                    self.notice(source, raw, practice, &placeholders, &mut entry_ids)
                })
                .collect(),
            None => Vec::new(),
        };
        Some(Knowledge {
            practice: practice?,
            concepts,
            faqs,
            rules,
            notices,
            source: dir.to_path_buf(),
            language: Language::English,
            translations: BTreeMap::new(),
        })
    }

    fn practice(
        &mut self,
        dir: &Path,
        mut found: Vec<(Source, Spanned<RawPractice>)>,
    ) -> Option<Practice> {
        if found.is_empty() {
            self.problems.push(Problem::error_at(
                &dir.join("practice.toml"),
                "",
                0,
                "no [practice] table in the knowledge folder: add practice.toml with the practice's name, phone, emergency number...",
            ));
            return None;
        }
        for (source, extra) in found.iter().skip(1) {
            let (first_source, first) = &found[0];
            let first_at = Self::origin(*first_source, first);
            self.error(
                *source,
                extra,
                format!("a second [practice] table; the first is at {first_at}"),
            );
        }
        let (source, raw) = found.swap_remove(0);
        let raw = raw.into_inner();
        let required = |value: &Spanned<String>, key: &str, this: &mut Self| {
            if value.get_ref().trim().is_empty() {
                this.error(source, value, format!("practice `{key}` is empty"));
            }
            value.get_ref().trim().to_string()
        };
        let name = required(&raw.name, "name", self);
        let phone = required(&raw.phone, "phone", self);
        let emergency_number = required(&raw.emergency_number, "emergency_number", self);
        // Patients read "Call {emergency_number} now": it must be a number to dial.
        let dialable = emergency_number
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')' | '.'));
        let digits = emergency_number
            .chars()
            .filter(char::is_ascii_digit)
            .count();
        let valid = dialable && (2..=15).contains(&digits);
        if !emergency_number.is_empty() && !valid {
            self.error(
                source,
                &raw.emergency_number,
                format!("practice `emergency_number` is `{emergency_number}`: it must be a number to dial (digits, spaces, `-`, `+`, `(`, `)`), such as \"911\", \"999\" or \"112\""),
            );
        }
        let crisis_line = required(&raw.crisis_line, "crisis_line", self);
        let portal_url = required(&raw.portal_url, "portal_url", self);
        let address = required(&raw.address, "address", self);
        let after_hours_line = required(&raw.after_hours_line, "after_hours_line", self);
        let timezone = raw.timezone.get_ref().trim().to_string();
        let time_zone = match jiff::tz::TimeZone::get(&timezone) {
            Ok(zone) => zone,
            Err(_) => {
                self.error(
                    source,
                    &raw.timezone,
                    format!("unknown time zone `{timezone}`: use an IANA name such as \"America/New_York\" or \"Europe/London\""),
                );
                jiff::tz::TimeZone::UTC
            }
        };

        let mut hours = OpeningHours::default();
        for (day, value) in &raw.hours {
            match WEEKDAY_NAMES.iter().position(|name| name == day.get_ref()) {
                Some(index) => match OpeningHours::parse_day(value.get_ref()) {
                    Ok(ranges) => hours.days[index] = ranges,
                    Err(message) => self.error(source, value, message),
                },
                None => self.error(
                    source,
                    day,
                    format!(
                        "`{}` is not a day of the week (monday ... sunday)",
                        day.get_ref()
                    ),
                ),
            }
        }

        let mut extra = BTreeMap::new();
        for (key, value) in &raw.extra {
            if BUILTIN_PLACEHOLDERS.contains(&key.get_ref().as_str()) {
                self.error(
                    source,
                    key,
                    format!(
                        "`{}` is a built-in setting; set it in [practice] instead",
                        key.get_ref()
                    ),
                );
            } else if !is_valid_id(key.get_ref()) {
                self.error(source, key, format!("`{}` is not a valid placeholder name (lower-case letters, digits, _ and -)", key.get_ref()));
            } else {
                extra.insert(key.get_ref().clone(), value.get_ref().clone());
            }
        }

        let mut practice = Practice {
            name,
            phone,
            emergency_number,
            crisis_line,
            portal_url,
            address,
            after_hours_line,
            timezone,
            time_zone,
            hours,
            extra,
            messages: Messages::from_rendered(BTreeMap::new()),
            notice_topics: Vec::new(),
            languages: vec![Language::English],
        };
        for code in &raw.languages {
            match Language::parse(code.get_ref()) {
                Some(language) if practice.languages.contains(&language) => {
                    if language != Language::English {
                        self.error(
                            source,
                            code,
                            format!("language `{}` is listed twice", code.get_ref()),
                        );
                    }
                }
                Some(language) => practice.languages.push(language),
                None => {
                    let known: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
                    self.error(
                        source,
                        code,
                        format!(
                            "unknown language `{}`; carebot speaks: {}",
                            code.get_ref(),
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        for topic in &raw.notice_topics {
            if !is_valid_id(topic.get_ref()) {
                self.error(
                    source,
                    topic,
                    format!(
                        "`{}` is not a valid notice topic (lower-case letters, digits, _ and -)",
                        topic.get_ref()
                    ),
                );
            } else if practice.notice_topics.contains(topic.get_ref()) {
                self.error(
                    source,
                    topic,
                    format!("notice topic `{}` is listed twice", topic.get_ref()),
                );
            } else {
                practice.notice_topics.push(topic.get_ref().clone());
            }
        }

        let placeholders = practice.placeholders();
        let defaults = Messages::default_templates();
        let mut templates: BTreeMap<String, (Option<&Spanned<String>>, String)> = defaults
            .iter()
            .map(|(key, text)| (key.to_string(), (None, text.to_string())))
            .collect();
        for (key, value) in &raw.messages {
            match templates.get_mut(key.get_ref()) {
                Some(slot) => *slot = (Some(value), value.get_ref().clone()),
                None => self.unknown_message(source, key),
            }
        }
        let mut rendered = BTreeMap::new();
        for (key, (spanned, text)) in templates {
            let value = match spanned {
                Some(spanned) => self.render(source, spanned, &placeholders),
                None => template::render(&text, &placeholders).ok(),
            };
            rendered.insert(key, value.unwrap_or_default());
        }
        practice.messages = Messages::from_rendered(rendered);
        Some(practice)
    }

    /// Fills in placeholders, reporting unknown ones where they stand in the file.
    fn render(
        &mut self,
        source: Source,
        text: &Spanned<String>,
        placeholders: &BTreeMap<String, String>,
    ) -> Option<String> {
        match template::render(text.get_ref(), placeholders) {
            Ok(rendered) => Some(rendered),
            Err(error) => {
                let (offset, message) = match error {
                    // No practice settings could be read (that error is
                    // reported where it stands): every placeholder is then
                    // unknown, and hundreds of such errors would only hide it.
                    TemplateError::Unknown(_) if placeholders.is_empty() => return None,
                    TemplateError::Unknown(unknown) => {
                        // A BTreeMap's keys come sorted.
                        let known: Vec<&str> = placeholders.keys().map(String::as_str).collect();
                        (
                            unknown.offset,
                            format!(
                                "unknown placeholder `{{{}}}`; known placeholders: {}",
                                unknown.name,
                                known
                                    .iter()
                                    .map(|k| format!("{{{k}}}"))
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            ),
                        )
                    }
                    TemplateError::Unclosed { offset } => (
                        offset,
                        "a `{` is never closed; write `{{` for a literal brace".to_string(),
                    ),
                };
                let at = locate_in_string(source.text, text.span(), text.get_ref(), offset);
                self.error_at(source, at, message);
                None
            }
        }
    }

    fn check_id(&mut self, source: Source, id: &Spanned<String>, what: &str) -> bool {
        if is_valid_id(id.get_ref()) {
            return true;
        }
        self.error(
            source,
            id,
            format!(
                "{what} id `{}` must be lower-case letters, digits, `_` and `-`",
                id.get_ref()
            ),
        );
        false
    }

    fn concepts(&mut self, raw: Vec<(Source, Spanned<RawConcept>)>) -> Vec<Concept> {
        let mut seen: HashMap<String, Origin> = HashMap::new();
        let mut concepts = Vec::new();
        let mut raw_includes = Vec::new();
        for (source, spanned) in raw {
            let origin = Self::origin(source, &spanned);
            let raw: RawConcept = spanned.into_inner();
            if !self.check_id(source, &raw.id, "concept") {
                continue;
            }
            let id = raw.id.get_ref().clone();
            if matches!(
                id.as_str(),
                "age" | "temperature" | "duration" | "pregnancy"
            ) {
                self.error(source, &raw.id, format!("`{id}` is a reserved name (follow-up questions use it for the built-in {id} modifier); call the concept something else"));
                continue;
            }
            if let Some(first) = seen.get(&id) {
                self.error(
                    source,
                    &raw.id,
                    format!("duplicate concept id `{id}`; it is first defined at {first}"),
                );
                continue;
            }
            seen.insert(id.clone(), origin.clone());
            if raw.words.is_empty() && raw.includes.is_empty() && raw.pair.is_empty() {
                self.error(source, &raw.id, format!("concept `{id}` has no `words` (and no `includes`): nothing can ever match it"));
            }
            for pair in &raw.pair {
                for (key, list) in [("words", &pair.words), ("with", &pair.with)] {
                    if list.get_ref().is_empty() {
                        self.error(
                            source,
                            list,
                            format!("`pair.{key}` is empty: a pair needs a word on each side"),
                        );
                    }
                }
            }
            self.check_phrases(source, None, &raw.words, &raw.absent_words, &raw.pair);
            raw_includes.push((source, raw.includes.clone()));
            let (words, absent_words) = concept_phrases(&raw.words, &raw.absent_words, &raw.pair);
            concepts.push(Concept {
                id,
                words,
                absent_words,
                includes: raw.includes.iter().map(|w| w.get_ref().clone()).collect(),
                neutral: raw.neutral,
                overlay: raw.overlay,
                lasting: raw.lasting,
                origin,
            });
        }
        for (source, includes) in &raw_includes {
            for included in includes {
                if !seen.contains_key(included.get_ref()) {
                    self.error(
                        *source,
                        included,
                        format!("`includes` names unknown concept `{}`", included.get_ref()),
                    );
                }
            }
        }
        if let Some(cycle) = find_include_cycle(&concepts) {
            let concept = concepts
                .iter()
                .find(|c| c.id == cycle[0])
                .expect("cycle member exists");
            self.problems.push(Problem::at(
                Severity::Error,
                &concept.origin,
                format!(
                    "concepts include each other in a circle: {}",
                    cycle.join(" → ")
                ),
            ));
        }
        concepts
    }

    fn review(
        &mut self,
        source: Source,
        sources: &[Spanned<String>],
        reviewed: &Spanned<toml::Value>,
        owner: &Spanned<String>,
    ) -> Option<Review> {
        let date = match reviewed.get_ref() {
            toml::Value::Datetime(datetime) if datetime.time.is_none() => {
                datetime.date.and_then(|d| {
                    jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).ok()
                })
            }
            toml::Value::String(text) => text.trim().parse::<jiff::civil::Date>().ok(),
            _ => None,
        };
        let Some(reviewed_date) = date else {
            self.error(
                source,
                reviewed,
                "`reviewed` must be a date like 2026-11-01",
            );
            return None;
        };
        if owner.get_ref().trim().is_empty() {
            self.error(
                source,
                owner,
                "`owner` is empty: name who is responsible for this entry",
            );
        }
        Some(Review {
            sources: sources.iter().map(|s| s.get_ref().clone()).collect(),
            reviewed: reviewed_date,
            owner: owner.get_ref().trim().to_string(),
        })
    }

    fn claim_entry_id(
        &mut self,
        source: Source,
        id: &Spanned<String>,
        ids: &mut HashMap<String, Origin>,
    ) -> bool {
        if !self.check_id(source, id, "entry") {
            return false;
        }
        if let Some(first) = ids.get(id.get_ref()) {
            self.error(
                source,
                id,
                format!(
                    "duplicate id `{}`; it is first defined at {first}",
                    id.get_ref()
                ),
            );
            return false;
        }
        ids.insert(id.get_ref().clone(), Self::origin(source, id));
        true
    }

    fn tests(
        examples: &[Spanned<String>],
        counter_examples: &[Spanned<String>],
        dialogues: &[Spanned<Vec<String>>],
    ) -> EntryTests {
        EntryTests {
            examples: examples.iter().map(|e| e.get_ref().clone()).collect(),
            counter_examples: counter_examples
                .iter()
                .map(|e| e.get_ref().clone())
                .collect(),
            dialogues: dialogues.iter().map(|d| d.get_ref().clone()).collect(),
        }
    }

    fn faq(
        &mut self,
        source: Source,
        spanned: Spanned<RawFaq>,
        placeholders: &BTreeMap<String, String>,
        ids: &mut HashMap<String, Origin>,
    ) -> Option<FaqEntry> {
        let origin = Self::origin(source, &spanned);
        let raw = spanned.into_inner();
        let id_ok = self.claim_entry_id(source, &raw.id, ids);
        if raw.questions.get_ref().is_empty() {
            self.error(
                source,
                &raw.questions,
                format!(
                    "FAQ `{}` has no questions: add the ways patients ask it",
                    raw.id.get_ref()
                ),
            );
        }
        if raw.answer.get_ref().trim().is_empty() {
            self.error(
                source,
                &raw.answer,
                format!("FAQ `{}` has an empty answer", raw.id.get_ref()),
            );
        }
        for dialogue in &raw.dialogues {
            if dialogue.get_ref().is_empty() {
                self.error(
                    source,
                    dialogue,
                    "an empty dialogue: list the patient's messages in order",
                );
            }
        }
        let answer = self.render(source, &raw.answer, placeholders);
        let review = self.review(source, &raw.sources, &raw.reviewed, &raw.owner);
        let questions: Vec<String> = raw
            .questions
            .get_ref()
            .iter()
            .map(|q| q.get_ref().clone())
            .collect();
        let title = raw
            .title
            .map(|t| t.into_inner())
            .or_else(|| questions.first().cloned())
            .unwrap_or_default();
        let tests = Self::tests(&raw.examples, &raw.counter_examples, &raw.dialogues);
        if !id_ok {
            return None;
        }
        Some(FaqEntry {
            id: raw.id.into_inner(),
            title,
            questions,
            keywords: raw.keywords.into_iter().map(|k| k.into_inner()).collect(),
            answer: answer?.trim().to_string(),
            answer_template: raw.answer.into_inner(),
            review: review?,
            tests,
            origin,
        })
    }

    fn notice(
        &mut self,
        source: Source,
        spanned: Spanned<RawNotice>,
        practice: &Practice,
        placeholders: &BTreeMap<String, String>,
        ids: &mut HashMap<String, Origin>,
    ) -> Option<Notice> {
        let origin = Self::origin(source, &spanned);
        let spanned_start = spanned.span().start;
        let raw = spanned.into_inner();
        let id_ok = self.claim_entry_id(source, &raw.id, ids);
        let id = raw.id.get_ref().clone();
        if raw.title.get_ref().trim().is_empty() {
            self.error(
                source,
                &raw.title,
                format!("notice `{id}` has an empty title"),
            );
        }
        if raw.text.get_ref().trim().is_empty() {
            self.error(
                source,
                &raw.text,
                format!("notice `{id}` has an empty text"),
            );
        }
        if raw.topics.get_ref().is_empty() {
            self.error(
                source,
                &raw.topics,
                format!("notice `{id}` has no topics: name at least one of the practice's `notice_topics`"),
            );
        }
        for topic in raw.topics.get_ref() {
            if !practice.notice_topics.contains(topic.get_ref()) {
                let known = if practice.notice_topics.is_empty() {
                    "the practice lists none: add `notice_topics = [...]` to [practice] in practice.toml".to_string()
                } else {
                    format!(
                        "the practice's topics are: {}",
                        practice.notice_topics.join(", ")
                    )
                };
                self.error(
                    source,
                    topic,
                    format!(
                        "notice `{id}`: `{}` is not a notice topic; {known}",
                        topic.get_ref()
                    ),
                );
            }
        }
        let publish_at = match (&raw.publish_at, self.publish_now) {
            (Some(at), _) => self.instant(source, at, "publish_at", &practice.time_zone),
            (None, Some(now)) => Some(now),
            (None, None) => {
                self.error_at(
                    source,
                    spanned_start,
                    format!("notice `{id}` has no `publish_at`: say when it comes into force (`carebot notice send` sends a notice without one at once)"),
                );
                None
            }
        };
        let expires_at = self.instant(source, &raw.expires_at, "expires_at", &practice.time_zone);
        if let (Some(publish), Some(expires)) = (publish_at, expires_at) {
            if expires <= publish {
                self.error(
                    source,
                    &raw.expires_at,
                    format!("notice `{id}` expires before it is published: `expires_at` must come after `publish_at`"),
                );
            }
        }
        let text = self.render(source, &raw.text, placeholders);
        let review = self.review(source, &raw.sources, &raw.reviewed, &raw.owner);
        if !id_ok {
            return None;
        }
        Some(Notice {
            id,
            title: raw.title.get_ref().trim().to_string(),
            text: text?.trim().to_string(),
            text_template: raw.text.into_inner(),
            topics: raw
                .topics
                .into_inner()
                .into_iter()
                .map(|t| t.into_inner())
                .collect(),
            publish_at: publish_at?,
            expires_at: expires_at?,
            questions: raw.questions.into_iter().map(|q| q.into_inner()).collect(),
            keywords: raw.keywords.into_iter().map(|k| k.into_inner()).collect(),
            review: review?,
            origin,
        })
    }

    /// A moment written as a TOML date or date-time, or a string of one: an
    /// offset says where it is; without one it is the practice's local time,
    /// and a date alone is its midnight.
    fn instant(
        &mut self,
        source: Source,
        value: &Spanned<toml::Value>,
        key: &str,
        zone: &jiff::tz::TimeZone,
    ) -> Option<jiff::Timestamp> {
        let text = match value.get_ref() {
            toml::Value::Datetime(datetime) => datetime.to_string(),
            toml::Value::String(text) => text.trim().to_string(),
            _ => String::new(),
        };
        let local = |civil: jiff::civil::DateTime| {
            civil
                .to_zoned(zone.clone())
                .ok()
                .map(|zoned| zoned.timestamp())
        };
        let instant = text
            .parse::<jiff::Timestamp>()
            .ok()
            .or_else(|| text.parse::<jiff::civil::DateTime>().ok().and_then(local))
            .or_else(|| {
                text.parse::<jiff::civil::Date>()
                    .ok()
                    .and_then(|date| local(date.to_datetime(jiff::civil::Time::midnight())))
            });
        if instant.is_none() {
            self.error(
                source,
                value,
                format!("`{key}` must be a date like 2026-12-24 or a date and time like 2026-12-24T17:00:00 (the practice's time zone) or 2026-12-24T22:00:00Z"),
            );
        }
        instant
    }

    fn rule(
        &mut self,
        source: Source,
        spanned: Spanned<RawRule>,
        concept_ids: &HashSet<String>,
        placeholders: &BTreeMap<String, String>,
        emergency_number: &str,
        ids: &mut HashMap<String, Origin>,
    ) -> Option<TriageRule> {
        let origin = Self::origin(source, &spanned);
        let raw = spanned.into_inner();
        let id_ok = self.claim_entry_id(source, &raw.id, ids);
        let level = Level::parse(raw.level.get_ref().trim());
        if level.is_none() {
            self.error(
                source,
                &raw.level,
                format!(
                    "unknown level `{}`: use emergency, urgent, routine or self_care",
                    raw.level.get_ref()
                ),
            );
        }
        let when_span = raw.when.span().start;
        let when = self.conditions(source, raw.when.get_ref(), concept_ids);
        if when.all.is_empty()
            && when.any.is_empty()
            && !when.bounds.iter().any(Bound::is_triggered_by_a_reading)
        {
            self.error_at(source, when_span, format!("rule `{}` has nothing that can trigger it: give `when.all` or `when.any` concepts (or `temperature_at_least`)", raw.id.get_ref()));
        }
        if raw.advice.get_ref().trim().is_empty() {
            self.error(
                source,
                &raw.advice,
                format!("rule `{}` has empty advice", raw.id.get_ref()),
            );
        }
        if level == Some(Level::Emergency) && !raw.advice.get_ref().contains("{emergency_number}") {
            self.error(source, &raw.advice, format!("emergency rule `{}` must tell the patient to call {{emergency_number}} (currently {emergency_number}); write the placeholder so the number stays right when it changes", raw.id.get_ref()));
        }
        for dialogue in &raw.dialogues {
            if dialogue.get_ref().is_empty() {
                self.error(
                    source,
                    dialogue,
                    "an empty dialogue: list the patient's messages in order",
                );
            }
        }
        let mut asks: Vec<Ask> = raw
            .ask
            .iter()
            .filter_map(|ask| self.ask(source, ask, &when, concept_ids))
            .collect();
        if asks.len() == raw.ask.len() {
            // Questions may name the emergency number or the crisis line too.
            for (ask, raw_ask) in asks.iter_mut().zip(&raw.ask) {
                if let Some(question) =
                    self.render(source, &raw_ask.get_ref().question, placeholders)
                {
                    ask.question = question.trim().to_string();
                }
            }
        }
        let advice = self.render(source, &raw.advice, placeholders);
        let review = self.review(source, &raw.sources, &raw.reviewed, &raw.owner);
        let tests = Self::tests(&raw.examples, &raw.counter_examples, &raw.dialogues);
        let title = raw
            .title
            .map(|t| t.into_inner())
            .unwrap_or_else(|| raw.id.get_ref().clone());
        if !id_ok || asks.len() != raw.ask.len() {
            return None;
        }
        Some(TriageRule {
            id: raw.id.into_inner(),
            title,
            level: level?,
            when,
            handoff: raw.handoff,
            screen: raw.screen,
            general: raw.general,
            advice: advice?.trim().to_string(),
            asks,
            review: review?,
            tests,
            origin,
        })
    }

    fn conditions(
        &mut self,
        source: Source,
        raw: &RawWhen,
        concept_ids: &HashSet<String>,
    ) -> Conditions {
        let concepts = |list: &[Spanned<String>], this: &mut Self| -> Vec<String> {
            for id in list {
                if !concept_ids.contains(id.get_ref()) {
                    this.error(
                        source,
                        id,
                        format!(
                            "unknown concept `{}`: define it with [[concept]] id = \"{}\"",
                            id.get_ref(),
                            id.get_ref()
                        ),
                    );
                }
            }
            list.iter().map(|id| id.get_ref().clone()).collect()
        };
        let all = concepts(&raw.all, self);
        let any = concepts(&raw.any, self);
        let none = concepts(&raw.none, self);
        let any_at_least = match &raw.at_least {
            None => 1,
            Some(count) if raw.any.is_empty() => {
                self.error(
                    source,
                    count,
                    "`when.at_least` counts the concepts of `when.any`: list them there",
                );
                1
            }
            Some(count) => match usize::try_from(*count.get_ref()) {
                Ok(n) if (1..=any.len()).contains(&n) => n,
                _ => {
                    self.error(
                        source,
                        count,
                        format!(
                            "`when.at_least = {}` must be between 1 and the {} concepts of `when.any`",
                            count.get_ref(),
                            any.len()
                        ),
                    );
                    1
                }
            },
        };
        // Each key of the file and the bound it states; a new quantity is one more line.
        let keys = [
            (&raw.age_below, Quantity::Age, Comparison::Below),
            (&raw.age_at_least, Quantity::Age, Comparison::AtLeast),
            (
                &raw.temperature_below,
                Quantity::Temperature,
                Comparison::Below,
            ),
            (
                &raw.temperature_at_least,
                Quantity::Temperature,
                Comparison::AtLeast,
            ),
            (&raw.lasting_below, Quantity::Duration, Comparison::Below),
            (
                &raw.lasting_at_least,
                Quantity::Duration,
                Comparison::AtLeast,
            ),
        ];
        let mut bounds = Vec::new();
        for (value, quantity, comparison) in keys {
            let Some(value) = value else { continue };
            let parsed = match quantity {
                Quantity::Age | Quantity::Duration => parse_duration_days(value.get_ref()),
                Quantity::Temperature => parse_temperature_celsius(value.get_ref()),
            };
            match parsed {
                Ok(limit) => bounds.push(Bound {
                    quantity,
                    comparison,
                    limit,
                }),
                Err(message) => self.error(source, value, message),
            }
        }
        Conditions {
            all,
            any,
            any_at_least,
            none,
            bounds,
            pregnant: raw.pregnant,
        }
    }

    fn ask(
        &mut self,
        source: Source,
        spanned: &Spanned<RawAsk>,
        when: &Conditions,
        concept_ids: &HashSet<String>,
    ) -> Option<Ask> {
        let raw = spanned.get_ref();
        let about_text = raw.about.get_ref().trim();
        // The names are the ones conversation state stores: one mapping for both.
        let about = match AskAbout::from_name(about_text) {
            AskAbout::Concept(id) if !concept_ids.contains(&id) => {
                self.error(source, &raw.about, format!("`ask.about = \"{id}\"` is neither a concept nor one of age, temperature, duration, pregnancy"));
                return None;
            }
            about => about,
        };
        let used = match &about {
            AskAbout::Concept(id) => {
                when.all.contains(id) || when.any.contains(id) || when.none.contains(id)
            }
            AskAbout::Pregnancy => when.pregnant.is_some(),
            quantity => when
                .bounds
                .iter()
                .any(|bound| bound.quantity.ask_about() == *quantity),
        };
        if !used {
            self.error(
                source,
                &raw.about,
                format!(
                    "this rule asks about `{about_text}`, but none of its `when` conditions use it"
                ),
            );
            return None;
        }
        if raw.question.get_ref().trim().is_empty() {
            self.error(source, &raw.question, "the follow-up question is empty");
            return None;
        }
        let yes_means_present = match raw.yes.as_ref().map(|y| y.get_ref().trim()) {
            None | Some("present") => true,
            Some("absent") => false,
            Some(other) => {
                let yes = raw.yes.as_ref().expect("matched Some");
                self.error(source, yes, format!("`yes = \"{other}\"`: write \"present\" or \"absent\" (what a yes answer says about the finding)"));
                return None;
            }
        };
        Some(Ask {
            about,
            question: raw.question.get_ref().trim().to_string(),
            yes_means_present,
        })
    }
}

/// Byte offset in the file of byte `offset` inside a string value whose TOML
/// token spans `span` (the value may be quoted, multi-line or escaped).
fn locate_in_string(file: &str, span: std::ops::Range<usize>, value: &str, offset: usize) -> usize {
    let token = file.get(span.clone()).unwrap_or("");
    // Find the text around the problem inside the raw token: escapes aside, the
    // value's text appears there verbatim.
    let needle_end = value[offset..]
        .find('}')
        .map_or(value.len(), |end| offset + end + 1);
    let needle = &value[offset..needle_end.min(value.len())];
    match token.find(needle) {
        Some(found) if !needle.is_empty() => span.start + found,
        _ => span.start,
    }
}

fn find_include_cycle(concepts: &[Concept]) -> Option<Vec<String>> {
    let graph: HashMap<&str, &[String]> = concepts
        .iter()
        .map(|c| (c.id.as_str(), c.includes.as_slice()))
        .collect();
    fn visit<'a>(
        node: &'a str,
        graph: &HashMap<&'a str, &'a [String]>,
        path: &mut Vec<&'a str>,
        done: &mut HashSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = path[start..].iter().map(|n| n.to_string()).collect();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for next in graph.get(node).copied().unwrap_or_default() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = HashSet::new();
    for concept in concepts {
        if let Some(cycle) = visit(&concept.id, &graph, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

/// A concept's phrases as the matcher takes them: its `words` with its pairs
/// spelt out, and its `absent_words`.
fn concept_phrases(
    words: &[Spanned<String>],
    absent_words: &[Spanned<String>],
    pairs: &[RawPair],
) -> (Vec<String>, Vec<String>) {
    let words = words
        .iter()
        .map(|w| w.get_ref().clone())
        .chain(pairs.iter().flat_map(pair_phrases))
        .collect();
    let absent_words = absent_words.iter().map(|w| w.get_ref().clone()).collect();
    (words, absent_words)
}

impl Validator {
    /// Reports a `[messages]` key that names none of the bot's messages.
    fn unknown_message(&mut self, source: Source, key: &Spanned<String>) {
        let known: Vec<&str> = Messages::default_templates().keys().copied().collect();
        self.error(
            source,
            key,
            format!(
                "unknown message `{}`; the messages are: {}",
                key.get_ref(),
                known.join(", ")
            ),
        );
    }

    /// Reports every phrase of a concept that has no word `analyzer` (the
    /// translation's language's; the files' own when `None`) can match.
    fn check_phrases(
        &mut self,
        source: Source,
        analyzer: Option<&Analyzer>,
        words: &[Spanned<String>],
        absent_words: &[Spanned<String>],
        pairs: &[RawPair],
    ) {
        let analyzer = analyzer.unwrap_or(&self.analyzer);
        let paired = pairs
            .iter()
            .flat_map(|pair| pair.words.get_ref().iter().chain(pair.with.get_ref()));
        let unmatchable: Vec<&Spanned<String>> = words
            .iter()
            .chain(absent_words)
            .chain(paired)
            .filter(|phrase| analyzer.analyze_exact(phrase.get_ref()).is_empty())
            .collect();
        for phrase in unmatchable {
            self.error(
                source,
                phrase,
                format!("`{}` has no words carebot can match", phrase.get_ref()),
            );
        }
    }
}

/// Reads one file as `T`, or reports its TOML error where it stands.
fn parse<T: serde::de::DeserializeOwned>(
    file: &KnowledgeFile,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    toml::from_str::<T>(&file.source)
        .map_err(|error| {
            let offset = error.span().map_or(0, |span| span.start);
            problems.push(Problem::error_at(
                &file.path,
                &file.source,
                offset,
                error.message().trim().to_string(),
            ));
        })
        .ok()
}

/// The phrases a `[[concept.pair]]` stands for: each word of one list next to
/// each word of the other, in both orders.
fn pair_phrases(pair: &RawPair) -> Vec<String> {
    let mut phrases = Vec::new();
    for one in pair.words.get_ref() {
        for other in pair.with.get_ref() {
            let (one, other) = (one.get_ref(), other.get_ref());
            phrases.push(format!("{one} {other}"));
            phrases.push(format!("{other} {one}"));
        }
    }
    phrases
}
