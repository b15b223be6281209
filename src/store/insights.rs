//! What the practice's report is made of: questions the bot could not answer
//! (redacted, with counts) and how often each FAQ entry answered.
//!
//! An unanswered question is still a patient's words: it is kept per patient
//! (under their tag and a hash of the question) and sealed with their key, so
//! that "forget me" takes it out of the report too. The report adds up equal
//! questions from different patients.

use jiff::Timestamp;

use std::collections::HashMap;

use carebot_chat::Address;

use super::{Owner, Store, StoreError, UnansweredQuestion};
use crate::identifiers;

/// Longest unanswered question kept, in characters: enough to see what was
/// asked, not a place to keep whole stories.
const MAX_QUESTION_CHARS: usize = 300;

/// An unanswered question's key: the asker's tag, then a SHA-256 of the
/// question (the key itself is stored in the clear, so it is not the text).
fn unanswered_key(owner: Owner, question: &str) -> Vec<u8> {
    let digest = ring::digest::digest(&ring::digest::SHA256, question.as_bytes());
    let mut key = Vec::with_capacity(64);
    key.extend_from_slice(owner.as_bytes());
    key.extend_from_slice(digest.as_ref());
    key
}

fn faq_key(entry: &str) -> Vec<u8> {
    format!("faq:{entry}").into_bytes()
}

impl Store {
    /// Counts a question the bot could not answer. Digit runs (phone, social
    /// security and card numbers) are masked before anything is stored.
    pub fn record_unanswered(
        &self,
        patient: &Address,
        text: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let normalized = crate::text::normalize(&identifiers::redact(text));
        let question: String = normalized.chars().take(MAX_QUESTION_CHARS).collect();
        if question.is_empty() {
            return Ok(());
        }
        let owner = Owner::of(patient);
        let key = unanswered_key(owner, &question);
        let key = key.as_slice();
        self.with(|t| loop {
            let old = t.unanswered.get(key)?;
            let earlier = match &old {
                Some(bytes) => self.unseal::<UnansweredQuestion>("unanswered", key, bytes)?,
                None => None,
            };
            let record = match earlier {
                Some(mut record) => {
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
            let new = self.seal("unanswered", owner, key, &record)?;
            if t.unanswered
                .compare_and_swap(key, old.as_deref(), Some(&new))?
            {
                return Ok(());
            }
        })
    }

    /// Unanswered questions, equal ones from different patients added up,
    /// most frequent first.
    pub fn unanswered(&self) -> Result<Vec<UnansweredQuestion>, StoreError> {
        let mut by_text: HashMap<String, UnansweredQuestion> = HashMap::new();
        let asked =
            self.with(|t| self.all_sealed::<UnansweredQuestion>("unanswered", &t.unanswered))?;
        for (_, asked) in asked {
            match by_text.get_mut(&asked.text) {
                Some(total) => {
                    total.count += asked.count;
                    total.first_seen = total.first_seen.min(asked.first_seen);
                    total.last_seen = total.last_seen.max(asked.last_seen);
                }
                None => {
                    by_text.insert(asked.text.clone(), asked);
                }
            }
        }
        let mut questions: Vec<UnansweredQuestion> = by_text.into_values().collect();
        questions.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(b.last_seen.cmp(&a.last_seen))
                .then(a.text.cmp(&b.text))
        });
        Ok(questions)
    }

    /// Counts one answer from FAQ entry `entry`.
    pub fn count_faq_answer(&self, entry: &str) -> Result<(), StoreError> {
        let key = faq_key(entry);
        self.with(|t| loop {
            let old = t.stats.get(&key)?;
            let count = old
                .as_deref()
                .and_then(|bytes| bytes.try_into().ok().map(u64::from_be_bytes))
                .unwrap_or(0);
            let new = (count + 1).to_be_bytes();
            if t.stats.compare_and_swap(&key, old.as_deref(), Some(&new))? {
                return Ok(());
            }
        })
    }

    /// How often each FAQ entry answered, most often first.
    pub fn faq_answer_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut counts = self.with(|t| {
            let mut counts = Vec::new();
            for (key, value) in t.stats.records_with_prefix(b"faq:")? {
                let entry = String::from_utf8_lossy(&key[4..]).into_owned();
                let count = value
                    .as_slice()
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
