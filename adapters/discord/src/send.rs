//! Sending to Discord over REST: finding the channel for an address (opening
//! a DM when needed), posting a rendered part, and saying why a send failed
//! without the URL (interaction URLs carry secrets) or the message text.
//!
//! Rate limits are waited out below this, in [`crate::rest`]. A direct reply
//! that still fails (Discord's 5xx, the network) is retried with the same
//! back-off as Telegram's replies; if Discord is still failing after that,
//! the gateway hands the reply to the core's durable outbox.

use std::time::Duration;

use carebot_chat::{Address, Backoff};
use serenity::all::{
    ButtonStyle, ChannelId, CreateActionRow, CreateButton, CreateMessage, HttpError, LightMethod,
    PrivateChannel, Request, RoleId, Route, UserId,
};

use crate::address::Target;
use crate::components::mentions;
use crate::connection::Connection;
use crate::render::Part;

/// Why a send failed, for the log and the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendError {
    /// Worth trying again soon: rate limited, Discord's own failure, the network.
    pub transient: bool,
    /// The HTTP status, when Discord answered.
    pub status: Option<u16>,
    pub reason: String,
}

/// Attempts for a direct reply before it goes to the outbox (outbox
/// messages are retried by the outbox), and the waits between them: 7.5 s in
/// all, as Telegram's adapter retries its replies.
const DIRECT_ATTEMPTS: u32 = 5;
const DIRECT_BACKOFF: Backoff = Backoff {
    first: Duration::from_millis(500),
    max: Duration::from_secs(30),
};

/// A serenity error in words: status and Discord's own message, nothing else.
pub(crate) fn describe(error: &serenity::Error) -> SendError {
    match error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
            let status = response.status_code.as_u16();
            let what = match status {
                429 => "rate limited".to_string(),
                500..=599 => "Discord failed".to_string(),
                _ => format!("{} (code {})", response.error.message, response.error.code),
            };
            SendError {
                transient: status == 429 || status >= 500,
                status: Some(status),
                reason: format!("Discord answered {status}: {what}"),
            }
        }
        serenity::Error::Http(HttpError::Request(request)) => SendError {
            transient: true,
            status: None,
            reason: if request.is_timeout() {
                "Discord did not answer in time".to_string()
            } else if request.is_connect() {
                "cannot connect to Discord".to_string()
            } else {
                "the request to Discord failed".to_string()
            },
        },
        serenity::Error::Json(_) => SendError {
            transient: true,
            status: None,
            reason: "Discord's answer could not be read".to_string(),
        },
        _ => SendError {
            transient: false,
            status: None,
            reason: "serenity refused the request".to_string(),
        },
    }
}

/// The body of `POST /users/@me/channels`.
#[derive(serde::Serialize)]
struct OpenDm {
    recipient_id: UserId,
}

/// A request body as serenity would send it.
fn json_body(value: &impl serde::Serialize) -> Result<Vec<u8>, SendError> {
    serenity::json::to_vec(value).map_err(|error| describe(&error))
}

/// Buttons as Discord components.
pub(crate) fn components(part: &Part) -> Vec<CreateActionRow> {
    part.rows
        .iter()
        .map(|row| {
            CreateActionRow::Buttons(
                row.iter()
                    .map(|button| {
                        CreateButton::new(button.custom_id.clone())
                            .label(button.label.clone())
                            .style(if button.primary {
                                ButtonStyle::Primary
                            } else {
                                ButtonStyle::Secondary
                            })
                    })
                    .collect(),
            )
        })
        .collect()
}

impl Connection {
    /// The channel that reaches `address`; a person's DM channel is opened
    /// once and remembered.
    pub(crate) async fn channel_of(&self, address: &Address) -> Result<ChannelId, SendError> {
        let target = Target::of(address).ok_or_else(|| SendError {
            transient: false,
            status: None,
            reason: format!("{address} is not a Discord address"),
        })?;
        let user = match target {
            Target::Channel(channel) => return Ok(channel),
            Target::User(user) => user,
        };
        if let Some(channel) = self.dm_channel(user) {
            return Ok(channel);
        }
        let request = Request::new(Route::UserMeDmChannels, LightMethod::Post)
            .body(Some(json_body(&OpenDm { recipient_id: user })?));
        let channel: PrivateChannel = self.answer_of(request).await?;
        self.remember_dm(user, channel.id);
        Ok(channel.id)
    }

    /// Posts one part to `channel`.
    pub(crate) async fn post(
        &self,
        channel: ChannelId,
        part: &Part,
        role: Option<RoleId>,
    ) -> Result<(), SendError> {
        let message = CreateMessage::new()
            .content(part.content.clone())
            .components(components(part))
            .allowed_mentions(mentions(role));
        let request = Request::new(
            Route::ChannelMessages {
                channel_id: channel,
            },
            LightMethod::Post,
        )
        .body(Some(json_body(&message)?));
        self.rest
            .request(request)
            .await
            .map(|_| ())
            .map_err(|error| describe(&error))
    }

    /// Sends `request` and reads Discord's answer as a `T`.
    async fn answer_of<T: serde::de::DeserializeOwned>(
        &self,
        request: Request<'_>,
    ) -> Result<T, SendError> {
        let read = |error: serenity::Error| describe(&error);
        let response = self.rest.request(request).await.map_err(read)?;
        let bytes = response
            .bytes()
            .await
            .map_err(|error| read(serenity::Error::from(error)))?;
        serenity::json::from_slice(&bytes).map_err(read)
    }

    /// Posts a direct reply, retrying a transient failure with back-off; an
    /// error that is still transient after that is for the outbox.
    pub(crate) async fn post_direct(
        &self,
        channel: ChannelId,
        part: &Part,
    ) -> Result<(), SendError> {
        let mut failures = 0;
        loop {
            match self.post(channel, part, None).await {
                Err(error) if error.transient && failures + 1 < DIRECT_ATTEMPTS => {
                    failures += 1;
                    tracing::info!(reason = %error.reason, failures, "sending a reply failed; will retry");
                    tokio::time::sleep(DIRECT_BACKOFF.wait(failures)).await;
                }
                result => return result,
            }
        }
    }
}
