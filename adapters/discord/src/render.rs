//! From a carebot [`Reply`] to Discord messages: Markdown as Discord shows
//! it, split at Discord's 2,000-character limit on paragraph boundaries, with
//! the reply's buttons under the last part.
//!
//! Discord's Markdown is close to the core's: `**bold**`, `*italic*`, `> `
//! quotes, `- ` lists and `#` headings render as written, and a single newline
//! is a line break, as the core means it. What differs is escaped or rewritten:
//!
//! | text | Markdown | Discord | so |
//! |---|---|---|---|
//! | `__x__` | bold | underline | written `**x**` |
//! | `\|\|x\|\|` | text | spoiler (hidden) | escaped |
//! | `<@1>`, `<#1>`, `<@&1>`, `<:e:1>`, `<t:1>`, `</c:1>` | text | mention, emoji, timestamp, command | escaped |
//! | `-# x` at a line start | list item `# x` | small grey subtext | escaped |
//!
//! Patients' own words are quoted in clinician notifications, so none of
//! Discord's extras may come from them; `@everyone` cannot ping anyone either,
//! because every message is sent with no allowed mentions.

use carebot_chat::Reply;

use crate::components::{Action, ButtonIds};

/// Discord's limit on a message's content, in characters.
pub(crate) const MESSAGE_LIMIT: usize = 2000;
/// Buttons per row, and rows per message.
const ROW: usize = 5;
const ROWS: usize = 5;
/// Discord's limit on a button's label.
const LABEL_LIMIT: usize = 80;

/// One Discord message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub content: String,
    /// Rows of buttons, each `(label, custom_id, primary)`.
    pub rows: Vec<Vec<ButtonSpec>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ButtonSpec {
    pub label: String,
    pub custom_id: String,
    /// The reply's own buttons are primary; the adapter's modal openers are not.
    pub primary: bool,
}

/// The messages that show `reply`, with `extra` buttons after the reply's own
/// and `prefix` (a role mention) before the text.
pub(crate) fn render(
    reply: &Reply,
    extra: &[Action],
    prefix: Option<&str>,
    ids: &ButtonIds,
) -> Vec<Part> {
    let prefix = prefix.map(|p| format!("{p} ")).unwrap_or_default();
    let text = discord_markdown(&reply.text);
    let mut parts: Vec<Part> = split(&text, MESSAGE_LIMIT - prefix.chars().count())
        .into_iter()
        .map(|content| Part {
            content,
            rows: Vec::new(),
        })
        .collect();
    let actions: Vec<Action> = reply
        .buttons
        .iter()
        .map(|button| Action::Send {
            label: button.label.clone(),
            text: button.reply.clone(),
        })
        .chain(extra.iter().cloned())
        .take(ROW * ROWS)
        .collect();
    if parts.is_empty() && actions.is_empty() {
        return parts;
    }
    if parts.is_empty() {
        // Discord refuses an empty message; buttons still need a line above them.
        parts.push(Part {
            content: "…".to_string(),
            rows: Vec::new(),
        });
    }
    if let Some(first) = parts.first_mut() {
        first.content.insert_str(0, &prefix);
    }
    let buttons: Vec<ButtonSpec> = actions
        .iter()
        .enumerate()
        .map(|(index, action)| ButtonSpec {
            label: truncate(action.label(), LABEL_LIMIT),
            custom_id: ids.custom_id(index, action),
            primary: matches!(action, Action::Send { .. }),
        })
        .collect();
    let last = parts.last_mut().expect("at least one part");
    last.rows = buttons.chunks(ROW).map(<[ButtonSpec]>::to_vec).collect();
    parts
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut short: String = text.chars().take(limit - 1).collect();
    short.push('…');
    short
}

/// The core's Markdown as Discord should show it; see the module documentation.
/// Code (inline or fenced) is left exactly as written.
pub(crate) fn discord_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_fence = false;
    for (number, line) in text.split('\n').enumerate() {
        if number > 0 {
            out.push('\n');
        }
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            out.push_str(line);
            continue;
        }
        if in_fence {
            out.push_str(line);
            continue;
        }
        escape_line(line, &mut out);
    }
    out
}

/// Escapes one line outside fenced code, leaving `inline code` alone.
fn escape_line(line: &str, out: &mut String) {
    let indent = line.len() - line.trim_start().len();
    let (lead, rest) = line.split_at(indent);
    out.push_str(lead);
    if rest.starts_with("-# ") {
        out.push('\\');
    }
    let mut in_code = false;
    let mut chars = rest.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let next = rest[at + c.len_utf8()..].chars().next();
        if c == '`' {
            in_code = !in_code;
            out.push(c);
            continue;
        }
        if in_code {
            out.push(c);
            continue;
        }
        match (c, next) {
            ('\\', Some(escaped)) => {
                // Already escaped by the author: keep both characters.
                out.push(c);
                out.push(escaped);
                chars.next();
            }
            ('_', Some('_')) => {
                out.push_str("**");
                chars.next();
            }
            ('|', Some('|')) => {
                out.push_str("\\|\\|");
                chars.next();
            }
            ('<', Some('@' | '#' | ':' | '/')) => out.push_str("\\<"),
            ('<', Some('a' | 't')) if rest[at + 2..].starts_with(':') => out.push_str("\\<"),
            _ => out.push(c),
        }
    }
}

