//! Telegram behind [`Platform`]: `carebot_telegram` does the talking; this
//! file only turns carebot.toml's settings into the adapter's and keeps the
//! connected client for delivery. Compiled with the `telegram` feature.

use std::sync::{Arc, RwLock};

use carebot::dispatch::DeliveryError;
use carebot::{Bot, Outbound};
use carebot_telegram::{Telegram, TelegramSettings, Token, Webhook};

use super::platform::{BoxFuture, Platform, PlatformError};
use super::shutdown::Shutdown;
use crate::cli::config::TelegramConfig;

pub struct TelegramPlatform {
    config: TelegramConfig,
    /// The client of the last successful connect; `None` before the first.
    client: RwLock<Option<Telegram>>,
}

impl TelegramPlatform {
    pub fn new(config: TelegramConfig) -> Arc<TelegramPlatform> {
        Arc::new(TelegramPlatform {
            config,
            client: RwLock::new(None),
        })
    }

    fn settings(&self) -> TelegramSettings {
        TelegramSettings {
            token: Token::new(self.config.token.expose().to_string()),
            api_url: self.config.api_url.clone(),
            webhook: self.config.webhook.as_ref().map(|webhook| Webhook {
                listen: webhook.listen,
                public_url: webhook.public_url.clone(),
            }),
            clinician_group: self.config.clinician_group,
        }
    }

    fn client(&self) -> Option<Telegram> {
        self.client
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The adapter's error as a reason for the log: HTTP clients quote URLs,
    /// and Telegram's URLs contain the token, so mask it whatever the adapter does.
    fn reason(&self, error: impl std::fmt::Display) -> String {
        self.config.token.redact(&error.to_string())
    }
}

impl Platform for TelegramPlatform {
    fn name(&self) -> &'static str {
        "telegram"
    }

    fn connect(&self) -> BoxFuture<'_, Result<(), PlatformError>> {
        Box::pin(async move {
            let client = Telegram::connect(self.settings())
                .await
                .map_err(|error| PlatformError(self.reason(error)))?;
            *self
                .client
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(client);
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
                .client()
                .ok_or_else(|| PlatformError("not connected".to_string()))?;
            client
                .run(bot, shutdown.wait())
                .await
                .map_err(|error| PlatformError(self.reason(error)))
        })
    }

    fn deliver<'a>(&'a self, message: &'a Outbound) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let client = self
                .client()
                .ok_or_else(|| DeliveryError::new("telegram is not connected yet"))?;
            client
                .deliver(message)
                .await
                .map_err(|error| DeliveryError::new(self.reason(error)))
        })
    }

    fn is_connected(&self) -> bool {
        self.client().is_some_and(|client| client.is_connected())
    }
}
