//! Case ids: short and easy to read aloud or type (`C-0042`), because a
//! clinician types them into commands and a patient may quote one on the phone.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A handoff case's number, shown as `C-0042` (at least four digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseId(pub u64);

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "C-{:04}", self.0)
    }
}

/// Why a text is not a case id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseIdError(String);

impl fmt::Display for CaseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a case id: case ids look like C-0042",
            self.0
        )
    }
}

impl std::error::Error for CaseIdError {}

impl FromStr for CaseId {
    type Err = CaseIdError;

    /// Reads `C-0042`, `c-42`, `C42`, `#42` or `42`: people shorten ids.
    fn from_str(text: &str) -> Result<CaseId, CaseIdError> {
        let trimmed = text.trim();
        let digits = trimmed
            .strip_prefix(['C', 'c'])
            .map(|rest| rest.strip_prefix('-').unwrap_or(rest))
            .or_else(|| trimmed.strip_prefix('#'))
            .unwrap_or(trimmed);
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(CaseIdError(text.to_string()));
        }
        digits
            .parse()
            .map(CaseId)
            .map_err(|_| CaseIdError(text.to_string()))
    }
}

impl TryFrom<String> for CaseId {
    type Error = CaseIdError;

    fn try_from(text: String) -> Result<CaseId, CaseIdError> {
        text.parse()
    }
}

impl From<CaseId> for String {
    fn from(id: CaseId) -> String {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_ways_people_write_ids() {
        assert_eq!(CaseId(42).to_string(), "C-0042");
        assert_eq!(CaseId(123_456).to_string(), "C-123456");
        for text in ["C-0042", "c-42", "C42", "#42", "42", " C-0042 "] {
            assert_eq!(text.parse::<CaseId>(), Ok(CaseId(42)), "{text}");
        }
        for text in ["", "C-", "C-4x", "case 42", "-42"] {
            assert!(text.parse::<CaseId>().is_err(), "{text}");
        }
    }
}
