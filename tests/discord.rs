//! The Discord adapter end to end: the real serenity client (REST and
//! gateway) against the fake Discord of `support/fake_discord.rs`, driving a real
//! carebot `Service` (shipped knowledge, a sled store in a temporary folder),
//! with the outbox drained by `carebot::dispatch::run` through
//! `Discord::deliver`. The health notice test runs upkeep too, and restarts
//! the whole on the same data folder.

use carebot_chat::ChatAdapter;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carebot::clock::TokioClock;
use carebot::dispatch::{self, Backoff};
use carebot::upkeep::{self, Schedule};
use carebot::{Bot, CaseId, Engine, HandoffSettings, Outbound, Service};
use carebot_discord::{channel_address, user_address, Discord, DiscordError, Token};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::support::fake_discord::*;
use crate::support::handoff::{monday_afternoon, service_in, shipped_engine};
use crate::support::{
    engine_with_notices, november_notice, outbox_drained, unsubscribed, PUSHED_NOTICE,
};

const EMERGENCY: &str = "crushing chest pain and my left arm is numb";

fn patient() -> Person {
    Person::new(5001, "Sam Patient", &[])
}

/// Holds the clinician role.
fn kim() -> Person {
    Person::new(6001, "Nurse Kim", &[ROLE])
}

/// In the server and the clinician channel, without the role, not listed.
fn mallory() -> Person {
    Person::new(6666, "Mallory", &[])
}

/// Listed in the core's settings by user id, without the role.
const LISTED: u64 = 6002;

/// The real adapter and service, running against a fresh fake Discord.
struct App {
    fake: FakeDiscord,
    discord: Discord,
    service: Arc<Service>,
    stop: watch::Sender<bool>,
    running: JoinHandle<Result<(), DiscordError>>,
    dispatcher: JoinHandle<()>,
    /// Only when the test asks for it ([`App::with_upkeep`]).
    upkeep: Option<JoinHandle<()>>,
    /// The data folder, kept for a restart ([`Stopped::restart`]).
    dir: tempfile::TempDir,
}

/// What outlives an [`App`] shut down: the fake, with every request it
/// answered, and the data folder.
struct Stopped {
    fake: FakeDiscord,
    dir: tempfile::TempDir,
    /// Gone once nothing holds the service (and its store) any more.
    service: std::sync::Weak<Service>,
}

async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

async fn spawn_app() -> App {
    spawn_app_with(shipped_engine()).await
}

/// [`spawn_app`] with `engine` instead of the shipped knowledge's.
async fn spawn_app_with(engine: Arc<Engine>) -> App {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let service = service_with(&dir, engine);
    start_app(fake, service, dir).await
}

/// A service on the store in `dir` (a new one, or the one a stopped app
/// left), its clock starting at [`monday_afternoon`].
fn service_with(dir: &tempfile::TempDir, engine: Arc<Engine>) -> Arc<Service> {
    let settings = HandoffSettings {
        clinicians: vec![user_address(LISTED)],
        clinician_channel: Some(channel_address(CLINICIANS)),
        ..HandoffSettings::default()
    };
    let clock = Arc::new(TokioClock::starting_at(monday_afternoon()));
    let store = carebot::Store::open(dir.path()).expect("store opens");
    Arc::new(Service::new(engine, store, settings, clock))
}

/// The adapter and the outbox dispatcher on `service`, whose store is in
/// `dir`, once the gateway session is ready.
async fn start_app(fake: FakeDiscord, service: Arc<Service>, dir: tempfile::TempDir) -> App {
    let sessions = fake.identifies().len() + fake.resumes();
    let discord = Discord::connect(fake.settings()).await.expect("connects");
    let (stop, stop_rx) = watch::channel(false);
    let bot: Arc<dyn Bot> = service.clone();
    let running = tokio::spawn({
        let discord = discord.clone();
        let shutdown = stopped(stop_rx.clone());
        async move { discord.run(bot, shutdown).await }
    });
    let deliver = {
        let discord = discord.clone();
        move |message: Outbound| {
            let discord = discord.clone();
            async move { discord.deliver(&message).await }
        }
    };
    let backoff = Backoff {
        first: Duration::from_millis(100),
        max: Duration::from_millis(400),
    };
    let dispatcher = tokio::spawn(dispatch::run(
        service.clone(),
        deliver,
        backoff,
        stopped(stop_rx),
    ));
    fake.wait_sessions(sessions + 1).await;
    App {
        fake,
        discord,
        service,
        stop,
        running,
        dispatcher,
        upkeep: None,
        dir,
    }
}

