//! carebot's Markdown, as Telegram shows it.
//!
//! Replies are written in a small Markdown subset: `**bold**`, `- ` list
//! items, `[text](https://…)` links and `> ` quotes (in clinician
//! notifications). They are sent in Telegram's HTML parse mode, where only
//! `<`, `>` and `&` need escaping, so `_`, `*`, `[` or `.` in a message can
//! never make the API reject it (MarkdownV2 would need every one of them
//! escaped). Anything outside the subset is shown as typed.
//!
//! Telegram refuses messages over 4096 characters (UTF-16 code units of the
//! text as shown, tags not counted), so long replies are split: at paragraph
//! breaks, else at line breaks, else (a single huge line) at a space or,
//! failing that, anywhere.

/// The longest message Telegram accepts, in UTF-16 code units as shown.
pub const MAX_MESSAGE: usize = 4096;

/// One message of a rendered reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// For `parse_mode = HTML`.
    pub html: String,
    /// The same text without formatting, as Telegram shows it; sent as is if
    /// Telegram ever refuses the HTML.
    pub plain: String,
}

/// Renders `markdown` into messages of at most [`MAX_MESSAGE`] characters.
pub fn render(markdown: &str) -> Vec<Chunk> {
    render_within(markdown, MAX_MESSAGE)
}

/// [`render`] with another length limit (for tests of the splitting).
pub fn render_within(markdown: &str, limit: usize) -> Vec<Chunk> {
    let limit = limit.max(1);
    let lines: Vec<Line> = markdown.lines().map(Line::parse).collect();
    let mut paragraphs: Vec<Vec<Line>> = Vec::new();
    let mut paragraph = Vec::new();
    for line in lines {
        if line.is_blank() {
            if !paragraph.is_empty() {
                paragraphs.push(std::mem::take(&mut paragraph));
            }
        } else {
            paragraph.push(line);
        }
    }
    if !paragraph.is_empty() {
        paragraphs.push(paragraph);
    }

    let mut packer = Packer::new(limit);
    for paragraph in paragraphs {
        let length = lines_len(&paragraph);
        if packer.fits(2, length) {
            packer.push_paragraph(paragraph);
            continue;
        }
        packer.flush();
        if length <= limit {
            packer.push_paragraph(paragraph);
            continue;
        }
        for line in paragraph {
            for piece in line.split(limit) {
                if !packer.fits(1, piece.len()) {
                    packer.flush();
                }
                packer.push_line(piece);
            }
        }
    }
    packer.flush();
    packer
        .chunks
        .iter()
        .map(|lines| Chunk {
            html: html(lines),
            plain: plain(lines),
        })
        .collect()
}

/// Telegram's length of `text`: UTF-16 code units.
pub fn telegram_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Gathers lines into chunks no longer than the limit.
struct Packer {
    limit: usize,
    chunks: Vec<Vec<Line>>,
    current: Vec<Line>,
    length: usize,
}

impl Packer {
    fn new(limit: usize) -> Packer {
        Packer {
            limit,
            chunks: Vec::new(),
            current: Vec::new(),
            length: 0,
        }
    }

    /// Whether `length` more characters fit, after a separator of
    /// `separator` newlines (none at the start of a chunk).
    fn fits(&self, separator: usize, length: usize) -> bool {
        let separator = if self.current.is_empty() {
            0
        } else {
            separator
        };
        self.length + separator + length <= self.limit
    }

    fn push_paragraph(&mut self, paragraph: Vec<Line>) {
        if !self.current.is_empty() {
            self.current.push(Line::blank());
            self.length += 1;
        }
        for line in paragraph {
            self.push_line(line);
        }
    }

    fn push_line(&mut self, line: Line) {
        if !self.current.is_empty() {
            self.length += 1;
        }
        self.length += line.len();
        self.current.push(line);
    }

    fn flush(&mut self) {
        if !self.current.is_empty() {
            self.chunks.push(std::mem::take(&mut self.current));
            self.length = 0;
        }
    }
}

fn lines_len(lines: &[Line]) -> usize {
    lines.iter().map(Line::len).sum::<usize>() + lines.len().saturating_sub(1)
}

/// A run of text with one style.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Span {
    Text(String),
    Bold(String),
    Link { text: String, url: String },
}

impl Span {
    fn text(&self) -> &str {
        match self {
            Span::Text(text) | Span::Bold(text) | Span::Link { text, .. } => text,
        }
    }

    /// The same style around other text.
    fn with_text(&self, text: String) -> Span {
        match self {
            Span::Text(_) => Span::Text(text),
            Span::Bold(_) => Span::Bold(text),
            Span::Link { url, .. } => Span::Link {
                text,
                url: url.clone(),
            },
        }
    }

    fn html(&self, out: &mut String) {
        match self {
            Span::Text(text) => escape_into(text, out),
            Span::Bold(text) => {
                out.push_str("<b>");
                escape_into(text, out);
                out.push_str("</b>");
            }
            Span::Link { text, url } => {
                out.push_str("<a href=\"");
                escape_into(url, out);
                out.push_str("\">");
                escape_into(text, out);
                out.push_str("</a>");
            }
        }
    }
}

