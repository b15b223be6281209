//! What the practice's report is made of: questions the bot could not answer
//! (redacted, with counts) and how often each FAQ entry answered.

use jiff::Timestamp;

use super::{decode, encode, Store, StoreError, UnansweredQuestion};
use crate::identifiers;

/// Longest unanswered question kept, in characters: enough to see what was
/// asked, not a place to keep whole stories.
const MAX_QUESTION_CHARS: usize = 300;

fn faq_key(entry: &str) -> Vec<u8> {
    format!("faq:{entry}").into_bytes()
}

impl Store {
    /// Counts a question the bot could not answer. Digit runs (phone, social
    /// security and card numbers) are masked before anything is stored.
    pub fn record_unanswered(&self, text: &str, at: Timestamp) -> Result<(), StoreError> {
        let normalized = crate::text::normalize(&identifiers::redact(text));
        let question: String = normalized.chars().take(MAX_QUESTION_CHARS).collect();
        if question.is_empty() {
            return Ok(());
        }
        let key = question.as_bytes();
        self.with(|t| loop {
            let old = t.unanswered.get(key)?;
            let record = match &old {
                Some(bytes) => {
                    let mut record: UnansweredQuestion = decode("unanswered", key, bytes)?;
                    record.count += 1;
                    record.last_seen = at;
                    record
                }
                None => UnansweredQuestion {
                    text: question.clone(),
                    count: 1,
                    first_seen: at,
                    last_seen: at,
                },
            };
            let new = encode("unanswered", &record)?;
            if t.unanswered.compare_and_swap(key, old, Some(new))?.is_ok() {
                return Ok(());
            }
        })
    }

    /// Unanswered questions, most frequent first.
    pub fn unanswered(&self) -> Result<Vec<UnansweredQuestion>, StoreError> {
        let mut questions: Vec<UnansweredQuestion> = self
            .with(|t| super::all("unanswered", &t.unanswered))?
            .into_iter()
            .map(|(_, question)| question)
            .collect();
        questions.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_seen.cmp(&a.last_seen)));
        Ok(questions)
    }

    /// Counts one answer from FAQ entry `entry`.
    pub fn count_faq_answer(&self, entry: &str) -> Result<(), StoreError> {
        self.with(|t| {
            t.stats.fetch_and_update(faq_key(entry), |old| {
                let count = old
                    .and_then(|bytes| bytes.try_into().ok().map(u64::from_be_bytes))
                    .unwrap_or(0);
                Some((count + 1).to_be_bytes().to_vec())
            })?;
            Ok(())
        })
    }

    /// How often each FAQ entry answered, most often first.
    pub fn faq_answer_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut counts = self.with(|t| {
            let mut counts = Vec::new();
            for item in t.stats.scan_prefix(b"faq:") {
                let (key, value) = item?;
                let entry = String::from_utf8_lossy(&key[4..]).into_owned();
                let count = value
                    .as_ref()
                    .try_into()
                    .map(u64::from_be_bytes)
                    .unwrap_or(0);
                counts.push((entry, count));
            }
            Ok(counts)
        })?;
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(counts)
    }
}
