//! Publishing health notices outside the knowledge folder: a clinician's
//! `/notice <topic> <text>` in chat is a draft (a preview, how many
//! subscribers it will reach, buttons to publish or cancel), published by
//! its author's `/notice confirm N-0004`; staff publish a checked notice file
//! with `carebot notice send FILE` (`cli/notice.rs`). Either way the notice
//! is kept in the store, so every process sharing it sends and lists it and
//! a restart loses none; its publication is audited (id, title, topics: the
//! practice's words, never a patient's); and it goes out by the same path as
//! the folder's notices (`notices.rs`).

use std::path::PathBuf;

use jiff::{Timestamp, ToSpan};

use carebot_chat::{Button, NoticeAction, Reply, ReplyKind, Sender};

use super::notices::notice_message;
use super::{wording, Service, ServiceError};
use crate::audit::{Action, Actor, AuditEntry};
use crate::knowledge::{Notice, Origin, Review};
use crate::store::{NoticeChange, PublishedNotice};

/// How long a clinician's notice runs when they do not say.
pub const DEFAULT_NOTICE_DAYS: i64 = 7;

/// The longest a clinician's notice may run; longer news belongs in the
/// knowledge folder, reviewed like the rest.
const LONGEST_NOTICE_DAYS: i64 = 90;

/// A notice `carebot notice send` publishes, as staff are shown it.
#[derive(Debug, Clone)]
pub struct NoticePreview {
    pub notice: PublishedNotice,
    /// Patients subscribed to one of its topics now.
    pub subscribers: usize,
    /// The message as subscribers get it.
    pub message: String,
}

/// What became of a `carebot notice send`.
#[derive(Debug, Clone)]
pub enum StaffPublication {
    /// Nothing was published, for this reason.
    Refused(String),
    /// Published (or, on a dry run, only previewed); `queued`: messages
    /// queued for subscribers at once (notices already in force).
    Done {
        previews: Vec<NoticePreview>,
        queued: usize,
    },
}

/// A published notice as the rest of carebot reads notices.
pub(super) fn as_notice(published: &PublishedNotice) -> Notice {
    let author = crate::store::notice_author(published);
    Notice {
        id: published.id.clone(),
        title: published.title.clone(),
        text: published.text.clone(),
        text_template: published.text.clone(),
        topics: published.topics.clone(),
        publish_at: published.publish_at,
        expires_at: published.expires_at,
        questions: Vec::new(),
        keywords: Vec::new(),
        review: Review {
            sources: Vec::new(),
            reviewed: published
                .drafted_at
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date(),
            owner: author.clone(),
        },
        origin: Origin {
            file: PathBuf::from(format!("published by {author}")),
            line: 0,
            column: 0,
        },
    }
}

fn notice(text: impl Into<String>) -> Reply {
    Reply::plain(ReplyKind::Notice, text)
}

/// `N-0004` from `n-4`, `N4` or `N-0004`; anything else as written.
fn draft_id(written: &str) -> String {
    let digits = written
        .strip_prefix(['N', 'n'])
        .map(|rest| rest.trim_start_matches('-'));
    match digits.and_then(|digits| digits.parse::<u64>().ok()) {
        Some(number) => crate::store::draft_notice_id(number),
        None => written.to_string(),
    }
}

