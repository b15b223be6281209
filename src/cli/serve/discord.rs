//! Discord behind [`Platform`]: `carebot_discord` does the talking; this
//! file only turns carebot.toml's settings into the adapter's and keeps the
//! connected client for delivery. Compiled with the `discord` feature.

use std::sync::Arc;

use carebot::dispatch::DeliveryError;
use carebot::{Bot, Outbound};
use carebot_discord::{Discord, DiscordSettings, Token};

use super::platform::{BoxFuture, Connection, Platform, PlatformError};
use super::shutdown::Shutdown;
use crate::cli::config::DiscordConfig;

pub struct DiscordPlatform {
    config: DiscordConfig,
    connection: Connection<Discord>,
}

impl DiscordPlatform {
    pub fn new(config: DiscordConfig) -> Arc<DiscordPlatform> {
        Arc::new(DiscordPlatform {
            connection: Connection::new(config.token.clone()),
            config,
        })
    }

    /// The adapter's settings; fails only if Discord's token check refuses the
    /// token's shape.
    fn settings(&self) -> Result<DiscordSettings, carebot_discord::DiscordError> {
        Ok(DiscordSettings {
            token: Token::new(self.config.token.expose().to_string())?,
            api_url: self.config.api_url.clone(),
            gateway_url: self.config.gateway_url.clone(),
            application_id: self.config.application_id,
            clinician_channel: self.config.clinician_channel,
            clinician_role: self.config.clinician_role,
            message_content: self.config.message_content,
        })
    }
}

impl Platform for DiscordPlatform {
    fn name(&self) -> &'static str {
        "discord"
    }

    fn connect(&self) -> BoxFuture<'_, Result<(), PlatformError>> {
        Box::pin(async move {
            let settings = self
                .settings()
                .map_err(|error| self.connection.error(error))?;
            let client = Discord::connect(settings)
                .await
                .map_err(|error| self.connection.error(error))?;
            self.connection.set(client);
            Ok(())
        })
    }

    fn run(
        &self,
        bot: Arc<dyn Bot>,
        shutdown: Shutdown,
    ) -> BoxFuture<'_, Result<(), PlatformError>> {
        Box::pin(async move {
            let client = self
                .connection
                .client()
                .ok_or_else(|| PlatformError("not connected".to_string()))?;
            client
                .run(bot, shutdown.wait())
                .await
                .map_err(|error| self.connection.error(error))
        })
    }

    fn deliver<'a>(&'a self, message: &'a Outbound) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let client = self
                .connection
                .client()
                .ok_or_else(|| DeliveryError::new("discord is not connected yet"))?;
            client
                .deliver(message)
                .await
                .map_err(|error| DeliveryError {
                    reason: self.connection.reason(&error),
                    ..error
                })
        })
    }

    fn is_connected(&self) -> bool {
        self.connection
            .client()
            .is_some_and(|client| client.is_connected())
    }
}
