//! Sending one reply: render it, send each part in its turn under the rate
//! limits, and decide what each failure means. A 429 is waited out; a 5xx, a
//! timeout or a broken connection is retried with back-off; a refusal
//! (blocked, never started, chat gone) is final. If Telegram ever refuses the
//! formatting, the same words go again as plain text: a reply is never lost
//! to a stray `<` or `_`.

use std::time::Duration;

use carebot_chat::{Outbound, Priority, Reply};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, LinkPreviewOptions, ParseMode};
use teloxide::{ApiError, RequestError};

use teloxide::payloads::SendMessage;

use crate::keyboard::keyboard;
use crate::render::{render, Chunk};
use crate::request::send_message;
use crate::Inner;

/// Why a reply did not reach its chat. The reasons are Telegram's, never the
/// message's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Telegram will not let the bot write there: the user never started a
    /// chat with the bot, blocked it, or the bot left the group.
    #[error("Telegram does not let the bot write to this chat: {0}")]
    NotAllowed(String),
    /// Any other refusal (chat not found, bad request): retrying won't help.
    #[error("Telegram refused the message: {0}")]
    Refused(String),
    /// Still failing after the retries (5xx, timeouts, repeated 429s).
    #[error("Telegram did not accept the message after retrying: {0}")]
    GaveUp(String),
}

/// What a failed request means for the next step.
#[derive(Debug, PartialEq)]
enum Failure {
    Wait(Duration),
    Migrated(ChatId),
    Formatting,
    Transient,
    NotAllowed,
    Refused,
}

fn classify(error: &RequestError) -> Failure {
    match error {
        RequestError::RetryAfter(seconds) => Failure::Wait(seconds.duration()),
        RequestError::MigrateToChatId(to) => Failure::Migrated(*to),
        // Timeouts and broken connections; an unreadable answer is a proxy's
        // error page (502/504) more often than not.
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            Failure::Transient
        }
        RequestError::Api(api) => match api {
            ApiError::CantParseEntities(_) => Failure::Formatting,
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots => Failure::NotAllowed,
            ApiError::Unknown(text) if text.starts_with("Forbidden") => Failure::NotAllowed,
            // Telegram's own 5xx answers ("Internal Server Error") are not
            // refusals of this message: 4xx descriptions all say what was wrong.
            ApiError::Unknown(text)
                if !["Bad Request", "Unauthorized", "Not Found", "Conflict"]
                    .iter()
                    .any(|prefix| text.starts_with(prefix)) =>
            {
                Failure::Transient
            }
            _ => Failure::Refused,
        },
    }
}

impl Inner {
    /// Sends a direct reply to `chat`: each part in order, the buttons under
    /// the last, an emergency's advice ahead of other chats' replies.
    pub(crate) async fn send_reply(&self, chat: ChatId, reply: &Reply) -> Result<(), SendError> {
        let markup = keyboard(&reply.buttons, &self.callbacks);
        self.send_markdown(chat, &reply.text, markup, Priority::of_reply(reply))
            .await
    }

    /// Sends an outbox message: as [`Inner::send_reply`], at the message's
    /// priority, and after a failure halfway a retry sends only the parts
    /// Telegram has not taken yet.
    pub(crate) async fn send_outbound(
        &self,
        message: &Outbound,
        chat: ChatId,
    ) -> Result<(), SendError> {
        let markup = keyboard(&message.reply.buttons, &self.callbacks);
        let chunks = chunks(&message.reply.text, &markup);
        let parts = with_markup_last(&chunks, &markup);
        // A group that became a supergroup stays followed for the parts after.
        let chat = std::sync::Mutex::new(chat);
        let priority = message.priority();
        self.sent_parts
            .send_remaining(message.id, &parts, |(chunk, markup)| {
                let chat = &chat;
                async move {
                    let mut to = *chat.lock().unwrap_or_else(|p| p.into_inner());
                    let sent = self
                        .send_chunk(&mut to, chunk, markup.clone(), priority)
                        .await;
                    *chat.lock().unwrap_or_else(|p| p.into_inner()) = to;
                    sent
                }
            })
            .await
    }

