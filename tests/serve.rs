//! `carebot serve` as a practice runs it: the real process, started with a
//! temporary configuration file, a copy of the shipped knowledge and its own
//! data folder. No chat adapter runs; patients write through `--terminal`
//! (JSON lines on stdin, replies and outbox deliveries on stdout), which goes
//! through the same bot, dispatcher and metrics as any adapter. The health
//! and metrics server is bound to 127.0.0.1:0 and its address read from the
//! JSON logs.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use carebot::{CaseId, Store};

use crate::support::{copy_dir, root, shipped_dir};

/// Long enough for a debug build on a busy 2-core machine.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// A folder with a configuration file, a copy of the shipped knowledge and a
/// data folder, for one carebot.
pub(crate) struct Deployment {
    dir: tempfile::TempDir,
    /// The data folder, relative to `dir`.
    data: &'static str,
}

impl Deployment {
    /// A configuration without adapters whose clinician channel is on the
    /// terminal, so alerts and case notifications come out on stdout; `extra`
    /// is appended (adapter tables, for instance).
    pub(crate) fn new(extra: &str) -> Deployment {
        Deployment::with_channel("terminal:clinicians", extra)
    }

    /// Like [`Deployment::new`] with the data folder at `data` (relative to
    /// the deployment's folder), such as a folder on a filesystem the test
    /// mounts there.
    pub(crate) fn with_data(data: &'static str) -> Deployment {
        Deployment::configured("terminal:clinicians", data, "")
    }

    /// Like [`Deployment::new`] with another clinician channel, such as
    /// `discord:<id>` for a cross-platform handoff against fake servers
    /// (`[telegram] api_url`, `[discord] api_url` and `gateway_url` in `extra`).
    fn with_channel(channel: &str, extra: &str) -> Deployment {
        Deployment::configured(channel, "data", extra)
    }

    fn configured(channel: &str, data: &'static str, extra: &str) -> Deployment {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(&shipped_dir(), &dir.path().join("knowledge"));
        let config = format!(
            "knowledge = \"knowledge\"\ndata = \"{data}\"\n\n[handoff]\nclinician_channel = \"{channel}\"\n\n[metrics]\nlisten = \"127.0.0.1:0\"\n\n[reload]\npoll_interval_ms = 100\n\n[log]\nformat = \"json\"\n{extra}"
        );
        std::fs::write(dir.path().join("carebot.toml"), config).expect("write config");
        Deployment { dir, data }
    }

    /// The deployment's folder.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("carebot.toml")
    }

    fn knowledge(&self) -> PathBuf {
        self.dir.path().join("knowledge")
    }

    pub(crate) fn data(&self) -> PathBuf {
        self.dir.path().join(self.data)
    }

    /// `carebot --config <this deployment's file>`, with no outside settings.
    pub(crate) fn carebot(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_carebot"));
        command
            .current_dir(root())
            .arg("--config")
            .arg(self.config());
        for name in [
            "CAREBOT_KNOWLEDGE",
            "CAREBOT_DATA",
            "CAREBOT_CONFIG",
            "CAREBOT_SETTINGS",
            "CAREBOT_TELEGRAM_TOKEN",
            "CAREBOT_TELEGRAM_TOKEN_FILE",
            "CAREBOT_DISCORD_TOKEN",
            "CAREBOT_DISCORD_TOKEN_FILE",
            "RUST_LOG",
        ] {
            command.env_remove(name);
        }
        command
    }

    /// Starts `carebot serve --terminal` and waits until it serves.
    pub(crate) fn serve(&self) -> Serving {
        self.serve_with(|_| {})
    }

    /// Like [`Deployment::serve`], after `setup` (tokens in the environment...).
    fn serve_with(&self, setup: impl FnOnce(&mut Command)) -> Serving {
        let mut command = self.carebot();
        setup(&mut command);
        let mut child = command
            .args(["serve", "--terminal"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("carebot serve starts");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = lines(child.stdout.take().expect("piped stdout"));
        let (log_lines, log) = {
            let log = Arc::new(Mutex::new(Vec::new()));
            let (sender, receiver) = mpsc::channel();
            let keep = log.clone();
            let stderr = child.stderr.take().expect("piped stderr");
            thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    keep.lock().unwrap().push(line.clone());
                    let _ = sender.send(line);
                }
            });
            (receiver, log)
        };
        let mut serving = Serving {
            child,
            stdin: Some(stdin),
            stdout,
            log_lines,
            log,
            address: None,
        };
        let listening = serving.wait_for_log(|event| {
            event["fields"]["message"]
                .as_str()
                .is_some_and(|message| message.starts_with("health and metrics listening"))
        });
        serving.address = Some(
            listening["fields"]["address"]
                .as_str()
                .and_then(|address| address.parse().ok())
                .expect("the listening event names the address"),
        );
        serving.wait_for_log(|event| event["fields"]["message"] == "carebot is serving");
        serving
    }
}

