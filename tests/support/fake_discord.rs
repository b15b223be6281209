//! A fake Discord for the adapter's end-to-end tests: a REST API (axum) and a
//! gateway (websocket, text frames), both on 127.0.0.1:0, speaking enough of
//! Discord's protocol for serenity: HELLO, IDENTIFY → READY, RESUME →
//! RESUMED, heartbeats and their ACKs, and MESSAGE_CREATE / INTERACTION_CREATE
//! dispatches that the tests send.
//!
//! Every REST request is recorded, with the status the fake answered, so a
//! test can wait for "a message in channel X whose content contains Y" and
//! check what the real serenity client sent. Failures (429, 500) can be
//! queued for requests whose path contains a given text, and paths can be
//! rate limited as Discord does it: a bucket announced in `x-ratelimit-*`
//! headers, and 429s with `Retry-After` for whoever does not wait.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as Frame;

pub const TOKEN: &str = "fake.bot-token.not-real-0123456789";
pub const BOT: u64 = 1000;
pub const APPLICATION: u64 = 1001;
pub const GUILD: u64 = 2000;
/// The clinician channel, and a public channel of the same server.
pub const CLINICIANS: u64 = 3000;
pub const LOBBY: u64 = 3001;
/// The clinician role.
pub const ROLE: u64 = 4000;
/// How often serenity must heartbeat: short, so a dead connection shows soon.
const HEARTBEAT_MS: u64 = 1000;
/// How long a test waits for something before failing.
pub const WAIT: Duration = Duration::from_secs(20);

/// A person on the fake Discord.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: u64,
    pub name: String,
    pub roles: Vec<u64>,
}

impl Person {
    pub fn new(id: u64, name: &str, roles: &[u64]) -> Person {
        Person {
            id,
            name: name.to_string(),
            roles: roles.to_vec(),
        }
    }

    /// The channel id of this person's DM with the bot.
    pub fn dm(&self) -> u64 {
        dm_channel(self.id)
    }
}

pub fn dm_channel(user: u64) -> u64 {
    9_000_000 + user
}

/// One REST request the fake received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub body: Value,
    /// What the fake answered.
    pub status: u16,
}

impl Request {
    /// The message content sent (messages, interaction edits and follow-ups).
    pub fn content(&self) -> &str {
        self.body["content"].as_str().unwrap_or("")
    }

