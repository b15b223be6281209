//! Telegram as an [`Adapter`]: `carebot_telegram` does the talking; this file
//! only turns carebot.toml's settings into the adapter's. Compiled with the
//! `telegram` feature.

use std::future::Future;
use std::sync::Arc;

use carebot::dispatch::DeliveryError;
use carebot::{Bot, Outbound};
use carebot_telegram::{Telegram, TelegramError, TelegramSettings, Token, Webhook};

use super::platform::Adapter;
use super::shutdown::Shutdown;
use crate::cli::config::{Secret, TelegramConfig};

impl Adapter for Telegram {
    const NAME: &'static str = "telegram";
    type Config = TelegramConfig;
    type Error = TelegramError;

    fn token(config: &TelegramConfig) -> &Secret {
        &config.token
    }

    /// Fails before any request only if the token's shape is refused.
    async fn connect(config: &TelegramConfig) -> Result<Telegram, TelegramError> {
        let settings = TelegramSettings {
            token: Token::new(config.token.expose().to_string())?,
            api_url: config.api_url.clone(),
            webhook: config.webhook.as_ref().map(|webhook| Webhook {
                listen: webhook.listen,
                public_url: webhook.public_url.clone(),
            }),
            clinician_group: config.clinician_group,
        };
        Telegram::connect(settings).await
    }

    fn run(
        &self,
        bot: Arc<dyn Bot>,
        shutdown: Shutdown,
    ) -> impl Future<Output = Result<(), TelegramError>> + Send {
        Telegram::run(self, bot, shutdown.wait())
    }

    fn deliver(
        &self,
        message: &Outbound,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send {
        Telegram::deliver(self, message)
    }

    fn is_connected(&self) -> bool {
        Telegram::is_connected(self)
    }
}