/// A running `carebot serve --terminal`.
pub(crate) struct Serving {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<Value>,
    log_lines: Receiver<String>,
    log: Arc<Mutex<Vec<String>>>,
    address: Option<SocketAddr>,
}

/// Each line `from` writes, parsed as JSON, through a channel.
fn lines(from: impl Read + Send + 'static) -> Receiver<Value> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            let value = serde_json::from_str(&line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
            if sender.send(value).is_err() {
                break;
            }
        }
    });
    receiver
}

impl Serving {
    pub(crate) fn send(&mut self, user: &str, text: &str) {
        let line = serde_json::json!({ "user": user, "text": text }).to_string() + "\n";
        self.stdin
            .as_mut()
            .expect("stdin is open")
            .write_all(line.as_bytes())
            .expect("carebot reads stdin");
    }

    /// The next stdout line that `wanted` accepts (others are skipped).
    pub(crate) fn next_out(&self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(value) if wanted(&value) => return value,
                Ok(_) => {}
                Err(_) => panic!("no {what} on stdout; log:\n{}", self.log_text()),
            }
        }
    }

    /// The reply to `text` from `user` that is not the first-contact notice.
    pub(crate) fn ask(&mut self, user: &str, text: &str) -> Value {
        self.send(user, text);
        let to = format!("terminal:{user}");
        self.next_out("reply", |value| {
            value["to"] == to.as_str()
                && value.get("outbound").is_none()
                && !value["reply"]["text"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("Hello! I'm the automated assistant")
        })
    }

    /// The next JSON log event `wanted` accepts.
    pub(crate) fn wait_for_log(&self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log_lines.recv_timeout(left) {
                Ok(line) => {
                    let event: Value = serde_json::from_str(&line)
                        .unwrap_or_else(|error| panic!("log line not JSON ({error}): {line}"));
                    if wanted(&event) {
                        return event;
                    }
                }
                Err(_) => panic!(
                    "the awaited log event never came; log:\n{}",
                    self.log_text()
                ),
            }
        }
    }

    pub(crate) fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// GET `path` from the health and metrics server: status and body.
    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(self.address.expect("listening")).expect("connect");
        stream
            .set_read_timeout(Some(PATIENCE))
            .expect("read timeout");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: carebot\r\nConnection: close\r\n\r\n"
        )
        .expect("send request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read response");
        let (head, body) = response
            .split_once("\r\n\r\n")
            .expect("a complete response");
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("a status code");
        (status, body.to_string())
    }

    pub(crate) fn metric(&self, name: &str) -> f64 {
        let (status, body) = self.get("/metrics");
        assert_eq!(status, 200, "{body}");
        body.lines()
            .find_map(|line| {
                let (key, value) = line.rsplit_once(' ')?;
                (key == name).then(|| value.parse().ok()).flatten()
            })
            .unwrap_or_else(|| panic!("{name} missing from\n{body}"))
    }

    /// Waits until `name` reads `value` on /metrics.
    fn wait_for_metric(&self, name: &str, value: f64) {
        let deadline = Instant::now() + PATIENCE;
        while self.metric(name) != value {
            assert!(
                Instant::now() < deadline,
                "{name} never reached {value}; log:\n{}",
                self.log_text()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM and waits for the exit: its status and how long it took.
    pub(crate) fn terminate(&mut self) -> (ExitStatus, Duration) {
        let started = Instant::now();
        signal(&self.child, "TERM");
        let status = wait_at_most(&mut self.child, PATIENCE);
        (status, started.elapsed())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        // A failed test must not leave a carebot behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{name} failed");
}

fn wait_at_most(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "carebot did not exit within {limit:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn entry(reply: &Value) -> &str {
    reply["reply"]["entry"].as_str().unwrap_or("")
}

#[test]
fn health_and_metrics_describe_the_running_process_without_message_text() {
    let deployment = Deployment::new("");
    let mut carebot = deployment.serve();

    // Ready once every adapter (here the terminal) is connected: 503 until
    // then, as a readiness probe sees it.
    let deadline = Instant::now() + PATIENCE;
    let (status, body) = loop {
        let (status, body) = carebot.get("/healthz");
        if status != 503 || Instant::now() > deadline {
            break (status, body);
        }
        let health: Value = serde_json::from_str(&body).expect("health is JSON");
        assert_eq!(health["status"], "unavailable", "{body}");
        thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status, 200, "{body}");
    let health: Value = serde_json::from_str(&body).expect("health is JSON");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["knowledge"]["loaded"], true);
    assert_eq!(health["knowledge"]["current"], true);
    assert!(health["knowledge"]["faq_entries"].as_u64().unwrap() > 10);
    assert_eq!(health["adapters"]["terminal"], "connected");

    let hours = carebot.ask("ann", "are you open on saturday?");
    assert_eq!(entry(&hours), "opening-hours");
    let urgent = carebot.ask("bob", "I have crushing chest pain spreading to my left arm");
    assert_eq!(urgent["reply"]["kind"], "triage");
    assert_eq!(urgent["reply"]["level"], "emergency");

    let (status, metrics) = carebot.get("/metrics");
    assert_eq!(status, 200);
    for line in [
        "carebot_messages_total{platform=\"terminal\",kind=\"message\"} 2",
        "carebot_replies_total{platform=\"terminal\",kind=\"answer\"} 1",
        "carebot_replies_total{platform=\"terminal\",kind=\"triage\"} 1",
        // The chest pain rule hands the patient over to a clinician.
        "carebot_handoff_cases{status=\"open\"} 1",
        "carebot_escalations_total{level=\"emergency\"} 1",
        "carebot_reply_duration_seconds_count 2",
        "carebot_knowledge_reloads_total 0",
        "carebot_knowledge_current 1",
        "carebot_adapter_connected{platform=\"terminal\"} 1",
        "# TYPE carebot_reply_duration_seconds histogram",
        "# TYPE carebot_handoff_cases gauge",
        "# TYPE carebot_outbox_depth gauge",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
    for private in ["ann", "bob", "saturday", "chest", "terminal:"] {
        assert!(!metrics.contains(private), "{private} in\n{metrics}");
    }
    assert_eq!(carebot.get("/nope").0, 404);

    let (status, took) = carebot.terminate();
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let log = carebot.log_text();
    for private in ["saturday", "chest pain"] {
        assert!(!log.contains(private), "{private} in the log:\n{log}");
    }
}

#[test]
fn the_configured_limits_hold_back_a_flood_and_a_long_message() {
    let deployment =
        Deployment::new("\n[limits]\nburst = 3\nper_minute = 6\nmax_message_chars = 200\n");
    let mut carebot = deployment.serve();
    for _ in 0..3 {
        let reply = carebot.ask("flood", "are you open on saturday?");
        assert_eq!(entry(&reply), "opening-hours");
    }
    let notice = carebot.ask("flood", "are you open on saturday?");
    assert_eq!(notice["reply"]["kind"], "notice");
    let text = notice["reply"]["text"].as_str().unwrap();
    assert!(text.contains("faster than I can answer"), "{text}");
    assert!(text.contains("911"), "{text}");
    for _ in 0..5 {
        carebot.send("flood", "are you open on saturday?");
    }
    // Another patient is answered at once, and a message over the configured
    // length gets the "keep it short" notice.
    let other = carebot.ask("calm", "are you open on saturday?");
    assert_eq!(entry(&other), "opening-hours");
    let long = carebot.ask("calm", &"my knee hurts when I walk ".repeat(10));
    assert_eq!(long["reply"]["kind"], "notice");
    assert!(
        long["reply"]["text"].as_str().unwrap().contains("too long"),
        "{long}"
    );
    // The five dropped messages got no reply at all, and are counted.
    let (_, metrics) = carebot.get("/metrics");
    assert!(
        metrics.contains("carebot_messages_rate_limited_total 6"),
        "{metrics}"
    );
    let (status, _) = carebot.terminate();
    assert!(status.success(), "{status:?}");
    let log = carebot.log_text();
    assert!(!log.contains("saturday"), "{log}");
}

#[test]
fn edited_knowledge_is_reloaded_and_a_broken_edit_keeps_the_last_good_set() {
    let deployment = Deployment::new("");
    let mut carebot = deployment.serve();
    let question = "do you have a bike rack?";
    assert_eq!(carebot.ask("ann", question)["reply"]["kind"], "fallback");

    let new_faq = deployment.knowledge().join("faq/bicycles.toml");
    std::fs::write(
        &new_faq,
        "[[faq]]\nid = \"bike-rack\"\ntitle = \"Bicycles\"\nquestions = [\"Do you have a bike rack?\", \"Where can I leave my bicycle?\"]\nkeywords = [\"bike\", \"bicycle\", \"rack\"]\nanswer = \"There's a covered bike rack by the main entrance.\"\nsources = [\"Practice policy\"]\nreviewed = 2026-11-01\nowner = \"Practice manager\"\n",
    )
    .unwrap();
    carebot.wait_for_metric("carebot_knowledge_reloads_total", 1.0);
    assert_eq!(entry(&carebot.ask("ann", question)), "bike-rack");
    assert_eq!(
        entry(&carebot.ask("bea", "where can I leave my bicycle")),
        "bike-rack"
    );

    // A broken edit: line 3, column 9 has an unquoted value.
    std::fs::write(&new_faq, "[[faq]]\nid = \"bike-rack\"\ntitle = Bicycles\n").unwrap();
    carebot.wait_for_metric("carebot_knowledge_reload_failures_total", 1.0);
    let problem =
        carebot.wait_for_log(|event| event["fields"]["message"] == "knowledge file problem");
    let located = problem["fields"]["problem"].as_str().unwrap();
    assert!(
        located.contains("faq/bicycles.toml:3:9: error:"),
        "{located}"
    );

    let alert = carebot.next_out("alert", |value| value["purpose"] == "alert");
    assert_eq!(alert["to"], "terminal:clinicians");
    let text = alert["reply"]["text"].as_str().unwrap();
    assert!(text.contains("`faq/bicycles.toml:3:9`"), "{text}");
    assert!(
        text.contains("keeps answering from the previous version"),
        "{text}"
    );

    // The last good set still answers, old and new questions alike.
    assert_eq!(entry(&carebot.ask("ann", question)), "bike-rack");
    assert_eq!(
        entry(&carebot.ask("cy", "are you open on saturday?")),
        "opening-hours"
    );
    assert_eq!(carebot.metric("carebot_knowledge_current"), 0.0);
    let (_, health) = carebot.get("/healthz");
    let health: Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["knowledge"]["current"], false);

    // Fixed: loaded again, and the clinicians are told.
    std::fs::remove_file(&new_faq).unwrap();
    carebot.wait_for_metric("carebot_knowledge_reloads_total", 2.0);
    let fixed = carebot.next_out("all-clear", |value| value["purpose"] == "alert");
    assert!(fixed["reply"]["text"]
        .as_str()
        .unwrap()
        .contains("load again"));
    assert_eq!(carebot.ask("ann", question)["reply"]["kind"], "fallback");
    assert_eq!(carebot.metric("carebot_knowledge_current"), 1.0);

    let (status, _) = carebot.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_reload_that_drops_rules_or_faq_entries_alerts_the_clinicians_with_what_went() {
    let deployment = Deployment::new("");
    let shipped = carebot::load_dir(&deployment.knowledge()).expect("shipped knowledge loads");
    let breathing = deployment.knowledge().join("rules/breathing-allergy.toml");
    let billing = deployment.knowledge().join("faq/billing.toml");
    let rules_in = |file: &Path| -> Vec<String> {
        let rules = shipped.rules.iter().filter(|rule| rule.origin.file == file);
        rules.map(|rule| rule.id.clone()).collect()
    };
    let faqs_in = |file: &Path| -> Vec<String> {
        let faqs = shipped
            .faqs
            .iter()
            .filter(|entry| entry.origin.file == file);
        faqs.map(|entry| entry.id.clone()).collect()
    };
    let (dropped_rules, dropped_faqs) = (rules_in(&breathing), faqs_in(&billing));
    assert!(dropped_rules.len() > 1 && !dropped_faqs.is_empty());
    let mut carebot = deployment.serve();

    // Both files deleted, as by a mistaken `rm` or a move to a backup folder.
    std::fs::remove_file(&breathing).unwrap();
    std::fs::remove_file(&billing).unwrap();
    carebot.wait_for_metric("carebot_knowledge_reloads_total", 1.0);
    let alert = carebot.next_out("alert", |value| value["purpose"] == "alert");
    assert_eq!(alert["to"], "terminal:clinicians");
    let text = alert["reply"]["text"].as_str().unwrap();
    let rules = shipped.rules.len();
    let faqs = shipped.faqs.len();
    let expected = format!(
        "without {} triage rules ({rules} → {}) and {} FAQ entr",
        dropped_rules.len(),
        rules - dropped_rules.len(),
        dropped_faqs.len()
    );
    assert!(text.contains(&expected), "{expected} missing from\n{text}");
    assert!(
        text.contains(&format!("({faqs} → {})", faqs - dropped_faqs.len())),
        "{text}"
    );
    assert!(
        text.contains("`rules/breathing-allergy.toml` (the file is gone): "),
        "{text}"
    );
    assert!(
        text.contains("`faq/billing.toml` (the file is gone): "),
        "{text}"
    );
    for id in dropped_faqs.iter().chain(&dropped_rules).take(12) {
        assert!(
            text.contains(&format!("`{id}`")),
            "`{id}` missing from\n{text}"
        );
    }
    if dropped_faqs.len() + dropped_rules.len() > 12 {
        assert!(
            text.contains(&format!(
                "… and {} more",
                dropped_faqs.len() + dropped_rules.len() - 12
            )),
            "{text}"
        );
    }
    let logged = carebot.log_text();
    for id in &dropped_rules {
        assert!(logged.contains(id.as_str()), "{id} not logged");
    }

    // Patients still get answers, from what is left.
    assert_eq!(
        entry(&carebot.ask("ann", "are you open on saturday?")),
        "opening-hours"
    );
    let (status, _) = carebot.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn sigterm_during_traffic_exits_promptly_and_loses_no_case() {
    let deployment = Deployment::new("");
    let mut carebot = deployment.serve();
    let mut stdin = carebot.stdin.take().expect("stdin");
    // Patients keep asking for a person (each opens a case) until carebot
    // stops reading.
    let writer = thread::spawn(move || {
        for n in 0..5000 {
            let line =
                serde_json::json!({ "user": format!("p{n}"), "text": "agent" }).to_string() + "\n";
            if stdin.write_all(line.as_bytes()).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(2));
        }
    });
    let case_of = |value: &Value| -> Option<CaseId> {
        let is_ack = value.get("outbound").is_none()
            && value["to"].as_str()?.starts_with("terminal:p")
            && value["reply"]["entry"].as_str()?.starts_with("C-");
        is_ack.then(|| value["reply"]["entry"].as_str()?.parse().ok())?
    };
    let mut acknowledged = BTreeSet::new();
    while acknowledged.len() < 25 {
        let value = carebot.next_out("case", |value| case_of(value).is_some());
        acknowledged.insert(case_of(&value).unwrap());
    }

    let (status, took) = carebot.terminate();
    assert!(status.success(), "{status:?}\n{}", carebot.log_text());
    assert!(took < Duration::from_secs(5), "took {took:?}");
    // Replies finished after the signal are acknowledgements too.
    loop {
        match carebot.stdout.recv_timeout(PATIENCE) {
            Ok(value) => acknowledged.extend(case_of(&value)),
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("stdout stayed open after exit"),
        }
    }
    writer.join().unwrap();

    let store = Store::open(&deployment.data()).expect("the store opens after a clean exit");
    store.verify().expect("every record reads back");
    let stored: BTreeSet<CaseId> = store.cases().unwrap().iter().map(|case| case.id).collect();
    eprintln!(
        "SIGTERM during traffic: {} cases acknowledged, {} stored; exit took {took:?}",
        acknowledged.len(),
        stored.len()
    );
    assert_eq!(
        stored, acknowledged,
        "every case a patient was told about is stored, and no case was opened without telling the patient"
    );
}

fn run(command: &mut Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("carebot starts");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

#[test]
fn a_bad_configuration_is_reported_before_anything_starts() {
    let deployment = Deployment::new(
        "\n[telegram]\napi_url = \"telegram.org\"\n\n[discord]\ntoken = \"MTIz.SECRET\"\n",
    );
    let config = deployment.config();
    let mut text = std::fs::read_to_string(&config).unwrap();
    text = text.replace("[handoff]\n", "[handoff]\nretention_days = 0\n");
    std::fs::write(&config, text).unwrap();

    let output = run(deployment.carebot().arg("serve"), "");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let file = config.display().to_string();
    for problem in [
        format!("{file}:5:18: handoff.retention_days: must be at least 1"),
        format!("{file}:18:11: telegram.api_url: `telegram.org` is not a URL"),
        format!("{file}:21:9: discord.token: tokens do not belong in the configuration file"),
    ] {
        assert!(
            stderr.contains(&problem),
            "{problem} missing from\n{stderr}"
        );
    }
    assert!(
        stderr.contains("the configuration has 3 problems"),
        "{stderr}"
    );
    assert!(!stderr.contains("SECRET"), "{stderr}");
    assert!(
        !deployment.data().exists(),
        "nothing started, nothing written"
    );

    // A token file that cannot be read names the variable, not the token.
    let deployment = Deployment::new("");
    let output = run(
        deployment
            .carebot()
            .arg("serve")
            .env("CAREBOT_DISCORD_TOKEN_FILE", "/nonexistent/discord-token"),
        "",
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "CAREBOT_DISCORD_TOKEN_FILE: cannot read the token file /nonexistent/discord-token"
        ),
        "{stderr}"
    );

    // --check validates everything and starts nothing.
    let output = run(deployment.carebot().args(["serve", "--check"]), "");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("are valid"));
    assert!(!deployment.data().exists());
}

#[test]
fn serve_check_warns_about_an_open_metrics_listener_and_a_token_sent_in_clear() {
    let deployment = Deployment::new("\n[telegram]\napi_url = \"http://api.telegram.org\"\n");
    let config = deployment.config();
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("127.0.0.1:0", "0.0.0.0:9187")).unwrap();

    let output = run(deployment.carebot().args(["serve", "--check"]), "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let file = config.display().to_string();
    for warning in [
        format!("warning: {file}:8:10: metrics.listen: `0.0.0.0:9187` can be reached from other machines"),
        format!("warning: {file}:17:11: telegram.api_url: `http://api.telegram.org` is not encrypted"),
    ] {
        assert!(stderr.contains(&warning), "{warning} missing from\n{stderr}");
    }
}

#[test]
fn a_bare_carebot_serves_when_a_token_is_configured_and_chats_otherwise() {
    // Telegram pointed at a closed local port: with the adapter built in,
    // serve starts and keeps retrying; without it, serve refuses to start.
    // Either way it is serve, not the chat, and the token is never shown.
    let deployment = Deployment::new("\n[telegram]\napi_url = \"http://127.0.0.1:9/\"\n");
    let token = "123456:SECRET-token-never-printed";
    let mut child = deployment
        .carebot()
        .env("CAREBOT_TELEGRAM_TOKEN", token)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    // Served (with the adapter) or refused (without it): either way the
    // process has said what it does before it is stopped.
    while !seen
        .iter()
        .any(|line: &String| line.contains("carebot is serving") || line.contains("built without"))
    {
        match receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    if child.try_wait().unwrap().is_none() {
        signal(&child, "TERM");
    }
    let status = wait_at_most(&mut child, PATIENCE);
    seen.extend(receiver.try_iter());
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let stderr = seen.join("\n");
    assert!(stderr.contains("telegram"), "{stderr}");
    assert!(
        !stdout.contains("carebot for"),
        "the chat started:\n{stdout}"
    );
    assert!(
        !stderr.contains("SECRET") && !stdout.contains("SECRET"),
        "{stderr}\n{stdout}"
    );
    if cfg!(feature = "telegram") {
        assert!(status.success(), "{status:?}\n{stderr}");
    }

    // No token anywhere: the terminal chat.
    let output = run(&mut deployment.carebot(), "/quit\n");
    assert!(output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("carebot for Riverside Family Practice"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
