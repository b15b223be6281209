//! Several `carebot serve` processes on one PostgreSQL store: three real
//! processes behind the fake Telegram server in webhook mode, the test acting
//! as the load balancer that spreads Telegram's posts over them. Patients
//! write at the same time, each message of a patient to another process than
//! the one before; one process is killed with SIGKILL in the middle. Then:
//! every case a patient was told about is in the database, every case's
//! notification reached the clinicians' group (once, but for a delivery the
//! killed process had under way), each patient's replies came in the order
//! they wrote, and `carebot cases` at a terminal lists every case while the
//! processes still serve.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use carebot::Store;

use crate::support::fake_telegram::{self, FakeTelegram, Person};
use crate::support::{postgres, shipped_dir};

const INSTANCES: usize = 3;
const PATIENTS: i64 = 18;
const CLINICIANS_GROUP: i64 = -1_005_001;
/// What each patient writes, and the pieces of which the reply must hold one.
/// A process killed after opening a case but before telling the patient
/// leaves the case in the database: the resent "agent" then joins it ("added
/// this to your case"), which is the right answer, not a lost reply.
const SCRIPT: [(&str, &[&str]); 3] = [
    ("what are your opening hours", &["opening hours"]),
    ("where can I park", &["parking"]),
    ("agent", &["as case", "to your case"]),
];

fn answers(sent: &str, expected: &[&str]) -> bool {
    expected.iter().any(|piece| sent.contains(piece))
}
/// Long enough for a debug build on a busy 2-core machine.
const PATIENCE: Duration = Duration::from_secs(30);

struct Instance {
    child: Child,
    webhook: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    alive: bool,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_address() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap()
}

fn start_instance(
    store: &str,
    telegram: &FakeTelegram,
    dir: &std::path::Path,
    n: usize,
) -> Instance {
    let webhook = free_address();
    let config = dir.join(format!("carebot-{n}.toml"));
    std::fs::write(
        &config,
        format!(
            r#"knowledge = "{knowledge}"
store = "{store}"

[handoff]
clinician_channel = "telegram:{CLINICIANS_GROUP}"

[metrics]
listen = "127.0.0.1:0"

[log]
format = "json"

[telegram]
api_url = "{telegram_url}"

[telegram.webhook]
listen = "{webhook}"
public_url = "https://carebot.example/telegram"
"#,
            knowledge = shipped_dir().display(),
            telegram_url = telegram.url(),
        ),
    )
    .unwrap();
    let (child, log) =
        crate::support::spawn_serve(&config, &[("CAREBOT_TELEGRAM_TOKEN", fake_telegram::TOKEN)]);
    Instance {
        child,
        webhook,
        log,
        alive: true,
    }
}

/// POSTs an update to a process's webhook as Telegram (through the load
/// balancer) would; the HTTP status, or 0 when nothing answers.
async fn post(to: SocketAddr, secret: &str, body: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(Ok(mut stream)) =
        tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(to)).await
    else {
        return 0;
    };
    let request = format!(
        "POST /telegram HTTP/1.1\r\nHost: {to}\r\nContent-Type: application/json\r\n\
         X-Telegram-Bot-Api-Secret-Token: {secret}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).await.is_err() {
        return 0;
    }
    let mut response = String::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response));
    if !matches!(read.await, Ok(Ok(_))) {
        return 0;
    }
    response
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or(0)
}

/// The load balancer: the webhook addresses of the processes, and which are
/// still up (it stops sending to one that does not answer).
struct Balancer {
    targets: Vec<SocketAddr>,
    down: Mutex<BTreeSet<usize>>,
    secret: String,
}

