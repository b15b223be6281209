//! Everything the tests share, in one place: the real `carebot` binary, the
//! fixture and shipped knowledge folders and their engines (built once per
//! test binary), and temporary knowledge folders built from snippets here;
//! a service on a real store with clinicians and fixed moments in
//! `handoff.rs`; the fake Discord and Telegram servers in `fake_discord.rs`
//! and `fake_telegram.rs`.

#[cfg(feature = "discord")]
pub mod fake_discord;
#[cfg(feature = "telegram")]
pub mod fake_telegram;
pub mod handoff;
pub mod postgres;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use carebot::{Conversation, Engine, Reply};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The small knowledge base written for these tests.
pub fn fixture_dir() -> PathBuf {
    root().join("tests/fixtures/knowledge")
}

/// The starter knowledge base that ships in `knowledge/`.
pub fn shipped_dir() -> PathBuf {
    root().join("knowledge")
}

/// The fixture knowledge base's engine (built once per test binary).
pub fn fixture_engine() -> Arc<Engine> {
    static ENGINE: std::sync::OnceLock<Arc<Engine>> = std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| {
            Arc::new(Engine::new(
                carebot::load_dir(&fixture_dir()).expect("fixture knowledge loads"),
            ))
        })
        .clone()
}

/// The shipped knowledge base's engine (built once per test binary).
pub fn shipped_engine() -> Arc<Engine> {
    static ENGINE: std::sync::OnceLock<Arc<Engine>> = std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| {
            Arc::new(Engine::new(
                carebot::load_dir(&shipped_dir()).expect("shipped knowledge loads"),
            ))
        })
        .clone()
}

/// The shipped knowledge in an engine that reads by words alone (no semantic
/// layer, no emergency net): what the semantic tests compare with.
pub fn shipped_lexical_engine() -> Arc<Engine> {
    static ENGINE: std::sync::OnceLock<Arc<Engine>> = std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let knowledge = carebot::load_dir(&shipped_dir()).expect("shipped knowledge loads");
            Arc::new(Engine::new(knowledge).lexical_only())
        })
        .clone()
}

/// Sends `turns` through one conversation and returns every reply.
pub fn converse(engine: &Engine, turns: &[&str]) -> Vec<Reply> {
    let mut conversation = Conversation::default();
    turns
        .iter()
        .map(|turn| engine.reply(&mut conversation, turn))
        .collect()
}

/// The `carebot` binary, run from the repository root.
pub fn carebot() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_carebot"));
    command.current_dir(root()).env_remove("CAREBOT_KNOWLEDGE");
    command
}

/// Starts `carebot --config CONFIG serve` with `env` (tokens) and none of
/// carebot's variables from the test's own environment; its standard error
/// (the JSON log, with `[log] format = "json"`) is collected line by line.
pub fn spawn_serve(
    config: &Path,
    env: &[(&str, &str)],
) -> (
    std::process::Child,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_carebot"));
    command.current_dir(root());
    for name in [
        "CAREBOT_KNOWLEDGE",
        "CAREBOT_DATA",
        "CAREBOT_STORE",
        "CAREBOT_STORE_FILE",
        "CAREBOT_CONFIG",
        "CAREBOT_SETTINGS",
        "CAREBOT_TELEGRAM_TOKEN",
        "CAREBOT_DISCORD_TOKEN",
        "CAREBOT_TELEGRAM_TOKEN_FILE",
        "CAREBOT_DISCORD_TOKEN_FILE",
        "RUST_LOG",
    ] {
        command.env_remove(name);
    }
    let mut child = command
        .arg("--config")
        .arg(config)
        .arg("serve")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("carebot serve starts");
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let stderr = child.stderr.take().expect("piped stderr");
    let lines = log.clone();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            lines.lock().unwrap().push(line);
        }
    });
    (child, log)
}

/// Runs `carebot` with `args`, feeding `stdin`, and waits for it.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = carebot()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("carebot starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    // Write from a thread so a large input cannot deadlock against the output pipe.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("carebot runs");
    writer.join().expect("stdin writer");
    output
}

