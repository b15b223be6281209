//! The gateway side: serenity's client and shard runner keep the websocket
//! open (heartbeats, resuming after a drop, re-identifying when a session is
//! lost); this module turns what arrives into calls to the [`Bot`] and sends
//! the answers.
//!
//! | event | becomes |
//! |---|---|
//! | MESSAGE_CREATE | text routed by [`crate::route`] |
//! | INTERACTION_CREATE, a button | acknowledged, then the button's text, routed like a message; a "Reply"/"Resolve" button opens a form instead |
//! | INTERACTION_CREATE, a form | acknowledged, then `<command> <answer>` |
//! | INTERACTION_CREATE, a slash command | deferred ("thinking…"), then its text; answers for the same chat replace the "thinking" message |
//! | READY | slash commands registered (`/ask`, `/agent`, `/forget`, `/mydata`, `/help`) |
//!
//! Intents: direct messages and server messages, plus message content only
//! when the practice enables it (it is privileged; without it Discord still
//! gives the bot the text of DMs and of messages that mention it).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use carebot_chat::{Address, Backoff, Bot, BotError, Delivery, Inbound, Reply};
use serenity::all::{
    ActionRowComponent, ApplicationId, ChannelId, ClientBuilder, Command, CommandInteraction,
    CommandOptionType, ComponentInteraction, ConnectionStage, Context, CreateActionRow,
    CreateCommand, CreateCommandOption, CreateInputText, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateModal,
    EditInteractionResponse, EventHandler, GatewayError, GatewayIntents, InputTextStyle,
    Interaction, Member, Message, ModalInteraction, Ready, ResumedEvent, RoleId,
    ShardStageUpdateEvent, User,
};

use crate::components::{form_for, form_text, mentions, Clicked, FORM_FIELD};
use crate::connection::Connection;
use crate::render::render;
use crate::rest::http_client;
use crate::route::Origin;
use crate::send::{components, describe};
use crate::DiscordError;

/// How long to wait before reaching the gateway again: 2 s after the first
/// failure, doubling, at most a minute.
const RECONNECT: Backoff = Backoff {
    first: Duration::from_secs(2),
    max: Duration::from_secs(60),
};

/// The gateway intents for `message_content`.
pub(crate) fn intents(message_content: bool) -> GatewayIntents {
    let mut intents = GatewayIntents::DIRECT_MESSAGES | GatewayIntents::GUILD_MESSAGES;
    if message_content {
        intents |= GatewayIntents::MESSAGE_CONTENT;
    }
    intents
}

