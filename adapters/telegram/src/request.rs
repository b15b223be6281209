//! Bot API calls without teloxide's pause: teloxide sleeps 10 s after every
//! 5xx answer before it even returns the error (`DELAY_ON_SERVER_ERROR` in
//! teloxide-core's `net/request.rs`, with no setting), so a reply during a
//! Telegram hiccup would wait 10 s before `send.rs` could retry it after its
//! own short back-off, and a patient's message would reach carebot 10 s late
//! after a failed `getUpdates`. These post teloxide's own payloads with
//! teloxide's own HTTP client and read the answer as teloxide does, minus
//! the sleep.

use std::sync::Arc;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use teloxide::payloads::{GetUpdates, SendMessage};
use teloxide::types::{ResponseParameters, Update};
use teloxide::{ApiError, RequestError};

/// Telegram's answer.
#[derive(Deserialize)]
struct Answer<T> {
    ok: bool,
    result: Option<T>,
    description: Option<ApiError>,
    parameters: Option<ResponseParameters>,
}

/// Sends `payload` with `bot`'s client, token and API URL.
pub(crate) async fn send_message(
    bot: &teloxide::Bot,
    payload: &SendMessage,
) -> Result<(), RequestError> {
    call::<IgnoredAny>(bot, "sendMessage", payload)
        .await
        .map(|_| ())
}

/// Long-polls for updates (the client's timeout is longer than the poll's;
/// see `Tuning::request_timeout`).
pub(crate) async fn get_updates(
    bot: &teloxide::Bot,
    payload: &GetUpdates,
) -> Result<Vec<Update>, RequestError> {
    call(bot, "getUpdates", payload).await
}

/// Posts `payload` to Bot API method `method` and reads its result.
async fn call<T: DeserializeOwned>(
    bot: &teloxide::Bot,
    method: &str,
    payload: &impl Serialize,
) -> Result<T, RequestError> {
    let mut url = bot.api_url();
    url.path_segments_mut()
        .map_err(|()| {
            RequestError::Io(Arc::new(std::io::Error::other(
                "the API URL cannot take a path",
            )))
        })?
        .push(&format!("bot{}", bot.token()))
        .push(method);
    let body =
        serde_json::to_vec(payload).map_err(|error| RequestError::Io(Arc::new(error.into())))?;
    let response = bot
        .client()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|error| RequestError::Network(Arc::new(error)))?;
    let text = response
        .text()
        .await
        .map_err(|error| RequestError::Network(Arc::new(error)))?;
    let answer: Answer<T> =
        serde_json::from_str(&text).map_err(|error| RequestError::InvalidJson {
            source: Arc::new(error),
            raw: text.clone().into(),
        })?;
    match answer {
        Answer {
            ok: true,
            result: Some(result),
            ..
        } => Ok(result),
        Answer {
            parameters: Some(ResponseParameters::RetryAfter(seconds)),
            ..
        } => Err(RequestError::RetryAfter(seconds)),
        Answer {
            parameters: Some(ResponseParameters::MigrateToChatId(to)),
            ..
        } => Err(RequestError::MigrateToChatId(to)),
        Answer {
            description: Some(error),
            ..
        } => Err(RequestError::Api(error)),
        Answer { .. } => Err(RequestError::Api(ApiError::Unknown(
            "Telegram refused without saying why".to_string(),
        ))),
    }
}