    /// Every button's (label, custom_id) in the message.
    pub fn buttons(&self) -> Vec<(String, String)> {
        let rows = self.body["components"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        rows.iter()
            .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
            .map(|button| {
                (
                    button["label"].as_str().unwrap_or("").to_string(),
                    button["custom_id"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// The custom_id of the button whose label contains `label`.
    pub fn button(&self, label: &str) -> String {
        self.buttons()
            .into_iter()
            .find(|(text, _)| text.contains(label))
            .map(|(_, id)| id)
            .unwrap_or_else(|| panic!("no button {label:?} in {:?}", self.buttons()))
    }

    fn is_message_to(&self, channel: u64) -> bool {
        self.method == "POST" && self.path == format!("/api/v10/channels/{channel}/messages")
    }
}

/// A failure to answer with: to the first request whose path contains
/// `path`, once `skip` such requests have gone through.
struct Failure {
    path: String,
    skip: usize,
    status: u16,
}

/// Discord's rate limit on requests whose path contains `path`: nothing is
/// accepted before `until` (a 429 saying how long to wait instead); with
/// `per`, each accepted request closes the bucket for `per` again, as the
/// `x-ratelimit-*` headers of its answer say.
struct Limit {
    path: String,
    until: tokio::time::Instant,
    per: Option<Duration>,
}

enum ToGateway {
    Dispatch { event: &'static str, data: Value },
    Close(u16),
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Request>>,
    failures: Mutex<VecDeque<Failure>>,
    limits: Mutex<Vec<Limit>>,
    connection: Mutex<Option<mpsc::UnboundedSender<ToGateway>>>,
    changed: Notify,
    identifies: Mutex<Vec<Value>>,
    resumes: AtomicUsize,
    ready: AtomicUsize,
    seq: AtomicU64,
    ids: AtomicU64,
    ws_url: Mutex<String>,
    /// What `GET /gateway` answers instead of the real URL, when set.
    advertised: Mutex<Option<String>>,
}

impl State {
    fn id(&self) -> u64 {
        // Snowflake-like: large, increasing, unique.
        1_000_000_000 + self.ids.fetch_add(1, Ordering::Relaxed)
    }
}

/// The fake; dropping it stops nothing by itself, the test runtime does.
pub struct FakeDiscord {
    state: Arc<State>,
    pub api_url: url::Url,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let state = Arc::new(State::default());
        let gateway = TcpListener::bind("127.0.0.1:0").await.unwrap();
        *state.ws_url.lock().unwrap() = format!("ws://{}", gateway.local_addr().unwrap());
        tokio::spawn(accept_gateway(gateway, state.clone()));
        let rest = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api_url =
            url::Url::parse(&format!("http://{}/api", rest.local_addr().unwrap())).unwrap();
        let app = axum::Router::new()
            .fallback(rest_api)
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(rest, app).await.unwrap() });
        FakeDiscord { state, api_url }
    }

    /// Adapter settings pointing at this fake; the gateway URL comes from
    /// `GET /gateway`, as it does from Discord.
    pub fn settings(&self) -> carebot_discord::DiscordSettings {
        carebot_discord::DiscordSettings {
            api_url: self.api_url.clone(),
            clinician_channel: Some(CLINICIANS),
            clinician_role: Some(ROLE),
            ..carebot_discord::DiscordSettings::new(carebot_discord::Token::new(TOKEN).unwrap())
        }
    }

    /// The gateway's websocket URL.
    pub fn ws_url(&self) -> url::Url {
        url::Url::parse(&self.state.ws_url.lock().unwrap()).unwrap()
    }

    /// Makes `GET /gateway` answer `url` instead of the gateway's own.
    pub fn advertise_gateway(&self, url: &str) {
        *self.state.advertised.lock().unwrap() = Some(url.to_string());
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The IDENTIFY payloads received so far.
    pub fn identifies(&self) -> Vec<Value> {
        self.state.identifies.lock().unwrap().clone()
    }

    pub fn resumes(&self) -> usize {
        self.state.resumes.load(Ordering::SeqCst)
    }

    /// Answers the next requests whose path contains `path` with `statuses`, in order.
    pub fn fail_next(&self, path: &str, statuses: &[u16]) {
        let mut failures = self.state.failures.lock().unwrap();
        failures.extend(statuses.iter().map(|status| Failure {
            path: path.to_string(),
            skip: 0,
            status: *status,
        }));
    }

    /// Lets `skip` requests whose path contains `path` through, then answers the next with `status`.
    pub fn fail_next_after(&self, path: &str, skip: usize, status: u16) {
        self.state.failures.lock().unwrap().push_back(Failure {
            path: path.to_string(),
            skip,
            status,
        });
    }

    /// Rate limits requests whose path contains `path` for `wait` from now:
    /// each gets a 429 saying how long is left.
    pub fn rate_limit_for(&self, path: &str, wait: Duration) {
        self.state.limits.lock().unwrap().push(Limit {
            path: path.to_string(),
            until: tokio::time::Instant::now() + wait,
            per: None,
        });
    }

    /// Gives requests whose path contains `path` a bucket of one request
    /// `per` interval, announced in the answers' headers; a request that
    /// comes too soon gets a 429.
    pub fn bucket(&self, path: &str, per: Duration) {
        self.state.limits.lock().unwrap().push(Limit {
            path: path.to_string(),
            until: tokio::time::Instant::now(),
            per: Some(per),
        });
    }

    /// Waits for a request matching `test` (recorded after `since`, an index
    /// into [`FakeDiscord::requests`]) and returns it.
    pub async fn wait_for(
        &self,
        since: usize,
        what: &str,
        test: impl Fn(&Request) -> bool,
    ) -> Request {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let changed = self.state.changed.notified();
            if let Some(found) = self.requests().into_iter().skip(since).find(|r| test(r)) {
                return found;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                let seen: Vec<String> = self
                    .requests()
                    .iter()
                    .skip(since)
                    .map(|r| format!("{} {} {} {:.120}", r.status, r.method, r.path, r.content()))
                    .collect();
                panic!("timed out waiting for {what}; requests since: {seen:#?}");
            }
        }
    }

    /// Waits for a message posted (and accepted) in `channel` whose content contains `text`.
    pub async fn message_in(&self, since: usize, channel: u64, text: &str) -> Request {
        self.wait_for(
            since,
            &format!("a message in {channel} containing {text:?}"),
            |r| r.is_message_to(channel) && r.status == 200 && r.content().contains(text),
        )
        .await
    }

    /// Messages posted and accepted in `channel` since `since`.
    pub fn messages_in(&self, since: usize, channel: u64) -> Vec<Request> {
        self.requests()
            .into_iter()
            .skip(since)
            .filter(|r| r.is_message_to(channel) && r.status == 200)
            .collect()
    }

    /// How many requests so far: a mark for `since`.
    pub fn mark(&self) -> usize {
        self.state.requests.lock().unwrap().len()
    }

    /// Waits until a gateway session is ready (`n` READY or RESUMED so far).
    pub async fn wait_sessions(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.state.ready.load(Ordering::SeqCst) < n {
            let changed = self.state.changed.notified();
            if self.state.ready.load(Ordering::SeqCst) >= n {
                break;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                panic!("no gateway session {n}");
            }
        }
    }

    fn send(&self, command: ToGateway) {
        let connection = self.state.connection.lock().unwrap();
        connection
            .as_ref()
            .expect("a gateway connection")
            .send(command)
            .expect("the gateway connection is open");
    }

    fn dispatch(&self, event: &'static str, data: Value) {
        self.send(ToGateway::Dispatch { event, data });
    }

    /// Closes the gateway connection with `code`, as Discord does now and then.
    pub fn close_gateway(&self, code: u16) {
        self.send(ToGateway::Close(code));
    }

    /// `person` writes `text` to the bot in a DM.
    pub fn dm(&self, person: &Person, text: &str) {
        let data = self.message(person, person.dm(), None, text, false);
        self.dispatch("MESSAGE_CREATE", data);
    }

    /// `person` writes `text` in a server channel, mentioning the bot first when `mention`.
    pub fn say(&self, person: &Person, channel: u64, text: &str, mention: bool) {
        let text = if mention {
            format!("<@{BOT}> {text}")
        } else {
            text.to_string()
        };
        let data = self.message(person, channel, Some(GUILD), &text, mention);
        self.dispatch("MESSAGE_CREATE", data);
    }

    /// `person` clicks the button `custom_id` under the bot's message `on`.
    pub fn click(&self, person: &Person, on: &Request, custom_id: &str) {
        self.click_in(person, channel_of(&on.path), on, custom_id);
    }

    /// [`FakeDiscord::click`] under a message in `channel`: the answer to a
    /// slash command, whose path names the interaction, not the channel.
    pub fn click_in(&self, person: &Person, channel: u64, on: &Request, custom_id: &str) {
        let mut data = self.interaction(person, channel, 3);
        data["data"] = json!({"custom_id": custom_id, "component_type": 2});
        data["message"] = self.bot_message(channel, on.content());
        self.dispatch("INTERACTION_CREATE", data);
    }

    /// `person` submits the form `custom_id` with `answer` in `channel`.
    pub fn submit(&self, person: &Person, channel: u64, custom_id: &str, answer: &str) {
        let mut data = self.interaction(person, channel, 5);
        data["data"] = json!({
            "custom_id": custom_id,
            "components": [{"type": 1, "components": [
                {"type": 4, "custom_id": "text", "value": answer}
            ]}]
        });
        self.dispatch("INTERACTION_CREATE", data);
    }

    /// `person` uses the slash command `name` in `channel` (with `/ask`'s question).
    pub fn slash(
        &self,
        person: &Person,
        channel: u64,
        name: &str,
        question: Option<&str>,
    ) -> String {
        let mut data = self.interaction(person, channel, 2);
        let options: Vec<Value> = question
            .map(|q| json!({"name": "question", "type": 3, "value": q}))
            .into_iter()
            .collect();
        data["data"] = json!({
            "id": self.state.id().to_string(),
            "name": name,
            "type": 1,
            "options": options,
        });
        let token = data["token"].as_str().unwrap().to_string();
        self.dispatch("INTERACTION_CREATE", data);
        token
    }

    fn in_server(channel: u64) -> bool {
        channel == CLINICIANS || channel == LOBBY
    }

    fn message(
        &self,
        person: &Person,
        channel: u64,
        guild: Option<u64>,
        text: &str,
        mention: bool,
    ) -> Value {
        let mut data = json!({
            "id": self.state.id().to_string(),
            "channel_id": channel.to_string(),
            "author": user(person.id, &person.name, false),
            "content": text,
            "timestamp": "2026-11-23T19:00:00.000000+00:00",
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": if mention { vec![user(BOT, "carebot", true)] } else { vec![] },
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": false,
            "type": 0,
        });
        if let Some(guild) = guild {
            data["guild_id"] = json!(guild.to_string());
            data["member"] = json!({
                "roles": person.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
                "nick": null,
                "joined_at": "2024-01-01T00:00:00.000000+00:00",
                "deaf": false,
                "mute": false,
                "flags": 0,
            });
        }
        data
    }

    fn bot_message(&self, channel: u64, content: &str) -> Value {
        json!({
            "id": self.state.id().to_string(),
            "channel_id": channel.to_string(),
            "author": user(BOT, "carebot", true),
            "content": content,
            "timestamp": "2026-11-23T19:00:00.000000+00:00",
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": false,
            "type": 0,
        })
    }

    fn interaction(&self, person: &Person, channel: u64, kind: u8) -> Value {
        let id = self.state.id();
        let mut data = json!({
            "id": id.to_string(),
            "application_id": APPLICATION.to_string(),
            "type": kind,
            "channel_id": channel.to_string(),
            "token": format!("interaction-token-{id}"),
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 8_388_608,
        });
        if Self::in_server(channel) {
            data["guild_id"] = json!(GUILD.to_string());
            data["context"] = json!(0);
            data["member"] = json!({
                "user": user(person.id, &person.name, false),
                "roles": person.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
                "nick": null,
                "joined_at": "2024-01-01T00:00:00.000000+00:00",
                "deaf": false,
                "mute": false,
                "flags": 0,
                "permissions": "0",
            });
        } else {
            data["context"] = json!(1);
            data["user"] = user(person.id, &person.name, false);
        }
        data
    }
}

fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": name.to_lowercase().replace(' ', "_"),
        "discriminator": "0",
        "global_name": name,
        "avatar": null,
        "bot": bot,
    })
}

/// The channel id in `/api/v10/channels/<id>/messages`.
pub fn channel_of(path: &str) -> u64 {
    path.split('/')
        .nth(4)
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no channel in {path}"))
}

async fn rest_api(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let authorized = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value == format!("Bot {TOKEN}"));
    let failure = {
        let mut failures = state.failures.lock().unwrap();
        match failures.iter().position(|f| path.contains(f.path.as_str())) {
            Some(at) if failures[at].skip > 0 => {
                failures[at].skip -= 1;
                None
            }
            Some(at) => failures.remove(at).map(|f| f.status),
            None => None,
        }
    };
    // (seconds to wait after a 429, or the bucket announced with a success)
    let limited = {
        let now = tokio::time::Instant::now();
        let mut limits = state.limits.lock().unwrap();
        match limits.iter_mut().find(|l| path.contains(l.path.as_str())) {
            Some(limit) if now < limit.until => Err((limit.until - now).as_secs_f64()),
            Some(limit) => Ok(limit.per.inspect(|per| limit.until = now + *per)),
            None => Ok(None),
        }
    };
    let (status, answer) = if !authorized && !path.starts_with("/api/v10/gateway") {
        (401, json!({"message": "401: Unauthorized", "code": 0}))
    } else if let Err(wait) = limited {
        (
            429,
            json!({"message": "You are being rate limited.", "retry_after": wait, "global": false}),
        )
    } else if let Some(status) = failure {
        let answer = if status == 429 {
            json!({"message": "You are being rate limited.", "retry_after": 0.05, "global": false})
        } else {
            json!({"message": format!("{status}: failure"), "code": 0})
        };
        (status, answer)
    } else {
        answer(&state, &method, &path, &body)
    };
    state.requests.lock().unwrap().push(Request {
        method: method.to_string(),
        path,
        body,
        status,
    });
    state.changed.notify_waiters();
    let mut response = if status == 204 {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::from_u16(status).unwrap(), axum::Json(answer)).into_response()
    };
    let headers = response.headers_mut();
    match limited {
        Err(wait) => {
            headers.insert("retry-after", wait.to_string().parse().unwrap());
            headers.insert("x-ratelimit-scope", "user".parse().unwrap());
        }
        Ok(Some(per)) if status < 300 => {
            headers.insert("x-ratelimit-limit", "1".parse().unwrap());
            headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
            let reset = per.as_secs_f64().to_string();
            headers.insert("x-ratelimit-reset-after", reset.parse().unwrap());
        }
        _ if status == 429 => {
            headers.insert("retry-after", "0".parse().unwrap());
            headers.insert("x-ratelimit-scope", "user".parse().unwrap());
        }
        _ => {}
    }
    response
}

