//! Sending to Discord over REST: finding the channel for an address (opening
//! a DM when needed), posting a rendered part, and saying why a send failed
//! without the URL (interaction URLs carry secrets) or the message text.

use std::time::Duration;

use carebot_chat::Address;
use serenity::all::{
    ButtonStyle, ChannelId, CreateActionRow, CreateAllowedMentions, CreateButton, CreateMessage,
    HttpError, RoleId,
};

use crate::address::Target;
use crate::discord::Discord;
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

/// Attempts for a direct reply (outbox messages are retried by the outbox).
const DIRECT_ATTEMPTS: u32 = 3;
const DIRECT_RETRY: Duration = Duration::from_millis(500);

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

/// Nobody is pinged by what the bot relays, except the clinician role by a
/// case notification.
pub(crate) fn mentions(role: Option<RoleId>) -> CreateAllowedMentions {
    let none = CreateAllowedMentions::new()
        .empty_users()
        .empty_roles()
        .everyone(false)
        .replied_user(false);
    match role {
        Some(role) => none.roles([role]),
        None => none,
    }
}

impl Discord {
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
        if let Some(channel) = self.inner.dm_channel(user) {
            return Ok(channel);
        }
        let channel = user
            .create_dm_channel(&self.inner.http)
            .await
            .map_err(|error| describe(&error))?;
        self.inner.remember_dm(user, channel.id);
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
        channel
            .send_message(&self.inner.http, message)
            .await
            .map(|_| ())
            .map_err(|error| describe(&error))
    }

    /// Posts a direct reply, retrying a transient failure a couple of times:
    /// unlike outbox messages, nothing else would send it again.
    pub(crate) async fn post_direct(
        &self,
        channel: ChannelId,
        part: &Part,
    ) -> Result<(), SendError> {
        let mut attempt = 1;
        loop {
            match self.post(channel, part, None).await {
                Err(error) if error.transient && attempt < DIRECT_ATTEMPTS => {
                    tokio::time::sleep(DIRECT_RETRY * attempt).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }
}
