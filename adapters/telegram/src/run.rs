//! Running the bot: updates come from long polling (or the webhook), go
//! through teloxide's dispatcher (one queue per chat: a chat's messages are
//! answered in order, chats in parallel) to the core, and the replies go back.
//!
//! Shutdown stops taking updates first (polling confirms what it took so a
//! restart does not see it again; the webhook is removed), then the
//! dispatcher finishes every update already taken, replies included.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use carebot_chat::Bot;
use futures::Stream;
use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
use teloxide::payloads::{GetUpdates, GetUpdatesSetters};
use teloxide::prelude::*;
use teloxide::stop::{mk_stop_token, StopFlag, StopToken};
use teloxide::types::{AllowedUpdate, Update};
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use teloxide::RequestError;
use tokio::sync::watch;

use crate::handle::{on_callback, on_message};
use crate::request::get_updates;
use crate::{Inner, TelegramError};

pub async fn run(
    inner: Arc<Inner>,
    bot: Arc<dyn Bot>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), TelegramError> {
    // The shutdown future can be awaited once; several parts need to know.
    let (stopping, stop) = watch::channel(false);
    let trigger = tokio::spawn(async move {
        shutdown.await;
        tracing::info!("Telegram: stopping; finishing the replies under way");
        let _ = stopping.send(true);
    });
    let result = match inner.webhook.clone() {
        None => poll_until(&inner, bot, stop).await,
        Some(webhook) => serve_webhook(&inner, bot, webhook, stop).await,
    };
    trigger.abort();
    inner.reached(false);
    result
}