/// See [`crate::Discord::run`].
pub(crate) async fn run(
    discord: Arc<Connection>,
    bot: Arc<dyn Bot>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DiscordError> {
    let settings = &discord.settings;
    tokio::pin!(shutdown);
    let mut reconnects = Reconnects::default();
    loop {
        let sessions_before = discord.sessions();
        let handler = Handler {
            discord: discord.clone(),
            bot: bot.clone(),
        };
        let http = http_client(settings)?;
        let started = tokio::select! {
            () = &mut shutdown => return Ok(()),
            client = ClientBuilder::new_with_http(http, intents(settings.message_content))
                .event_handler(handler) => client,
        };
        let outcome = match started {
            Ok(mut client) => {
                if let Some(url) = &settings.gateway_url {
                    *client.ws_url.lock().await = url.as_str().trim_end_matches('/').to_string();
                }
                let shards = client.shard_manager.clone();
                tokio::select! {
                    () = &mut shutdown => {
                        shards.shutdown_all().await;
                        discord.set_connected(false);
                        return Ok(());
                    }
                    outcome = client.start() => outcome,
                }
            }
            Err(error) => Err(error),
        };
        discord.set_connected(false);
        match outcome {
            Err(serenity::Error::Gateway(GatewayError::InvalidAuthentication)) => {
                return Err(DiscordError::TokenRejected)
            }
            Err(serenity::Error::Gateway(
                GatewayError::DisallowedGatewayIntents | GatewayError::InvalidGatewayIntents,
            )) => return Err(DiscordError::IntentsRefused),
            Err(error) => {
                tracing::warn!(reason = %gateway_reason(&error), "Discord gateway stopped; reconnecting")
            }
            Ok(()) => tracing::warn!("Discord gateway closed; reconnecting"),
        }
        let wait = reconnects.after_stop(discord.sessions() != sessions_before);
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// The back-off between gateway reconnects. It counts the failures of one
/// outage only: once a session was established, the next drop starts again
/// from the shortest wait instead of where the last outage left off.
#[derive(Debug, Default)]
struct Reconnects {
    failures: u32,
}

impl Reconnects {
    /// How long to wait after the client stopped; `had_session`: it got
    /// READY or RESUMED since it was started.
    fn after_stop(&mut self, had_session: bool) -> Duration {
        if had_session {
            self.failures = 0;
        }
        self.failures = self.failures.saturating_add(1);
        RECONNECT.wait(self.failures)
    }
}

/// A gateway error in words, without URLs.
fn gateway_reason(error: &serenity::Error) -> String {
    match error {
        serenity::Error::Gateway(error) => format!("gateway: {error}"),
        serenity::Error::Http(_) => describe(error).reason,
        serenity::Error::Tungstenite(_) => "websocket error".to_string(),
        _ => "client error".to_string(),
    }
}

/// What a patient's `/help`, or a bare mention, asks the bot.
const PATIENT_HELP: &str = "what can you do?";

/// The slash commands, registered for the application at READY.
fn slash_commands() -> Vec<CreateCommand> {
    vec![
        CreateCommand::new("ask")
            .description("Ask the practice's assistant a question")
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "question", "Your question")
                    .required(true)
                    .max_length(1500),
            ),
        CreateCommand::new("agent").description("Ask for a person from the practice team"),
        CreateCommand::new("forget")
            .description("Delete everything the assistant has stored about you"),
        CreateCommand::new("mydata").description("See what the assistant has stored about you"),
        CreateCommand::new("notices").description("Health notices from the practice"),
        CreateCommand::new("language").description("English / Español"),
        CreateCommand::new("help").description("What the assistant can do"),
    ]
}

/// What of `delivery` is still to go when its part `failed` (of `parts`, as
/// rendered from it) could not be sent: all of it, or, past the first part,
/// the parts not sent, so the outbox sends nothing twice. The outbox renders
/// the kept text again: what `render` escaped in it (`||`, `<@…>`, rare in a
/// reply) shows escaped twice, a small price against parts sent twice.
fn unsent(delivery: Delivery, parts: &[crate::render::Part], failed: usize) -> Delivery {
    if failed == 0 {
        return delivery;
    }
    let rest: Vec<&str> = parts[failed..]
        .iter()
        .map(|part| part.content.as_str())
        .collect();
    Delivery {
        reply: Reply {
            text: rest.join("\n\n"),
            ..delivery.reply
        },
        to: delivery.to,
    }
}

/// The text a slash command stands for. `/help` in the clinician channel is
/// the clinicians' help; elsewhere it is a patient asking what the bot does.
fn slash_text(command: &CommandInteraction, in_clinician_channel: bool) -> Option<String> {
    match command.data.name.as_str() {
        "ask" => command.data.options.iter().find_map(|option| {
            option
                .value
                .as_str()
                .filter(|_| option.name == "question")
                .map(str::to_string)
        }),
        "agent" => Some("/agent".to_string()),
        "forget" => Some("/forget".to_string()),
        "mydata" => Some("/mydata".to_string()),
        "notices" => Some("/notices".to_string()),
        "language" => Some("/language".to_string()),
        "help" if in_clinician_channel => Some("/help".to_string()),
        // The practice's own "about the assistant" answer.
        "help" => Some(PATIENT_HELP.to_string()),
        _ => None,
    }
}

struct Handler {
    discord: Arc<Connection>,
    bot: Arc<dyn Bot>,
}

/// How a person is named to others: server nickname, display name, user name.
fn display_name(user: &User, nick: Option<&str>) -> String {
    nick.or(user.global_name.as_deref())
        .unwrap_or(&user.name)
        .to_string()
}

impl Handler {
    /// Who wrote, and where; `nick` and `roles` come from their server membership.
    fn origin(
        &self,
        user: &User,
        nick: Option<&str>,
        roles: &[RoleId],
        channel: ChannelId,
        in_server: bool,
    ) -> Origin {
        if !in_server {
            // A DM: remember its channel, so replies need not open it again.
            self.discord.remember_dm(user.id, channel);
        }
        Origin {
            user: user.id,
            name: display_name(user, nick),
            channel,
            in_server,
            roles: roles.to_vec(),
        }
    }

    /// [`Handler::origin`] for an interaction's user and member.
    fn member_origin(
        &self,
        user: &User,
        member: Option<&Member>,
        channel: ChannelId,
        in_server: bool,
    ) -> Origin {
        self.origin(
            user,
            member.and_then(|m| m.nick.as_deref()),
            member.map_or(&[][..], |m| &m.roles[..]),
            channel,
            in_server,
        )
    }

    /// Hands `inbound` to carebot (it may write to disk: a blocking call).
    async fn ask_bot(&self, inbound: Inbound) -> Vec<Delivery> {
        let chat = inbound.chat().clone();
        let bot = self.bot.clone();
        let failure = match tokio::task::spawn_blocking(move || bot.handle(inbound)).await {
            Ok(Ok(deliveries)) => return deliveries,
            Ok(Err(error)) => error.reason,
            Err(_) => "carebot stopped while handling a message".to_string(),
        };
        tracing::error!(reason = %failure, "carebot could not handle a Discord message");
        vec![Delivery {
            to: chat,
            reply: BotError::apology(),
        }]
    }

    /// Sends `deliveries` in order. With a slash command, those for its own
    /// chat answer the command; the rest go as ordinary messages.
    async fn send(
        &self,
        deliveries: Vec<Delivery>,
        command: Option<(&CommandInteraction, &Address)>,
    ) {
        let discord = &self.discord;
        let http = &discord.rest.http;
        let mut answered = false;
        // Replies Discord would not take even after retrying, for the outbox.
        let mut for_later: Vec<Delivery> = Vec::new();
        for delivery in deliveries {
            let parts = render(&delivery.reply, &[], None, &discord.buttons);
            if let Some((interaction, chat)) = command.filter(|(_, chat)| **chat == delivery.to) {
                for part in &parts {
                    let result = if answered {
                        interaction
                            .create_followup(
                                http,
                                CreateInteractionResponseFollowup::new()
                                    .content(part.content.clone())
                                    .components(components(part))
                                    .allowed_mentions(mentions(None)),
                            )
                            .await
                            .map(|_| ())
                    } else {
                        interaction
                            .edit_response(
                                http,
                                EditInteractionResponse::new()
                                    .content(part.content.clone())
                                    .components(components(part))
                                    .allowed_mentions(mentions(None)),
                            )
                            .await
                            .map(|_| ())
                    };
                    answered = true;
                    if let Err(error) = result {
                        tracing::warn!(reason = %describe(&error).reason, to = %chat, "cannot answer a slash command");
                        break;
                    }
                }
                continue;
            }
            if for_later
                .iter()
                .any(|kept: &Delivery| kept.to == delivery.to)
            {
                // Behind a reply that waits in the outbox: keep the order.
                for_later.push(delivery);
                continue;
            }
            let channel = match discord.channel_of(&delivery.to).await {
                Ok(channel) => channel,
                Err(error) if error.transient => {
                    tracing::warn!(reason = %error.reason, to = %delivery.to, "cannot reach a Discord chat now; the reply goes to the outbox");
                    for_later.push(delivery);
                    continue;
                }
                Err(error) => {
                    tracing::warn!(reason = %error.reason, to = %delivery.to, "cannot reach a Discord chat");
                    continue;
                }
            };
            for (index, part) in parts.iter().enumerate() {
                let Err(error) = discord.post_direct(channel, part).await else {
                    continue;
                };
                if error.transient {
                    tracing::warn!(reason = %error.reason, to = %delivery.to, "Discord keeps failing; the reply goes to the outbox");
                    for_later.push(unsent(delivery, &parts, index));
                } else {
                    tracing::warn!(reason = %error.reason, to = %delivery.to, "cannot send a reply on Discord");
                }
                break;
            }
        }
        self.send_later(for_later).await;
        if let Some((interaction, _)) = command.filter(|_| !answered) {
            // Everything went elsewhere (a DM): say so rather than "thinking…" forever.
            let note = EditInteractionResponse::new()
                .content("I've answered you in a direct message.")
                .allowed_mentions(mentions(None));
            if let Err(error) = interaction.edit_response(http, note).await {
                tracing::warn!(reason = %describe(&error).reason, "cannot answer a slash command");
            }
        }
    }

    /// Hands `deliveries` to the core's durable outbox (a disk write).
    async fn send_later(&self, deliveries: Vec<Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        let count = deliveries.len();
        let bot = self.bot.clone();
        let kept = tokio::task::spawn_blocking(move || bot.send_later(deliveries)).await;
        match kept {
            Ok(Ok(())) => tracing::info!(count, "replies kept in the outbox"),
            Ok(Err(error)) => {
                tracing::error!(count, reason = %error, "replies Discord did not take could not be kept: lost")
            }
            Err(_) => tracing::error!(count, "carebot stopped while keeping replies: lost"),
        }
    }

    async fn on_component(&self, component: ComponentInteraction) {
        let http = &self.discord.rest.http;
        let clicked = self.discord.buttons.clicked(&component.data.custom_id);
        let response = match &clicked {
            Some(Clicked::Ask { command }) => {
                let (id, title, label) = form_for(command);
                let field = CreateInputText::new(InputTextStyle::Paragraph, label, FORM_FIELD)
                    .max_length(4000)
                    .required(true);
                CreateInteractionResponse::Modal(
                    CreateModal::new(id, title).components(vec![CreateActionRow::InputText(field)]),
                )
            }
            Some(Clicked::Expired) | None => CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new()
                    .content("That button has expired: please type your answer instead.")
                    .ephemeral(true),
            ),
            Some(Clicked::Send(_)) => CreateInteractionResponse::Acknowledge,
        };
        if let Err(error) = component.create_response(http, response).await {
            tracing::warn!(reason = %describe(&error).reason, "cannot acknowledge a button");
        }
        let Some(Clicked::Send(text)) = clicked else {
            return;
        };
        let origin = self.member_origin(
            &component.user,
            component.member.as_ref(),
            component.channel_id,
            component.guild_id.is_some(),
        );
        if let Some(inbound) = self.discord.router.route(&origin, &text, true) {
            let deliveries = self.ask_bot(inbound).await;
            self.send(deliveries, None).await;
        }
    }

    async fn on_form(&self, form: ModalInteraction) {
        let http = &self.discord.rest.http;
        if let Err(error) = form
            .create_response(http, CreateInteractionResponse::Acknowledge)
            .await
        {
            tracing::warn!(reason = %describe(&error).reason, "cannot acknowledge a form");
        }
        let answer = form
            .data
            .components
            .iter()
            .flat_map(|row| &row.components)
            .find_map(|component| match component {
                ActionRowComponent::InputText(input) if input.custom_id == FORM_FIELD => {
                    input.value.clone()
                }
                _ => None,
            })
            .unwrap_or_default();
        let Some(text) = form_text(&form.data.custom_id, &answer) else {
            return;
        };
        let origin = self.member_origin(
            &form.user,
            form.member.as_ref(),
            form.channel_id,
            form.guild_id.is_some(),
        );
        if let Some(inbound) = self.discord.router.route(&origin, &text, true) {
            let deliveries = self.ask_bot(inbound).await;
            self.send(deliveries, None).await;
        }
    }

    async fn on_command(&self, command: CommandInteraction) {
        let http = &self.discord.rest.http;
        let defer = CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new());
        if let Err(error) = command.create_response(http, defer).await {
            tracing::warn!(reason = %describe(&error).reason, "cannot acknowledge a slash command");
            return;
        }
        let router = &self.discord.router;
        let origin = self.member_origin(
            &command.user,
            command.member.as_deref(),
            command.channel_id,
            command.guild_id.is_some(),
        );
        let inbound = slash_text(&command, router.is_clinician_channel(command.channel_id))
            .and_then(|text| router.route(&origin, &text, true));
        let Some(inbound) = inbound else {
            let note = EditInteractionResponse::new()
                .content("This channel takes case commands only.")
                .allowed_mentions(mentions(None));
            if let Err(error) = command.edit_response(http, note).await {
                tracing::warn!(reason = %describe(&error).reason, "cannot answer a slash command");
            }
            return;
        };
        let chat = crate::route::chat_of(&origin);
        let deliveries = self.ask_bot(inbound).await;
        self.send(deliveries, Some((&command, &chat))).await;
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn message(&self, _: Context, message: Message) {
        let router = &self.discord.router;
        if message.author.bot || message.author.id == router.bot {
            return;
        }
        let (mut text, mentioned_in_text) = router.strip_mentions(&message.content);
        let mentioned = mentioned_in_text || message.mentions.iter().any(|u| u.id == router.bot);
        if mentioned && text.is_empty() && message.guild_id.is_some() {
            text = PATIENT_HELP.to_string();
        }
        let member = message.member.as_deref();
        let origin = self.origin(
            &message.author,
            member.and_then(|m| m.nick.as_deref()),
            member.map_or(&[][..], |m| &m.roles[..]),
            message.channel_id,
            message.guild_id.is_some(),
        );
        if let Some(inbound) = router.route(&origin, &text, mentioned) {
            let deliveries = self.ask_bot(inbound).await;
            self.send(deliveries, None).await;
        }
    }

    async fn interaction_create(&self, _: Context, interaction: Interaction) {
        match interaction {
            Interaction::Component(component) => self.on_component(component).await,
            Interaction::Modal(form) => self.on_form(form).await,
            Interaction::Command(command) => self.on_command(command).await,
            _ => {}
        }
    }

    async fn ready(&self, _: Context, ready: Ready) {
        self.discord.session_started();
        tracing::info!(bot = %ready.user.id, "Discord gateway ready");
        let http = &self.discord.rest.http;
        if http.application_id().is_none() {
            http.set_application_id(ApplicationId::new(ready.application.id.get()));
        }
        if let Err(error) = Command::set_global_commands(http, slash_commands()).await {
            tracing::warn!(reason = %describe(&error).reason, "cannot register the slash commands");
        }
    }

    async fn resume(&self, _: Context, _: ResumedEvent) {
        self.discord.session_started();
        tracing::info!("Discord gateway resumed");
    }

    async fn shard_stage_update(&self, _: Context, event: ShardStageUpdateEvent) {
        self.discord
            .set_connected(event.new == ConnectionStage::Connected);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_resets_the_reconnect_back_off() {
        let mut reconnects = Reconnects::default();
        let waits: Vec<u64> = (0..3)
            .map(|_| reconnects.after_stop(false).as_secs())
            .collect();
        assert_eq!(waits, [2, 4, 8], "an outage backs off");
        assert_eq!(
            reconnects.after_stop(true).as_secs(),
            2,
            "a drop after a working session starts afresh"
        );
        assert_eq!(reconnects.after_stop(false).as_secs(), 4);
    }

    #[test]
    fn asks_for_message_content_only_when_enabled() {
        assert!(!intents(false).contains(GatewayIntents::MESSAGE_CONTENT));
        assert!(intents(true).contains(GatewayIntents::MESSAGE_CONTENT));
        assert!(!intents(true).contains(GatewayIntents::GUILD_MEMBERS));
        assert!(!intents(true).contains(GatewayIntents::GUILD_PRESENCES));
    }
}
