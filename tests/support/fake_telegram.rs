//! A fake Telegram Bot API server for the adapter's end-to-end tests: the
//! real teloxide client talks HTTP to it on 127.0.0.1.
//!
//! It serves what the adapter uses (getMe, getUpdates with offsets and long
//! polling, sendMessage, answerCallbackQuery, editMessageReplyMarkup,
//! setMyCommands, the webhook calls), records every call and every message,
//! and is as strict as Telegram where it matters: HTML must parse (only
//! Telegram's tags and entities), a message may not exceed 4096 characters
//! as shown, and a user who never started the bot (or blocked it) cannot be
//! written to until they start it. It can be told to answer the next calls
//! to a method (or the next messages to one chat) with a 429, a 500, or not
//! at all, and to let some through before that.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use tokio::sync::{watch, Notify};

/// A token in the real format (teloxide treats those specially in errors).
pub const TOKEN: &str = "123456789:AAHfakeFAKEfake0123456789abcdefghij";
pub const BOT_ID: i64 = 123456789;
pub const BOT_USERNAME: &str = "carebot_test_bot";

/// A Telegram user.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: i64,
    pub first_name: String,
}

impl Person {
    pub fn new(id: i64, first_name: &str) -> Person {
        Person {
            id,
            first_name: first_name.to_string(),
        }
    }

    fn json(&self) -> Value {
        json!({"id": self.id, "is_bot": false, "first_name": self.first_name})
    }
}

/// A message the bot sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub message_id: i64,
    pub chat: i64,
    /// As sent (HTML when `parse_mode` is HTML).
    pub raw: String,
    /// As Telegram shows it.
    pub text: String,
    pub parse_mode: Option<String>,
    /// Rows of (label, callback data or URL).
    pub buttons: Vec<Vec<(String, String)>>,
    pub at: Instant,
}

impl Sent {
    /// Every button's callback data or URL, row by row, flattened.
    pub fn button_data(&self) -> Vec<String> {
        self.buttons
            .iter()
            .flatten()
            .map(|(_, data)| data.clone())
            .collect()
    }
}

/// A call to the API.
#[derive(Debug, Clone)]
pub struct Call {
    /// Lower case: `sendmessage`, `getupdates`...
    pub method: String,
    pub body: Value,
}

/// How the fake fails a call.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// 429 with `retry_after` seconds.
    TooManyRequests(u32),
    /// 500 Internal Server Error.
    ServerError,
    /// No answer for this long, then a proxy's error page (the call is not
    /// carried out).
    Hang(Duration),
    /// 200 with an HTML error page, as a misconfigured proxy answers.
    Garbage,
}

#[derive(Default)]
struct Book {
    /// Updates not yet confirmed, oldest first.
    updates: VecDeque<(i64, Value)>,
    next_update: i64,
    /// The highest update id handed out by getUpdates.
    taken: i64,
    sent: Vec<Sent>,
    calls: Vec<Call>,
    /// Per method (or `method:chat`), what the next calls meet: a fault, or
    /// `None` for a call let through.
    faults: HashMap<String, VecDeque<Option<Fault>>>,
    never_started: HashSet<i64>,
    next_message: i64,
    /// The webhook's URL and secret token, when set.
    webhook: Option<(String, Option<String>)>,
}

struct Shared {
    book: Mutex<Book>,
    /// Woken when an update is queued (for long polls).
    updates_queued: Notify,
    /// Woken on every recorded call (for tests waiting on something).
    changed: Notify,
    /// Messages sent per chat, to wait on one chat cheaply.
    per_chat: Mutex<HashMap<i64, watch::Sender<usize>>>,
}

impl Shared {
    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn chat_counter(&self, chat: i64) -> watch::Sender<usize> {
        self.per_chat
            .lock()
            .unwrap()
            .entry(chat)
            .or_insert_with(|| watch::channel(0).0)
            .clone()
    }
}

