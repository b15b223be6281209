//! Discord as an [`Adapter`]: `carebot_discord` does the talking; this file
//! only turns carebot.toml's settings into the adapter's. Compiled with the
//! `discord` feature.

use std::future::Future;
use std::sync::Arc;

use carebot::dispatch::DeliveryError;
use carebot::{Bot, Outbound};
use carebot_discord::{Discord, DiscordError, DiscordSettings, Token};

use super::platform::Adapter;
use super::shutdown::Shutdown;
use crate::cli::config::{DiscordConfig, Secret};

impl Adapter for Discord {
    const NAME: &'static str = "discord";
    type Config = DiscordConfig;
    type Error = DiscordError;

    fn token(config: &DiscordConfig) -> &Secret {
        &config.token
    }

    /// Fails before any request only if Discord's token check refuses the
    /// token's shape.
    async fn connect(config: &DiscordConfig) -> Result<Discord, DiscordError> {
        let settings = DiscordSettings {
            token: Token::new(config.token.expose().to_string())?,
            api_url: config.api_url.clone(),
            gateway_url: config.gateway_url.clone(),
            application_id: config.application_id,
            clinician_channel: config.clinician_channel,
            clinician_role: config.clinician_role,
            message_content: config.message_content,
        };
        Discord::connect(settings).await
    }

    fn run(
        &self,
        bot: Arc<dyn Bot>,
        shutdown: Shutdown,
    ) -> impl Future<Output = Result<(), DiscordError>> + Send {
        Discord::run(self, bot, shutdown.wait())
    }

    fn deliver(
        &self,
        message: &Outbound,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send {
        Discord::deliver(self, message)
    }

    fn is_connected(&self) -> bool {
        Discord::is_connected(self)
    }
}