/// Runs `carebot ask --json [extra]` over `lines` and parses every output line.
pub fn ask_json(knowledge: &Path, extra: &[&str], input: &[u8]) -> Vec<serde_json::Value> {
    let knowledge = knowledge.to_str().expect("utf-8 path");
    let mut args = vec!["ask", "--json", "--knowledge", knowledge];
    args.extend_from_slice(extra);
    let output = run(&args, input);
    assert!(
        output.status.success(),
        "ask --json failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("output is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

/// One JSON input line.
pub fn line(user: &str, text: &str) -> String {
    serde_json::json!({ "user": user, "text": text }).to_string() + "\n"
}

/// A temporary knowledge folder: the fixture's practice settings plus `files`
/// (relative path → contents).
pub fn temp_knowledge(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        fixture_dir().join("practice.toml"),
        dir.path().join("practice.toml"),
    )
    .expect("copy practice");
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write knowledge file");
    }
    dir
}

/// The shipped knowledge with the practice's `notice_topics` set to `topics`
/// (a TOML array) and `notices` (`[[notice]]` entries) in
/// `notices/autumn.toml`.
pub fn knowledge_with_notices(notices: &str, topics: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&shipped_dir(), dir.path());
    let practice_path = dir.path().join("practice.toml");
    let practice = std::fs::read_to_string(&practice_path).expect("practice.toml");
    // The shipped practice.toml lists topics; the tests choose their own.
    let practice: String = practice
        .lines()
        .map(|line| {
            if line.starts_with("notice_topics = ") {
                format!("notice_topics = {topics}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    assert!(practice.contains(&format!("notice_topics = {topics}")));
    std::fs::write(&practice_path, practice).expect("write practice.toml");
    std::fs::create_dir_all(dir.path().join("notices")).expect("mkdir");
    std::fs::write(dir.path().join("notices/autumn.toml"), notices).expect("write notice");
    dir
}

/// The notice topics of the practice in [`engine_with_notices`].
pub const NOTICE_TOPICS: &str = r#"["outbreaks", "vaccination-clinics", "closures"]"#;

/// An engine on the shipped knowledge with `notices` (`[[notice]]` entries,
/// perhaps none) on [`NOTICE_TOPICS`]; it reads by words alone, which is
/// quick to build: what the end-to-end tests of notices reload as the
/// practice publishes them.
pub fn engine_with_notices(notices: &str) -> Arc<Engine> {
    let dir = knowledge_with_notices(notices, NOTICE_TOPICS);
    let knowledge = carebot::load_dir(dir.path()).expect("knowledge with notices loads");
    Arc::new(Engine::new(knowledge).lexical_only())
}

/// Words in every health notice as a subscriber receives it (and in nothing
/// else the bot says).
pub const PUSHED_NOTICE: &str = "You get these because you asked for health notices";

/// Waits (at most `within`) until `service`'s outbox is empty: everything
/// queued so far was delivered, or given up on.
pub async fn outbox_drained(service: &carebot::Service, within: std::time::Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let left = service.store().outbox().expect("the outbox reads");
        if left.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} messages still queued, the first: {:#?}",
            left.len(),
            left[0]
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Waits (at most `within`) until `patient` has no subscription to health
/// notices.
pub async fn unsubscribed(
    service: &carebot::Service,
    patient: &carebot::Address,
    within: std::time::Duration,
) {
    let deadline = std::time::Instant::now() + within;
    while service.store().subscription(patient).unwrap().is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "{patient} is still subscribed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A `[[notice]]` entry on `topic`, in force all of November 2026 (when the
/// end-to-end tests' clocks start, see `handoff::monday_afternoon`); what
/// subscribers receive contains `title`.
pub fn november_notice(id: &str, title: &str, topic: &str) -> String {
    format!(
        r#"
[[notice]]
id = "{id}"
title = "{title}"
text = "{title}: details at {{address}}."
topics = ["{topic}"]
publish_at = 2026-11-01
expires_at = 2026-12-01
questions = ["what is the {id} notice about"]
keywords = ["{id}"]
sources = ["The practice manager"]
reviewed = 2026-10-20
owner = "Practice manager"
"#
    )
}

/// Copies the folder `from` to `to`, subfolders included.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}
