//! `sendMessage` without teloxide's pause: teloxide sleeps 10 s after every
//! 5xx answer before it even returns the error (`DELAY_ON_SERVER_ERROR` in
//! teloxide-core's `net/request.rs`, with no setting), so a reply during a
//! Telegram hiccup would wait 10 s before `send.rs` could retry it after its
//! own short back-off. This posts teloxide's own payload with teloxide's own
//! HTTP client and reads the answer as teloxide does, minus the sleep.

use std::sync::Arc;

use serde::Deserialize;
use teloxide::payloads::SendMessage;
use teloxide::types::ResponseParameters;
use teloxide::{ApiError, RequestError};

/// Telegram's answer, as far as a send needs it.
#[derive(Deserialize)]
struct Answer {
    ok: bool,
    description: Option<ApiError>,
    parameters: Option<ResponseParameters>,
}

/// Sends `payload` with `bot`'s client, token and API URL.
pub(crate) async fn send_message(
    bot: &teloxide::Bot,
    payload: &SendMessage,
) -> Result<(), RequestError> {
    let mut url = bot.api_url();
    url.path_segments_mut()
        .map_err(|()| {
            RequestError::Io(Arc::new(std::io::Error::other(
                "the API URL cannot take a path",
            )))
        })?
        .push(&format!("bot{}", bot.token()))
        .push("sendMessage");
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
    let answer: Answer =
        serde_json::from_str(&text).map_err(|error| RequestError::InvalidJson {
            source: Arc::new(error),
            raw: text.clone().into(),
        })?;
    match answer {
        Answer { ok: true, .. } => Ok(()),
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
