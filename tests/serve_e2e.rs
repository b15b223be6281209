//! `carebot serve` end to end with both adapters: the real process, started
//! with a temporary carebot.toml, its Telegram adapter pointed at the fake
//! Bot API (`support/fake_telegram.rs`) and its Discord adapter at the fake REST API
//! and gateway (`support/fake_discord.rs`). A patient on Telegram asks for a person;
//! the case is notified in the Discord clinician channel and answered from
//! there: one process, one store, a cross-platform handoff.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::fake_discord::{self, FakeDiscord, APPLICATION, CLINICIANS, ROLE};
use crate::support::fake_telegram::{self, FakeTelegram};
use crate::support::shipped_dir;

/// Long enough for a debug build on a busy 2-core machine; every wait ends
/// as soon as what it waits for happens.
const PATIENCE: Duration = Duration::from_secs(20);

/// The running `carebot serve`, killed if the test fails before SIGTERM.
struct Serving {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serving {
    fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// The first JSON log event `wanted` accepts, waiting for it.
    async fn wait_for_log(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let found = self
                .log
                .lock()
                .unwrap()
                .iter()
                .filter_map(|line| serde_json::from_str::<Value>(line).ok())
                .find(|event| wanted(event));
            if let Some(event) = found {
                return event;
            }
            let exited = self.child.try_wait().expect("wait");
            if exited.is_some() || Instant::now() > deadline {
                // Let the log reader catch up with the last lines.
                tokio::time::sleep(Duration::from_millis(100)).await;
                panic!(
                    "no {what} in the log (exit: {exited:?}):\n{}",
                    self.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends SIGTERM and waits (at most [`PATIENCE`]) for the exit.
    async fn terminate(&mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                panic!("no exit after SIGTERM; log:\n{}", self.log_text());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// GET `path` from the health and metrics server: status and body.
fn get(address: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: carebot\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_patient_is_answered_from_the_discord_clinician_channel() {
    let started = Instant::now();
    // 1) Both fakes.
    let telegram = FakeTelegram::start().await;
    let discord = FakeDiscord::start().await;

    // 2) The configuration: shipped knowledge, a temporary data folder, the
    // clinician channel on Discord, both adapters pointed at the fakes.
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("carebot.toml");
    let clinician_channel = carebot_discord::channel_address(CLINICIANS);
    std::fs::write(
        &config,
        format!(
            r#"knowledge = "{knowledge}"
data = "{data}"

[handoff]
clinician_channel = "{clinician_channel}"

[metrics]
listen = "127.0.0.1:0"

[log]
format = "json"

[telegram]
api_url = "{telegram_url}"

[discord]
api_url = "{discord_api}"
gateway_url = "{discord_gateway}"
application_id = {APPLICATION}
clinician_role = {ROLE}
"#,
            knowledge = shipped_dir().display(),
            data = dir.path().join("data").display(),
            telegram_url = telegram.url(),
            discord_api = discord.api_url,
            discord_gateway = discord.ws_url(),
        ),
    )
    .expect("write config");

    // 3) The real process, with both tokens in the environment.
    let (child, log) = crate::support::spawn_serve(
        &config,
        &[
            ("CAREBOT_TELEGRAM_TOKEN", fake_telegram::TOKEN),
            ("CAREBOT_DISCORD_TOKEN", fake_discord::TOKEN),
        ],
    );
    let mut serving = Serving { child, log };

    let listening = serving
        .wait_for_log("health and metrics address", |event| {
            event["fields"]["message"]
                .as_str()
                .is_some_and(|message| message.starts_with("health and metrics listening"))
        })
        .await;
    let address: SocketAddr = listening["fields"]["address"]
        .as_str()
        .and_then(|address| address.parse().ok())
        .expect("the listening event names the address");

    // Ready: /healthz answers 200 once both adapters are connected.
    let deadline = Instant::now() + PATIENCE;
    let mut last = None;
    loop {
        let answer = tokio::task::spawn_blocking(move || get(address, "/healthz"))
            .await
            .unwrap();
        if let Ok((200, _)) = answer {
            break;
        }
        if Instant::now() > deadline {
            panic!(
                "/healthz never 200 (last: {last:?}); log:\n{}",
                serving.log_text()
            );
        }
        last = Some(answer.map_err(|error| error.to_string()));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    discord.wait_sessions(1).await;

    // 4) A Telegram patient asks for a person: a reply on Telegram, and the
    // case notified in the Discord clinician channel.
    let patient = fake_telegram::Person::new(424242, "Sam");
    let mark = discord.mark();
    telegram.private_text(&patient, "agent");
    telegram
        .wait_for("the patient's case reply", PATIENCE, |fake| {
            fake.sent_to(patient.id)
                .into_iter()
                .find(|sent| sent.text.contains("C-0001"))
        })
        .await;
    let notification = discord.message_in(mark, CLINICIANS, "C-0001").await;
    assert!(
        notification.content().contains("C-0001"),
        "{}",
        notification.content()
    );

    // 5) A clinician with the role answers from the clinician channel,
    // mentioning the bot (no message-content intent).
    let kim = fake_discord::Person::new(6001, "Nurse Kim", &[ROLE]);
    let mark = discord.mark();
    discord.say(&kim, CLINICIANS, "/claim C-0001", true);
    discord.message_in(mark, CLINICIANS, "C-0001").await;

    let before = telegram.sent_to(patient.id).len();
    discord.say(&kim, CLINICIANS, "/reply C-0001 Please call us now", true);
    telegram
        .wait_for("the clinician's reply relayed", PATIENCE, |fake| {
            fake.sent_to(patient.id)
                .into_iter()
                .skip(before)
                .find(|sent| sent.text.contains("Please call us now"))
        })
        .await;

    let mark = discord.mark();
    discord.say(&kim, CLINICIANS, "/resolve C-0001 done", true);
    discord.message_in(mark, CLINICIANS, "C-0001").await;

    // 6) SIGTERM: a clean exit.
    let status = serving.terminate().await;
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        serving.log_text()
    );
    eprintln!("serve_e2e took {:?}", started.elapsed());
}
