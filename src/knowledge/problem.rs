//! Problems found in knowledge files, located by file, line and column so that
//! whoever edits the files (office staff, nurses) can go straight to them.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::Origin;

/// Whether a problem stops the knowledge base from loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The knowledge base cannot be used until this is fixed.
    Error,
    /// Worth fixing (a stale review date, a missing source), but the bot still runs.
    Warning,
}

/// One problem in one knowledge file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    pub message: String,
}

impl Problem {
    /// An error at byte `offset` of `source` (the text of `file`).
    pub fn error_at(file: &Path, source: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(source, offset);
        Problem {
            severity: Severity::Error,
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A problem where an entry (or a value in it) was defined.
    pub fn at(severity: Severity, origin: &Origin, message: impl Into<String>) -> Self {
        Problem {
            severity,
            file: origin.file.clone(),
            line: origin.line,
            column: origin.column,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {severity}: {}",
            printable(&self.file.display().to_string()),
            self.line,
            self.column,
            printable(&self.message)
        )
    }
}

/// `text` with its control characters, and the invisible ones that reorder
/// text on screen, written as escapes (`\u{1b}`, `\r`): messages quote the
/// knowledge files, which anyone may have edited, and a raw escape sequence
/// quoted from one could rewrite the terminal (or log) showing it.
pub fn printable(text: &str) -> Cow<'_, str> {
    fn hidden(c: char) -> bool {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

/// 1-based line and column (in characters) of byte `offset` in `source`. For
/// one offset; to locate many in the same text, build a [`LineIndex`] once.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(source).line_column(source, offset)
}

/// Where each line of a file starts, so that locating every entry of a large
/// file costs a binary search each rather than a scan from the top (which made
/// loading a 10,000-entry knowledge base quadratic in its file sizes).
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offsets of the line starts; the first is 0.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(index, _)| index + 1))
            .collect();
        LineIndex { starts }
    }

    /// 1-based line and column (in characters) of byte `offset` in `source`,
    /// the text this index was built from; an offset past the end is the end,
    /// and one inside a character is that character.
    pub fn line_column(&self, source: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        // Line starts at or before `offset`: one per newline before it, plus 0.
        let line = self.starts.partition_point(|&start| start <= offset);
        let line_start = self.starts[line - 1];
        let column = source[line_start..offset].chars().count() + 1;
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_offsets_by_line_and_character_column() {
        let source = "a = 1\nbé = 2\n";
        assert_eq!(line_column(source, 0), (1, 1));
        assert_eq!(line_column(source, 6), (2, 1));
        // "é" is two bytes but one column.
        assert_eq!(line_column(source, 9), (2, 3));
        assert_eq!(line_column(source, 1000), (3, 1));
    }

    /// Locating by scanning from the top: the obvious way, which the line
    /// index must agree with.
    fn scan_line_column(source: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |index| index + 1);
        let column = source[line_start..offset].chars().count() + 1;
        (line, column)
    }

    #[test]
    fn the_line_index_agrees_with_scanning() {
        for source in ["a = 1\nbé = 2\n", "", "\n\n", "x", "é\nü\r\n\nend"] {
            let index = LineIndex::new(source);
            for offset in 0..source.len() + 3 {
                assert_eq!(
                    index.line_column(source, offset),
                    scan_line_column(source, offset),
                    "{source:?} at {offset}"
                );
            }
        }
    }

    #[test]
    fn displays_like_a_compiler() {
        let problem = Problem::error_at(Path::new("faq/x.toml"), "x\ny", 2, "bad");
        assert_eq!(problem.to_string(), "faq/x.toml:2:1: error: bad");
    }
}
