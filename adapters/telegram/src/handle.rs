//! One update in, the core's replies out: a message or a button tap becomes
//! an [`Inbound`] (see `route.rs`), the core handles it on a blocking thread,
//! and its deliveries are sent in the core's order (emergency advice first).
//! When the core moves a group conversation to a private chat that Telegram
//! will not open (the person never started the bot), the group is told how to
//! start it.

use std::convert::Infallible;
use std::sync::Arc;

use carebot_chat::{Address, Bot, Inbound, Sender};
use teloxide::prelude::*;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

use crate::address::chat_id;
use crate::route::{self, Context};
use crate::send::SendError;
use crate::Inner;

type Handled = Result<(), Infallible>;

pub async fn on_message(message: Message, inner: Arc<Inner>, bot: Arc<dyn Bot>) -> Handled {
    let context = inner.context();
    match route::message(&message, &context) {
        Some(inbound) => inner.converse(bot, inbound).await,
        None if message.chat.is_private()
            && message.text().is_none()
            && message.from.as_ref().is_some_and(|user| !user.is_bot) =>
        {
            let hint = "Sorry, I can only read text. Please type your question.";
            if let Err(error) = inner.send_text(message.chat.id, hint, None).await {
                tracing::warn!(%error, "cannot send a reply");
            }
        }
        None => {}
    }
    Ok(())
}

pub async fn on_callback(query: CallbackQuery, inner: Arc<Inner>, bot: Arc<dyn Bot>) -> Handled {
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

    /// Hands a message to the core and sends what it says, in its order (the
    /// core puts emergency advice first).
    async fn converse(&self, bot: Arc<dyn Bot>, inbound: Inbound) {
        let chat = inbound.chat().clone();
        let public = match &inbound {
            Inbound::Public { sender, .. } => Some(sender.clone()),
            _ => None,
        };
        let handled = tokio::task::spawn_blocking(move || bot.handle(inbound)).await;
        let deliveries = match handled {
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
        let start = url::Url::parse(&format!("https://t.me/{}", self.username)).ok();
        let markup = start.map(|url| {
            InlineKeyboardMarkup::new([[InlineKeyboardButton::url("Open a private chat", url)]])
        });
        if let Err(error) = self.send_text(ChatId(group), &text, markup).await {
            tracing::warn!(%error, "cannot tell a group member to start a private chat");
        }
    }

    async fn apologise(&self, chat: &Address) {
        let Some(chat) = chat_id(chat) else { return };
        if let Err(error) = self
            .send_text(ChatId(chat), carebot_chat::APOLOGY, None)
            .await
        {
            tracing::warn!(%error, "cannot send an apology");
        }
    }
}