impl App {
    /// Runs upkeep as `carebot serve` does, every `every` instead of every
    /// minute: it queues the health notices in force for their subscribers.
    fn with_upkeep(mut self, every: Duration) -> App {
        let schedule = Schedule {
            check_every: every,
            ..Schedule::default()
        };
        let shutdown = stopped(self.stop.subscribe());
        self.upkeep = Some(tokio::spawn(upkeep::run(
            self.service.clone(),
            schedule,
            shutdown,
        )));
        self
    }

    async fn shut_down(self) -> Stopped {
        self.stop.send(true).unwrap();
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.discord.is_connected() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!self.discord.is_connected(), "shut down");
        let _ = self.running.await.unwrap();
        self.dispatcher.await.unwrap();
        if let Some(upkeep) = self.upkeep {
            upkeep.await.unwrap();
        }
        Stopped {
            fake: self.fake,
            dir: self.dir,
            service: Arc::downgrade(&self.service),
        }
    }

    /// Opens case C-0001 for the patient ("agent") and returns its notification.
    async fn open_case(&self) -> Request {
        let mark = self.fake.mark();
        self.fake.dm(&patient(), "agent");
        self.fake.message_in(mark, patient().dm(), "C-0001").await;
        self.fake
            .message_in(mark, CLINICIANS, "New case C-0001")
            .await
    }
}