/// The fake server; it stops when dropped.
pub struct FakeTelegram {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let shared = Arc::new(Shared {
            book: Mutex::new(Book {
                next_update: 1,
                next_message: 1,
                ..Book::default()
            }),
            updates_queued: Notify::new(),
            changed: Notify::new(),
            per_chat: Mutex::new(HashMap::new()),
        });
        let app = axum::Router::new()
            .route("/{bot}/{method}", axum::routing::any(api))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeTelegram {
            addr,
            shared,
            server,
        }
    }

    pub fn url(&self) -> carebot_telegram::Url {
        format!("http://{}", self.addr).parse().unwrap()
    }

    fn queue(&self, make: impl FnOnce(i64, i64) -> Value) -> i64 {
        let id = {
            let mut book = self.shared.book();
            let id = book.next_update;
            book.next_update += 1;
            let message_id = book.next_message;
            book.next_message += 1;
            let update = make(id, message_id);
            book.updates.push_back((id, update));
            id
        };
        self.shared.updates_queued.notify_waiters();
        id
    }

    /// `from` writes `text` in their private chat with the bot; returns the update id.
    pub fn private_text(&self, from: &Person, text: &str) -> i64 {
        self.queue(|id, message_id| private_update(id, message_id, from, text))
    }

    /// `from` writes `text` in `group`, perhaps replying to one of the bot's messages.
    pub fn group_text(
        &self,
        group: i64,
        from: &Person,
        text: &str,
        reply_to: Option<&Sent>,
    ) -> i64 {
        self.queue(|id, message_id| {
            let mut message = json!({
                "message_id": message_id, "date": now(), "chat": chat_json(group),
                "from": from.json(), "text": text,
            });
            if let Some(replied) = reply_to {
                message["reply_to_message"] = sent_json(replied);
            }
            json!({"update_id": id, "message": message})
        })
    }

    /// `from` taps the button with callback data `data` under `message`.
    pub fn press(&self, from: &Person, message: &Sent, data: &str) -> i64 {
        self.queue(|id, _| {
            json!({"update_id": id, "callback_query": {
                "id": format!("cq{id}"), "from": from.json(), "message": sent_json(message),
                "chat_instance": "ci", "data": data,
            }})
        })
    }

    /// A sticker, which has no text.
    pub fn private_sticker(&self, from: &Person) -> i64 {
        self.queue(|id, message_id| {
            json!({"update_id": id, "message": {
                "message_id": message_id, "date": now(), "chat": chat_json(from.id),
                "from": from.json(),
                "sticker": {"file_id": "f", "file_unique_id": "u", "type": "regular",
                            "width": 512, "height": 512, "is_animated": false, "is_video": false},
            }})
        })
    }

    /// Writing to `user` is refused until they start the bot.
    pub fn never_started(&self, user: i64) {
        self.shared.book().never_started.insert(user);
    }

    /// `user` starts the bot (again, after blocking it): writing to them works.
    pub fn starts(&self, user: i64) {
        self.shared.book().never_started.remove(&user);
    }

    /// The next `count` calls to `method` fail with `fault`.
    pub fn fail_next(&self, method: &str, count: usize, fault: Fault) {
        let mut book = self.shared.book();
        let faults = book.faults.entry(method.to_lowercase()).or_default();
        faults.extend(std::iter::repeat_n(Some(fault), count));
    }

    /// The next `count` messages to `chat` are let through; faults queued
    /// for it after this call meet the messages after those.
    pub fn pass_next_to(&self, chat: i64, count: usize) {
        let mut book = self.shared.book();
        let faults = book
            .faults
            .entry(format!("sendmessage:{chat}"))
            .or_default();
        faults.extend(std::iter::repeat_n(None, count));
    }

    /// Forgets every fault not yet met: the API works again.
    pub fn clear_faults(&self) {
        self.shared.book().faults.clear();
    }

    /// The next `count` messages to `chat` fail with `fault`.
    pub fn fail_next_to(&self, chat: i64, count: usize, fault: Fault) {
        self.fail_next(&format!("sendmessage:{chat}"), count, fault);
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.shared.book().sent.clone()
    }

    pub fn sent_to(&self, chat: i64) -> Vec<Sent> {
        self.shared
            .book()
            .sent
            .iter()
            .filter(|sent| sent.chat == chat)
            .cloned()
            .collect()
    }

    pub fn calls(&self, method: &str) -> Vec<Call> {
        let method = method.to_lowercase();
        self.shared
            .book()
            .calls
            .iter()
            .filter(|call| call.method == method)
            .cloned()
            .collect()
    }

    /// The highest update id the bot has taken.
    pub fn taken(&self) -> i64 {
        self.shared.book().taken
    }

    pub fn webhook(&self) -> Option<(String, Option<String>)> {
        self.shared.book().webhook.clone()
    }

    /// Waits until `check` finds what it looks for; panics after `within`.
    pub async fn wait_for<T>(
        &self,
        what: &str,
        within: Duration,
        check: impl Fn(&FakeTelegram) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(found) = check(self) {
                return found;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                if let Some(found) = check(self) {
                    return found;
                }
                panic!(
                    "timed out waiting for {what}; sent so far:\n{:#?}",
                    self.sent()
                        .iter()
                        .map(|s| (s.chat, s.text.chars().take(120).collect::<String>()))
                        .collect::<Vec<_>>()
                );
            }
        }
    }

    /// Waits until `chat` has received `count` messages; returns them all.
    pub async fn wait_for_messages(&self, chat: i64, count: usize, within: Duration) -> Vec<Sent> {
        let mut counter = self.shared.chat_counter(chat).subscribe();
        let reached = tokio::time::timeout(within, counter.wait_for(|&n| n >= count)).await;
        if reached.is_err() {
            panic!(
                "chat {chat}: expected {count} messages within {within:?}, got {:#?}",
                self.sent_to(chat)
                    .iter()
                    .map(|s| s.text.chars().take(120).collect::<String>())
                    .collect::<Vec<_>>()
            );
        }
        self.sent_to(chat)
    }
}