/// The title of a clinician's notice: its topics, as words ("Vaccination
/// clinics"). Their own text stays out of titles and so out of the audit log.
fn title_of(topics: &[String]) -> String {
    let words = topics.join(", ").replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// Reads an expiry at the start of `text`: `until 2026-12-24` (through that
/// day, in the practice's time zone) or `for 3 days` / `for 2 weeks`. The
/// moment the notice ends and the text after the expiry; without one, seven
/// days from `now` and the whole text. `until further notice` is text.
fn read_expiry(
    text: &str,
    zone: &jiff::tz::TimeZone,
    now: Timestamp,
) -> Result<(Timestamp, String), String> {
    let words: Vec<(usize, &str)> = text
        .split_whitespace()
        .take(3)
        .map(|word| (word.as_ptr() as usize - text.as_ptr() as usize, word))
        .collect();
    let after = |index: usize| -> String {
        words
            .get(index)
            .map(|(start, word)| text[start + word.len()..].trim().to_string())
            .unwrap_or_default()
    };
    let first = words.first().map(|(_, word)| word.to_lowercase());
    let expiry = match (first.as_deref(), words.get(1), words.get(2)) {
        (Some("until"), Some((_, date)), _) => match date.parse::<jiff::civil::Date>() {
            Ok(date) => {
                let end = date
                    .tomorrow()
                    .and_then(|day| day.to_zoned(zone.clone()))
                    .map_err(|_| format!("{date} is not a day I can end a notice on."))?;
                Some((end.timestamp(), after(1)))
            }
            Err(_) => None,
        },
        (Some("for"), Some((_, count)), Some((_, unit))) => {
            let days_per = match unit.to_lowercase().trim_end_matches(['.', ',', ':']) {
                "day" | "days" => Some(1),
                "week" | "weeks" => Some(7),
                _ => None,
            };
            match (count.parse::<i64>(), days_per) {
                (Ok(count), Some(days_per)) if count > 0 => {
                    let days = count.saturating_mul(days_per);
                    if days > LONGEST_NOTICE_DAYS {
                        return Err(format!("A notice from chat runs {LONGEST_NOTICE_DAYS} days at most; longer news belongs in the knowledge folder."));
                    }
                    Some((now + (days * 24).hours(), after(2)))
                }
                _ => None,
            }
        }
        _ => None,
    };
    let Some((end, rest)) = expiry else {
        return Ok((
            now + (DEFAULT_NOTICE_DAYS * 24).hours(),
            text.trim().to_string(),
        ));
    };
    if end <= now {
        return Err("That day has passed: give a day from today on.".to_string());
    }
    if end > now + ((LONGEST_NOTICE_DAYS + 1) * 24).hours() {
        return Err(format!("A notice from chat runs {LONGEST_NOTICE_DAYS} days at most; longer news belongs in the knowledge folder."));
    }
    Ok((end, rest))
}

impl Service {
    /// A clinician's `/notice` command (already authorised).
    pub(super) fn notice_command(
        &self,
        sender: &Sender,
        action: NoticeAction,
        now: Timestamp,
    ) -> Result<Reply, ServiceError> {
        match action {
            NoticeAction::List => self.notice_overview(now),
            NoticeAction::Draft { topics, text } => self.draft_notice(sender, &topics, &text, now),
            NoticeAction::Confirm { notice } => {
                self.confirm_notice(sender, &draft_id(&notice), now)
            }
            NoticeAction::Cancel { notice } => self.cancel_notice(sender, &draft_id(&notice), now),
        }
    }

    /// How many patients are subscribed to one of `topics`.
    fn subscribers_of(&self, topics: &[String]) -> Result<usize, ServiceError> {
        Ok(self
            .store()
            .subscriptions()?
            .iter()
            .filter(|subscription| topics.iter().any(|t| subscription.topics.contains(t)))
            .count())
    }

    fn draft_notice(
        &self,
        sender: &Sender,
        topics: &[String],
        text: &str,
        now: Timestamp,
    ) -> Result<Reply, ServiceError> {
        let engine = self.engine();
        let practice = &engine.knowledge().practice;
        let offered = &practice.notice_topics;
        if offered.is_empty() {
            return Ok(notice(
                "The practice has no notice topics yet: add `notice_topics = [...]` to [practice] in practice.toml.",
            ));
        }
        let topics: Vec<String> = topics.iter().map(|t| t.to_lowercase()).collect();
        let unknown: Vec<&str> = topics
            .iter()
            .filter(|t| !offered.contains(t))
            .map(String::as_str)
            .collect();
        if topics.is_empty() || !unknown.is_empty() {
            return Ok(notice(format!(
                "I don't know the topic {}. The practice's topics are: {}. Write /notice <topic> <text>.",
                unknown.join(", "),
                offered.join(", ")
            )));
        }
        let (expires_at, text) = match read_expiry(text, &practice.time_zone, now) {
            Ok(read) => read,
            Err(why) => return Ok(notice(why)),
        };
        if text.is_empty() {
            return Ok(notice(
                "The notice has no text. Write /notice <topic> [until 2026-12-24] <text>.",
            ));
        }
        let draft = self.store().draft_notice(|id| PublishedNotice {
            id,
            title: title_of(&topics),
            text: text.clone(),
            topics: topics.clone(),
            publish_at: now,
            expires_at,
            by: Actor::Clinician {
                address: sender.user.clone(),
                name: sender.name.clone(),
            },
            drafted_at: now,
            published_at: None,
        })?;
        let subscribers = self.subscribers_of(&draft.topics)?;
        tracing::info!(notice = %draft.id, topics = ?draft.topics, subscribers, "a clinician drafted a health notice");
        let id = &draft.id;
        let mut reply = notice(format!(
            "Draft {id}, not sent yet. Subscribers to {} ({subscribers} now) will get:\n\n{}\n\nPatients can also see it with /notices until {}. Publish it with /notice confirm {id}, or drop it with /notice cancel {id}.",
            draft.topics.join(", "),
            notice_message(practice, &as_notice(&draft)).text,
            wording::last_day(practice, draft.expires_at),
        ));
        reply.buttons = vec![
            Button {
                label: format!("Publish {id}"),
                reply: format!("/notice confirm {id}"),
            },
            Button {
                label: format!("Cancel {id}"),
                reply: format!("/notice cancel {id}"),
            },
        ];
        Ok(reply)
    }

    /// Why `sender` may not act on `draft`, if they may not: only its author
    /// confirms or cancels it (the confirmation is their second look).
    fn not_author(sender: &Sender, draft: &PublishedNotice) -> Option<Reply> {
        match &draft.by {
            Actor::Clinician { address, .. } if *address == sender.user => None,
            _ => Some(notice(format!(
                "{} is {}'s draft: only they can publish or cancel it.",
                draft.id,
                crate::store::notice_author(draft)
            ))),
        }
    }

    fn confirm_notice(
        &self,
        sender: &Sender,
        id: &str,
        now: Timestamp,
    ) -> Result<Reply, ServiceError> {
        let engine = self.engine();
        let practice = &engine.knowledge().practice;
        let outcome = self.store().change_notice(id, now, |current| {
            let Some(mut draft) = current else {
                return NoticeChange::Leave(Err(notice(format!(
                    "There is no draft {id}. /notice lists the notices in force and the drafts."
                ))));
            };
            if let Some(at) = draft.published_at {
                return NoticeChange::Leave(Err(notice(format!(
                    "{id} was published already, on {}.",
                    wording::local_time(practice, at)
                ))));
            }
            if let Some(refusal) = Self::not_author(sender, &draft) {
                return NoticeChange::Leave(Err(refusal));
            }
            if draft.expires_at <= now {
                return NoticeChange::Leave(Err(notice(format!(
                    "{id} would have ended already; write it again with a later end."
                ))));
            }
            draft.publish_at = now;
            draft.published_at = Some(now);
            NoticeChange::Write {
                audit: vec![crate::store::notice_published_entry(&draft, now)],
                notice: Some(draft.clone()),
                result: Ok(draft),
            }
        })?;
        let published = match outcome {
            Ok(published) => published,
            Err(refusal) => return Ok(refusal),
        };
        tracing::info!(notice = %published.id, topics = ?published.topics, "a clinician published a health notice");
        let subscriptions = self.store().subscriptions()?;
        let queued =
            self.queue_for_subscribers(practice, &as_notice(&published), &subscriptions, now)?;
        Ok(notice(format!(
            "Published {id} ({}): queued for {queued} subscriber{}. Patients see it with /notices until {}; /notice shows how far it has gone out.",
            published.topics.join(", "),
            if queued == 1 { "" } else { "s" },
            wording::last_day(practice, published.expires_at),
        )))
    }

    fn cancel_notice(
        &self,
        sender: &Sender,
        id: &str,
        now: Timestamp,
    ) -> Result<Reply, ServiceError> {
        let engine = self.engine();
        let practice = &engine.knowledge().practice;
        let reply = self.store().change_notice(id, now, |current| {
            let Some(draft) = current else {
                return NoticeChange::Leave(notice(format!(
                    "There is no draft {id}. /notice lists the notices in force and the drafts."
                )));
            };
            if draft.published_at.is_some() {
                return NoticeChange::Leave(notice(format!(
                    "{id} is published already; it ends by itself after {}.",
                    wording::last_day(practice, draft.expires_at)
                )));
            }
            if let Some(refusal) = Self::not_author(sender, &draft) {
                return NoticeChange::Leave(refusal);
            }
            NoticeChange::Write {
                notice: None,
                audit: vec![AuditEntry {
                    at: now,
                    actor: Actor::Clinician {
                        address: sender.user.clone(),
                        name: sender.name.clone(),
                    },
                    action: Action::NoticeCancelled {
                        notice: id.to_string(),
                    },
                    case: None,
                    patient: None,
                }],
                result: notice(format!("Cancelled {id}: nothing was sent.")),
            }
        })?;
        Ok(reply)
    }

    /// The notices in force or coming, with how far each has gone out, and
    /// the drafts awaiting confirmation.
    fn notice_overview(&self, now: Timestamp) -> Result<Reply, ServiceError> {
        let engine = self.engine();
        let practice = &engine.knowledge().practice;
        let progress = self.store().notice_progress()?;
        let mut lines = Vec::new();
        let mut notices = self.notices(&engine)?;
        notices.retain(|notice| now < notice.expires_at);
        notices.sort_by_key(|notice| notice.publish_at);
        for notice in &notices {
            let when = if notice.publish_at > now {
                format!(
                    "from {} until {}",
                    wording::local_time(practice, notice.publish_at),
                    wording::last_day(practice, notice.expires_at)
                )
            } else {
                format!("until {}", wording::last_day(practice, notice.expires_at))
            };
            let done = progress.get(&notice.id).copied().unwrap_or_default();
            lines.push(format!(
                "• {} {} ({}), {when}, {}: {} sent, {} pending, {} failed",
                notice.id,
                notice.title,
                notice.topics.join(", "),
                notice.origin.file.display(),
                done.sent,
                done.pending,
                done.failed
            ));
        }
        let mut text = if lines.is_empty() {
            "No health notices in force.".to_string()
        } else {
            format!("Health notices in force or coming:\n{}", lines.join("\n"))
        };
        let drafts: Vec<String> = self
            .store()
            .published_notices()?
            .into_iter()
            .filter(|draft| draft.published_at.is_none() && now < draft.expires_at)
            .map(|draft| {
                format!(
                    "• {} {} by {}: /notice confirm {} or /notice cancel {}",
                    draft.id,
                    draft.title,
                    crate::store::notice_author(&draft),
                    draft.id,
                    draft.id
                )
            })
            .collect();
        if !drafts.is_empty() {
            text.push_str(&format!(
                "\n\nDrafts awaiting confirmation:\n{}",
                drafts.join("\n")
            ));
        }
        text.push_str(&format!(
            "\n\nTo publish one: /notice <topic> [until 2026-12-24 | for 3 days] <text> (it runs {DEFAULT_NOTICE_DAYS} days unless you say). Topics: {}.",
            if practice.notice_topics.is_empty() {
                "none yet (notice_topics in practice.toml)".to_string()
            } else {
                practice.notice_topics.join(", ")
            }
        ));
        Ok(notice(text))
    }

    /// Publishes `notices` for staff member `login` (`carebot notice send`,
    /// the file already checked like the knowledge folder), all or none, and
    /// queues those in force for their subscribers at once; with `dry_run`,
    /// only says what would happen.
    pub fn staff_publish_notices(
        &self,
        login: &str,
        notices: Vec<PublishedNotice>,
        dry_run: bool,
    ) -> Result<StaffPublication, ServiceError> {
        let now = self.now();
        let engine = self.engine();
        let knowledge = engine.knowledge();
        let practice = &knowledge.practice;
        let mut previews = Vec::new();
        for mut published in notices {
            let id = &published.id;
            if knowledge.notice(id).is_some()
                || knowledge.faq(id).is_some()
                || knowledge.rule(id).is_some()
            {
                return Ok(StaffPublication::Refused(format!(
                    "`{id}` is already an entry of the knowledge folder carebot serves: give the notice another id"
                )));
            }
            if let Some(topic) = published
                .topics
                .iter()
                .find(|t| !practice.notice_topics.contains(t))
            {
                return Ok(StaffPublication::Refused(format!(
                    "notice `{id}`: `{topic}` is not a notice topic of the practice carebot serves; its topics are: {}",
                    practice.notice_topics.join(", ")
                )));
            }
            if published.expires_at <= now {
                return Ok(StaffPublication::Refused(format!(
                    "notice `{id}` ended on {}: there is nothing to send",
                    wording::last_day(practice, published.expires_at)
                )));
            }
            published.by = Actor::Staff {
                login: login.to_string(),
            };
            published.drafted_at = now;
            published.published_at = Some(now);
            previews.push(NoticePreview {
                subscribers: self.subscribers_of(&published.topics)?,
                message: notice_message(practice, &as_notice(&published)).text,
                notice: published,
            });
        }
        if dry_run {
            return Ok(StaffPublication::Done {
                previews,
                queued: 0,
            });
        }
        let published: Vec<PublishedNotice> = previews.iter().map(|p| p.notice.clone()).collect();
        if let Err(taken) = self.store().publish_notices(&published, now)? {
            return Ok(StaffPublication::Refused(format!(
                "notice `{}` was published already, on {} by {}: give the new one another id",
                taken.id,
                wording::local_time(practice, taken.published_at.unwrap_or(taken.drafted_at)),
                crate::store::notice_author(&taken)
            )));
        }
        let subscriptions = self.store().subscriptions()?;
        let mut queued = 0;
        for published in &published {
            tracing::info!(notice = %published.id, topics = ?published.topics, "staff published a health notice");
            let notice = as_notice(published);
            if notice.is_active(now) {
                queued += self.queue_for_subscribers(practice, &notice, &subscriptions, now)?;
            }
        }
        Ok(StaffPublication::Done { previews, queued })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get("America/New_York").unwrap()
    }

    #[test]
    fn an_expiry_is_read_from_the_start_of_the_text_or_defaults_to_a_week() {
        let now: Timestamp = "2026-11-23T19:00:00Z".parse().unwrap();
        let (end, text) =
            read_expiry("until 2026-11-30 Measles case\nin town", &zone(), now).unwrap();
        // Through the 30th in New York: midnight there is 05:00 UTC.
        assert_eq!(end, "2026-12-01T05:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(text, "Measles case\nin town");
        let (end, text) = read_expiry("for 3 days: clinic closed", &zone(), now).unwrap();
        assert_eq!(end, "2026-11-26T19:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(text, "clinic closed");
        let (end, text) = read_expiry("until further notice we are closed", &zone(), now).unwrap();
        assert_eq!(end, "2026-11-30T19:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(text, "until further notice we are closed");
        assert!(read_expiry("until 2026-11-01 late", &zone(), now).is_err());
        assert!(read_expiry("for 20 weeks long", &zone(), now).is_err());
    }

    #[test]
    fn draft_ids_are_read_as_clinicians_type_them() {
        assert_eq!(draft_id("n-4"), "N-0004");
        assert_eq!(draft_id("N0012"), "N-0012");
        assert_eq!(draft_id("flu-clinic"), "flu-clinic");
        assert_eq!(
            title_of(&["vaccination-clinics".into()]),
            "Vaccination clinics"
        );
    }
}