/// One line of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    /// A `> ` line, shown as a block quote.
    quote: bool,
    spans: Vec<Span>,
}

impl Line {
    fn blank() -> Line {
        Line {
            quote: false,
            spans: Vec::new(),
        }
    }

    fn parse(line: &str) -> Line {
        let line = line.trim_end();
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        if let Some(quoted) = body.strip_prefix("> ").or((body == ">").then_some("")) {
            return Line {
                quote: true,
                spans: inline(quoted),
            };
        }
        if let Some(item) = body.strip_prefix("- ").or_else(|| body.strip_prefix("* ")) {
            let mut spans = vec![Span::Text(format!("{indent}• "))];
            spans.extend(inline(item));
            return Line {
                quote: false,
                spans: merge(spans),
            };
        }
        Line {
            quote: false,
            spans: inline(line),
        }
    }

    fn is_blank(&self) -> bool {
        !self.quote && self.spans.iter().all(|span| span.text().trim().is_empty())
    }

    fn len(&self) -> usize {
        self.spans
            .iter()
            .map(|span| telegram_len(span.text()))
            .sum()
    }

    /// The line cut into pieces no longer than `limit`, preferably at spaces.
    fn split(self, limit: usize) -> Vec<Line> {
        if self.len() <= limit {
            return vec![self];
        }
        let chars: Vec<(usize, char)> = self
            .spans
            .iter()
            .enumerate()
            .flat_map(|(index, span)| span.text().chars().map(move |c| (index, c)))
            .collect();
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < chars.len() {
            let mut end = start;
            let mut length = 0;
            while end < chars.len() && length + chars[end].1.len_utf16() <= limit {
                length += chars[end].1.len_utf16();
                end += 1;
            }
            if end == start {
                end += 1; // a limit below 2 and a character that needs 2
            }
            if end < chars.len() {
                let half = start + (end - start) / 2;
                if let Some(space) = (half..end).rev().find(|&i| chars[i].1.is_whitespace()) {
                    end = space + 1;
                }
            }
            let mut spans: Vec<Span> = Vec::new();
            let mut run = String::new();
            let mut run_span = chars[start].0;
            for &(index, c) in &chars[start..end] {
                if index != run_span {
                    spans.push(self.spans[run_span].with_text(std::mem::take(&mut run)));
                    run_span = index;
                }
                run.push(c);
            }
            spans.push(self.spans[run_span].with_text(run));
            pieces.push(Line {
                quote: self.quote,
                spans,
            });
            start = end;
        }
        pieces
    }
}