impl Stopped {
    /// The adapter, the service and the dispatcher started again on the
    /// same data folder and fake, with `engine`: a restart of `carebot serve`.
    async fn restart(self, engine: Arc<Engine>) -> App {
        // The old store must be closed before it is opened again: the last
        // handler threads may still be letting go of the service.
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.service.strong_count() > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the old service is still held"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let service = service_with(&self.dir, engine);
        start_app(self.fake, service, self.dir).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_is_answered_in_the_dm() {
    let app = spawn_app().await;
    let fake = &app.fake;
    // Intents: DMs and server messages, no privileged message content.
    let identify = &fake.identifies()[0];
    assert_eq!(identify["intents"], (1 << 12) | (1 << 9), "{identify}");
    let commands = fake
        .wait_for(0, "slash commands", |r| {
            r.method == "PUT" && r.path == format!("/api/v10/applications/{APPLICATION}/commands")
        })
        .await;
    let names: Vec<&str> = commands
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["ask", "agent", "forget", "mydata", "notices", "language", "help"]
    );
    assert!(app.discord.is_connected());

    let mark = fake.mark();
    fake.dm(&patient(), "what are your opening hours?");
    let answer = fake
        .message_in(mark, patient().dm(), "Our opening hours are")
        .await;
    assert!(
        answer.content().contains("- Monday: 08:00–18:00"),
        "{}",
        answer.content()
    );
    assert_eq!(
        answer.body["allowed_mentions"]["parse"],
        serde_json::json!([])
    );
    let sent = fake.messages_in(mark, patient().dm());
    assert!(
        sent[0]
            .content()
            .starts_with("Hello! I'm the automated assistant"),
        "first contact notice first"
    );
    assert!(
        !fake
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/users/@me/channels")),
        "the DM channel of an incoming DM is known, not opened again"
    );
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_writing_in_spanish_is_answered_in_spanish_and_can_switch_by_button() {
    let app = spawn_app().await;
    let fake = &app.fake;
    let ana = patient();
    let mark = fake.mark();
    fake.dm(&ana, "¿a qué hora abren el sábado?");
    let answer = fake.message_in(mark, ana.dm(), "Nuestro horario").await;
    assert!(
        answer.content().contains("Nuestro horario"),
        "{}",
        answer.content()
    );
    let sent = fake.messages_in(mark, ana.dm());
    assert!(
        sent[0].content().contains("asistente automático"),
        "the first-contact notice in Spanish: {}",
        sent[0].content()
    );
    let english = sent[0].button("English");

    let mark = fake.mark();
    fake.dm(&ana, "mi bebé de 6 semanas tiene fiebre de 38.5");
    let advice = fake.message_in(mark, ana.dm(), "911").await;
    assert!(advice.content().contains("Llame"), "{}", advice.content());

    // The notice's button switches the conversation to English.
    let mark = fake.mark();
    fake.click(&ana, &sent[0], &english);
    fake.message_in(mark, ana.dm(), "in English").await;
    let mark = fake.mark();
    fake.dm(&ana, "what are your opening hours?");
    fake.message_in(mark, ana.dm(), "Our opening hours are")
        .await;

    // The /language slash command offers the practice's languages.
    let mark = fake.mark();
    let token = fake.slash(&ana, ana.dm(), "language", None);
    let choice = fake
        .wait_for(mark, "the languages offered", |r| {
            r.path.contains(&token) && r.content().contains("Which language")
        })
        .await;
    let labels: Vec<String> = choice
        .buttons()
        .into_iter()
        .map(|(label, _)| label)
        .collect();
    assert_eq!(labels, ["English", "Español"]);
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ankle_follow_up_works_by_button_and_by_free_text() {
    let app = spawn_app().await;
    let fake = &app.fake;
    let sam = patient();
    let mark = fake.mark();
    fake.dm(&sam, "I twisted my ankle");
    let question = fake.message_in(mark, sam.dm(), "four steps").await;
    let labels: Vec<String> = question
        .buttons()
        .into_iter()
        .map(|(label, _)| label)
        .collect();
    assert_eq!(labels, ["Yes", "No", "Not sure"]);

    // By button: the click is acknowledged and answered like typed text.
    let mark = fake.mark();
    fake.click(&sam, &question, &question.button("Yes"));
    let next = fake.message_in(mark, sam.dm(), "press").await;
    let ack = fake
        .wait_for(mark, "the click acknowledged", |r| {
            r.path.ends_with("/callback")
        })
        .await;
    assert_eq!(ack.body["type"], 6, "deferred update: {}", ack.body);
    assert!(
        !next.buttons().is_empty(),
        "the next question has buttons too"
    );

    // By free text.
    let mark = fake.mark();
    fake.dm(&sam, "yes it hurts when I press");
    let advice = fake.message_in(mark, sam.dm(), "checked **today**").await;
    assert!(advice.content().contains("X-ray"), "{}", advice.content());
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_says_call_now_and_pings_the_clinicians() {
    let app = spawn_app().await;
    let fake = &app.fake;
    let mark = fake.mark();
    fake.dm(&patient(), EMERGENCY);
    let advice = fake
        .message_in(mark, patient().dm(), "**Call 911 now.**")
        .await;
    assert!(advice
        .content()
        .contains("We've let the practice team know"));
    let notification = fake.message_in(mark, CLINICIANS, "New case C-0001").await;
    let text = notification.content();
    assert!(
        text.starts_with(&format!("<@&{ROLE}> ")),
        "the role is pinged: {text}"
    );
    assert!(text.contains("EMERGENCY"), "{text}");
    assert!(text.contains("> crushing chest pain"), "{text}");
    assert_eq!(
        notification.body["allowed_mentions"]["roles"],
        serde_json::json!([ROLE.to_string()])
    );
    let labels: Vec<String> = notification
        .buttons()
        .into_iter()
        .map(|(label, _)| label)
        .collect();
    assert_eq!(
        labels,
        ["Claim C-0001", "Reply to C-0001", "Resolve C-0001"]
    );
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symptoms_mentioned_in_a_server_channel_move_to_a_dm() {
    let app = spawn_app().await;
    let fake = &app.fake;
    let sam = patient();

    // Not mentioned: not for the bot. A general question: answered in public.
    let mark = fake.mark();
    fake.say(&sam, LOBBY, "what are your opening hours?", false);
    fake.say(&sam, LOBBY, "what are your opening hours?", true);
    fake.message_in(mark, LOBBY, "Our opening hours are").await;
    assert_eq!(fake.messages_in(mark, LOBBY).len(), 1);

    // Symptoms: a notice in public, the conversation in the DM.
    let mark = fake.mark();
    fake.say(
        &sam,
        LOBBY,
        "I twisted my ankle playing football, is that bad?",
        true,
    );
    let notice = fake
        .message_in(mark, LOBBY, "I've sent you a private message")
        .await;
    assert!(
        notice.content().starts_with("Sam Patient,"),
        "{}",
        notice.content()
    );
    assert!(
        !notice.content().to_lowercase().contains("ankle"),
        "no health details in public"
    );
    let opened = fake
        .wait_for(mark, "a DM opened", |r| {
            r.path == "/api/v10/users/@me/channels"
        })
        .await;
    assert_eq!(opened.body["recipient_id"], sam.id.to_string());
    fake.message_in(mark, sam.dm(), "four steps").await;

    // The patient answers in the DM: the same conversation.
    let mark = fake.mark();
    fake.dm(&sam, "nope, can't walk on it");
    fake.message_in(mark, sam.dm(), "checked **today**").await;
    assert!(fake.messages_in(mark, LOBBY).is_empty());
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_greeting_before_asking_for_a_nurse_still_opens_a_case() {
    let app = spawn_app().await;
    let mark = app.fake.mark();
    app.fake
        .dm(&patient(), "hello @carebot can I talk to a nurse please");
    app.fake.message_in(mark, patient().dm(), "C-0001").await;
    app.fake
        .message_in(mark, CLINICIANS, "New case C-0001")
        .await;
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_goes_round_the_clinician_channel() {
    let app = spawn_app().await;
    let fake = &app.fake;
    let sam = patient();
    let notification = app.open_case().await;
    let claim = notification.button("Claim");

    // Without the clinician role: refused, privately; the case stays open.
    let mark = fake.mark();
    fake.click(&mallory(), &notification, &claim);
    fake.message_in(mark, mallory().dm(), "only the practice's clinicians")
        .await;
    let case = app.service.store().case(CaseId(1)).unwrap().unwrap();
    assert!(case.claim.is_none());
    assert!(fake.messages_in(mark, sam.dm()).is_empty());

    // With it: claimed; the patient is told.
    let mark = fake.mark();
    fake.click(&kim(), &notification, &claim);
    fake.message_in(mark, CLINICIANS, "You've claimed case C-0001")
        .await;
    fake.message_in(
        mark,
        sam.dm(),
        "Nurse Kim from the practice team is looking at your case",
    )
    .await;

    // Reply through the form the "Reply" button opens.
    let mark = fake.mark();
    fake.click(&kim(), &notification, &notification.button("Reply to"));
    let form = fake
        .wait_for(mark, "a form", |r| {
            r.path.ends_with("/callback") && r.body["type"] == 9
        })
        .await;
    let form_id = form.body["data"]["custom_id"].as_str().unwrap().to_string();
    assert_eq!(form_id, "m:/reply C-0001");
    fake.submit(&kim(), CLINICIANS, &form_id, "Please come in at 3pm today.");
    let relayed = fake
        .message_in(mark, sam.dm(), "Please come in at 3pm today.")
        .await;
    assert!(
        relayed.content().starts_with("**Nurse Kim ("),
        "{}",
        relayed.content()
    );
    fake.message_in(mark, CLINICIANS, "the patient of case C-0001")
        .await;

    // Resolve by a typed command, mentioning the bot (no message-content intent).
    let mark = fake.mark();
    fake.say(&kim(), CLINICIANS, "/resolve C-0001 seen in clinic", true);
    fake.message_in(mark, CLINICIANS, "Case C-0001 resolved")
        .await;
    fake.message_in(mark, sam.dm(), "The team has closed case **C-0001**")
        .await;
    let case = app.service.store().case(CaseId(1)).unwrap().unwrap();
    assert_eq!(case.resolution.unwrap().name, "Nurse Kim");

    // The clinicians' own talk in their channel is not for the bot.
    let mark = fake.mark();
    fake.say(&kim(), CLINICIANS, "coffee anyone?", true);
    fake.say(&kim(), CLINICIANS, "/cases", true);
    fake.message_in(mark, CLINICIANS, "No open cases").await;
    assert_eq!(fake.messages_in(mark, CLINICIANS).len(), 1);
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_clinician_acts_from_a_dm_without_the_role() {
    let app = spawn_app().await;
    let fake = &app.fake;
    app.open_case().await;
    let lee = Person::new(LISTED, "Dr Lee", &[]);
    let mark = fake.mark();
    fake.dm(&lee, "/claim C-0001");
    fake.message_in(mark, lee.dm(), "You've claimed case C-0001")
        .await;
    fake.message_in(mark, patient().dm(), "Dr Lee from the practice team")
        .await;
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_failures_lose_no_notification() {
    let app = spawn_app().await;
    let fake = &app.fake;
    let clinicians = format!("/channels/{CLINICIANS}/messages");
    fake.fail_next(&clinicians, &[429, 500]);
    let mark = fake.mark();
    let notification = app.open_case().await;
    let attempts: Vec<u16> = fake
        .requests()
        .into_iter()
        .skip(mark)
        .filter(|r| r.path.ends_with(&clinicians))
        .map(|r| r.status)
        .collect();
    assert_eq!(
        attempts,
        [429, 500, 200],
        "retried by the outbox until accepted"
    );
    assert!(notification.content().contains("New case C-0001"));
    // Delivered once, and the outbox is empty.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.messages_in(mark, CLINICIANS).len(), 1);
    assert!(app
        .service
        .store()
        .due(app.service.now(), 10)
        .unwrap()
        .is_empty());
    app.shut_down().await;
}

/// The statuses Discord answered to the messages posted in `channel` since `mark`.
fn statuses(fake: &FakeDiscord, mark: usize, channel: u64) -> Vec<u16> {
    let path = format!("/channels/{channel}/messages");
    fake.requests()
        .into_iter()
        .skip(mark)
        .filter(|r| r.method == "POST" && r.path.ends_with(&path))
        .map(|r| r.status)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_outlasts_discord_failing_and_arrives_once_in_order() {
    let app = spawn_app().await;
    let fake = &app.fake;
    let sam = patient();
    // More failures than the direct retries allow: the outbox finishes the job.
    fake.fail_next(&format!("/channels/{}/messages", sam.dm()), &[500; 6]);
    let mark = fake.mark();
    fake.dm(&sam, "what are your opening hours?");
    fake.message_in(mark, sam.dm(), "Our opening hours are")
        .await;
    let sent: Vec<String> = fake
        .messages_in(mark, sam.dm())
        .iter()
        .map(|m| m.content().to_string())
        .collect();
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(
        sent[0].starts_with("Hello! I'm the automated assistant"),
        "notice first"
    );
    assert!(sent[1].contains("Our opening hours are"));
    assert_eq!(
        statuses(fake, mark, sam.dm()),
        [500, 500, 500, 500, 500, 500, 200, 200]
    );
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_dm_waits_for_discord_and_the_notice_arrives() {
    let app = spawn_app().await;
    let fake = &app.fake;
    let sam = patient();
    fake.rate_limit_for(
        &format!("/channels/{}/messages", sam.dm()),
        Duration::from_secs(2),
    );
    let mark = fake.mark();
    fake.dm(&sam, "what are your opening hours?");
    fake.message_in(mark, sam.dm(), "Our opening hours are")
        .await;
    let sent = fake.messages_in(mark, sam.dm());
    assert!(
        sent[0]
            .content()
            .starts_with("Hello! I'm the automated assistant"),
        "the first-contact notice arrived, first"
    );
    assert_eq!(
        statuses(fake, mark, sam.dm()),
        [429, 200, 200],
        "asked once, then waited as Discord said"
    );
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_rest_base_keeps_discords_rate_limits() {
    // The fake is a REST base other than discord.com, as a practice's proxy is.
    let app = spawn_app().await;
    let fake = &app.fake;
    let sam = patient();
    fake.bucket(
        &format!("/channels/{}/messages", sam.dm()),
        Duration::from_millis(700),
    );
    let mark = fake.mark();
    fake.dm(&sam, "what are your opening hours?");
    fake.message_in(mark, sam.dm(), "Our opening hours are")
        .await;
    assert_eq!(
        statuses(fake, mark, sam.dm()),
        [200, 200],
        "the second message waited for the bucket instead of drawing a 429"
    );
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_answer_is_split_at_paragraph_boundaries() {
    let app = spawn_app().await;
    let fake = &app.fake;
    let sam = patient();
    app.open_case().await;
    let mark = fake.mark();
    fake.say(&kim(), CLINICIANS, "/claim C-0001", true);
    fake.message_in(mark, sam.dm(), "looking at your case")
        .await;

    let mut long = String::new();
    for n in 1..=12 {
        if n > 1 {
            long.push_str("\n\n");
        }
        write!(long, "Paragraph {n}: ").unwrap();
        long.push_str(&"Keep the ankle raised and rested. ".repeat(12));
        long.truncate(long.trim_end().len());
    }
    assert!(long.chars().count() > 5000, "{}", long.chars().count());
    // The second part fails once: the retry sends only what is missing.
    let mark = fake.mark();
    fake.say(&kim(), CLINICIANS, &format!("/reply C-0001 {long}"), true);
    fake.message_in(mark, CLINICIANS, "the patient of case C-0001")
        .await;
    let last = fake.message_in(mark, sam.dm(), "Paragraph 12:").await;
    assert!(last.content().ends_with("rested."));
    let parts = fake.messages_in(mark, sam.dm());
    assert_eq!(
        parts.len(),
        3,
        "{:#?}",
        parts.iter().map(|p| p.content().len()).collect::<Vec<_>>()
    );
    for (index, part) in parts.iter().enumerate() {
        let content = part.content();
        assert!(
            content.chars().count() <= 2000,
            "{}",
            content.chars().count()
        );
        if index == 0 {
            assert!(content.starts_with("**Nurse Kim ("), "{content:.60}");
        } else {
            assert!(
                content.starts_with("Paragraph "),
                "split between paragraphs: {content:.60}"
            );
        }
    }
    let joined = parts
        .iter()
        .map(Request::content)
        .collect::<Vec<_>>()
        .join("\n\n");
    assert!(joined.ends_with(&long), "nothing lost or reordered");
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_message_that_fails_midway_is_finished_not_repeated() {
    let app = spawn_app().await;
    let fake = &app.fake;
    let sam = patient();
    app.open_case().await;
    let mark = fake.mark();
    fake.say(&kim(), CLINICIANS, "/claim C-0001", true);
    fake.message_in(mark, sam.dm(), "looking at your case")
        .await;
    let long = ["First part. ".repeat(150), "Second part. ".repeat(140)].join("\n\n");
    let mark = fake.mark();
    // The first part goes through; the second is refused once.
    fake.fail_next_after(&format!("/channels/{}/messages", sam.dm()), 1, 500);
    fake.say(&kim(), CLINICIANS, &format!("/reply C-0001 {long}"), true);
    fake.message_in(mark, sam.dm(), "Second part.").await;
    let parts: Vec<String> = fake
        .messages_in(mark, sam.dm())
        .iter()
        .map(|p| p.content().to_string())
        .collect();
    assert_eq!(parts.len(), 2, "{parts:#?}");
    assert!(parts[0].contains("First part.") && !parts[0].contains("Second"));
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_reconnects_and_messages_still_flow() {
    let app = spawn_app().await;
    let fake = &app.fake;
    fake.close_gateway(4000);
    fake.wait_sessions(2).await;
    assert_eq!(fake.resumes(), 1, "the session was resumed");
    let mark = fake.mark();
    fake.dm(&patient(), "what are your opening hours?");
    fake.message_in(mark, patient().dm(), "Our opening hours are")
        .await;
    assert!(app.discord.is_connected());
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_url_setting_overrides_what_discord_advertises() {
    let fake = FakeDiscord::start().await;
    fake.advertise_gateway("ws://127.0.0.1:9");
    let settings = carebot_discord::DiscordSettings {
        gateway_url: Some(fake.ws_url()),
        ..fake.settings()
    };
    let discord = Discord::connect(settings).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TokioClock::starting_at(monday_afternoon()));
    let service = service_in(dir.path(), HandoffSettings::default(), clock);
    let (stop, stop_rx) = watch::channel(false);
    let running = tokio::spawn({
        let discord = discord.clone();
        async move { discord.run(service, stopped(stop_rx)).await }
    });
    fake.wait_sessions(1).await;
    let mark = fake.mark();
    fake.dm(&patient(), "what are your opening hours?");
    fake.message_in(mark, patient().dm(), "Our opening hours are")
        .await;
    stop.send(true).unwrap();
    assert_eq!(running.await.unwrap(), Ok(()));
    assert!(!discord.is_connected());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_commands_answer_in_place() {
    let app = spawn_app().await;
    let fake = &app.fake;
    let sam = patient();
    let mark = fake.mark();
    let token = fake.slash(&sam, sam.dm(), "ask", Some("what are your opening hours?"));
    let deferred = fake
        .wait_for(mark, "the command deferred", |r| {
            r.path.contains(&token) && r.path.ends_with("/callback")
        })
        .await;
    assert_eq!(deferred.body["type"], 5);
    let first = fake
        .wait_for(mark, "the answer", |r| {
            r.method == "PATCH" && r.path.contains(&token)
        })
        .await;
    assert!(first
        .content()
        .starts_with("Hello! I'm the automated assistant"));
    let more = fake
        .wait_for(mark, "a follow-up", |r| {
            r.method == "POST" && r.path == format!("/api/v10/webhooks/{APPLICATION}/{token}")
        })
        .await;
    assert!(more.content().contains("Our opening hours are"));

    // /help in the clinician channel is the clinicians' help.
    let mark = fake.mark();
    let token = fake.slash(&kim(), CLINICIANS, "help", None);
    let help = fake
        .wait_for(mark, "the clinicians' help", |r| {
            r.method == "PATCH" && r.path.contains(&token)
        })
        .await;
    assert!(
        help.content().contains("/claim C-0042"),
        "{}",
        help.content()
    );

    // /agent in public: taken up privately.
    let mark = fake.mark();
    let token = fake.slash(&sam, LOBBY, "agent", None);
    let public = fake
        .wait_for(mark, "the public answer", |r| {
            r.method == "PATCH" && r.path.contains(&token)
        })
        .await;
    assert!(public.content().contains("I've sent you a private message"));
    fake.message_in(mark, sam.dm(), "C-0001").await;
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_refused_without_showing_it() {
    let fake = FakeDiscord::start().await;
    let secret = "wrong.secret-token-value";
    let settings = carebot_discord::DiscordSettings {
        token: Token::new(secret).unwrap(),
        ..fake.settings()
    };
    let shown = format!("{settings:?}");
    assert!(!shown.contains(secret) && shown.contains("***"), "{shown}");
    let error = Discord::connect(settings).await.unwrap_err();
    assert_eq!(error, DiscordError::TokenRejected);
    assert!(!format!("{error} {error:?}").contains(secret));
}

/// How often upkeep looks for notices to send (a minute in `carebot serve`).
const UPKEEP_EVERY: Duration = Duration::from_millis(100);

/// How many messages Discord took in `channel` that contain `text`.
fn count_in(fake: &FakeDiscord, channel: u64, text: &str) -> usize {
    fake.messages_in(0, channel)
        .iter()
        .filter(|message| message.content().contains(text))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_notices_reach_subscribers_once_and_stop_when_asked() {
    const FLU: &str = "Walk-in flu clinics on Saturdays";
    const CLOSED: &str = "Closed on Thanksgiving Day";
    const MEASLES: &str = "Measles cases in the county";
    let flu = november_notice("flu-clinics", FLU, "vaccination-clinics");
    let closed = november_notice("thanksgiving", CLOSED, "closures");
    let measles = november_notice("measles", MEASLES, "outbreaks");
    let app = spawn_app_with(engine_with_notices(""))
        .await
        .with_upkeep(UPKEEP_EVERY);
    let [ann, bob, carol, dave, eve] = [
        (5301, "Ann"),
        (5302, "Bob"),
        (5303, "Carol"),
        (5304, "Dave"),
        (5305, "Eve"),
    ]
    .map(|(id, name)| Person::new(id, name, &[]));
    let fake = &app.fake;

    // Ann subscribes by command; Bob with the /notices slash command and
    // the button under its answer; Dave to one topic, then he blocks the
    // bot; Eve to outbreaks only. Carol only asks a question.
    let mark = fake.mark();
    fake.dm(&ann, "/subscribe");
    fake.message_in(mark, ann.dm(), "Done: you'll get").await;
    let mark = fake.mark();
    let token = fake.slash(&bob, bob.dm(), "notices", None);
    // (Its answer: the first-contact notice, then the list in a follow-up.)
    let list = fake
        .wait_for(mark, "the notices in force", |r| {
            r.path.contains(&token) && r.content().contains("Type /subscribe")
        })
        .await;
    assert!(list.content().contains("no notices"), "{}", list.content());
    fake.click_in(&bob, bob.dm(), &list, &list.button("Subscribe to all"));
    fake.message_in(mark, bob.dm(), "Done: you'll get").await;
    let mark = fake.mark();
    fake.dm(&dave, "/subscribe vaccination clinics");
    fake.message_in(mark, dave.dm(), "Done: you'll get").await;
    fake.fail_next(&format!("/channels/{}/messages", dave.dm()), &[403]);
    let mark = fake.mark();
    fake.dm(&eve, "/subscribe outbreaks");
    fake.message_in(mark, eve.dm(), "Done: you'll get").await;
    let mark = fake.mark();
    fake.dm(&carol, "what are your opening hours?");
    fake.message_in(mark, carol.dm(), "Our opening hours are")
        .await;

    // The practice publishes a notice on flu clinics: Ann and Bob get it.
    let mark = fake.mark();
    app.service.set_engine(engine_with_notices(&flu));
    for patient in [&ann, &bob] {
        let notice = fake.message_in(mark, patient.dm(), FLU).await;
        assert!(
            notice.content().contains(PUSHED_NOTICE),
            "{}",
            notice.content()
        );
        assert!(notice.content().contains("/unsubscribe"));
    }
    // Dave's DM refuses it (403): he is unsubscribed.
    fake.wait_for(mark, "the notice refused by Dave's DM", |r| {
        r.status == 403 && channel_of(&r.path) == dave.dm() && r.content().contains(FLU)
    })
    .await;
    unsubscribed(&app.service, &user_address(dave.id), WAIT).await;
    // Delivered and confirmed: a restart now must not send it again (one
    // under way when the process stops is sent again, see dispatch.rs).
    outbox_drained(&app.service, WAIT).await;

    // A restart on the same store, with a second notice published: the
    // first is not queued again (it would come before the second, queued
    // in the same round and delivered oldest first).
    let app = app
        .shut_down()
        .await
        .restart(engine_with_notices(&format!("{flu}{closed}")))
        .await
        .with_upkeep(UPKEEP_EVERY);
    let fake = &app.fake;
    for patient in [&ann, &bob] {
        fake.message_in(0, patient.dm(), CLOSED).await;
    }
    outbox_drained(&app.service, WAIT).await;
    for patient in [&ann, &bob] {
        let sent: Vec<String> = fake
            .messages_in(0, patient.dm())
            .iter()
            .map(|message| message.content().chars().take(60).collect())
            .collect();
        assert_eq!(count_in(fake, patient.dm(), FLU), 1, "{sent:#?}");
        assert_eq!(count_in(fake, patient.dm(), CLOSED), 1, "{sent:#?}");
    }

    // Ann and Bob stop; a notice published afterwards reaches only Eve.
    let mark = fake.mark();
    fake.dm(&ann, "stop alerts");
    fake.message_in(mark, ann.dm(), "won't get any more notices")
        .await;
    fake.dm(&bob, "/unsubscribe");
    fake.message_in(mark, bob.dm(), "won't get any more notices")
        .await;
    app.service
        .set_engine(engine_with_notices(&format!("{flu}{closed}{measles}")));
    let notice = fake.message_in(mark, eve.dm(), MEASLES).await;
    assert!(
        notice.content().contains(PUSHED_NOTICE),
        "{}",
        notice.content()
    );
    outbox_drained(&app.service, WAIT).await;
    for patient in [&ann, &bob] {
        assert_eq!(count_in(fake, patient.dm(), MEASLES), 0);
        assert_eq!(count_in(fake, patient.dm(), PUSHED_NOTICE), 2);
    }
    // Each got only the notices on their topics; Carol, who never
    // subscribed, none.
    assert_eq!(count_in(fake, eve.dm(), PUSHED_NOTICE), 1);
    assert_eq!(count_in(fake, carol.dm(), PUSHED_NOTICE), 0);

    // Dave is back: he got no notice and is no longer subscribed.
    let mark = fake.mark();
    fake.dm(&dave, "/notices");
    let list = fake.message_in(mark, dave.dm(), "Notices from").await;
    assert!(list.content().contains(MEASLES), "{}", list.content());
    assert!(
        list.content()
            .contains("I can send you the practice's notices"),
        "{}",
        list.content()
    );
    assert_eq!(count_in(fake, dave.dm(), PUSHED_NOTICE), 0);
    app.shut_down().await;
}

/// Everything serenity and the adapter log, with every field, at every level.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

impl tracing::field::Visit for Capture {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let mut log = self.0.lock().unwrap();
        let _ = write!(log, "{}={value:?} ", field.name());
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        span.record(&mut self.clone());
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut self.clone());
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        self.0.lock().unwrap().push('\n');
        event.record(&mut self.clone());
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// A whole session (connect, identify, messages, a case, a failed delivery,
/// a reconnect) on one thread, so a thread-local subscriber sees all of
/// serenity's and the adapter's logs: the token is in none of them.
#[test]
fn the_token_never_appears_in_logs() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let app = spawn_app().await;
        let fake = &app.fake;
        fake.fail_next(&format!("/channels/{CLINICIANS}/messages"), &[500]);
        let mark = fake.mark();
        fake.dm(&patient(), EMERGENCY);
        fake.message_in(mark, CLINICIANS, "New case C-0001").await;
        fake.close_gateway(4000);
        fake.wait_sessions(2).await;
        app.shut_down().await;
    });
    let log = capture.0.lock().unwrap().clone();
    assert!(
        log.len() > 1000,
        "the capture saw serenity's logs: {} bytes",
        log.len()
    );
    assert!(
        log.contains("Resumed") || log.contains("resume"),
        "{log:.2000}"
    );
    assert!(!log.contains(TOKEN), "the token leaked into the logs");
}