/// The update for `from` writing `text` in their private chat with the bot.
pub fn private_update(update_id: i64, message_id: i64, from: &Person, text: &str) -> Value {
    json!({"update_id": update_id, "message": {
        "message_id": message_id, "date": now(), "chat": chat_json(from.id),
        "from": from.json(), "text": text,
    }})
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn chat_json(id: i64) -> Value {
    if id > 0 {
        json!({"id": id, "type": "private", "first_name": "Patient"})
    } else if id < -1_000_000_000_000 {
        json!({"id": id, "type": "supergroup", "title": "A supergroup"})
    } else {
        json!({"id": id, "type": "group", "title": "A group"})
    }
}

fn bot_json() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "Carebot", "username": BOT_USERNAME})
}

fn sent_json(sent: &Sent) -> Value {
    let mut message = json!({
        "message_id": sent.message_id, "date": now(), "chat": chat_json(sent.chat),
        "from": bot_json(), "text": sent.text,
    });
    if !sent.buttons.is_empty() {
        let rows: Vec<Vec<Value>> = sent
            .buttons
            .iter()
            .map(|row| {
                row.iter()
                    .map(|(label, data)| json!({"text": label, "callback_data": data}))
                    .collect()
            })
            .collect();
        message["reply_markup"] = json!({"inline_keyboard": rows});
    }
    message
}

/// What a misconfigured proxy in front of the API answers. (Not a 5xx
/// status: teloxide sleeps 10 s on those before returning.)
fn proxy_error_page() -> Response {
    (StatusCode::OK, "<html><body>502 Bad Gateway</body></html>").into_response()
}

fn ok(result: Value) -> Response {
    Json(json!({"ok": true, "result": result})).into_response()
}

fn refuse(status: StatusCode, description: &str) -> Response {
    let body = json!({"ok": false, "error_code": status.as_u16(), "description": description});
    (status, Json(body)).into_response()
}

