//! `carebot ask`: one reply for a quick look, or the JSON-lines interface for
//! scripts and evaluation (`--json`): one JSON object in per line, exactly one out.
//!
//! Both go through the handoff service, on a temporary store unless `--data`
//! is given, so a message that opens a case says so (`"case": "C-0001"`). In
//! `--json` each `user` is the patient `ask:<user>`, and the first-contact
//! notice is not printed: every line still gets exactly the engine's reply.

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use carebot::engine::Explanation;
use carebot::{Address, Button, Reply, Service};

use super::data::{open_service, DataArgs, WithoutData};
use super::error::CliError;

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The patient's message (not with --json).
    #[arg(value_parser = clap::value_parser!(OsString))]
    message: Vec<OsString>,
    /// Read JSON lines {"user": "ID", "text": "MESSAGE"} on stdin and write one JSON line per input line.
    #[arg(long)]
    json: bool,
    /// Also show the findings and the ten best FAQ candidates behind each reply.
    #[arg(long)]
    explain: bool,
}

/// Longest input line accepted in --json mode; longer lines get an error line.
const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

pub fn run(dir: &Path, data: &DataArgs, args: &AskArgs) -> Result<ExitCode, CliError> {
    if args.json {
        if !args.message.is_empty() {
            return Err(CliError::Usage(
                "with --json, messages come from stdin, not the command line".to_string(),
            ));
        }
        let service = open_service(dir, data, WithoutData::Temporary)?;
        return json_lines(&service, args.explain);
    }
    if args.message.is_empty() {
        return Err(CliError::Usage(
            "give a message, e.g. carebot ask \"are you open on saturday?\"".to_string(),
        ));
    }
    let service = open_service(dir, data, WithoutData::Temporary)?;
    // Arguments that are not valid UTF-8 are read with replacement characters
    // rather than refused: the patient's words still deserve a reply.
    let message = args
        .message
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let response =
        service.patient_message(&Address::new("terminal", super::data::login()), &message)?;
    print!("{}", render_plain(&response.reply));
    if let Some(handoff) = &response.handoff {
        print!("\n{}", render_plain(handoff));
    }
    if args.explain {
        let explanation = explained(&service, &message, response.explanation);
        println!(
            "{}",
            serde_json::to_string_pretty(&explanation).unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The explanation with the FAQ ranking by meaning when the reply did not
/// come from the FAQ stage's semantic layer (a health problem went to triage,
/// or the words were sure): staff see what the FAQ would have said.
fn explained(service: &Service, text: &str, mut explanation: Explanation) -> Explanation {
    if !explanation.semantic {
        if let Some(ranked) = service.engine().rank_faq_by_meaning(text) {
            explanation.candidates = ranked;
            explanation.semantic = true;
        }
    }
    explanation
}

/// A reply as a person reads it in a terminal.
pub fn render_plain(reply: &Reply) -> String {
    let mut header = vec![reply.kind.as_str().to_string()];
    if let Some(level) = reply.level {
        header.push(level.to_string());
    }
    if let Some(entry) = &reply.entry {
        header.push(entry.clone());
    }
    if reply.handoff {
        header.push("clinician notified".to_string());
    }
    let mut out = format!("[{}]\n{}\n", header.join(" · "), reply.text);
    if !reply.buttons.is_empty() {
        let buttons: Vec<String> = reply
            .buttons
            .iter()
            .map(|b| format!("[{}]", b.label))
            .collect();
        out.push_str(&format!("{}\n", buttons.join(" ")));
    }
    out
}

#[derive(Serialize)]
struct JsonReply<'a> {
    user: &'a str,
    kind: &'a str,
    level: Option<&'a str>,
    entry: Option<&'a str>,
    text: &'a str,
    choices: &'a [String],
    buttons: &'a [Button],
    handoff: bool,
    /// The case the message opened or joined.
    #[serde(skip_serializing_if = "Option::is_none")]
    case: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    explanation: Option<&'a Explanation>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    user: Option<&'a str>,
    kind: &'static str,
    line: usize,
    error: String,
}

/// Reads one input line into `buffer`, never more than MAX_LINE_BYTES (the rest
/// of an over-long line is skipped). Returns false at end of input.
fn read_line(
    input: &mut impl BufRead,
    buffer: &mut Vec<u8>,
    too_long: &mut bool,
) -> std::io::Result<bool> {
    buffer.clear();
    *too_long = false;
    let mut read_any = false;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(read_any);
        }
        read_any = true;
        let (chunk, found_newline) = match available.iter().position(|&b| b == b'\n') {
            Some(index) => (&available[..index], true),
            None => (available, false),
        };
        if buffer.len() + chunk.len() <= MAX_LINE_BYTES {
            buffer.extend_from_slice(chunk);
        } else {
            *too_long = true;
        }
        let consumed = chunk.len() + usize::from(found_newline);
        input.consume(consumed);
        if found_newline {
            return Ok(true);
        }
    }
}