/// Long polling until shutdown. The dispatcher checks getMe before it
/// starts; if Telegram is away just then, it is tried again.
async fn poll_until(
    inner: &Arc<Inner>,
    bot: Arc<dyn Bot>,
    stop: watch::Receiver<bool>,
) -> Result<(), TelegramError> {
    let mut failures = 0;
    loop {
        let (listener, token) = polling(inner.clone());
        let Err(error) = dispatch(inner, bot.clone(), listener, token, stop.clone()).await else {
            return Ok(());
        };
        inner.reached(false);
        failures += 1;
        let wait = inner.tuning.retry.wait(failures);
        tracing::warn!(reason = %inner.describe(&error), retry_in_ms = wait.as_millis() as u64, "cannot reach Telegram to start polling");
        let mut stop = stop.clone();
        tokio::select! {
            _ = stop.wait_for(|stopping| *stopping) => return Ok(()),
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Runs the dispatcher on `listener` until `stop`, then stops the listener
/// and waits for the updates already taken to be answered.
async fn dispatch<L>(
    inner: &Arc<Inner>,
    bot: Arc<dyn Bot>,
    listener: L,
    token: StopToken,
    mut stop: watch::Receiver<bool>,
) -> Result<(), RequestError>
where
    L: UpdateListener<Err = Infallible> + Send,
{
    let handler = dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback));
    let mut dispatcher = Dispatcher::builder(inner.bot.clone(), handler)
        .dependencies(dptree::deps![inner.clone(), bot])
        // Other updates (edits, joins) are not for carebot; teloxide's default
        // would log them whole, message text included.
        .default_handler(|_| async {})
        .build();
    let stopper = tokio::spawn(async move {
        if stop.wait_for(|stopping| *stopping).await.is_ok() {
            token.stop();
        }
    });
    let ignore = Arc::new(|_: Infallible| async {});
    let result = dispatcher
        .try_dispatch_with_listener(listener, ignore)
        .await;
    stopper.abort();
    result
}

/// Long polling as a stream of updates for the dispatcher. Nothing is asked
/// of Telegram until the dispatcher wants updates, so a listener that is
/// dropped unused loses nothing.
fn polling(inner: Arc<Inner>) -> (impl UpdateListener<Err = Infallible> + Send, StopToken) {
    let (token, flag) = mk_stop_token();
    let poller = Poller {
        inner,
        stop: flag,
        offset: 0,
        failures: 0,
        batch: Vec::new().into_iter(),
        done: false,
    };
    let stream: UpdateStream = Box::pin(futures::stream::unfold(poller, |mut poller| async {
        let update = poller.next().await?;
        Some((Ok(update), poller))
    }));
    let listener = StatefulListener::new(
        (stream, token.clone()),
        first,
        |state: &mut (UpdateStream, StopToken)| state.1.clone(),
    );
    (listener, token)
}

type UpdateStream = Pin<Box<dyn Stream<Item = Result<Update, Infallible>> + Send>>;

fn first<A, B>(pair: &mut (A, B)) -> &mut A {
    &mut pair.0
}

struct Poller {
    inner: Arc<Inner>,
    stop: StopFlag,
    /// One past the last update handed on: what to confirm.
    offset: i32,
    failures: u32,
    batch: std::vec::IntoIter<Update>,
    done: bool,
}

impl Poller {
    /// The next update, or `None` once stopped.
    async fn next(&mut self) -> Option<Update> {
        let inner = self.inner.clone();
        let timeout = inner.tuning.poll_timeout.as_secs().min(u32::MAX.into()) as u32;
        loop {
            if let Some(update) = self.batch.next() {
                self.offset = update.id.as_offset();
                return Some(update);
            }
            if self.done {
                return None;
            }
            let payload = GetUpdates::new()
                .offset(self.offset)
                .timeout(timeout)
                .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery]);
            // Not teloxide's own `send`: it sleeps 10 s after a 5xx (see
            // `request.rs`); the back-off below is the only wait.
            let request = get_updates(&inner.bot, &payload);
            let result = tokio::select! {
                _ = self.stop.clone() => {
                    self.finish().await;
                    return None;
                }
                result = request => result,
            };
            let error = match result {
                Ok(batch) => {
                    inner.reached(true);
                    self.failures = 0;
                    self.batch = batch.into_iter();
                    continue;
                }
                Err(error) => error,
            };
            let wait = match &error {
                RequestError::RetryAfter(seconds) => {
                    inner.reached(true);
                    seconds.duration()
                }
                _ => {
                    inner.reached(false);
                    self.failures += 1;
                    inner.tuning.retry.wait(self.failures)
                }
            };
            tracing::warn!(reason = %inner.describe(&error), retry_in_ms = wait.as_millis() as u64, "cannot get updates from Telegram");
            tokio::select! {
                _ = self.stop.clone() => {
                    self.finish().await;
                    return None;
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Tells Telegram what was taken, so a restart does not answer it twice.
    async fn finish(&mut self) {
        self.done = true;
        if self.offset == 0 {
            return;
        }
        let confirm = self
            .inner
            .bot
            .get_updates()
            .offset(self.offset)
            .timeout(0)
            .limit(1);
        if let Err(error) = confirm.await {
            tracing::warn!(reason = %self.inner.describe(&error), "cannot confirm the last updates taken");
        }
    }
}

async fn serve_webhook(
    inner: &Arc<Inner>,
    bot: Arc<dyn Bot>,
    webhook: crate::Webhook,
    stop: watch::Receiver<bool>,
) -> Result<(), TelegramError> {
    use futures::FutureExt;
    use teloxide::update_listeners::webhooks::{axum_no_setup, Options};
    let tcp = tokio::net::TcpListener::bind(webhook.listen)
        .await
        .map_err(|error| TelegramError::Listen {
            address: webhook.listen,
            reason: error.to_string(),
        })?;
    // Every process serving this bot behind a load balancer must accept
    // what Telegram sends, whichever set the webhook last: the secret is
    // derived from the token rather than drawn at random.
    let options = Options::new(webhook.listen, webhook.public_url.clone())
        .secret_token(webhook_secret(inner.token.expose()));
    inner
        .bot
        .set_webhook(options.url.clone())
        .secret_token(webhook_secret(inner.token.expose()))
        .await
        .map_err(|error| TelegramError::Api {
            api: inner.api.clone(),
            call: "setWebhook",
            reason: inner.describe(&error),
        })?;
    let (mut listener, stopped, router) = axum_no_setup(options);
    // What teloxide's `axum_to_router` does, unless other processes still
    // take this bot's updates on the same webhook.
    let remove = webhook.remove_at_shutdown.then(|| inner.clone());
    let stopped = stopped.then(|()| async move {
        if let Some(inner) = remove {
            if let Err(error) = inner.bot.delete_webhook().await {
                tracing::warn!(reason = %inner.describe(&error), "cannot remove the webhook");
            }
        }
    });

    inner.reached(true);
    tracing::info!(listen = %webhook.listen, "taking Telegram updates on the webhook");
    let token = listener.stop_token();
    let server = tokio::spawn(async move {
        axum::serve(tcp, router)
            .with_graceful_shutdown(stopped)
            .await
    });
    let dispatched = dispatch(inner, bot, listener, token.clone(), stop).await;
    // The dispatcher stops the listener on shutdown, but not when it could
    // not start.
    token.stop();
    let served = server.await;
    if let Err(error) = dispatched {
        return Err(TelegramError::Unreachable {
            api: inner.api.clone(),
            reason: inner.describe(&error),
        });
    }
    match served {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(TelegramError::Webhook(error.to_string())),
        Err(error) => Err(TelegramError::Webhook(error.to_string())),
    }
}

/// The webhook's secret token: the same in every process that has the bot
/// token, unguessable without it (64 hex digits of a SHA-256; Telegram takes
/// up to 256 of `A-Za-z0-9_-`).
fn webhook_secret(token: &str) -> String {
    let mut input = b"carebot telegram webhook secret\0".to_vec();
    input.extend_from_slice(token.as_bytes());
    ring::digest::digest(&ring::digest::SHA256, &input)
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
