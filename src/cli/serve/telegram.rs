//! Telegram behind [`Platform`]: `carebot_telegram` does the talking; this
//! file only turns carebot.toml's settings into the adapter's and keeps the
//! connected client for delivery. Compiled with the `telegram` feature.

use std::sync::Arc;

use carebot::dispatch::DeliveryError;
use carebot::{Bot, Outbound};
use carebot_telegram::{Telegram, TelegramSettings, Token, Webhook};

use super::platform::{BoxFuture, Connection, Platform, PlatformError};
use super::shutdown::Shutdown;
use crate::cli::config::TelegramConfig;

pub struct TelegramPlatform {
    config: TelegramConfig,
    connection: Connection<Telegram>,
}

impl TelegramPlatform {
    pub fn new(config: TelegramConfig) -> Arc<TelegramPlatform> {
        Arc::new(TelegramPlatform {
            connection: Connection::new(config.token.clone()),
            config,
        })
    }

    /// The adapter's settings; fails only if the token's shape is refused.
    fn settings(&self) -> Result<TelegramSettings, carebot_telegram::TelegramError> {
        Ok(TelegramSettings {
            token: Token::new(self.config.token.expose().to_string())?,
            api_url: self.config.api_url.clone(),
            webhook: self.config.webhook.as_ref().map(|webhook| Webhook {
                listen: webhook.listen,
                public_url: webhook.public_url.clone(),
            }),
            clinician_group: self.config.clinician_group,
        })
    }
}

impl Platform for TelegramPlatform {
    fn name(&self) -> &'static str {
        "telegram"
    }

    fn connect(&self) -> BoxFuture<'_, Result<(), PlatformError>> {
        Box::pin(async move {
            let settings = self
                .settings()
                .map_err(|error| self.connection.error(error))?;
            let client = Telegram::connect(settings)
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
                .ok_or_else(|| DeliveryError::new("telegram is not connected yet"))?;
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
