//! The Telegram adapter end to end: the real teloxide client, over HTTP, to
//! the fake Bot API server in `support/fake_telegram.rs`, with a real carebot
//! [`Service`] (shipped knowledge, sled store in a temporary folder, a
//! clinician group) and the real outbox dispatcher delivering through
//! [`Telegram::deliver`]. The health notice tests run upkeep too, and
//! restart the whole on the same data folder; one of them, ignored, measures
//! a notice to thousands of subscribers at Telegram's real rate limits.

use carebot_chat::ChatAdapter;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use carebot::clock::TokioClock;
use carebot::dispatch::{self, Backoff};
use carebot::ratelimit::RateLimit;
use carebot::upkeep::{self, Schedule};
use carebot::{Engine, Outbound, Reply, ReplyKind, Service};
use carebot_chat::{Button, CaseId, OutboundId, Purpose};
use carebot_telegram::{
    Limits, Rate, Retry, Telegram, TelegramError, TelegramSettings, Token, Tuning, Webhook,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::support::fake_telegram::{
    private_update, FakeTelegram, Fault, Person, Sent, BOT_USERNAME, TOKEN,
};
use crate::support::handoff::{self, monday_afternoon};
use crate::support::{
    engine_with_notices, november_notice, outbox_drained, unsubscribed, PUSHED_NOTICE,
};

/// Long enough for a debug build on a busy machine; waits end as soon as
/// what they wait for happens.
const WAIT: Duration = Duration::from_secs(30);
/// The clinicians' group (`handoff::CHANNEL`).
const CLINICIAN_GROUP: i64 = -500;
/// A group of patients.
const GROUP: i64 = -777;

/// Short polls and retries; limits low enough to be exercised, high enough
/// not to slow the tests.
fn tuning() -> Tuning {
    Tuning {
        poll_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(4),
        limits: Limits {
            private_chat: Rate {
                interval: Duration::from_millis(20),
                burst: 3,
            },
            group: Rate {
                interval: Duration::from_millis(40),
                burst: 3,
            },
            overall: Rate {
                interval: Duration::from_micros(500),
                burst: 30,
            },
        },
        retry: Retry {
            attempts: 4,
            first: Duration::from_millis(20),
            max: Duration::from_millis(200),
            max_waits: 5,
        },
    }
}

fn settings(fake: &FakeTelegram) -> TelegramSettings {
    TelegramSettings {
        token: Token::new(TOKEN).unwrap(),
        api_url: fake.url(),
        webhook: None,
        clinician_group: Some(CLINICIAN_GROUP),
    }
}

/// The adapter, the core and the outbox dispatcher, running against a fake.
struct App {
    fake: FakeTelegram,
    telegram: Telegram,
    service: Arc<Service>,
    stop: watch::Sender<bool>,
    running: JoinHandle<Result<(), TelegramError>>,
    dispatcher: JoinHandle<()>,
    /// Only when the test asks for it ([`App::with_upkeep`]).
    upkeep: Option<JoinHandle<()>>,
    /// The data folder, kept for a restart ([`Stopped::restart`]).
    dir: tempfile::TempDir,
}

/// What outlives an [`App`] shut down: the fake, with everything it was
/// sent, and the data folder.
struct Stopped {
    fake: FakeTelegram,
    dir: tempfile::TempDir,
    /// Gone once nothing holds the service (and its store) any more.
    service: std::sync::Weak<Service>,
}

async fn spawn_app() -> App {
    let fake = FakeTelegram::start().await;
    let settings = settings(&fake);
    spawn_app_with(fake, settings, tuning()).await
}

/// [`spawn_app`] with the test tuning changed by `tune`.
async fn spawn_app_tuned(tune: impl FnOnce(&mut Tuning)) -> App {
    let fake = FakeTelegram::start().await;
    let settings = settings(&fake);
    let mut tuning = tuning();
    tune(&mut tuning);
    spawn_app_with(fake, settings, tuning).await
}

async fn spawn_app_with(fake: FakeTelegram, settings: TelegramSettings, tuning: Tuning) -> App {
    spawn_app_limited(fake, settings, tuning, RateLimit::default()).await
}

/// [`spawn_app_with`], with each patient's allowance of messages `rate`.
async fn spawn_app_limited(
    fake: FakeTelegram,
    settings: TelegramSettings,
    tuning: Tuning,
    rate: RateLimit,
) -> App {
    let dir = tempfile::tempdir().unwrap();
    let service = service_in(&dir, crate::support::shipped_engine(), rate);
    start_app(fake, settings, tuning, service, dir).await
}

/// A service on the store in `dir` (a new one, or the one a stopped app
/// left), its clock starting at [`monday_afternoon`].
fn service_in(dir: &tempfile::TempDir, engine: Arc<Engine>, rate: RateLimit) -> Arc<Service> {
    let clock = Arc::new(TokioClock::starting_at(monday_afternoon()));
    Arc::new(
        Service::new(
            engine,
            carebot::Store::open(dir.path()).expect("store opens"),
            handoff::settings(),
            clock,
        )
        .with_rate_limit(rate),
    )
}

async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// The adapter and the outbox dispatcher on `service`, whose store is in `dir`.
async fn start_app(
    fake: FakeTelegram,
    settings: TelegramSettings,
    tuning: Tuning,
    service: Arc<Service>,
    dir: tempfile::TempDir,
) -> App {
    let telegram = Telegram::connect_with(settings, tuning)
        .await
        .expect("connects to the fake Bot API");
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn({
        let telegram = telegram.clone();
        let bot: Arc<dyn carebot::Bot> = service.clone();
        let shutdown = until_stopped(stopped.clone());
        async move { telegram.run(bot, shutdown).await }
    });
    let deliver = {
        let telegram = telegram.clone();
        move |message: Outbound| {
            let telegram = telegram.clone();
            async move { telegram.deliver(&message).await }
        }
    };
    let backoff = Backoff {
        first: Duration::from_millis(50),
        max: Duration::from_millis(500),
    };
    let dispatcher = tokio::spawn(dispatch::run(
        service.clone(),
        deliver,
        backoff,
        until_stopped(stopped),
    ));
    App {
        fake,
        telegram,
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
        let shutdown = until_stopped(self.stop.subscribe());
        self.upkeep = Some(tokio::spawn(upkeep::run(
            self.service.clone(),
            schedule,
            shutdown,
        )));
        self
    }

    async fn shut_down(self) -> Stopped {
        self.stop.send(true).unwrap();
        self.running
            .await
            .unwrap()
            .expect("the adapter runs until shutdown");
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
}

impl Stopped {
    /// `carebot serve` started again on the same data folder and fake, with
    /// `engine` (the test's settings and tuning).
    async fn restart(self, engine: Arc<Engine>) -> App {
        // The old store must be closed before it is opened again: the last
        // handler threads may still be letting go of the service.
        let deadline = Instant::now() + WAIT;
        while self.service.strong_count() > 0 {
            assert!(Instant::now() < deadline, "the old service is still held");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let service = service_in(&self.dir, engine, RateLimit::default());
        let settings = settings(&self.fake);
        start_app(self.fake, settings, tuning(), service, self.dir).await
    }
}

/// An outbox message (what the core's dispatcher hands the adapter).
fn outbound(id: u64, chat: i64, text: &str, buttons: Vec<Button>) -> Outbound {
    Outbound {
        id: OutboundId(id),
        to: carebot_telegram::chat_address(chat),
        purpose: Purpose::CaseNews { case: CaseId(1) },
        reply: Reply {
            buttons,
            ..Reply::plain(ReplyKind::Notice, text)
        },
    }
}

/// The case id a message mentions (`C-0001`).
fn case_in(text: &str) -> CaseId {
    let start = text.find("C-").expect("a case id");
    let digits: String = text[start + 2..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    CaseId(digits.parse().unwrap())
}

fn is_first_contact(sent: &Sent) -> bool {
    sent.text.contains("automated assistant") && sent.text.contains("not for emergencies")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_faq_question_is_answered() {
    let app = spawn_app().await;
    let pat = Person::new(9001, "Pat");
    app.fake.private_text(&pat, "what are your opening hours?");
    let sent = app.fake.wait_for_messages(pat.id, 2, WAIT).await;
    assert!(is_first_contact(&sent[0]), "{sent:#?}");
    // **bold** arrives as HTML bold.
    assert!(
        sent[0].raw.contains("<b>not for emergencies</b>"),
        "{}",
        sent[0].raw
    );
    assert!(
        sent[1].text.starts_with("Our opening hours are:"),
        "{sent:#?}"
    );
    assert!(sent.iter().all(|s| s.parse_mode.as_deref() == Some("HTML")));
    // The practice also speaks Spanish: the notice offers it.
    assert_eq!(sent[0].button_data(), ["/language es"]);
    assert!(sent[1].buttons.is_empty());
    assert!(app.telegram.is_connected());
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_writing_in_spanish_is_answered_in_spanish_and_can_switch_by_button() {
    let app = spawn_app().await;
    let ana = Person::new(9011, "Ana");
    app.fake
        .private_text(&ana, "me duele mucho el pecho y no puedo respirar bien");
    let sent = app
        .fake
        .wait_for("the advice, the notice and the case", WAIT, |fake| {
            let sent = fake.sent_to(ana.id);
            let has = |words: &str| sent.iter().any(|s| s.text.contains(words));
            (has("asistente automático") && has("como el caso C-0001")).then_some(sent)
        })
        .await;
    // The advice in Spanish, naming the emergency number (an emergency's
    // advice goes first), and the first-contact notice in Spanish, offering
    // English.
    assert!(sent[0].text.contains("911"), "{sent:#?}");
    assert!(sent[0].text.contains("Llame"), "{sent:#?}");
    let notice = sent
        .iter()
        .find(|s| s.text.contains("asistente automático"))
        .unwrap_or_else(|| panic!("no first-contact notice: {sent:#?}"));
    assert_eq!(notice.button_data(), ["/language en"]);

    // The button switches the conversation to English.
    let count = app.fake.sent_to(ana.id).len();
    app.fake.press(&ana, notice, "/language en");
    let sent = app.fake.wait_for_messages(ana.id, count + 1, WAIT).await;
    assert!(sent[count].text.contains("in English"), "{sent:#?}");
    app.fake.private_text(&ana, "what are your opening hours?");
    let sent = app.fake.wait_for_messages(ana.id, count + 2, WAIT).await;
    assert!(
        sent[count + 1].text.starts_with("Our opening hours are:"),
        "{sent:#?}"
    );
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_menus_are_registered() {
    let app = spawn_app().await;
    let calls = app.fake.calls("setMyCommands");
    assert_eq!(calls.len(), 2, "{calls:#?}");
    let names = |body: &serde_json::Value| -> Vec<String> {
        body["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["command"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&calls[0].body),
        ["start", "help", "agent", "forget", "mydata", "notices", "language"]
    );
    assert!(calls[0].body.get("scope").is_none_or(|s| s.is_null()));
    assert_eq!(
        names(&calls[1].body),
        ["cases", "case", "claim", "reply", "resolve", "help", "notice"]
    );
    assert_eq!(calls[1].body["scope"]["type"], "chat");
    assert_eq!(calls[1].body["scope"]["chat_id"], CLINICIAN_GROUP);

    // /start greets (with the first-contact notice); /help says what the bot does.
    let pat = Person::new(9002, "Pat");
    app.fake.private_text(&pat, "/start");
    let sent = app.fake.wait_for_messages(pat.id, 2, WAIT).await;
    assert!(is_first_contact(&sent[0]), "{sent:#?}");
    assert!(sent[1].text.starts_with("Hello"), "{sent:#?}");
    app.fake.private_text(&pat, "/help");
    let sent = app.fake.wait_for_messages(pat.id, 3, WAIT).await;
    assert!(sent[2].text.contains("automated assistant"), "{sent:#?}");
    // A sticker gets a hint rather than silence.
    app.fake.private_sticker(&pat);
    let sent = app.fake.wait_for_messages(pat.id, 4, WAIT).await;
    assert!(sent[3].text.contains("only read text"), "{sent:#?}");
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ankle_follow_up_by_button() {
    let app = spawn_app().await;
    let pat = Person::new(9003, "Pat");
    app.fake
        .private_text(&pat, "I twisted my ankle playing football");
    let sent = app.fake.wait_for_messages(pat.id, 2, WAIT).await;
    let question = &sent[1];
    assert_eq!(
        question.text,
        "Can you take four steps on it, even with a limp?"
    );
    assert_eq!(question.buttons.len(), 1, "short answers share a row");
    assert_eq!(question.button_data(), ["Yes", "No", "Not sure"]);

    let tap = app.fake.press(&pat, question, "No");
    let sent = app
        .fake
        .wait_for("the advice", WAIT, |fake| {
            let sent = fake.sent_to(pat.id);
            sent.iter()
                .any(|s| s.text.contains("X-ray"))
                .then_some(sent)
        })
        .await;
    assert!(sent[2].text.contains("today"), "{sent:#?}");
    // The tap was answered, and the used keyboard removed.
    let answered = app.fake.calls("answerCallbackQuery");
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0].body["callback_query_id"], format!("cq{tap}"));
    let edits = app.fake.calls("editMessageReplyMarkup");
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].body["message_id"], question.message_id);
    assert!(app.fake.sent_to(pat.id)[1].buttons.is_empty());
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ankle_follow_up_by_free_text() {
    let app = spawn_app().await;
    let pat = Person::new(9004, "Pat");
    app.fake
        .private_text(&pat, "I twisted my ankle playing football");
    let sent = app.fake.wait_for_messages(pat.id, 2, WAIT).await;
    assert_eq!(sent[1].button_data(), ["Yes", "No", "Not sure"]);
    app.fake
        .private_text(&pat, "nope, I can't walk on it at all");
    let sent = app.fake.wait_for_messages(pat.id, 3, WAIT).await;
    assert!(sent[2].text.contains("X-ray"), "{sent:#?}");
    // The advice's list renders as bullets.
    assert!(sent[2].text.contains("\n• Rest it"), "{}", sent[2].text);
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_is_sent_first() {
    let app = spawn_app().await;
    let pat = Person::new(9005, "Pat");
    app.fake.private_text(
        &pat,
        "my dad has crushing chest pain and his left arm is numb",
    );
    let sent = app
        .fake
        .wait_for("the notice after the emergency advice", WAIT, |fake| {
            let sent = fake.sent_to(pat.id);
            sent.iter().any(is_first_contact).then_some(sent)
        })
        .await;
    assert!(sent[0].text.starts_with("Call 911 now."), "{sent:#?}");
    assert!(sent[0].raw.starts_with("<b>Call 911 now.</b>"));
    assert!(!is_first_contact(&sent[0]));
    // The clinicians hear of it through the outbox.
    let notice = app.fake.wait_for_messages(CLINICIAN_GROUP, 1, WAIT).await;
    assert!(notice[0].text.contains("EMERGENCY"), "{notice:#?}");
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_message_about_symptoms_moves_to_a_private_chat() {
    let app = spawn_app().await;
    let sam = Person::new(321, "Sam");
    // Not addressed to the bot: ignored.
    app.fake
        .group_text(GROUP, &sam, "my ankle hurts and it's swollen", None);
    app.fake.group_text(
        GROUP,
        &sam,
        &format!("@{BOT_USERNAME} I twisted my ankle playing football, is that bad?"),
        None,
    );
    let private = app.fake.wait_for_messages(sam.id, 2, WAIT).await;
    assert!(
        private
            .iter()
            .any(|s| s.text == "Can you take four steps on it, even with a limp?"),
        "{private:#?}"
    );
    let group = app.fake.wait_for_messages(GROUP, 1, WAIT).await;
    assert_eq!(group.len(), 1, "{group:#?}");
    assert!(group[0]
        .text
        .starts_with("Sam, I've sent you a private message"));
    assert!(!group[0].text.to_lowercase().contains("ankle"));

    // A general question is answered in the group, by mention or by replying to the bot.
    app.fake.group_text(
        GROUP,
        &sam,
        &format!("@{BOT_USERNAME} what are your opening hours?"),
        None,
    );
    let group = app.fake.wait_for_messages(GROUP, 2, WAIT).await;
    assert!(
        group[1].text.starts_with("Our opening hours are:"),
        "{group:#?}"
    );
    app.fake
        .group_text(GROUP, &sam, "where can I park?", Some(&group[1]));
    let group = app.fake.wait_for_messages(GROUP, 3, WAIT).await;
    assert!(group[2].text.contains("parking"), "{group:#?}");
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_member_who_never_started_the_bot_is_told_how() {
    let app = spawn_app().await;
    let kim = Person::new(654, "Kim");
    app.fake.never_started(kim.id);
    app.fake.group_text(
        GROUP,
        &kim,
        &format!("@{BOT_USERNAME} I have a terrible rash on my arm"),
        None,
    );
    let group = app.fake.wait_for_messages(GROUP, 2, WAIT).await;
    let told = &group[1];
    assert!(told.text.contains("press Start"), "{group:#?}");
    assert_eq!(told.button_data(), [format!("https://t.me/{BOT_USERNAME}")]);
    for message in &group {
        assert!(
            !message.text.to_lowercase().contains("rash"),
            "{message:#?}"
        );
    }
    assert!(app.fake.sent_to(kim.id).is_empty());
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_greeting_before_asking_for_a_nurse_still_opens_a_case() {
    let app = spawn_app().await;
    let pat = Person::new(9016, "Pat");
    app.fake
        .private_text(&pat, "hi @carebot, can I talk to a nurse today please?");
    let sent = app.fake.wait_for_messages(pat.id, 2, WAIT).await;
    let case = case_in(&sent[1].text);
    let group = app.fake.wait_for_messages(CLINICIAN_GROUP, 1, WAIT).await;
    assert!(
        group[0].text.contains(&format!("New case {case}")),
        "{group:#?}"
    );
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handoff_round_trip() {
    let app = spawn_app().await;
    let pat = Person::new(9006, "Pat");
    let dr_lee = Person::new(200, "Dr Lee");

    app.fake.private_text(&pat, "agent");
    let sent = app.fake.wait_for_messages(pat.id, 2, WAIT).await;
    let case = case_in(&sent[1].text);
    assert!(sent[1].text.contains("passed this to the practice team"));

    // The case reaches the clinicians' group through the outbox, with a claim button.
    let group = app.fake.wait_for_messages(CLINICIAN_GROUP, 1, WAIT).await;
    let notification = &group[0];
    assert!(
        notification.text.contains(&format!("New case {case}")),
        "{group:#?}"
    );
    assert_eq!(notification.button_data(), [format!("/claim {case}")]);

    // Dr Lee claims it with the button.
    app.fake
        .press(&dr_lee, notification, &format!("/claim {case}"));
    let group = app.fake.wait_for_messages(CLINICIAN_GROUP, 2, WAIT).await;
    assert!(
        group[1]
            .text
            .starts_with(&format!("You've claimed case {case}")),
        "{group:#?}"
    );
    assert!(app.fake.sent_to(CLINICIAN_GROUP)[0].buttons.is_empty());
    let sent = app.fake.wait_for_messages(pat.id, 3, WAIT).await;
    assert!(
        sent[2]
            .text
            .contains("Dr Lee from the practice team is looking at your case"),
        "{sent:#?}"
    );

    // Dr Lee replies; the patient gets it through the bot.
    app.fake.group_text(
        CLINICIAN_GROUP,
        &dr_lee,
        &format!("/reply@{BOT_USERNAME} {case} Please come in at 3pm today & bring your meds."),
        None,
    );
    let sent = app.fake.wait_for_messages(pat.id, 4, WAIT).await;
    assert!(sent[3].raw.starts_with("<b>Dr Lee ("), "{}", sent[3].raw);
    assert!(
        sent[3]
            .text
            .ends_with("Please come in at 3pm today & bring your meds."),
        "{sent:#?}"
    );

    // The patient answers; Dr Lee, who holds the case, hears it.
    app.fake.private_text(&pat, "thank you, see you then");
    let group = app
        .fake
        .wait_for("the patient's answer in the group", WAIT, |fake| {
            let group = fake.sent_to(CLINICIAN_GROUP);
            group
                .iter()
                .any(|s| s.text.contains("see you then"))
                .then_some(group)
        })
        .await;
    assert!(group.iter().any(|s| s.text.contains("Update on case")));

    // Dr Lee resolves it.
    app.fake.group_text(
        CLINICIAN_GROUP,
        &dr_lee,
        &format!("/resolve {case} booked for 3pm"),
        None,
    );
    app.fake
        .wait_for("the patient told the case is closed", WAIT, |fake| {
            fake.sent_to(pat.id)
                .iter()
                .any(|s| s.text.contains(&format!("The team has closed case {case}")))
                .then_some(())
        })
        .await;
    let stored = app.service.store().case(case).unwrap().unwrap();
    assert!(stored.resolution.is_some());
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_after_a_500_does_not_wait_out_teloxides_ten_seconds() {
    let app = spawn_app().await;
    app.fake.fail_next("sendMessage", 1, Fault::ServerError);
    let pat = Person::new(9031, "Pat");
    app.fake.private_text(&pat, "how can I pay my bill?");
    // teloxide alone sleeps 10 s after a 5xx before the adapter may retry;
    // the adapter's own back-off is a fraction of a second.
    let sent = app
        .fake
        .wait_for_messages(pat.id, 2, Duration::from_secs(8))
        .await;
    assert!(is_first_contact(&sent[0]), "{sent:#?}");
    assert!(sent[1].text.starts_with("You can pay:"), "{sent:#?}");
    assert_eq!(
        app.fake.calls("sendMessage").len(),
        3,
        "one refusal, two accepted"
    );
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_after_a_failed_poll_does_not_wait_out_teloxides_ten_seconds() {
    let app = spawn_app().await;
    app.fake.fail_next("getUpdates", 1, Fault::ServerError);
    let pat = Person::new(9032, "Pat");
    app.fake.private_text(&pat, "how can I pay my bill?");
    // teloxide's own getUpdates sleeps 10 s after a 5xx; the poller's
    // back-off is a fraction of a second.
    let sent = app
        .fake
        .wait_for_messages(pat.id, 2, Duration::from_secs(8))
        .await;
    assert!(sent[1].text.starts_with("You can pay:"), "{sent:#?}");
    assert!(app.fake.calls("getUpdates").len() >= 2);
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_a_500_and_a_timeout_lose_no_message() {
    let fake = FakeTelegram::start().await;
    let settings = settings(&fake);
    let tuning = Tuning {
        request_timeout: Duration::from_secs(2),
        ..tuning()
    };
    let app = spawn_app_with(fake, settings, tuning).await;
    // Polling fails once (a 5xx), and so do the first three messages: a 429,
    // a 500 and a request that times out.
    app.fake.fail_next("getUpdates", 1, Fault::ServerError);
    app.fake
        .fail_next("sendMessage", 1, Fault::TooManyRequests(1));
    app.fake.fail_next("sendMessage", 1, Fault::ServerError);
    app.fake
        .fail_next("sendMessage", 1, Fault::Hang(Duration::from_secs(3)));
    let pat = Person::new(9007, "Pat");
    app.fake.private_text(&pat, "how can I pay my bill?");
    // Meanwhile the outbox delivers to someone else.
    let news = outbound(1, 9008, "Your case is in hand.", Vec::new());
    app.telegram
        .deliver(&news)
        .await
        .expect("delivered after retrying");

    let sent = app.fake.wait_for_messages(pat.id, 2, WAIT).await;
    assert!(is_first_contact(&sent[0]), "{sent:#?}");
    assert!(sent[1].text.starts_with("You can pay:"), "{sent:#?}");
    assert_eq!(app.fake.sent_to(9008).len(), 1);
    // Each message was accepted exactly once, after three refusals.
    assert_eq!(app.fake.sent().len(), 3);
    assert_eq!(app.fake.calls("sendMessage").len(), 6);
    assert!(app.telegram.is_connected());

    // A message the adapter gives up on stays in the outbox and goes later.
    app.fake.fail_next_to(CLINICIAN_GROUP, 4, Fault::Garbage);
    app.fake.private_text(&pat, "agent");
    let group = app.fake.wait_for_messages(CLINICIAN_GROUP, 1, WAIT).await;
    assert!(group[0].text.contains("New case"));
    let to_group = |fake: &FakeTelegram| {
        fake.calls("sendMessage")
            .iter()
            .filter(|call| call.body["chat_id"] == CLINICIAN_GROUP)
            .count()
    };
    assert_eq!(to_group(&app.fake), 5, "four refusals, then accepted");
    assert_eq!(app.fake.sent_to(CLINICIAN_GROUP).len(), 1);
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_closed_to_the_bot_is_told_apart_from_an_outage() {
    let app = spawn_app().await;
    // A 403 from Telegram: the outbox gives up on a patient who blocked the bot.
    app.fake.never_started(9020);
    let refused = app
        .telegram
        .deliver(&outbound(1, 9020, "Your case is resolved.", Vec::new()))
        .await
        .unwrap_err();
    assert!(refused.recipient_refuses, "{refused:?}");
    assert!(refused.reason.contains("Forbidden"), "{refused:?}");
    // Garbage until the adapter stops retrying: worth another try later.
    app.fake.fail_next_to(9021, 4, Fault::Garbage);
    let outage = app
        .telegram
        .deliver(&outbound(2, 9021, "Your case is resolved.", Vec::new()))
        .await
        .unwrap_err();
    assert!(!outage.recipient_refuses, "{outage:?}");
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_special_characters_are_accepted() {
    let app = spawn_app().await;
    let text = "Price: 5.00 * 2 = [10] _approx_ <b>not bold</b> & co. **really bold** \
                see [the portal](https://portal.example/a_b?c=1&d=2) or [this](not a link).\n\
                - a snake_case_item with 3*4\n\
                > a <quoted> line_with_underscores\n\
                1. done.";
    app.telegram
        .deliver(&outbound(1, 9009, text, Vec::new()))
        .await
        .expect("accepted");
    let sent = app.fake.sent_to(9009);
    assert_eq!(
        sent[0].text,
        "Price: 5.00 * 2 = [10] _approx_ <b>not bold</b> & co. really bold \
         see the portal or [this](not a link).\n\
         • a snake_case_item with 3*4\n\
         a <quoted> line_with_underscores\n\
         1. done."
    );
    assert!(sent[0]
        .raw
        .contains("<a href=\"https://portal.example/a_b?c=1&amp;d=2\">the portal</a>"));
    assert!(sent[0].raw.contains("<blockquote>"));

    // From a patient, through the core: whatever the answer, it is accepted.
    let pat = Person::new(9010, "Pat");
    app.fake
        .private_text(&pat, "what_are *your* [hours]. & <when> ~open~?");
    let sent = app.fake.wait_for_messages(pat.id, 2, WAIT).await;
    assert!(
        sent[1].text.starts_with("Our opening hours are:"),
        "{sent:#?}"
    );
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10000_character_answer_is_split_at_paragraphs() {
    let app = spawn_app().await;
    let paragraphs: Vec<String> = (0..12)
        .map(|n| {
            let sentence = format!("Paragraph {n}: keep the leg raised & rest 😀. ");
            sentence.repeat(880 / sentence.chars().count() + 1)
        })
        .map(|p| p.trim_end().to_string())
        .collect();
    let text = paragraphs.join("\n\n");
    assert!(text.chars().count() >= 10_000, "{}", text.chars().count());
    let buttons = vec![Button {
        label: "Thanks".into(),
        reply: "thanks".into(),
    }];
    app.telegram
        .deliver(&outbound(1, 9011, &text, buttons))
        .await
        .expect("accepted");
    let sent = app.fake.sent_to(9011);
    assert_eq!(
        sent.len(),
        3,
        "{:?}",
        sent.iter().map(|s| s.text.len()).collect::<Vec<_>>()
    );
    for message in &sent {
        let length: usize = message.text.chars().map(char::len_utf16).sum();
        assert!(length <= 4096, "{length}");
    }
    // Whole paragraphs, in order, none lost.
    let received: Vec<String> = sent
        .iter()
        .flat_map(|s| s.text.split("\n\n").map(str::to_string).collect::<Vec<_>>())
        .collect();
    assert_eq!(received, paragraphs);
    // The buttons go under the last part only.
    assert!(sent[..2].iter().all(|s| s.buttons.is_empty()));
    assert_eq!(sent[2].button_data(), ["thanks"]);
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_to_one_chat_keep_to_the_rate_limit() {
    let app = spawn_app_tuned(|tuning| {
        tuning.limits.private_chat = Rate {
            interval: Duration::from_millis(300),
            burst: 1,
        }
    })
    .await;
    let started = Instant::now();
    let deliver = |n: u64| {
        let telegram = app.telegram.clone();
        async move {
            let message = outbound(n, 9012, &format!("message {n}"), Vec::new());
            telegram.deliver(&message).await
        }
    };
    let (first, second, third) = tokio::join!(deliver(1), deliver(2), deliver(3));
    for result in [first, second, third] {
        result.expect("accepted");
    }
    let sent = app.fake.sent_to(9012);
    assert_eq!(sent.len(), 3);
    for pair in sent.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_millis(280), "{gap:?}");
    }
    assert!(started.elapsed() >= Duration::from_millis(580));
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_replies_under_way() {
    let app = spawn_app().await;
    let pat = Person::new(9013, "Pat");
    // The first reply hangs for a moment (then fails and is sent again):
    // shutdown comes while it is under way.
    app.fake
        .fail_next("sendMessage", 1, Fault::Hang(Duration::from_millis(500)));
    let update = app.fake.private_text(&pat, "where can I park?");
    app.fake
        .wait_for("the first reply to be under way", WAIT, |fake| {
            (!fake.calls("sendMessage").is_empty()).then_some(())
        })
        .await;
    let App {
        fake,
        stop,
        running,
        dispatcher,
        ..
    } = app;
    stop.send(true).unwrap();
    running.await.unwrap().expect("stops cleanly");
    dispatcher.await.unwrap();
    let sent = fake.sent_to(pat.id);
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(sent[1].text.contains("parking"));
    // What was taken is confirmed, so a restart does not answer it again.
    assert_eq!(fake.taken(), update);
    let last_poll = fake.calls("getUpdates").pop().unwrap();
    assert_eq!(last_poll.body["offset"], update + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_takes_updates_from_telegram() {
    let fake = FakeTelegram::start().await;
    let listen = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let settings = TelegramSettings {
        webhook: Some(Webhook {
            listen,
            public_url: "https://bot.example/telegram/hook".parse().unwrap(),
            remove_at_shutdown: true,
        }),
        ..settings(&fake)
    };
    let app = spawn_app_with(fake, settings, tuning()).await;
    let (url, secret) = app
        .fake
        .wait_for("the webhook to be set", WAIT, FakeTelegram::webhook)
        .await;
    assert_eq!(url, "https://bot.example/telegram/hook");
    let secret = secret.expect("a secret token guards the webhook");

    let pat = Person::new(9014, "Pat");
    let update = private_update(1, 1, &pat, "where can I park?").to_string();
    assert_eq!(post(listen, "/telegram/hook", "wrong", &update).await, 401);
    assert_eq!(post(listen, "/telegram/hook", &secret, &update).await, 200);
    let sent = app.fake.wait_for_messages(pat.id, 2, WAIT).await;
    assert!(sent[1].text.contains("parking"), "{sent:#?}");
    assert!(app.fake.calls("getUpdates").is_empty());

    let App {
        fake,
        stop,
        running,
        dispatcher,
        ..
    } = app;
    stop.send(true).unwrap();
    running.await.unwrap().expect("stops cleanly");
    dispatcher.await.unwrap();
    assert!(
        fake.webhook().is_none(),
        "the webhook is removed at shutdown"
    );
}

/// POSTs `body` as Telegram would, returning the HTTP status.
async fn post(to: std::net::SocketAddr, path: &str, secret: &str, body: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(to).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {to}\r\nContent-Type: application/json\r\n\
         X-Telegram-Bot-Api-Secret-Token: {secret}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or(0)
}

/// Everything logged while the tests run, through `tracing` and `log`.
fn captured_logs() -> Arc<Mutex<String>> {
    static LOGS: OnceLock<Arc<Mutex<String>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(String::new()));
        let _ = tracing::subscriber::set_global_default(capture::Capture(logs.clone()));
        let logger = Box::leak(Box::new(capture::Capture(logs.clone())));
        let _ = log::set_logger(logger);
        log::set_max_level(log::LevelFilter::Debug);
        logs
    })
    .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_shows_in_logs_errors_or_debug_output() {
    let logs = captured_logs();
    let secret = TOKEN.split_once(':').unwrap().1;
    let leaks = |text: &str| text.contains(TOKEN) || text.contains(secret);

    let fake = FakeTelegram::start().await;
    let settings = settings(&fake);
    assert!(!leaks(&format!("{settings:?} {:?}", settings.token)));

    // Refused and unreachable: the errors say so without the token.
    let wrong = TelegramSettings {
        token: Token::new(format!("{TOKEN}x")).unwrap(),
        ..settings.clone()
    };
    let error = Telegram::connect_with(wrong, tuning()).await.unwrap_err();
    assert!(matches!(error, TelegramError::Unauthorized), "{error:?}");
    let unreachable = TelegramSettings {
        api_url: "http://127.0.0.1:1".parse().unwrap(),
        ..settings.clone()
    };
    let error = Telegram::connect_with(unreachable, tuning())
        .await
        .unwrap_err();
    assert!(
        matches!(error, TelegramError::Unreachable { .. }),
        "{error:?}"
    );
    let shown = format!("{error} {error:?}");
    assert!(!leaks(&shown), "{shown}");

    // Failures while running are logged without it.
    let app = spawn_app_with(fake, settings, tuning()).await;
    assert!(!leaks(&format!("{:?}", app.telegram)));
    app.fake.fail_next("getUpdates", 2, Fault::Garbage);
    app.fake.fail_next_to(9015, 4, Fault::Garbage);
    let error = app
        .telegram
        .deliver(&outbound(1, 9015, "hello", Vec::new()))
        .await
        .unwrap_err();
    assert!(!leaks(&format!("{error} {error:?}")), "{error:?}");
    app.fake
        .wait_for("the polling failures", WAIT, |fake| {
            (fake.calls("getUpdates").len() >= 3).then_some(())
        })
        .await;
    app.shut_down().await;

    let logs = logs.lock().unwrap().clone();
    assert!(logs.contains("cannot get updates from Telegram"), "{logs}");
    assert!(!leaks(&logs), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_patients_five_messages_each() {
    const PATIENTS: i64 = 1000;
    const QUESTIONS: [(&str, &str); 5] = [
        ("what are your opening hours?", "Our opening hours are:"),
        ("how can I pay my bill?", "You can pay:"),
        ("where can I park?", "Free parking"),
        (
            "do you accept walk-ins?",
            "We keep some same-day appointments",
        ),
        ("can I get a flu shot?", "We offer flu vaccines"),
    ];
    let fake = FakeTelegram::start().await;
    let settings = settings(&fake);
    let mut tuning = tuning();
    // The adapter's own speed, not Telegram's limits (30 messages a second
    // would make this take three minutes).
    tuning.limits = Limits {
        private_chat: Rate::UNLIMITED,
        group: Rate::UNLIMITED,
        overall: Rate::UNLIMITED,
    };
    let app = Arc::new(spawn_app_with(fake, settings, tuning).await);
    let started = Instant::now();
    let patients: Vec<_> = (0..PATIENTS)
        .map(|n| {
            let app = app.clone();
            tokio::spawn(async move {
                let patient = Person::new(100_000 + n, "Pat");
                let mut latencies = Vec::new();
                for (k, (question, _)) in QUESTIONS.iter().enumerate() {
                    let asked = Instant::now();
                    app.fake.private_text(&patient, question);
                    // The first answer comes with the first-contact notice.
                    let sent = app
                        .fake
                        .wait_for_messages(patient.id, k + 2, Duration::from_secs(120))
                        .await;
                    latencies.push(sent[k + 1].at.duration_since(asked));
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for patient in patients {
        latencies.extend(patient.await.unwrap());
    }
    let elapsed = started.elapsed();

    for n in 0..PATIENTS {
        let sent = app.fake.sent_to(100_000 + n);
        assert_eq!(sent.len(), QUESTIONS.len() + 1, "patient {n}: {sent:#?}");
        assert!(is_first_contact(&sent[0]), "patient {n}: {sent:#?}");
        for (k, (_, answer)) in QUESTIONS.iter().enumerate() {
            assert!(
                sent[k + 1].text.starts_with(answer),
                "patient {n}, answer {k}: {sent:#?}"
            );
        }
    }
    assert_eq!(
        app.fake.sent().len(),
        PATIENTS as usize * (QUESTIONS.len() + 1)
    );

    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    let messages = latencies.len();
    println!(
        "telegram load: {PATIENTS} patients × {} messages = {messages} in {:.1}s: {:.0} messages/s in, {:.0} replies/s out; reply latency p50 {:?}, p99 {:?}, max {:?}",
        QUESTIONS.len(),
        elapsed.as_secs_f64(),
        messages as f64 / elapsed.as_secs_f64(),
        app.fake.sent().len() as f64 / elapsed.as_secs_f64(),
        p(0.5),
        p(0.99),
        p(1.0),
    );
    let app = Arc::try_unwrap(app).ok().expect("every patient is done");
    app.shut_down().await;
}

/// How many of the messages sent so far went to `chat` and contain `text`.
fn count_to(fake: &FakeTelegram, chat: i64, text: &str) -> usize {
    fake.sent_to(chat)
        .iter()
        .filter(|sent| sent.text.contains(text))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_a_patient_does_not_wait_for_the_clinician_group_s_rate_limit() {
    let app = spawn_app().await;
    let (ann, bob) = (Person::new(9101, "Ann"), Person::new(9102, "Bob"));
    let dr_lee = Person::new(200, "Dr Lee");
    app.fake.private_text(&bob, "agent");
    let bob_case = case_in(&app.fake.wait_for_messages(bob.id, 2, WAIT).await[1].text);
    app.fake.wait_for_messages(CLINICIAN_GROUP, 1, WAIT).await;
    app.fake.private_text(&ann, "agent");
    app.fake.wait_for_messages(ann.id, 2, WAIT).await;
    app.fake.wait_for_messages(CLINICIAN_GROUP, 2, WAIT).await;

    // Telegram holds the clinicians' group back for 20 s: Ann's next
    // message, an update for the group, meets the 429 and waits.
    app.fake
        .fail_next_to(CLINICIAN_GROUP, 1, Fault::TooManyRequests(20));
    app.fake.private_text(&ann, "it is getting worse");
    app.fake
        .wait_for("the group's 429", WAIT, |fake| {
            let to_group = fake
                .calls("sendMessage")
                .iter()
                .filter(|call| call.body["chat_id"] == CLINICIAN_GROUP)
                .count();
            (to_group == 3).then_some(())
        })
        .await;

    // Dr Lee answers Bob meanwhile: Bob has it while the group still waits.
    app.fake.group_text(
        CLINICIAN_GROUP,
        &dr_lee,
        &format!("/reply {bob_case} Please come in at 3pm."),
        None,
    );
    let sent = app.fake.wait_for_messages(bob.id, 3, WAIT).await;
    assert!(
        sent[2].text.ends_with("Please come in at 3pm."),
        "{sent:#?}"
    );
    assert_eq!(
        count_to(&app.fake, CLINICIAN_GROUP, "getting worse"),
        0,
        "Bob's reply went while the group's wait was not over"
    );
    // Nothing is lost: the group gets the update once its wait is over.
    app.fake
        .wait_for("the update after the wait", 2 * WAIT, |fake| {
            (count_to(fake, CLINICIAN_GROUP, "getting worse") == 1).then_some(())
        })
        .await;
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_reply_goes_ahead_of_a_burst_of_ordinary_replies() {
    // The bot may send 10 messages a second in all: a burst of 120 replies
    // takes twelve seconds to go out.
    let app = spawn_app_tuned(|tuning| {
        tuning.limits.overall = Rate {
            interval: Duration::from_millis(100),
            burst: 1,
        }
    })
    .await;
    let burst: Vec<Person> = (0..60).map(|n| Person::new(9200 + n, "Patient")).collect();
    for person in &burst {
        app.fake.private_text(person, "how can I pay my bill?");
    }
    let to_burst = |fake: &FakeTelegram| {
        fake.sent()
            .iter()
            .filter(|sent| burst.iter().any(|person| person.id == sent.chat))
            .count()
    };
    app.fake
        .wait_for("the burst under way", WAIT, |fake| {
            (to_burst(fake) >= 20).then_some(())
        })
        .await;
    let emergency = Person::new(9300, "Pat");
    app.fake
        .private_text(&emergency, "crushing chest pain and my left arm is numb");
    let sent = app.fake.wait_for_messages(emergency.id, 1, WAIT).await;
    assert!(sent[0].text.starts_with("Call 911 now."), "{sent:#?}");
    let before = to_burst(&app.fake);
    let all = app.fake.wait_for_messages(burst[59].id, 2, 2 * WAIT).await;
    assert!(all[1].text.starts_with("You can pay:"), "{all:#?}");
    app.fake
        .wait_for("the whole burst", 2 * WAIT, |fake| {
            (to_burst(fake) == 120).then_some(())
        })
        .await;
    // It went soon after it came (not after all 120), with a wide margin
    // for a slow machine handling the messages.
    assert!(
        before <= 60,
        "the emergency's advice went out after {before} of the burst's 120 replies"
    );
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_patient_s_flood_is_coalesced_and_another_s_new_case_goes_first() {
    let fake = FakeTelegram::start().await;
    let settings = settings(&fake);
    let rate = RateLimit {
        burst: 100,
        per_minute: 100,
    };
    let app = spawn_app_limited(fake, settings, tuning(), rate).await;
    let (ann, bob) = (Person::new(9401, "Ann"), Person::new(9402, "Bob"));
    app.fake.private_text(&ann, "agent");
    app.fake.wait_for_messages(ann.id, 2, WAIT).await;
    app.fake.wait_for_messages(CLINICIAN_GROUP, 1, WAIT).await;

    // The group is rate limited while Ann writes 50 messages and Bob's
    // emergency opens a case.
    app.fake
        .fail_next_to(CLINICIAN_GROUP, 100_000, Fault::TooManyRequests(1));
    for n in 1..=50 {
        app.fake
            .private_text(&ann, &format!("still here, message {n}"));
    }
    app.fake
        .wait_for("Ann's 50 messages handled", 2 * WAIT, |fake| {
            (fake.sent_to(ann.id).len() >= 52).then_some(())
        })
        .await;
    app.fake
        .private_text(&bob, "crushing chest pain and my left arm is numb");
    app.fake
        .wait_for("Bob's case opened", WAIT, |fake| {
            fake.sent_to(bob.id)
                .iter()
                .any(|sent| sent.text.contains("passed this to the practice team"))
                .then_some(())
        })
        .await;
    app.fake.clear_faults();

    let group = app
        .fake
        .wait_for("Ann's last message in the group", 2 * WAIT, |fake| {
            let group = fake.sent_to(CLINICIAN_GROUP);
            group
                .iter()
                .any(|sent| sent.text.contains("message 50"))
                .then_some(group)
        })
        .await;
    let bob_case = group
        .iter()
        .position(|sent| sent.text.contains("New case C-0002"))
        .expect("Bob's case reached the group");
    let last_update = group
        .iter()
        .position(|sent| sent.text.contains("message 50"))
        .unwrap();
    assert!(bob_case < last_update, "{group:#?}");
    // A moment for anything else still queued to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let updates: Vec<Sent> = app
        .fake
        .sent_to(CLINICIAN_GROUP)
        .into_iter()
        .filter(|sent| sent.text.contains("Update on case C-0001"))
        .collect();
    assert!(
        (1..=2).contains(&updates.len()),
        "{} updates for 50 messages",
        updates.len()
    );
    // The update quotes the latest messages and points to the rest.
    let last = updates.last().unwrap();
    assert!(last.text.contains("message 50"), "{}", last.text);
    assert!(!last.text.contains("message 40\n"), "{}", last.text);
    assert!(last.text.contains("earlier: /case C-0001"), "{}", last.text);
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_split_message_sends_only_the_parts_not_yet_sent() {
    let app = spawn_app().await;
    let paragraphs: Vec<String> = (0..12)
        .map(|n| format!("Paragraph {n}: ") + &"keep the leg raised. ".repeat(40))
        .collect();
    let text = paragraphs.join("\n\n");
    let message = outbound(1, 9060, &text, Vec::new());
    // The first part goes; the second meets the network failing until the
    // adapter gives up, and the outbox retries the message.
    app.fake.pass_next_to(9060, 1);
    app.fake.fail_next_to(9060, 4, Fault::Garbage);
    app.telegram
        .deliver(&message)
        .await
        .expect_err("given up after the adapter's retries");
    assert_eq!(app.fake.sent_to(9060).len(), 1);
    app.telegram.deliver(&message).await.expect("accepted");
    let sent = app.fake.sent_to(9060);
    assert_eq!(sent.len(), 3, "three parts, the first once");
    let received: Vec<String> = sent
        .iter()
        .flat_map(|s| s.text.split("\n\n").map(str::to_string).collect::<Vec<_>>())
        .map(|p| p.trim_end().to_string())
        .collect();
    let expected: Vec<String> = paragraphs
        .iter()
        .map(|p| p.trim_end().to_string())
        .collect();
    assert_eq!(received, expected);
    app.shut_down().await;
}

/// How often upkeep looks for notices to send in the notice tests (a
/// minute in `carebot serve`).
const UPKEEP_EVERY: Duration = Duration::from_millis(100);

/// The first message to `chat` containing `text`, waiting for it.
async fn text_to(fake: &FakeTelegram, chat: i64, text: &str) -> Sent {
    fake.wait_for(&format!("{text:?} in chat {chat}"), WAIT, |fake| {
        fake.sent_to(chat)
            .into_iter()
            .find(|sent| sent.text.contains(text))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_notices_reach_subscribers_once_and_stop_when_asked() {
    const FLU: &str = "Walk-in flu clinics on Saturdays";
    const CLOSED: &str = "Closed on Thanksgiving Day";
    const MEASLES: &str = "Measles cases in the county";
    let flu = november_notice("flu-clinics", FLU, "vaccination-clinics");
    let closed = november_notice("thanksgiving", CLOSED, "closures");
    let measles = november_notice("measles", MEASLES, "outbreaks");
    let fake = FakeTelegram::start().await;
    let settings = settings(&fake);
    let dir = tempfile::tempdir().unwrap();
    let service = service_in(&dir, engine_with_notices(""), RateLimit::default());
    let app = start_app(fake, settings, tuning(), service, dir)
        .await
        .with_upkeep(UPKEEP_EVERY);
    let [ann, bob, carol, dave, eve] = [
        (9301, "Ann"),
        (9302, "Bob"),
        (9303, "Carol"),
        (9304, "Dave"),
        (9305, "Eve"),
    ]
    .map(|(id, name)| Person::new(id, name));
    let fake = &app.fake;

    // Ann subscribes by command; Bob from the /notices menu command and
    // its button; Dave to one topic, then blocks the bot; Eve to outbreaks
    // only. Carol only asks a question.
    fake.private_text(&ann, "/subscribe");
    text_to(fake, ann.id, "Done: you'll get").await;
    fake.private_text(&bob, "/notices");
    let list = text_to(fake, bob.id, "Type /subscribe").await;
    assert!(list.text.contains("no notices"), "{}", list.text);
    assert!(
        list.button_data().contains(&"/subscribe".to_string()),
        "{list:#?}"
    );
    fake.press(&bob, &list, "/subscribe");
    text_to(fake, bob.id, "Done: you'll get").await;
    fake.private_text(&dave, "/subscribe vaccination clinics");
    text_to(fake, dave.id, "Done: you'll get").await;
    fake.never_started(dave.id);
    fake.private_text(&eve, "/subscribe outbreaks");
    text_to(fake, eve.id, "Done: you'll get").await;
    fake.private_text(&carol, "what are your opening hours?");
    text_to(fake, carol.id, "Our opening hours are").await;

    // The practice publishes a notice on flu clinics: Ann and Bob get it.
    app.service.set_engine(engine_with_notices(&flu));
    for patient in [&ann, &bob] {
        let notice = text_to(fake, patient.id, FLU).await;
        assert!(notice.text.starts_with("Notice from"), "{}", notice.text);
        assert!(notice.text.contains(PUSHED_NOTICE), "{}", notice.text);
        assert!(notice.text.contains("/unsubscribe"), "{}", notice.text);
    }
    // Dave's chat refuses it (403): he is unsubscribed.
    fake.wait_for("the notice refused by Dave's chat", WAIT, |fake| {
        fake.calls("sendMessage")
            .iter()
            .any(|call| {
                call.body["chat_id"] == dave.id
                    && call.body["text"].as_str().is_some_and(|t| t.contains(FLU))
            })
            .then_some(())
    })
    .await;
    unsubscribed(&app.service, &carebot_telegram::chat_address(dave.id), WAIT).await;
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
        text_to(fake, patient.id, CLOSED).await;
    }
    outbox_drained(&app.service, WAIT).await;
    for patient in [&ann, &bob] {
        let sent: Vec<String> = fake
            .sent_to(patient.id)
            .iter()
            .map(|sent| sent.text.chars().take(60).collect())
            .collect();
        assert_eq!(count_to(fake, patient.id, FLU), 1, "{sent:#?}");
        assert_eq!(count_to(fake, patient.id, CLOSED), 1, "{sent:#?}");
    }

    // Ann and Bob stop; a notice published afterwards reaches only Eve.
    fake.private_text(&ann, "stop alerts");
    text_to(fake, ann.id, "won't get any more notices").await;
    fake.private_text(&bob, "/unsubscribe");
    text_to(fake, bob.id, "won't get any more notices").await;
    app.service
        .set_engine(engine_with_notices(&format!("{flu}{closed}{measles}")));
    let notice = text_to(fake, eve.id, MEASLES).await;
    assert!(notice.text.contains(PUSHED_NOTICE), "{}", notice.text);
    outbox_drained(&app.service, WAIT).await;
    for patient in [&ann, &bob] {
        assert_eq!(count_to(fake, patient.id, MEASLES), 0);
        assert_eq!(count_to(fake, patient.id, PUSHED_NOTICE), 2);
    }
    // Each got only the notices on their topics; Carol, who never
    // subscribed, none.
    assert_eq!(count_to(fake, eve.id, PUSHED_NOTICE), 1);
    assert_eq!(count_to(fake, carol.id, PUSHED_NOTICE), 0);

    // Dave unblocks the bot: he got no notice and is no longer subscribed.
    fake.starts(dave.id);
    fake.private_text(&dave, "/notices");
    let list = text_to(fake, dave.id, "Notices from").await;
    assert!(list.text.contains(MEASLES), "{}", list.text);
    assert!(
        list.text.contains("I can send you the practice's notices"),
        "{}",
        list.text
    );
    assert_eq!(count_to(fake, dave.id, PUSHED_NOTICE), 0);
    app.shut_down().await;
}

/// The first message to `chat` containing `text`, waiting (at most
/// `within` for each message) without scanning every chat's messages.
async fn first_to(fake: &FakeTelegram, chat: i64, text: &str, within: Duration) -> Sent {
    let mut count = 1;
    loop {
        let sent = fake.wait_for_messages(chat, count, within).await;
        if let Some(found) = sent.iter().find(|sent| sent.text.contains(text)) {
            return found.clone();
        }
        count = sent.len() + 1;
    }
}

/// One health notice to many subscribers through the fake Bot API, at
/// Telegram's real limits (30 messages a second overall, one a second per
/// chat after a burst of three), while patients write emergencies: every
/// subscriber gets exactly one copy, and each emergency's advice arrives
/// within a second. A measurement, run by hand:
/// `cargo test --release --test tests notice_to_many -- --ignored --nocapture`
/// (`CAREBOT_NOTICE_SUBSCRIBERS=10000` for the full figure; 1,000 by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: a minute or more at Telegram's real rate"]
async fn a_notice_to_many_subscribers_keeps_to_the_rate_and_emergencies_go_first() {
    const FLU: &str = "Walk-in flu clinics on Saturdays";
    const EMERGENCIES: usize = 12;
    const ADVICE: &str = "Call 911";
    let subscribers: i64 = std::env::var("CAREBOT_NOTICE_SUBSCRIBERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let first_subscriber = 200_000;
    let flu = november_notice("flu-clinics", FLU, "vaccination-clinics");
    let knowledge = crate::support::knowledge_with_notices(&flu, crate::support::NOTICE_TOPICS);
    // The engine `carebot serve` builds: by meaning as well as by words.
    let engine = Arc::new(Engine::new(
        carebot::load_dir(knowledge.path()).expect("knowledge loads"),
    ));
    let fake = FakeTelegram::start().await;
    let settings = settings(&fake);
    // What `carebot serve` runs with: Telegram's limits, its timeouts.
    let tuning = Tuning::default();
    let dir = tempfile::tempdir().unwrap();
    let service = service_in(&dir, engine, RateLimit::default());
    let topics: std::collections::BTreeSet<String> = ["vaccination-clinics".to_string()].into();
    for n in 0..subscribers {
        let patient = carebot_telegram::chat_address(first_subscriber + n);
        service
            .store()
            .set_subscription(&patient, topics.clone(), service.now())
            .expect("subscribed");
    }
    let app = start_app(fake, settings, tuning, service, dir).await;

    // One emergency before the broadcast: the engine warmed up, and the
    // latency with nothing else going out.
    let at_rest = Person::new(300_000, "Pat");
    let asked = Instant::now();
    app.fake
        .private_text(&at_rest, "crushing chest pain and I can't breathe");
    let advice = first_to(&app.fake, at_rest.id, ADVICE, WAIT).await;
    let at_rest_latency = advice.at.duration_since(asked);

    let started = Instant::now();
    let app = Arc::new(app.with_upkeep(Duration::from_secs(1)));
    // Emergencies spread over the broadcast (as long as the overall limit
    // makes it), the first while upkeep queues the notice; every other one
    // from a subscriber, whose notice may be queued or under way.
    let expected = Duration::from_secs_f64(subscribers as f64 / 30.0);
    let emergencies: Vec<_> = (0..EMERGENCIES)
        .map(|k| {
            let app = app.clone();
            let patient = if k % 2 == 0 {
                Person::new(first_subscriber + (k as i64 * 7919) % subscribers, "Sub")
            } else {
                Person::new(300_001 + k as i64, "Pat")
            };
            let at = match k {
                0 => started + Duration::from_millis(300),
                k => started + expected.mul_f64(k as f64 / EMERGENCIES as f64),
            };
            tokio::spawn(async move {
                tokio::time::sleep_until(at.into()).await;
                let asked = Instant::now();
                app.fake
                    .private_text(&patient, "crushing chest pain and I can't breathe");
                let advice = first_to(&app.fake, patient.id, ADVICE, expected + WAIT).await;
                (patient.id, advice.at.duration_since(asked))
            })
        })
        .collect();

    // Every subscriber's copy, with a line of progress every half minute.
    let deadline = started + expected * 2 + WAIT;
    let mut progress = Instant::now();
    loop {
        let reached: std::collections::HashSet<i64> = app
            .fake
            .sent()
            .into_iter()
            .filter(|sent| sent.text.contains(FLU))
            .map(|sent| sent.chat)
            .collect();
        if reached.len() >= subscribers as usize {
            break;
        }
        if progress.elapsed() >= Duration::from_secs(30) {
            progress = Instant::now();
            eprintln!(
                "{} of {subscribers} subscribers reached after {:.0}s",
                reached.len(),
                started.elapsed().as_secs_f64()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{} of {subscribers} subscribers reached after {:?}",
            reached.len(),
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut latencies = Vec::new();
    for emergency in emergencies {
        latencies.push(emergency.await.unwrap());
    }
    outbox_drained(&app.service, WAIT).await;

    let notices: Vec<Sent> = app
        .fake
        .sent()
        .into_iter()
        .filter(|sent| sent.text.contains(FLU))
        .collect();
    let mut copies: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for notice in &notices {
        *copies.entry(notice.chat).or_default() += 1;
    }
    let first = notices.iter().map(|sent| sent.at).min().unwrap();
    let last = notices.iter().map(|sent| sent.at).max().unwrap();
    let total = last.duration_since(started);
    let sending = last.duration_since(first).as_secs_f64();
    let mut by_latency: Vec<Duration> = latencies.iter().map(|(_, latency)| *latency).collect();
    by_latency.sort();
    println!(
        "notice broadcast: {subscribers} subscribers in {:.1}s ({:.1}s to queue and send the first), \
         {:.1} notices/s while sending, {} copies in all; emergency advice during it: median {:?}, \
         max {:?} ({EMERGENCIES} emergencies; {:?} with nothing else going out)",
        total.as_secs_f64(),
        first.duration_since(started).as_secs_f64(),
        (notices.len() - 1) as f64 / sending.max(f64::EPSILON),
        notices.len(),
        by_latency[by_latency.len() / 2],
        by_latency.last().unwrap(),
        at_rest_latency,
    );
    for n in 0..subscribers {
        let chat = first_subscriber + n;
        assert_eq!(copies.remove(&chat), Some(1), "subscriber {chat}");
    }
    assert!(copies.is_empty(), "notices to non-subscribers: {copies:?}");
    for (chat, latency) in &latencies {
        assert!(
            *latency < Duration::from_secs(1),
            "the emergency advice to {chat} took {latency:?}: {latencies:?}"
        );
    }
    let app = Arc::try_unwrap(app).ok().expect("every emergency is done");
    app.shut_down().await;
}

/// A `tracing` subscriber and a `log` logger that write every event's fields
/// to one string, for the secrets test.
mod capture {
    use std::fmt::Write;
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span;

    pub struct Capture(pub Arc<Mutex<String>>);

    struct Line<'a>(&'a mut String);

    impl Visit for Line<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, "{}={value:?} ", field.name());
        }
    }

    impl tracing::Subscriber for Capture {
        fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
            *metadata.level() <= tracing::Level::DEBUG
        }
        fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
            span::Id::from_u64(1)
        }
        fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
        fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let mut line = String::new();
            event.record(&mut Line(&mut line));
            let mut logs = self.0.lock().unwrap();
            logs.push_str(&line);
            logs.push('\n');
        }
        fn enter(&self, _: &span::Id) {}
        fn exit(&self, _: &span::Id) {}
    }

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            let mut logs = self.0.lock().unwrap();
            let _ = writeln!(logs, "{}: {}", record.target(), record.args());
        }
        fn flush(&self) {}
    }
}
