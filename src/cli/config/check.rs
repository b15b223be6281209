//! Checking `carebot.toml` once it is read: every problem found is kept
//! (not just the first), each located as `file:line:col: key: what is wrong`.

use std::path::{Path, PathBuf};

use carebot_chat::platform::SettingsCheck;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::raw::ReadError;
use super::ConfigProblem;
use carebot::knowledge::problem::line_column;

/// The file being checked: its text (to locate keys) and folder (to resolve
/// relative paths). Problems are collected, not returned one by one.
pub(super) struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    table: Option<DeTable<'a>>,
    pub problems: Vec<ConfigProblem>,
    /// Allowed but risky settings (see [`super::Config::risky`]).
    pub risky: Vec<ConfigProblem>,
}

impl<'a> Checker<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Checker<'a> {
        Checker {
            path,
            text,
            table: DeTable::parse(text).ok().map(Spanned::into_inner),
            problems: Vec::new(),
            risky: Vec::new(),
        }
    }

    fn location(&self, offset: usize) -> String {
        let (line, column) = line_column(self.text, offset);
        format!("{}:{line}:{column}", self.path.display())
    }

    /// A problem with `key` (a dotted path such as `handoff.retention_days`),
    /// located at its value, else at its table, else at the top of the file.
    pub fn problem(&mut self, key: &str, message: impl Into<String>) {
        let problem = self.located(key, message);
        self.problems.push(problem);
    }

    /// Like [`Checker::problem`], for a setting that is allowed but risky.
    pub fn risky(&mut self, key: &str, message: impl Into<String>) {
        let warning = self.located(key, message);
        self.risky.push(warning);
    }

    /// What checking a platform's table found, its keys under `platform`.
    pub fn platform(&mut self, platform: &str, check: SettingsCheck) {
        for note in check.problems {
            self.problem(&format!("{platform}.{}", note.key), note.message);
        }
        for note in check.risky {
            self.risky(&format!("{platform}.{}", note.key), note.message);
        }
    }

    fn located(&self, key: &str, message: impl Into<String>) -> ConfigProblem {
        ConfigProblem {
            location: self.location(self.offset_of(key)),
            key: key.to_string(),
            message: message.into(),
        }
    }

    fn offset_of(&self, key: &str) -> usize {
        let Some(table) = &self.table else { return 0 };
        let mut offset = 0;
        let mut current: Option<&DeTable> = Some(table);
        for part in key.split('.') {
            let Some((name, value)) = current.and_then(|table| table.get_key_value(part)) else {
                break;
            };
            offset = match value.get_ref() {
                DeValue::Table(_) => name.span().start,
                _ => value.span().start,
            };
            current = value.get_ref().as_table();
        }
        offset
    }

    /// The dotted key whose value (or name) covers `offset`, for serde's
    /// errors, which say what is wrong and where but not under which key.
    fn key_at(&self, offset: usize) -> String {
        fn walk(table: &DeTable, offset: usize, path: &mut Vec<String>) -> bool {
            for (name, value) in table.iter() {
                let covers = name.span().contains(&offset) || value.span().contains(&offset);
                if let DeValue::Table(inner) = value.get_ref() {
                    path.push(name.get_ref().to_string());
                    // The deepest key that covers the offset, else this table.
                    if walk(inner, offset, path) || covers {
                        return true;
                    }
                    path.pop();
                } else if covers {
                    path.push(name.get_ref().to_string());
                    return true;
                }
            }
            false
        }
        let mut path = Vec::new();
        if let Some(table) = &self.table {
            walk(table, offset, &mut path);
        }
        path.join(".")
    }

    /// A part of the file that could not be read, located.
    pub fn read_error(&self, error: ReadError) -> ConfigProblem {
        ConfigProblem {
            location: self.location(error.offset),
            key: error.key.unwrap_or_else(|| self.key_at(error.offset)),
            message: error.message,
        }
    }

    pub fn socket_address(
        &mut self,
        key: &str,
        text: &str,
        example: &str,
    ) -> Option<std::net::SocketAddr> {
        let mut check = SettingsCheck::default();
        let address = check.socket_address(key, text, example);
        for note in check.problems {
            self.problem(&note.key, note.message);
        }
        address
    }

    /// A path from the file, relative to the file's folder.
    pub fn resolve(&self, path: PathBuf) -> PathBuf {
        match self.path.parent() {
            Some(folder) if path.is_relative() => folder.join(path),
            _ => path,
        }
    }
}
