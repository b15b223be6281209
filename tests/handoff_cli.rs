//! The command line around handoff, through the real `carebot` binary:
//! `ask --json` reports cases, staff commands read the same data folder,
//! `chat` remembers a patient between runs, and nothing lands in the user's
//! data folder unless asked.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::handoff::root;

/// `carebot` with a private HOME, so no test touches the real user's data.
fn carebot(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_carebot"));
    command
        .current_dir(root())
        .env_remove("CAREBOT_KNOWLEDGE")
        .env_remove("CAREBOT_DATA")
        .env_remove("CAREBOT_SETTINGS")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", home)
        // The FAQ embeddings of the shipped knowledge, computed once for the
        // whole test run rather than once per private HOME.
        .env("CAREBOT_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .env("USER", "frontdesk");
    command
}

fn run(home: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = carebot(home)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "carebot {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn line(user: &str, text: &str) -> String {
    serde_json::json!({ "user": user, "text": text }).to_string() + "\n"
}

#[test]
fn ask_json_reports_cases_and_staff_can_read_them() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("practice-data");
    let data = data.to_str().unwrap();
    let input = line("a", "crushing chest pain and my left arm is numb")
        + &line("b", "what are your opening hours");
    let out = stdout(&run(
        home.path(),
        &["ask", "--json", "--data", data],
        &input,
    ));
    let replies: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0]["kind"], "triage");
    assert_eq!(replies[0]["level"], "emergency");
    assert_eq!(replies[0]["handoff"], true);
    assert_eq!(replies[0]["case"], "C-0001");
    assert!(
        replies[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("**Call 911 now.**"),
        "the engine's text, unchanged"
    );
    assert_eq!(replies[1]["entry"], "opening-hours");
    assert!(replies[1].get("case").is_none());

    let cases = stdout(&run(home.path(), &["--data", data, "cases"], ""));
    assert!(
        cases.starts_with("C-0001 open emergency · heart-attack-signs"),
        "{cases}"
    );
    let none = stdout(&run(
        home.path(),
        &["--data", data, "cases", "--status", "resolved"],
        "",
    ));
    assert_eq!(none.trim(), "No cases with status resolved.");
    let case = stdout(&run(home.path(), &["case", "C-0001", "--data", data], ""));
    assert!(case.contains("Patient: ask:a"), "{case}");
    assert!(
        case.contains("> crushing chest pain and my left arm is numb"),
        "{case}"
    );

    let report = stdout(&run(home.path(), &["--data", data, "report", "--json"], ""));
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["cases"]["open"], 1);
    assert_eq!(
        report["escalations_by_rule"][0]["rule"],
        "heart-attack-signs"
    );
    assert_eq!(report["top_faq"][0]["entry"], "opening-hours");
    let text = stdout(&run(home.path(), &["--data", data, "report"], ""));
    assert!(text.contains("1× heart-attack-signs (emergency)"), "{text}");

    let purge = stdout(&run(home.path(), &["--data", data, "purge"], ""));
    assert!(
        purge.starts_with("Deleted 0 conversation(s), 0 resolved case(s)"),
        "{purge}"
    );

    // The staff reads were audited under the login name.
    let store = carebot::Store::open(Path::new(data)).unwrap();
    let staff_reads = store
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.actor
                == carebot::audit::Actor::Staff {
                    login: "frontdesk".into(),
                }
        })
        .count();
    assert_eq!(staff_reads, 3, "two listings and one case");
}

#[test]
fn a_missing_case_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("d");
    let output = carebot(home.path())
        .args(["--data", data.to_str().unwrap(), "case", "C-0042"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("there is no case C-0042"));
    let bad = carebot(home.path())
        .args(["case", "forty-two"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "clap rejects it");
}

#[test]
fn ask_uses_a_temporary_store_unless_data_is_given() {
    let home = tempfile::tempdir().unwrap();
    run(home.path(), &["ask", "--json"], &line("a", "agent"));
    run(home.path(), &["ask", "agent"], "");
    assert!(
        !home.path().join(".local").exists(),
        "nothing was written under HOME"
    );
}

#[test]
fn chat_remembers_the_patient_between_runs_and_forgets_on_request() {
    let home = tempfile::tempdir().unwrap();
    let first = stdout(&run(home.path(), &["chat"], "agent\n"));
    assert!(
        first.contains("I'm **not for emergencies**"),
        "the first-contact notice: {first}"
    );
    assert!(first.contains("case **C-0001**"), "{first}");
    let data = home.path().join(".local/share/carebot");
    assert!(data.is_dir(), "the default data folder is under HOME");

    let second = stdout(&run(home.path(), &["chat"], "what do you know about me\n"));
    assert!(
        !second.contains("I'm **not for emergencies**"),
        "the notice is shown once"
    );
    assert!(second.contains("Case C-0001 (open)"), "{second}");

    let third = stdout(&run(home.path(), &["chat"], "forget me\n/mydata\n"));
    assert!(third.contains("deleted everything"), "{third}");
    assert!(!third.contains("Case C-0001"), "{third}");
}

#[test]
fn settings_name_the_clinicians() {
    let home = tempfile::tempdir().unwrap();
    let settings = home.path().join("carebot.toml");
    std::fs::write(
        &settings,
        "[handoff]\nclinician_channel = \"telegram:-500\"\nretention_days = 7\n",
    )
    .unwrap();
    let data = home.path().join("d");
    let args = [
        "--data",
        data.to_str().unwrap(),
        "--settings",
        settings.to_str().unwrap(),
    ];
    let purge = stdout(&run(home.path(), &[&args[..], &["purge"]].concat(), ""));
    assert!(purge.contains("older than 7 days"), "{purge}");
    std::fs::write(&settings, "[handoff]\nclinicians = [\"nobody\"]\n").unwrap();
    let output = carebot(home.path())
        .args(args)
        .arg("purge")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not a chat address"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