fn answer(state: &State, method: &Method, path: &str, body: &Value) -> (u16, Value) {
    let advertised = state.advertised.lock().unwrap().clone();
    let ws_url = advertised.unwrap_or_else(|| state.ws_url.lock().unwrap().clone());
    let segments: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["gateway"]) => (200, json!({"url": ws_url})),
        ("GET", ["gateway", "bot"]) => (
            200,
            json!({"url": ws_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}}),
        ),
        ("GET", ["users", "@me"]) => (200, user(BOT, "carebot", true)),
        ("POST", ["users", "@me", "channels"]) => {
            let recipient: u64 = body["recipient_id"]
                .as_str()
                .map(|id| id.parse().unwrap())
                .or_else(|| body["recipient_id"].as_u64())
                .expect("recipient_id");
            (
                200,
                json!({
                    "id": dm_channel(recipient).to_string(),
                    "type": 1,
                    "last_message_id": null,
                    "recipients": [user(recipient, "someone", false)],
                }),
            )
        }
        ("PUT", ["applications", _, "commands"]) => (200, json!([])),
        ("POST", ["interactions", _, _, "callback"]) => (204, Value::Null),
        ("POST", ["channels", channel, "messages"]) => {
            let channel: u64 = channel.parse().unwrap_or(0);
            (200, posted(state, channel, body))
        }
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) | ("POST", ["webhooks", _, _]) => {
            (200, posted(state, 1, body))
        }
        _ => (404, json!({"message": "404: Not Found", "code": 0})),
    }
}

