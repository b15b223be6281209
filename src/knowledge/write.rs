//! Knowledge files as TOML text, for the tools that write them (`carebot kb
//! import`, and the synthetic bases of `carebot-synthetic`): one writer, so
//! that whatever text an entry holds reads back as the same string and every
//! written file is laid out alike.

use std::fmt::Write as _;

/// `text` as a TOML string, quoted and escaped as the `toml` crate writes it.
pub fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// `items` as a TOML array of strings on one line: `["a", "b"]`.
pub fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| toml_string(item)).collect();
    format!("[{}]", quoted.join(", "))
}

/// A FAQ entry to write, as `knowledge/faq/*.toml` holds it.
#[derive(Debug, Clone, Copy)]
pub struct FaqText<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub questions: &'a [String],
    /// Left out when empty.
    pub keywords: &'a [String],
    /// Written as given: placeholders such as `{phone}` stay placeholders.
    pub answer: &'a str,
    pub sources: &'a [String],
    /// A TOML date, `2026-11-01`.
    pub reviewed: &'a str,
    pub owner: &'a str,
}

/// Appends `faq` to `out` as a `[[faq]]` table after a blank line, its
/// questions one per line (the list a practice edits most).
pub fn write_faq(out: &mut String, faq: &FaqText<'_>) {
    let questions: Vec<String> = faq
        .questions
        .iter()
        .map(|question| format!("  {},", toml_string(question)))
        .collect();
    let _ = write!(
        out,
        "\n[[faq]]\nid = {}\ntitle = {}\nquestions = [\n{}\n]\n",
        toml_string(faq.id),
        toml_string(faq.title),
        questions.join("\n")
    );
    if !faq.keywords.is_empty() {
        let _ = writeln!(out, "keywords = {}", toml_list(faq.keywords));
    }
    let _ = write!(
        out,
        "answer = {}\nsources = {}\nreviewed = {}\nowner = {}\n",
        toml_string(faq.answer),
        toml_list(faq.sources),
        faq.reviewed,
        toml_string(faq.owner)
    );
}
