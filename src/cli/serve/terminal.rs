//! `serve --terminal`: standard input and output as one more chat platform,
//! for trying a deployment out and for tests, with no chat app at all.
//!
//! Each input line is a JSON object `{"user": "ID", "text": "MESSAGE"}`, from
//! the patient `terminal:ID`; `"chat": "ROOM"` sends it from the chat
//! `terminal:ROOM` instead (a clinician writing `/claim C-0001` in the
//! clinician channel), and `"name"` sets the name clinicians are shown by.
//! Each reply, and each outbox message for a `terminal:` address (case
//! notifications, clinicians' replies, alerts), is written as one JSON line:
//!
//! ```json
//! {"to":"terminal:ann","reply":{"kind":"answer",...}}
//! {"to":"terminal:clinicians","outbound":"O-3","purpose":"case_opened","case":"C-0001","reply":{...}}
//! ```
//!
//! It goes through the same [`Bot`] as every adapter, so it is counted in
//! the metrics under the platform `terminal`.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use carebot::dispatch::DeliveryError;
use carebot::{Address, Bot, Inbound, Outbound, Reply, Sender};

use super::platform::{BoxFuture, Platform, PlatformError};
use super::shutdown::Shutdown;

const PLATFORM: &str = "terminal";

/// Longest input line; longer ones get an error line (a pasted file must not
/// exhaust memory).
const MAX_LINE_BYTES: usize = 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    user: String,
    text: String,
    chat: Option<String>,
    name: Option<String>,
}

#[derive(Serialize)]
struct Out<'a> {
    to: &'a Address,
    #[serde(skip_serializing_if = "Option::is_none")]
    outbound: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    case: Option<String>,
    reply: &'a Reply,
}

pub struct Terminal {
    /// Lines read by a plain thread (reading stdin cannot be cancelled, and a
    /// runtime would wait for it at exit). Taken by the running `run`.
    lines: tokio::sync::Mutex<mpsc::Receiver<std::io::Result<String>>>,
    /// Replies and deliveries are whole lines, never interleaved.
    stdout: Mutex<std::io::Stdout>,
    running: AtomicBool,
}

impl Terminal {
    /// Starts reading standard input.
    pub fn start() -> Arc<Terminal> {
        // Room for one line: lines not yet taken when shutdown comes stay
        // unread, like updates a chat platform never delivered.
        let (sender, receiver) = mpsc::channel(1);
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut bytes = Vec::new();
            loop {
                bytes.clear();
                let read = std::io::Read::take(&mut stdin, MAX_LINE_BYTES as u64 + 1)
                    .read_until(b'\n', &mut bytes);
                let line = match read {
                    Ok(0) => break,
                    Ok(_) if bytes.len() > MAX_LINE_BYTES && !bytes.ends_with(b"\n") => {
                        // Skip the rest of the over-long line.
                        let mut rest = Vec::new();
                        let _ = stdin.read_until(b'\n', &mut rest);
                        Err(std::io::Error::other("the line is too long"))
                    }
                    Ok(_) => Ok(String::from_utf8_lossy(&bytes).trim().to_string()),
                    Err(error) => Err(error),
                };
                if sender.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        Arc::new(Terminal {
            lines: tokio::sync::Mutex::new(receiver),
            stdout: Mutex::new(std::io::stdout()),
            running: AtomicBool::new(false),
        })
    }

    fn write(&self, value: &impl Serialize) {
        let Ok(mut line) = serde_json::to_string(value) else {
            return;
        };
        line.push('\n');
        let stdout = self
            .stdout
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut stdout = stdout.lock();
        let _ = stdout.write_all(line.as_bytes());
        let _ = stdout.flush();
    }

    fn error(&self, message: &str) {
        self.write(&serde_json::json!({ "error": message }));
    }

    async fn handle(&self, bot: &Arc<dyn Bot>, line: &str) {
        let line: Line = match serde_json::from_str(line) {
            Ok(line) => line,
            Err(error) => {
                return self.error(&format!(
                    "expected {{\"user\": \"ID\", \"text\": \"MESSAGE\"}}: {error}"
                ))
            }
        };
        let user = Address::new(PLATFORM, &line.user);
        let chat = match &line.chat {
            Some(chat) => Address::new(PLATFORM, chat),
            None => user.clone(),
        };
        let sender = Sender {
            name: line.name.clone().unwrap_or_else(|| line.user.clone()),
            user,
            chat,
        };
        let inbound = Inbound::from_text(sender, &line.text);
        let bot = bot.clone();
        match tokio::task::spawn_blocking(move || bot.handle(inbound)).await {
            Ok(Ok(deliveries)) => {
                for delivery in &deliveries {
                    self.write(&Out {
                        to: &delivery.to,
                        outbound: None,
                        purpose: None,
                        case: None,
                        reply: &delivery.reply,
                    });
                }
            }
            Ok(Err(error)) => self.error(&format!("carebot could not handle this: {error}")),
            Err(_) => self.error("carebot could not handle this"),
        }
    }
}

impl Platform for Terminal {
    fn name(&self) -> &'static str {
        PLATFORM
    }

    fn connect(&self) -> BoxFuture<'_, Result<(), PlatformError>> {
        Box::pin(async { Ok(()) })
    }

    fn run(
        &self,
        bot: Arc<dyn Bot>,
        shutdown: Shutdown,
    ) -> BoxFuture<'_, Result<(), PlatformError>> {
        Box::pin(async move {
            let mut lines = self.lines.lock().await;
            self.running.store(true, Ordering::SeqCst);
            let stop = shutdown.wait();
            tokio::pin!(stop);
            loop {
                // A message being handled is finished before shutdown is
                // looked at again: in-flight replies are never cut off.
                let line = tokio::select! {
                    biased;
                    _ = &mut stop => break,
                    line = lines.recv() => line,
                };
                match line {
                    Some(Ok(line)) if line.is_empty() => {}
                    Some(Ok(line)) => self.handle(&bot, &line).await,
                    Some(Err(error)) => self.error(&format!("cannot read the line: {error}")),
                    // End of input: nothing more will come, but carebot keeps
                    // serving everything else until it is stopped.
                    None => {
                        (&mut stop).await;
                        break;
                    }
                }
            }
            self.running.store(false, Ordering::SeqCst);
            Ok(())
        })
    }

    fn deliver<'a>(&'a self, message: &'a Outbound) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            self.write(&Out {
                to: &message.to,
                outbound: Some(message.id.to_string()),
                purpose: Some(message.purpose.name()),
                case: message.purpose.case().map(|case| case.to_string()),
                reply: &message.reply,
            });
            Ok(())
        })
    }

    fn is_connected(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }
}
