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

use carebot_chat::{Address, Bot, Inbound, Level, Reply, ReplyKind, Sender};
use futures::Stream;
use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
use teloxide::prelude::*;
use teloxide::stop::{mk_stop_token, StopFlag, StopToken};
use teloxide::types::{
    AllowedUpdate, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update,
};
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use teloxide::RequestError;
use tokio::sync::watch;

use crate::address::chat_id;
use crate::route::{self, Context};
use crate::send::SendError;
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
            let request = inner
                .bot
                .get_updates()
                .offset(self.offset)
                .timeout(timeout)
                .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery]);
            let result = tokio::select! {
                _ = self.stop.clone() => {
                    self.finish().await;
                    return None;
                }
                result = request.send() => result,
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
    use teloxide::update_listeners::webhooks::{axum_to_router, Options};
    let tcp = tokio::net::TcpListener::bind(webhook.listen)
        .await
        .map_err(|error| TelegramError::Listen {
            address: webhook.listen,
            reason: error.to_string(),
        })?;
    let options = Options::new(webhook.listen, webhook.public_url.clone());
    let (mut listener, stopped, router) = axum_to_router(inner.bot.clone(), options)
        .await
        .map_err(|error| TelegramError::Api {
            api: inner.api.clone(),
            call: "setWebhook",
            reason: inner.describe(&error),
        })?;
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

type Handled = Result<(), Infallible>;

async fn on_message(message: Message, inner: Arc<Inner>, bot: Arc<dyn Bot>) -> Handled {
    let context = inner.context();
    match route::message(&message, &context) {
        Some(inbound) => inner.converse(bot, inbound).await,
        None if message.chat.is_private()
            && message.text().is_none()
            && message.from.as_ref().is_some_and(|user| !user.is_bot) =>
        {
            let reply = Reply::plain(
                ReplyKind::Notice,
                "Sorry, I can only read text. Please type your question.",
            );
            if let Err(error) = inner.send_reply(message.chat.id, &reply).await {
                tracing::warn!(%error, "cannot send a reply");
            }
        }
        None => {}
    }
    Ok(())
}

async fn on_callback(query: CallbackQuery, inner: Arc<Inner>, bot: Arc<dyn Bot>) -> Handled {
    let reply = query
        .data
        .as_deref()
        .and_then(|data| inner.callbacks.reply_for(data));
    // Answer at once, so the button stops spinning.
    let mut answer = inner.bot.answer_callback_query(query.id.clone());
    if reply.is_none() {
        answer = answer.text("That button has expired: please type your answer instead.");
    }
    inner.tidy("answerCallbackQuery", answer).await;
    let (Some(reply), Some(message)) = (reply, query.message.as_ref()) else {
        return Ok(());
    };
    // A question answered (or a case claimed) should not be answered again.
    let remove = inner
        .bot
        .edit_message_reply_markup(message.chat().id, message.id());
    inner.tidy("editMessageReplyMarkup", remove).await;
    if let Some(inbound) = route::tap(message.chat(), &query.from, &reply, &inner.context()) {
        inner.converse(bot, inbound).await;
    }
    Ok(())
}

impl Inner {
    fn context(&self) -> Context<'_> {
        Context {
            username: &self.username,
            bot: self.id,
            clinician_group: self.clinician_group,
        }
    }

    /// Hands a message to the core and sends what it says, emergency advice
    /// first.
    async fn converse(&self, bot: Arc<dyn Bot>, inbound: Inbound) {
        let (chat, public) = match &inbound {
            Inbound::Message { from, .. } => (from.clone(), None),
            Inbound::Command { sender, .. } | Inbound::MalformedCommand { sender, .. } => {
                (sender.chat.clone(), None)
            }
            Inbound::Public { sender, .. } => (sender.chat.clone(), Some(sender.clone())),
        };
        let handled = tokio::task::spawn_blocking(move || bot.handle(inbound)).await;
        let mut deliveries = match handled {
            Ok(Ok(deliveries)) => deliveries,
            Ok(Err(error)) => {
                tracing::error!(reason = %error, "carebot could not handle a message");
                self.apologise(&chat).await;
                return;
            }
            Err(error) => {
                tracing::error!(%error, "carebot failed while handling a message");
                self.apologise(&chat).await;
                return;
            }
        };
        // Stable: otherwise in the core's order.
        deliveries.sort_by_key(|delivery| delivery.reply.level != Some(Level::Emergency));
        let mut private_refused = false;
        for delivery in deliveries {
            let Some(to) = chat_id(&delivery.to) else {
                tracing::warn!(platform = %delivery.to.platform, "a reply for another platform; dropped");
                continue;
            };
            let to_asker = public.as_ref().is_some_and(|s| s.user == delivery.to);
            if to_asker && private_refused {
                continue;
            }
            match self.send_reply(ChatId(to), &delivery.reply).await {
                Ok(()) => {}
                Err(SendError::NotAllowed(_)) if to_asker => {
                    private_refused = true;
                    if let Some(sender) = &public {
                        self.ask_to_start(sender).await;
                    }
                }
                Err(error) => tracing::warn!(%error, "a reply was not delivered"),
            }
        }
    }

    /// Telegram lets a bot write to someone only once they have started a
    /// chat with it: say so where they asked, with no health details.
    async fn ask_to_start(&self, sender: &Sender) {
        let Some(group) = chat_id(&sender.chat) else {
            return;
        };
        let text = format!(
            "{}, I couldn't send you that private message: Telegram only lets me write to people who have started a chat with me. Open a chat with @{}, press Start, then ask me there.",
            sender.name, self.username
        );
        let link = format!("https://t.me/{}", self.username);
        let reply = Reply::plain(ReplyKind::Notice, text);
        let mut chunks = crate::render::render(&reply.text);
        let Some(chunk) = chunks.pop() else { return };
        let mut request = self
            .bot
            .send_message(ChatId(group), chunk.html)
            .parse_mode(teloxide::types::ParseMode::Html);
        if let Ok(url) = url::Url::parse(&link) {
            request =
                request.reply_markup(InlineKeyboardMarkup::new([[InlineKeyboardButton::url(
                    "Open a private chat",
                    url,
                )]]));
        }
        self.limiter.acquire(group).await;
        self.tidy("sendMessage", request).await;
    }

    async fn apologise(&self, chat: &Address) {
        let Some(chat) = chat_id(chat) else { return };
        let reply = Reply::plain(
            ReplyKind::Notice,
            "Sorry, something went wrong on my side and I couldn't read your message. Please try again in a moment; in an emergency, call your local emergency number now.",
        );
        if let Err(error) = self.send_reply(ChatId(chat), &reply).await {
            tracing::warn!(%error, "cannot send an apology");
        }
    }
}