impl Balancer {
    /// Delivers `update` to process `first` or, if that one does not
    /// answer, the next one up; which one took it.
    async fn deliver(&self, first: usize, update: &str) -> usize {
        for turn in 0..self.targets.len() * 3 {
            let target = (first + turn) % self.targets.len();
            if self.down.lock().unwrap().contains(&target) {
                continue;
            }
            if post(self.targets[target], &self.secret, update).await == 200 {
                return target;
            }
            self.down.lock().unwrap().insert(target);
        }
        panic!("no carebot process took the update");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_on_one_database_lose_nothing_when_one_is_killed_under_load() {
    let Some(url) = postgres::database() else {
        return;
    };
    let telegram = Arc::new(FakeTelegram::start().await);
    let dir = tempfile::tempdir().unwrap();
    let mut instances: Vec<Instance> = (0..INSTANCES)
        .map(|n| start_instance(&url, &telegram, dir.path(), n))
        .collect();

    // Every process sets the same webhook with the same secret; wait until
    // each one's webhook listener answers.
    let (_, secret) = telegram
        .wait_for("the webhook to be set", PATIENCE, FakeTelegram::webhook)
        .await;
    let secret = secret.expect("a secret token guards the webhook");
    let deadline = Instant::now() + PATIENCE;
    for instance in &instances {
        while tokio::net::TcpStream::connect(instance.webhook)
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "a webhook never listened:\n{}",
                instance.log.lock().unwrap().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let balancer = Arc::new(Balancer {
        targets: instances.iter().map(|instance| instance.webhook).collect(),
        down: Mutex::new(BTreeSet::new()),
        secret,
    });

    // The patients, all at once: each sends a message, waits for its reply
    // (resending through the balancer if it never comes: the process that
    // took it may have died before answering), then sends the next.
    let update_ids = Arc::new(AtomicI64::new(1));
    let replies_seen = Arc::new(AtomicUsize::new(0));
    let mut patients = tokio::task::JoinSet::new();
    for p in 0..PATIENTS {
        let (telegram, balancer, update_ids, replies_seen) = (
            telegram.clone(),
            balancer.clone(),
            update_ids.clone(),
            replies_seen.clone(),
        );
        patients.spawn(async move {
            let person = Person::new(7_000 + p, "Pat");
            for (step, (text, expected)) in SCRIPT.iter().enumerate() {
                let mut target = p as usize + step;
                let deadline = Instant::now() + PATIENCE;
                'resend: loop {
                    let id = update_ids.fetch_add(1, Ordering::SeqCst);
                    let update = fake_telegram::private_update(id, id, &person, text).to_string();
                    let took = balancer.deliver(target, &update).await;
                    let waited = Instant::now();
                    while waited.elapsed() < Duration::from_secs(8) {
                        let answered = telegram
                            .sent_to(person.id)
                            .iter()
                            .filter(|sent| answers(&sent.text, expected))
                            .count();
                        if answered > 0 {
                            replies_seen.fetch_add(1, Ordering::SeqCst);
                            break 'resend;
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    assert!(
                        Instant::now() < deadline,
                        "patient {p}: no reply to {text:?}"
                    );
                    target = took + 1;
                }
            }
        });
    }

    // Under load, one process is killed outright.
    let load_deadline = Instant::now() + PATIENCE;
    while replies_seen.load(Ordering::SeqCst) < PATIENTS as usize {
        assert!(
            Instant::now() < load_deadline,
            "the patients got too few replies"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let killed = 1;
    instances[killed].child.kill().unwrap();
    instances[killed].child.wait().unwrap();
    instances[killed].alive = false;
    while let Some(done) = patients.join_next().await {
        done.expect("every patient got every reply");
    }

    // What the patients were told is what the database holds.
    let store = Store::connect(&url).unwrap();
    let cases = store.cases().unwrap();
    let mut told: BTreeMap<i64, String> = BTreeMap::new();
    for p in 0..PATIENTS {
        let chat = 7_000 + p;
        let sent = telegram.sent_to(chat);
        let texts: Vec<&str> = sent.iter().map(|sent| sent.text.as_str()).collect();
        // In the order they wrote, whichever process answered.
        let positions: Vec<usize> = SCRIPT
            .iter()
            .map(|(_, expected)| {
                texts
                    .iter()
                    .position(|text| answers(text, expected))
                    .unwrap_or_else(|| panic!("patient {p}: no {expected:?} in {texts:#?}"))
            })
            .collect();
        assert!(
            positions.windows(2).all(|pair| pair[0] < pair[1]),
            "patient {p}: replies out of order: {texts:#?}"
        );
        let case = texts[positions[2]]
            .split_whitespace()
            .find_map(|word| {
                let word = word.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-');
                word.starts_with("C-").then(|| word.to_string())
            })
            .expect("the case number is in the reply");
        told.insert(chat, case);
    }
    for (chat, case) in &told {
        let stored = cases
            .iter()
            .find(|stored| stored.id.to_string() == *case)
            .unwrap_or_else(|| panic!("{case}, told to patient {chat}, is not in the database"));
        assert_eq!(stored.patient.chat, chat.to_string());
    }
    let numbers: BTreeSet<String> = told.values().cloned().collect();
    assert_eq!(
        numbers.len(),
        told.len(),
        "no case number told twice: {told:?}"
    );
    store.verify().unwrap();

    // Every notification reaches the clinicians once the outbox is drained
    // by the processes left.
    // A delivery the killed process had taken is taken over once its lease
    // (30 s) runs out; then the two debug builds left, retrying with backoff
    // on a 2-core machine under the whole suite's load, deliver the rest
    // (60 s was once not enough there).
    let drained = Instant::now() + PATIENCE * 4;
    while !store.outbox().unwrap().is_empty() {
        assert!(Instant::now() < drained, "the outbox was never drained");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let group: Vec<String> = telegram
        .sent_to(CLINICIANS_GROUP)
        .into_iter()
        .map(|sent| sent.text)
        .collect();
    let mut duplicates = 0;
    for case in told.values() {
        let notified = group
            .iter()
            .filter(|text| {
                text.contains(&format!("{case} ")) || text.contains(&format!("{case}\n"))
            })
            .count();
        assert!(
            notified >= 1,
            "{case} never reached the clinicians: {group:#?}"
        );
        duplicates += notified - 1;
    }
    // Delivery is at-least-once: only a message the killed process had
    // handed to Telegram but not yet marked delivered may go twice.
    assert!(
        duplicates <= 2,
        "{duplicates} notifications went twice: {group:#?}"
    );

    // Staff read the cases at a terminal while the processes serve.
    let listed = crate::support::run(&["--store", &url, "cases"], b"");
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let listed = String::from_utf8_lossy(&listed.stdout);
    for case in told.values() {
        assert!(
            listed.contains(case.as_str()),
            "{case} missing from `carebot cases`:\n{listed}"
        );
    }

    // The others stop cleanly, and leave the webhook to each other.
    for instance in instances.iter_mut().filter(|instance| instance.alive) {
        Command::new("kill")
            .args(["-TERM", &instance.child.id().to_string()])
            .status()
            .unwrap();
        let status = instance.child.wait().unwrap();
        assert!(
            status.success(),
            "{status:?}:\n{}",
            instance.log.lock().unwrap().join("\n")
        );
    }
    assert!(
        telegram.webhook().is_some(),
        "no process removed the shared webhook"
    );
}