/// Reads `**bold**` and `[text](url)` in one line; everything else is text.
fn inline(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("**") {
            // As in Markdown, `** x**` and `**x **` are not bold.
            let bold = |end: &usize| {
                let inner = &after[..*end];
                !inner.is_empty()
                    && !inner.starts_with(char::is_whitespace)
                    && !inner.ends_with(char::is_whitespace)
            };
            if let Some(end) = after.find("**").filter(bold) {
                spans.push(Span::Text(std::mem::take(&mut plain)));
                spans.push(Span::Bold(after[..end].to_string()));
                rest = &after[end + 2..];
                continue;
            }
        }
        if let Some((link, after)) = rest.strip_prefix('[').and_then(link) {
            spans.push(Span::Text(std::mem::take(&mut plain)));
            spans.push(link);
            rest = after;
            continue;
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    spans.push(Span::Text(plain));
    merge(spans)
}

/// `text](url)…` after a `[`: the link and what follows it, when the URL is
/// one Telegram accepts in a link.
fn link(rest: &str) -> Option<(Span, &str)> {
    let (text, after) = rest.split_once("](")?;
    let (url, after) = after.split_once(')')?;
    let allowed = ["https://", "http://", "tg://", "mailto:"]
        .iter()
        .any(|scheme| url.starts_with(scheme));
    if text.is_empty() || text.contains('[') || !allowed || url.contains(char::is_whitespace) {
        return None;
    }
    Some((
        Span::Link {
            text: text.to_string(),
            url: url.to_string(),
        },
        after,
    ))
}

/// Drops empty spans and joins neighbouring plain text.
fn merge(spans: Vec<Span>) -> Vec<Span> {
    let mut merged: Vec<Span> = Vec::new();
    for span in spans {
        if span.text().is_empty() {
            continue;
        }
        match (merged.last_mut(), &span) {
            (Some(Span::Text(previous)), Span::Text(text)) => previous.push_str(text),
            _ => merged.push(span),
        }
    }
    merged
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

fn html(lines: &[Line]) -> String {
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        let quoted_before = index > 0 && lines[index - 1].quote;
        let quoted_after = lines.get(index + 1).is_some_and(|next| next.quote);
        if index > 0 {
            out.push('\n');
        }
        if line.quote && !quoted_before {
            out.push_str("<blockquote>");
        }
        for span in &line.spans {
            span.html(&mut out);
        }
        if line.quote && !quoted_after {
            out.push_str("</blockquote>");
        }
    }
    out
}

fn plain(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|line| line.spans.iter().map(Span::text).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(markdown: &str) -> Chunk {
        let chunks = render(markdown);
        assert_eq!(chunks.len(), 1, "{chunks:#?}");
        chunks.into_iter().next().unwrap()
    }

    #[test]
    fn formats_the_subset_and_escapes_the_rest() {
        let chunk = one("Call **911** now. Pay at [the portal](https://x.example/a?b=1&c=2).");
        assert_eq!(
            chunk.html,
            "Call <b>911</b> now. Pay at <a href=\"https://x.example/a?b=1&amp;c=2\">the portal</a>."
        );
        assert_eq!(chunk.plain, "Call 911 now. Pay at the portal.");

        let chunk = one("a_b *c* [d] <e> & f. 2**3 **");
        assert_eq!(chunk.html, "a_b *c* [d] &lt;e&gt; &amp; f. 2**3 **");
        assert_eq!(chunk.plain, "a_b *c* [d] <e> & f. 2**3 **");

        let chunk = one("[not a link](javascript:alert(1)) and [x](https://a b)");
        assert!(!chunk.html.contains("<a"), "{}", chunk.html);
    }

    #[test]
    fn lists_and_quotes() {
        let chunk = one("You can pay:\n\n- online (**Billing → Pay**)\n- by phone\n  - nested");
        assert_eq!(
            chunk.html,
            "You can pay:\n\n• online (<b>Billing → Pay</b>)\n• by phone\n  • nested"
        );
        let chunk = one("Patient wrote:\n> my <chest> hurts\n> a lot\nFollow-up answers:");
        assert_eq!(
            chunk.html,
            "Patient wrote:\n<blockquote>my &lt;chest&gt; hurts\na lot</blockquote>\nFollow-up answers:"
        );
        assert_eq!(
            chunk.plain,
            "Patient wrote:\nmy <chest> hurts\na lot\nFollow-up answers:"
        );
    }

    #[test]
    fn blank_lines_collapse_and_nothing_renders_to_nothing() {
        assert_eq!(one("a\n\n\n\nb\n").plain, "a\n\nb");
        assert!(render("").is_empty());
        assert!(render(" \n\n ").is_empty());
    }

    #[test]
    fn splits_at_paragraphs_then_lines_then_spaces() {
        let paragraph = |c: char| std::iter::repeat_n(c, 30).collect::<String>();
        let text = format!(
            "{}\n\n{}\n\n{}",
            paragraph('a'),
            paragraph('b'),
            paragraph('c')
        );
        let chunks = render_within(&text, 70);
        let plain: Vec<&str> = chunks.iter().map(|c| c.plain.as_str()).collect();
        assert_eq!(
            plain,
            [
                format!("{}\n\n{}", paragraph('a'), paragraph('b')),
                paragraph('c')
            ]
        );

        let lines = format!("{}\n{}\n{}", paragraph('a'), paragraph('b'), paragraph('c'));
        let chunks = render_within(&lines, 40);
        let plain: Vec<&str> = chunks.iter().map(|c| c.plain.as_str()).collect();
        assert_eq!(plain, [paragraph('a'), paragraph('b'), paragraph('c')]);

        let words = "one two three four five six seven eight nine ten";
        let chunks = render_within(words, 20);
        assert!(chunks.iter().all(|c| telegram_len(&c.plain) <= 20));
        assert_eq!(
            chunks.iter().map(|c| c.plain.as_str()).collect::<String>(),
            words
        );
        assert_eq!(chunks[0].plain, "one two three four ");

        let solid = "x".repeat(50);
        let chunks = render_within(&solid, 20);
        assert_eq!(
            chunks.iter().map(|c| c.plain.len()).collect::<Vec<_>>(),
            [20, 20, 10]
        );
    }

    #[test]
    fn a_split_keeps_formatting_on_both_sides() {
        let chunks = render_within(&format!("**{}**", "b".repeat(30)), 20);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].html, format!("<b>{}</b>", "b".repeat(20)));
        assert_eq!(chunks[1].html, format!("<b>{}</b>", "b".repeat(10)));
    }

    #[test]
    fn length_is_counted_as_telegram_counts_it() {
        // An emoji is two UTF-16 units; an escaped `&` is one character shown.
        assert_eq!(telegram_len("⚠️😀"), 4);
        let chunks = render_within(&"&".repeat(30), 10);
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0].html, "&amp;".repeat(10));
        let chunks = render_within(&"😀".repeat(10), 5);
        assert!(chunks.iter().all(|c| telegram_len(&c.plain) <= 5));
        assert_eq!(
            chunks.iter().map(|c| c.plain.clone()).collect::<String>(),
            "😀".repeat(10)
        );
    }
}
