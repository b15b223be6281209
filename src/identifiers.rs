//! Spotting and masking personal identifiers (social-security and card numbers,
//! phone numbers) in patients' messages.
//!
//! carebot never handles identifiers in chat: a message that contains one gets a
//! warning to use the portal or phone instead, and anything kept for the practice
//! (such as unanswered questions) has digit runs masked first.

/// A run of digits, possibly broken by single spaces or dashes ("123-45-6789").
struct DigitRun {
    digits: String,
    /// Lengths of the groups between separators.
    groups: Vec<usize>,
}

fn digit_runs(text: &str) -> Vec<DigitRun> {
    let chars: Vec<char> = text.chars().collect();
    let mut runs = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        if !chars[at].is_ascii_digit() {
            at += 1;
            continue;
        }
        let mut run = DigitRun {
            digits: String::new(),
            groups: vec![0],
        };
        while at < chars.len() {
            let c = chars[at];
            if c.is_ascii_digit() {
                run.digits.push(c);
                *run.groups.last_mut().expect("starts with a group") += 1;
                at += 1;
            } else if (c == '-' || c == ' ') && chars.get(at + 1).is_some_and(char::is_ascii_digit)
            {
                run.groups.push(0);
                at += 1;
            } else {
                break;
            }
        }
        runs.push(run);
    }
    runs
}

fn passes_luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (index, c) in digits.chars().rev().enumerate() {
        let mut digit = c.to_digit(10).unwrap_or(0);
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
    digit_runs(text).iter().any(|run| {
        let count = run.digits.len();
        let ssn = count == 9 && (run.groups == [3, 2, 4] || run.groups == [9]);
        let card = (13..=19).contains(&count) && passes_luhn(&run.digits);
        ssn || card
    })
}

/// `text` with every run of four or more digits masked, so that phone, social
/// security and card numbers never reach storage. Shorter numbers (ages,
/// temperatures, "3 weeks") stay readable.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 4 {
            out.extend(std::iter::repeat_n('#', digits.len()));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    let chars: Vec<char> = text.chars().collect();
    for (index, &c) in chars.iter().enumerate() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        // Keep separators inside a number as part of it: "555-0100".
        let inside = !digits.is_empty()
            && (c == '-' || c == ' ')
            && chars.get(index + 1).is_some_and(char::is_ascii_digit);
        if inside {
            digits.push(c);
            continue;
        }
        flush(&mut digits, &mut out);
        out.push(c);
    }
    flush(&mut digits, &mut out);
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
}