/// The message Discord answers a send with.
fn posted(state: &State, channel: u64, body: &Value) -> Value {
    json!({
        "id": state.id().to_string(),
        "channel_id": channel.to_string(),
        "author": user(BOT, "carebot", true),
        "content": body["content"].as_str().unwrap_or(""),
        "timestamp": "2026-11-23T19:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0,
    })
}

async fn accept_gateway(listener: TcpListener, state: Arc<State>) {
    while let Ok((stream, _)) = listener.accept().await {
        let state = state.clone();
        tokio::spawn(async move {
            if let Ok(socket) = tokio_tungstenite::accept_async(stream).await {
                gateway_connection(socket, state).await;
            }
        });
    }
}

async fn gateway_connection(
    socket: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    state: Arc<State>,
) {
    let (mut sink, mut stream) = socket.split();
    let (to_me, mut commands) = mpsc::unbounded_channel();
    *state.connection.lock().unwrap() = Some(to_me);
    let hello = json!({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_MS}});
    if sink.send(Frame::Text(hello.to_string())).await.is_err() {
        return;
    }
    let dispatch = |event: &str, data: Value| {
        let seq = state.seq.fetch_add(1, Ordering::SeqCst) + 1;
        Frame::Text(json!({"op": 0, "t": event, "s": seq, "d": data}).to_string())
    };
    loop {
        tokio::select! {
            frame = stream.next() => {
                let Some(Ok(frame)) = frame else { return };
                let Frame::Text(text) = frame else { continue };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
                let reply = match payload["op"].as_u64() {
                    Some(1) => Some(Frame::Text(json!({"op": 11}).to_string())),
                    Some(2) => {
                        let token = payload["d"]["token"].as_str().unwrap_or("");
                        if token.trim_start_matches("Bot ") != TOKEN {
                            Some(Frame::Close(Some(CloseFrame {
                                code: CloseCode::from(4004),
                                reason: "Authentication failed.".into(),
                            })))
                        } else {
                            state.identifies.lock().unwrap().push(payload["d"].clone());
                            let ws_url = state.ws_url.lock().unwrap().clone();
                            Some(dispatch("READY", json!({
                                "v": 10,
                                "user": user(BOT, "carebot", true),
                                "guilds": [{"id": GUILD.to_string(), "unavailable": true}],
                                "session_id": "fake-session",
                                "resume_gateway_url": ws_url,
                                "application": {"id": APPLICATION.to_string(), "flags": 0},
                            })))
                        }
                    }
                    Some(6) => {
                        state.resumes.fetch_add(1, Ordering::SeqCst);
                        Some(dispatch("RESUMED", json!({})))
                    }
                    _ => None,
                };
                let Some(reply) = reply else { continue };
                let session = matches!(&reply, Frame::Text(text) if text.contains("\"READY\"") || text.contains("\"RESUMED\""));
                if sink.send(reply).await.is_err() {
                    return;
                }
                if session {
                    state.ready.fetch_add(1, Ordering::SeqCst);
                    state.changed.notify_waiters();
                }
            }
            command = commands.recv() => {
                let frame = match command {
                    Some(ToGateway::Dispatch { event, data }) => dispatch(event, data),
                    Some(ToGateway::Close(code)) => {
                        let _ = sink.send(Frame::Close(Some(CloseFrame {
                            code: CloseCode::from(code),
                            reason: "closed by the test".into(),
                        }))).await;
                        return;
                    }
                    None => return,
                };
                if sink.send(frame).await.is_err() {
                    return;
                }
            }
        }
    }
}