fn parse_line(bytes: &[u8]) -> Result<(String, String), (Option<String>, String)> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| (None, "the line is not valid UTF-8".to_string()))?;
    let text = text.trim_end_matches('\r');
    if text.trim().is_empty() {
        return Err((
            None,
            "empty line: expected {\"user\": \"ID\", \"text\": \"MESSAGE\"}".to_string(),
        ));
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| (None, format!("not JSON: {error}")))?;
    let user = match value.get("user") {
        Some(serde_json::Value::String(user)) => Some(user.clone()),
        Some(serde_json::Value::Number(number)) => Some(number.to_string()),
        _ => None,
    };
    let Some(user) = user else {
        return Err((
            None,
            "missing \"user\" (a string naming the conversation)".to_string(),
        ));
    };
    match value.get("text") {
        Some(serde_json::Value::String(message)) => Ok((user, message.clone())),
        _ => Err((
            Some(user),
            "missing \"text\" (the patient's message, a string)".to_string(),
        )),
    }
}

fn json_lines(service: &Service, explain: bool) -> Result<ExitCode, CliError> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut output = std::io::BufWriter::new(stdout.lock());
    let mut buffer = Vec::new();
    let mut too_long = false;
    let mut line_number = 0;
    while read_line(&mut input, &mut buffer, &mut too_long)? {
        line_number += 1;
        let parsed = if too_long {
            Err((
                None,
                format!("the line is longer than {MAX_LINE_BYTES} bytes"),
            ))
        } else {
            parse_line(&buffer)
        };
        let json = match parsed {
            Ok((user, text)) => {
                let mut response =
                    service.patient_message(&Address::new("ask", user.as_str()), &text)?;
                if explain {
                    let explanation = std::mem::take(&mut response.explanation);
                    response.explanation = explained(service, &text, explanation);
                }
                let reply = &response.reply;
                serde_json::to_string(&JsonReply {
                    user: &user,
                    kind: reply.kind.as_str(),
                    level: reply.level.map(|level| level.as_str()),
                    entry: reply.entry.as_deref(),
                    text: &reply.text,
                    choices: &reply.choices,
                    buttons: &reply.buttons,
                    handoff: reply.handoff,
                    case: response.case.map(|case| case.to_string()),
                    explanation: explain.then_some(&response.explanation),
                })
            }
            Err((user, error)) => serde_json::to_string(&JsonError {
                user: user.as_deref(),
                kind: "error",
                line: line_number,
                error,
            }),
        };
        let json = json.unwrap_or_else(|error| {
            format!("{{\"kind\":\"error\",\"line\":{line_number},\"error\":\"cannot encode the reply: {error}\"}}")
        });
        writeln!(output, "{json}").and_then(|()| output.flush())?;
    }
    Ok(ExitCode::SUCCESS)
}