async fn api(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return refuse(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let method = method.to_lowercase();
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let body: Value = if body.is_empty() {
        json!({})
    } else if let Some(boundary) = content_type.split("boundary=").nth(1) {
        multipart(&body, boundary)
    } else {
        match serde_json::from_slice(&body) {
            Ok(body) => body,
            Err(_) => return refuse(StatusCode::BAD_REQUEST, "Bad Request: invalid JSON"),
        }
    };
    let fault = {
        let mut book = shared.book();
        book.calls.push(Call {
            method: method.clone(),
            body: body.clone(),
        });
        let for_chat = format!("{method}:{}", body["chat_id"]);
        match book.faults.get_mut(&for_chat).and_then(VecDeque::pop_front) {
            Some(fault) => fault,
            None => book
                .faults
                .get_mut(&method)
                .and_then(VecDeque::pop_front)
                .flatten(),
        }
    };
    shared.changed.notify_waiters();
    match fault {
        Some(Fault::TooManyRequests(seconds)) => {
            let body = json!({"ok": false, "error_code": 429,
                "description": format!("Too Many Requests: retry after {seconds}"),
                "parameters": {"retry_after": seconds}});
            return (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
        }
        Some(Fault::ServerError) => {
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        Some(Fault::Hang(duration)) => {
            tokio::time::sleep(duration).await;
            return proxy_error_page();
        }
        Some(Fault::Garbage) => return proxy_error_page(),
        None => {}
    }
    let response = match method.as_str() {
        "getme" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "Carebot", "username": BOT_USERNAME,
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "has_main_web_app": false,
        })),
        "getupdates" => get_updates(&shared, &body).await,
        "sendmessage" => send_message(&shared, &body),
        "answercallbackquery" | "setmycommands" | "deletemycommands" => ok(json!(true)),
        "editmessagereplymarkup" => edit_reply_markup(&shared, &body),
        "getwebhookinfo" => {
            let url = shared
                .book()
                .webhook
                .clone()
                .map(|w| w.0)
                .unwrap_or_default();
            ok(json!({"url": url, "has_custom_certificate": false, "pending_update_count": 0}))
        }
        "setwebhook" => {
            let url = body["url"].as_str().unwrap_or_default().to_string();
            let secret = body["secret_token"].as_str().map(str::to_string);
            shared.book().webhook = Some((url, secret));
            ok(json!(true))
        }
        "deletewebhook" => {
            shared.book().webhook = None;
            ok(json!(true))
        }
        _ => refuse(StatusCode::NOT_FOUND, "Not Found: method not found"),
    };
    shared.changed.notify_waiters();
    response
}

/// A multipart/form-data body (teloxide sends setWebhook so) as JSON fields.
fn multipart(body: &[u8], boundary: &str) -> Value {
    let body = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in body.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        else {
            continue;
        };
        let value = value.trim_end_matches("\r\n");
        let value = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
        fields.insert(name.to_string(), value);
    }
    Value::Object(fields)
}

async fn get_updates(shared: &Shared, body: &Value) -> Response {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let limit = body["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0));
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let queued = shared.updates_queued.notified();
        tokio::pin!(queued);
        queued.as_mut().enable();
        {
            let mut book = shared.book();
            // An offset confirms every update before it.
            if offset > 0 {
                while book.updates.front().is_some_and(|(id, _)| *id < offset) {
                    book.updates.pop_front();
                }
            }
            let batch: Vec<(i64, Value)> = book
                .updates
                .iter()
                .filter(|(id, _)| *id >= offset)
                .take(limit)
                .cloned()
                .collect();
            if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                if let Some((last, _)) = batch.last() {
                    book.taken = book.taken.max(*last);
                }
                let updates: Vec<Value> = batch.into_iter().map(|(_, update)| update).collect();
                return ok(Value::Array(updates));
            }
        }
        let _ = tokio::time::timeout_at(deadline, queued).await;
    }
}

