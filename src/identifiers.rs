//! Spotting and masking personal identifiers (social-security and card numbers,
//! phone numbers) in patients' messages.
//!
//! carebot never handles identifiers in chat: a message that contains one gets a
//! warning to use the portal or phone instead, and anything kept for the practice
//! (such as unanswered questions) has digit runs masked first.

/// A run of digits, possibly broken by single spaces or dashes ("123-45-6789"):
/// it starts and ends with a digit, and each separator sits between two digits.
struct DigitRun<'a> {
    /// Where the run is in the scanned text, in bytes.
    range: std::ops::Range<usize>,
    /// The run's text, separators included (all ASCII).
    text: &'a str,
}

impl DigitRun<'_> {
    fn digits(&self) -> impl DoubleEndedIterator<Item = u8> + '_ {
        self.text.bytes().filter(u8::is_ascii_digit)
    }

    fn digit_count(&self) -> usize {
        self.digits().count()
    }

    /// Lengths of the groups between separators. Separators are single and
    /// never at either end, so no group is empty.
    fn groups(&self) -> impl Iterator<Item = usize> + '_ {
        self.text.split(['-', ' ']).map(str::len)
    }
}

/// The digit runs of `text`, left to right. It scans bytes without allocating
/// because `contains_identifier` runs on every patient message: digits and
/// separators are ASCII, and no byte of a multi-byte UTF-8 character is.
struct DigitRuns<'a> {
    text: &'a str,
    at: usize,
}

fn digit_runs(text: &str) -> DigitRuns<'_> {
    DigitRuns { text, at: 0 }
}

impl<'a> Iterator for DigitRuns<'a> {
    type Item = DigitRun<'a>;

    fn next(&mut self) -> Option<DigitRun<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.at + bytes[self.at..].iter().position(u8::is_ascii_digit)?;
        let mut end = start;
        while end < bytes.len() {
            let joins = bytes[end].is_ascii_digit()
                || ((bytes[end] == b'-' || bytes[end] == b' ')
                    && bytes.get(end + 1).is_some_and(u8::is_ascii_digit));
            if !joins {
                break;
            }
            end += 1;
        }
        self.at = end;
        Some(DigitRun {
            range: start..end,
            text: &self.text[start..end],
        })
    }
}

fn passes_luhn(digits: impl DoubleEndedIterator<Item = u8>) -> bool {
    let mut sum = 0;
    for (index, digit) in digits.rev().enumerate() {
        let mut digit = u32::from(digit - b'0');
        if index % 2 == 1 {
            digit *= 2;
            if digit > 9 {
                digit -= 9;
            }
        }
        sum += digit;
    }
    sum % 10 == 0
}

/// Whether `text` seems to contain a social-security number (3-2-4 digits, or
/// nine in a row) or a payment-card number (13–19 digits passing the Luhn check).
pub fn contains_identifier(text: &str) -> bool {
    digit_runs(text).any(|run| {
        let count = run.digit_count();
        let ssn = count == 9 && (run.groups().eq([3, 2, 4]) || run.groups().eq([9]));
        let card = (13..=19).contains(&count) && passes_luhn(run.digits());
        ssn || card
    })
}

/// `text` with every run of four or more digits masked, so that phone, social
/// security and card numbers never reach storage. Shorter numbers (ages,
/// temperatures, "3 weeks") stay readable.
///
/// The length counted, and masked, is the whole run's separators included
/// ("1 2 3" → "#####"), so that the mask does not reveal how a number was
/// grouped.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for run in digit_runs(text) {
        if run.text.len() >= 4 {
            out.push_str(&text[copied..run.range.start]);
            out.extend(std::iter::repeat_n('#', run.text.len()));
            copied = run.range.end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spots_social_security_and_card_numbers() {
        assert!(contains_identifier("my ssn is 123-45-6789"));
        assert!(contains_identifier("ssn 123456789 thanks"));
        assert!(contains_identifier("card 4111 1111 1111 1111 exp 12/27"));
        assert!(!contains_identifier("my 7 week old has a temp of 38.4"));
        assert!(!contains_identifier("call me on 555 010 0100"));
        assert!(!contains_identifier("4111 1111 1111 1112"), "fails Luhn");
    }

    #[test]
    fn masks_long_digit_runs_only() {
        assert_eq!(redact("ssn 123-45-6789 age 42"), "ssn ########### age 42");
        assert_eq!(redact("call 555 0100"), "call ########");
        assert_eq!(redact("temp 38.4 for 3 days"), "temp 38.4 for 3 days");
    }

    #[test]
    fn redaction_counts_and_masks_separators_as_part_of_a_run() {
        // Four characters with separators are enough, though only three digits.
        assert_eq!(redact("1 2 3"), "#####");
        assert_eq!(redact("12-3"), "####");
        assert_eq!(redact("1-2"), "1-2");
        // A separator not followed by a digit ends the run and stays.
        assert_eq!(redact("1234- 5"), "####- 5");
        assert_eq!(redact("12--34 56"), "12--#####");
        assert_eq!(redact("5551234, é 4 5 6 7é"), "#######, é #######é");
        assert_eq!(redact("ü1234ü12"), "ü####ü12");
        assert_eq!(redact(" 1234 "), " #### ");
        assert_eq!(redact(""), "");
    }

    #[test]
    fn identifiers_in_grouped_runs() {
        assert!(contains_identifier("é123 45 6789é"));
        assert!(!contains_identifier("123-456-789"), "wrong grouping");
        assert!(contains_identifier("4111-1111-1111-1111"));
        assert!(!contains_identifier("4111--1111-1111-1111"), "broken run");
    }
}
