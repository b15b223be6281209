//! The staff commands while `carebot serve` holds the data folder: `cases`,
//! `case`, `report` and `purge`, run as separate processes on the same
//! folder, are answered by `serve` over its admin socket with what they
//! print on their own once it has stopped; and a folder held by a process
//! that does not answer is reported plainly.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Command, Output};
use std::thread;

use serde_json::Value;

use carebot::audit::{Action, Actor};
use carebot::Store;

use crate::serve::Deployment;

/// Each staff command and its flags, as a staff member types them.
const COMMANDS: [&[&str]; 7] = [
    &["cases"],
    &["cases", "--status", "resolved"],
    &["case", "C-0001"],
    &["case", "C-0099"],
    &["report"],
    &["report", "--json"],
    &["purge"],
];

/// Runs every staff command at once, as `login`.
fn staff(deployment: &Deployment, login: &str) -> Vec<Output> {
    let running: Vec<_> = COMMANDS
        .iter()
        .map(|args| {
            let mut command = deployment.carebot();
            command.env("USER", login).args(*args);
            thread::spawn(move || command.output().expect("carebot runs"))
        })
        .collect();
    running
        .into_iter()
        .map(|command| command.join().expect("the command's thread"))
        .collect()
}

/// Standard output without the moment the report was made (to the minute
/// in text, exact in JSON), which two runs need not share.
fn timeless(args: &[&str], output: &Output) -> String {
    let text = String::from_utf8(output.stdout.clone()).expect("UTF-8 output");
    match args {
        ["report", "--json"] => {
            let mut report: Value = serde_json::from_str(&text).expect("the report is JSON");
            report["generated_at"] = Value::Null;
            report.to_string()
        }
        ["report"] => text
            .lines()
            .filter(|line| !line.starts_with("carebot report, "))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => text,
    }
}

fn staff_reads(store: &Store, login: &str) -> Vec<Action> {
    store
        .audit_log()
        .expect("the audit log reads")
        .into_iter()
        .filter(|entry| {
            entry.actor
                == Actor::Staff {
                    login: login.to_string(),
                }
        })
        .map(|entry| entry.action)
        .collect()
}

#[test]
fn staff_commands_while_serving_print_what_they_print_on_their_own() {
    let deployment = Deployment::new("");
    let socket = deployment.data().join("admin.sock");
    // A socket left by a serve that was killed: serve replaces it.
    std::fs::create_dir_all(deployment.data()).expect("data folder");
    drop(UnixListener::bind(&socket).expect("a stale socket"));

    let mut carebot = deployment.serve();
    let file = std::fs::symlink_metadata(&socket).expect("serve made its admin socket");
    assert!(file.file_type().is_socket());
    assert_eq!(file.permissions().mode() & 0o777, 0o600);
    let reply = carebot.ask("ann", "crushing chest pain and my left arm is numb");
    assert_eq!(reply["reply"]["level"], "emergency", "{reply}");
    let reply = carebot.ask("bob", "what are your opening hours");
    assert_eq!(reply["reply"]["entry"], "opening-hours", "{reply}");

    let serving = staff(&deployment, "frontdesk");
    let mut answered: Vec<String> = (0..COMMANDS.len())
        .map(|_| {
            let event = carebot
                .wait_for_log(|event| event["fields"]["message"] == "staff command answered");
            assert!(
                !event.to_string().contains("frontdesk"),
                "the log names the command only: {event}"
            );
            event["fields"]["command"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    answered.sort();
    assert_eq!(
        answered,
        ["case", "case", "cases", "cases", "purge", "report", "report"]
    );
    let (status, _) = carebot.terminate();
    assert!(status.success(), "{status:?}\n{}", carebot.log_text());
    assert!(
        std::fs::symlink_metadata(&socket).is_err(),
        "serve removes its admin socket at exit"
    );
    assert!(
        !carebot.log_text().contains("opening hours") && !carebot.log_text().contains("chest pain"),
        "no message text in the log"
    );

    let stopped = staff(&deployment, "backoffice");
    for ((args, serving), stopped) in COMMANDS.iter().zip(&serving).zip(&stopped) {
        assert_eq!(
            (serving.status.code(), &serving.stderr),
            (stopped.status.code(), &stopped.stderr),
            "carebot {args:?} ends the same way: {} / {}",
            String::from_utf8_lossy(&serving.stderr),
            String::from_utf8_lossy(&stopped.stderr),
        );
        assert_eq!(
            timeless(args, serving),
            timeless(args, stopped),
            "carebot {args:?} prints the same"
        );
    }
    let listing = String::from_utf8_lossy(&serving[0].stdout);
    assert!(
        listing.starts_with("C-0001 open emergency · heart-attack-signs"),
        "{listing}"
    );
    assert!(String::from_utf8_lossy(&serving[2].stdout).contains("> crushing chest pain"));
    assert_eq!(
        String::from_utf8_lossy(&serving[3].stderr),
        "carebot: there is no case C-0099\n"
    );
    assert!(String::from_utf8_lossy(&serving[6].stdout).starts_with("Deleted 0 conversation(s)"));

    // Each read is audited under the login of whoever ran the command.
    let store = Store::open(&deployment.data()).expect("the store opens");
    for login in ["frontdesk", "backoffice"] {
        let mut reads = staff_reads(&store, login);
        reads.sort_by_key(|action| format!("{action:?}"));
        assert_eq!(
            reads,
            [
                Action::CaseRead,
                Action::CasesListed { count: 0 },
                Action::CasesListed { count: 1 },
            ],
            "{login}"
        );
    }
}

/// `carebot --data DIR cases`, outside any configuration.
fn cases(data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carebot"))
        .current_dir(crate::support::root())
        .env_remove("CAREBOT_CONFIG")
        .env_remove("CAREBOT_KNOWLEDGE")
        .arg("--data")
        .arg(data)
        .arg("cases")
        .output()
        .expect("carebot runs")
}

#[test]
fn a_folder_held_without_an_answering_serve_is_reported_plainly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data folder");
    // This test holds the folder, as a `chat` or an old serve would.
    let _held = Store::open(&data).expect("the store opens");

    let output = cases(&data);
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "carebot: the data folder {} is in use by another carebot process, and no carebot serve answers on its admin socket {}: there is none.",
        data.display(),
        data.join("admin.sock").display()
    );
    assert!(error.starts_with(&expected), "{error}");
    assert!(output.stdout.is_empty());

    drop(UnixListener::bind(data.join("admin.sock")).expect("a stale socket"));
    let output = cases(&data);
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains(
            "admin.sock: nothing listens on it (left by a serve that did not stop cleanly)"
        ),
        "{error}"
    );
}