fn send_message(shared: &Shared, body: &Value) -> Response {
    let Some(chat) = body["chat_id"].as_i64() else {
        return refuse(StatusCode::BAD_REQUEST, "Bad Request: chat not found");
    };
    let raw = body["text"].as_str().unwrap_or_default().to_string();
    let parse_mode = body["parse_mode"].as_str().map(str::to_string);
    let text = match parse_mode.as_deref() {
        None => raw.clone(),
        Some("HTML") => match visible_html(&raw) {
            Ok(text) => text,
            Err(why) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    &format!("Bad Request: can't parse entities: {why}"),
                )
            }
        },
        Some(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Bad Request: unsupported parse_mode",
            )
        }
    };
    if text.trim().is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Bad Request: message text is empty",
        );
    }
    if text.chars().map(char::len_utf16).sum::<usize>() > 4096 {
        return refuse(StatusCode::BAD_REQUEST, "Bad Request: message is too long");
    }
    let buttons = buttons(&body["reply_markup"]);
    let sent = {
        let mut book = shared.book();
        if book.never_started.contains(&chat) {
            return refuse(
                StatusCode::FORBIDDEN,
                "Forbidden: bot can't initiate conversation with a user",
            );
        }
        let message_id = book.next_message;
        book.next_message += 1;
        let sent = Sent {
            message_id,
            chat,
            raw,
            text,
            parse_mode,
            buttons,
            at: Instant::now(),
        };
        book.sent.push(sent.clone());
        sent
    };
    shared.chat_counter(chat).send_modify(|count| *count += 1);
    ok(sent_json(&sent))
}

fn buttons(markup: &Value) -> Vec<Vec<(String, String)>> {
    let Some(rows) = markup["inline_keyboard"].as_array() else {
        return Vec::new();
    };
    rows.iter()
        .map(|row| {
            row.as_array()
                .into_iter()
                .flatten()
                .map(|button| {
                    let label = button["text"].as_str().unwrap_or_default().to_string();
                    let data = button["callback_data"]
                        .as_str()
                        .or(button["url"].as_str())
                        .unwrap_or_default()
                        .to_string();
                    (label, data)
                })
                .collect()
        })
        .collect()
}

fn edit_reply_markup(shared: &Shared, body: &Value) -> Response {
    let chat = body["chat_id"].as_i64();
    let message_id = body["message_id"].as_i64();
    let mut book = shared.book();
    let Some(sent) = book
        .sent
        .iter_mut()
        .find(|sent| Some(sent.chat) == chat && Some(sent.message_id) == message_id)
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Bad Request: message to edit not found",
        );
    };
    sent.buttons = buttons(&body["reply_markup"]);
    ok(sent_json(sent))
}

/// The text Telegram shows for `html`, or why Telegram would refuse it.
pub fn visible_html(html: &str) -> Result<String, String> {
    const TAGS: [&str; 14] = [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-spoiler",
    ];
    let mut shown = String::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest.find('>').ok_or("unclosed start tag")?;
                let tag = &rest[1..end];
                rest = &rest[end + 1..];
                if let Some(name) = tag.strip_prefix('/') {
                    match open.pop() {
                        Some(opened) if opened == name => {}
                        _ => return Err(format!("unmatched end tag </{name}>")),
                    }
                } else {
                    let name = tag.split_whitespace().next().unwrap_or_default();
                    if !TAGS.contains(&name) {
                        return Err(format!("unsupported start tag \"{name}\""));
                    }
                    if name == "a" && !tag.contains("href=\"") {
                        return Err("a link without href".to_string());
                    }
                    open.push(name.to_string());
                }
            }
            '&' => {
                let end = rest
                    .find(';')
                    .filter(|&end| end <= 10)
                    .ok_or("unescaped &")?;
                let entity = &rest[1..end];
                let decoded = match entity {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "quot" => '"',
                    _ => entity
                        .strip_prefix('#')
                        .and_then(|n| n.parse::<u32>().ok())
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("unsupported entity &{entity};"))?,
                };
                shown.push(decoded);
                rest = &rest[end + 1..];
            }
            '>' => return Err("unescaped >".to_string()),
            c => {
                shown.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if let Some(name) = open.pop() {
        return Err(format!("unclosed tag <{name}>"));
    }
    Ok(shown)
}

#[test]
fn the_fake_reads_html_as_telegram_does() {
    assert_eq!(
        visible_html("<b>a</b> &lt;b&gt; <a href=\"https://x\">y</a>").unwrap(),
        "a <b> y"
    );
    assert!(visible_html("a < b").is_err());
    assert!(visible_html("<b>a").is_err());
    assert!(visible_html("<p>a</p>").is_err());
    assert!(visible_html("fish & chips").is_err());
    assert!(visible_html("<b><i>x</b></i>").is_err());
}