    /// Sends Markdown `text` to `chat`, `markup` under the last part.
    pub(crate) async fn send_text(
        &self,
        chat: ChatId,
        text: &str,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<(), SendError> {
        self.send_markdown(chat, text, markup, Priority::Reply)
            .await
    }

    async fn send_markdown(
        &self,
        chat: ChatId,
        text: &str,
        markup: Option<InlineKeyboardMarkup>,
        priority: Priority,
    ) -> Result<(), SendError> {
        let chunks = chunks(text, &markup);
        let mut chat = chat;
        for (chunk, markup) in with_markup_last(&chunks, &markup) {
            self.send_chunk(&mut chat, chunk, markup, priority).await?;
        }
        Ok(())
    }

    /// Sends one message, retrying as its failures allow. `chat` follows a
    /// group that became a supergroup.
    async fn send_chunk(
        &self,
        chat: &mut ChatId,
        chunk: &Chunk,
        markup: Option<InlineKeyboardMarkup>,
        priority: Priority,
    ) -> Result<(), SendError> {
        let retry = self.tuning.retry;
        let mut html = true;
        let mut migrated = false;
        let mut failures = 0;
        let mut waits = 0;
        loop {
            self.limiter.acquire(chat.0, priority).await;
            let text = if html { &chunk.html } else { &chunk.plain };
            let mut payload = SendMessage::new(*chat, text);
            payload.link_preview_options = Some(no_preview());
            payload.parse_mode = html.then_some(ParseMode::Html);
            payload.reply_markup = markup.clone().map(Into::into);
            // Not through teloxide: it would sleep 10 s after a 5xx (request.rs).
            let error = match send_message(&self.bot, &payload).await {
                Ok(()) => {
                    self.reached(true);
                    return Ok(());
                }
                Err(error) => error,
            };
            let reason = self.describe(&error);
            match classify(&error) {
                Failure::Wait(wait) => {
                    self.reached(true);
                    waits += 1;
                    if waits > retry.max_waits {
                        return Err(SendError::GaveUp(reason));
                    }
                    tracing::info!(
                        wait_ms = wait.as_millis() as u64,
                        "Telegram asked to slow down; waiting"
                    );
                    self.limiter.hold(chat.0, wait);
                }
                Failure::Migrated(to) if !migrated => {
                    tracing::warn!(
                        from = chat.0,
                        to = to.0,
                        "the group became a supergroup: sending there instead; update the clinician group setting to telegram:{}",
                        to.0
                    );
                    migrated = true;
                    *chat = to;
                }
                Failure::Formatting if html => {
                    tracing::warn!(%reason, "Telegram refused the formatting; sending plain text");
                    html = false;
                }
                Failure::Transient => {
                    self.reached(false);
                    failures += 1;
                    if failures >= retry.attempts {
                        return Err(SendError::GaveUp(reason));
                    }
                    tracing::info!(%reason, failures, "sending failed; will retry");
                    tokio::time::sleep(retry.wait(failures)).await;
                }
                Failure::NotAllowed => {
                    self.reached(true);
                    return Err(SendError::NotAllowed(reason));
                }
                Failure::Migrated(_) | Failure::Formatting | Failure::Refused => {
                    self.reached(true);
                    return Err(SendError::Refused(reason));
                }
            }
        }
    }

    /// A best-effort call that only tidies up (answering a button tap,
    /// removing a used keyboard): failures are logged, never retried.
    pub(crate) async fn tidy<T>(
        &self,
        what: &'static str,
        request: impl std::future::IntoFuture<Output = Result<T, RequestError>>,
    ) {
        match request.await {
            Ok(_) => self.reached(true),
            Err(error) => {
                self.reached(!matches!(classify(&error), Failure::Transient));
                tracing::debug!(reason = %self.describe(&error), what, "Telegram refused a tidying call");
            }
        }
    }
}

/// `text` rendered as Telegram messages; a keyboard with no text still needs
/// one (Telegram sends no keyboard without text).
fn chunks(text: &str, markup: &Option<InlineKeyboardMarkup>) -> Vec<Chunk> {
    let mut chunks = render(text);
    if chunks.is_empty() && markup.is_some() {
        chunks.push(Chunk {
            html: "…".to_string(),
            plain: "…".to_string(),
        });
    }
    chunks
}

/// Each chunk with the keyboard it carries: only the last has one.
fn with_markup_last<'a>(
    chunks: &'a [Chunk],
    markup: &Option<InlineKeyboardMarkup>,
) -> Vec<(&'a Chunk, Option<InlineKeyboardMarkup>)> {
    let last = chunks.len().saturating_sub(1);
    chunks
        .iter()
        .enumerate()
        .map(|(index, chunk)| (chunk, if index == last { markup.clone() } else { None }))
        .collect()
}

fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_told_apart() {
        let api = |text: &str| RequestError::Api(ApiError::Unknown(text.to_string()));
        assert_eq!(
            classify(&RequestError::RetryAfter(
                teloxide::types::Seconds::from_seconds(3)
            )),
            Failure::Wait(Duration::from_secs(3))
        );
        assert_eq!(classify(&api("Internal Server Error")), Failure::Transient);
        assert_eq!(classify(&api("Bad Gateway")), Failure::Transient);
        assert_eq!(
            classify(&api(
                "Forbidden: bot can't initiate conversation with a user"
            )),
            Failure::NotAllowed
        );
        assert_eq!(
            classify(&RequestError::Api(ApiError::BotBlocked)),
            Failure::NotAllowed
        );
        assert_eq!(
            classify(&RequestError::Api(ApiError::ChatNotFound)),
            Failure::Refused
        );
        assert_eq!(
            classify(&api("Bad Request: something new")),
            Failure::Refused
        );
        assert_eq!(
            classify(&RequestError::Api(ApiError::CantParseEntities(
                "Bad Request: can't parse entities: oops".into()
            ))),
            Failure::Formatting
        );
    }
}