/// Splits `text` into pieces of at most `limit` characters: between
/// paragraphs where possible, else between lines, then sentences, then words,
/// and only as a last resort inside a word.
pub(crate) fn split(text: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(1);
    let mut chunks = Vec::new();
    pack(text, &["\n\n", "\n", ". ", " "], limit, &mut chunks);
    chunks
        .into_iter()
        .map(|chunk| chunk.trim_end().to_string())
        .filter(|chunk| !chunk.trim().is_empty())
        .collect()
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Packs the pieces of `text` cut after each `separators[0]` greedily into
/// chunks; a piece too long on its own is cut at the next separator down.
fn pack(text: &str, separators: &[&str], limit: usize, chunks: &mut Vec<String>) {
    if chars(text) <= limit {
        chunks.push(text.to_string());
        return;
    }
    let Some((separator, finer)) = separators.split_first() else {
        let all: Vec<char> = text.chars().collect();
        chunks.extend(all.chunks(limit).map(|piece| piece.iter().collect()));
        return;
    };
    let mut current = String::new();
    for piece in text.split_inclusive(separator) {
        if chars(&current) + chars(piece) <= limit {
            current.push_str(piece);
            continue;
        }
        if !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
        }
        if chars(piece) <= limit {
            current.push_str(piece);
        } else {
            pack(piece, finer, limit, chunks);
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carebot_chat::{Button, ReplyKind};

    #[test]
    fn markdown_keeps_what_discord_shows_alike() {
        let text =
            "**Call 911 now.**\n\n> I fell _badly_\n- rest\n# Heading\nSee <https://example.org>.";
        assert_eq!(discord_markdown(text), text);
    }

    #[test]
    fn markdown_escapes_discord_extras() {
        assert_eq!(discord_markdown("__bold__"), "**bold**");
        assert_eq!(discord_markdown("a || b"), "a \\|\\| b");
        assert_eq!(
            discord_markdown("hi <@123> <@&5> <#9> <:x:1> <t:1:R> </ask:1> <a:y:2>"),
            "hi \\<@123> \\<@&5> \\<#9> \\<:x:1> \\<t:1:R> \\</ask:1> \\<a:y:2>"
        );
        assert_eq!(
            discord_markdown("-# small\n  -# too"),
            "\\-# small\n  \\-# too"
        );
        assert_eq!(discord_markdown("`a||b` and ||c"), "`a||b` and \\|\\|c");
        assert_eq!(
            discord_markdown("```\n<@1> __x__\n```\n__y__"),
            "```\n<@1> __x__\n```\n**y**"
        );
        assert_eq!(discord_markdown("keep \\*this\\*"), "keep \\*this\\*");
        assert_eq!(discord_markdown("a < b, 3<4"), "a < b, 3<4");
    }

    #[test]
    fn short_text_is_one_message() {
        assert_eq!(split("hello\n\nworld", 2000), vec!["hello\n\nworld"]);
        assert!(split("", 2000).is_empty());
    }

    #[test]
    fn long_text_splits_between_paragraphs() {
        let paragraphs: Vec<String> = (0..10)
            .map(|n| format!("Paragraph {n}. {}", "word ".repeat(95).trim_end()))
            .collect();
        let text = paragraphs.join("\n\n");
        assert!(chars(&text) > 4000);
        let chunks = split(&text, 2000);
        assert!(chunks.len() >= 3, "{}", chunks.len());
        for chunk in &chunks {
            assert!(chars(chunk) <= 2000);
            assert!(chunk.starts_with("Paragraph "), "{chunk:.40}");
        }
        assert_eq!(chunks.join("\n\n"), text);
    }

    #[test]
    fn a_paragraph_too_long_splits_by_line_then_sentence_then_word() {
        let lines = format!("{}\n{}", "a".repeat(15), "b".repeat(15));
        assert_eq!(split(&lines, 20), vec!["a".repeat(15), "b".repeat(15)]);
        assert_eq!(
            split("One two three. Four five six.", 18),
            vec!["One two three.", "Four five six."]
        );
        assert_eq!(split("aaa bbb ccc", 8), vec!["aaa bbb", "ccc"]);
        assert_eq!(split("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(split("ééééé", 2), vec!["éé", "éé", "é"]);
    }

    #[test]
    fn buttons_go_under_the_last_part_five_to_a_row() {
        let ids = ButtonIds::default();
        let reply = Reply {
            buttons: (0..7)
                .map(|n| Button {
                    label: format!("Option {n}"),
                    reply: n.to_string(),
                })
                .collect(),
            ..Reply::plain(
                ReplyKind::Choices,
                format!("{}\n\n{}", "x".repeat(1500), "y".repeat(1500)),
            )
        };
        let parts = render(&reply, &[], None, &ids);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].rows.is_empty());
        assert_eq!(parts[1].rows.len(), 2);
        assert_eq!(parts[1].rows[0].len(), 5);
        assert_eq!(parts[1].rows[1][1].label, "Option 6");
    }

    #[test]
    fn a_prefix_counts_against_the_limit() {
        let ids = ButtonIds::default();
        let reply = Reply::plain(ReplyKind::Notice, "z".repeat(2000));
        let parts = render(&reply, &[], Some("<@&42>"), &ids);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].content.starts_with("<@&42> z"));
        assert!(parts.iter().all(|part| chars(&part.content) <= 2000));
    }
}
