//! Health notices for patients: the list of those in force (`/notices`),
//! subscribing to the practice's topics and stopping (`/subscribe`,
//! `/unsubscribe`, "stop alerts"), sending each notice in force once to
//! every subscriber of one of its topics (from upkeep, every minute), and
//! logging how far each has gone out. The notices are the knowledge
//! folder's and those published from chat or `carebot notice send`
//! (`publishing.rs`).
//!
//! Nobody is subscribed without asking. A notice goes through the outbox as
//! the least urgent of messages, after emergencies, cases and replies, and
//! the record that it was queued for a subscriber is written with it, so a
//! restart never sends it twice.

use std::collections::BTreeSet;

use jiff::Timestamp;

use carebot_chat::{Address, Button, Language, Reply, ReplyKind};

use super::{wording, Response, Service, ServiceError};
use crate::engine::{Engine, Explanation};
use crate::knowledge::{Notice, Practice};
use crate::store::{NoticeProgress, Subscription};
use crate::text::normalize::{fold_accents, normalize};

/// A patient's command about notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum NoticeCommand {
    /// Subscribe to these topics; none named means all of them.
    Subscribe(Vec<String>),
    /// Stop these topics; none named means all of them.
    Unsubscribe(Vec<String>),
}

/// How many notices are queued back to back before [`QUEUEING_PAUSE`]. A
/// notice is queued in a transaction of its own, and sled runs one at a
/// time, holding every other store operation meanwhile: 10,000 back to back
/// (1.2 s) kept a patient's emergency waiting for 0.4–0.7 s. With a pause
/// every 20 it waited 9–23 ms, and the round took no longer.
const QUEUED_BETWEEN_PAUSES: usize = 20;
/// Long enough for the operations waiting on the store to go first.
const QUEUEING_PAUSE: std::time::Duration = std::time::Duration::from_millis(1);

/// Whole messages that subscribe to every topic.
const SUBSCRIBE_PHRASES: &[&str] = &[
    "subscribe",
    "subscribe to alerts",
    "subscribe to health alerts",
    "subscribe to notices",
    "subscribe to health notices",
    "sign me up for alerts",
    "sign me up for health alerts",
];

/// Whole messages that stop every topic.
const UNSUBSCRIBE_PHRASES: &[&str] = &[
    "unsubscribe",
    "stop alerts",
    "stop health alerts",
    "stop notices",
    "stop health notices",
    "no more alerts",
    "no more notices",
];

/// Whole messages in Spanish, accents folded, that subscribe to every topic.
const SUBSCRIBE_PHRASES_ES: &[&str] = &[
    "suscribir",
    "suscribirme",
    "suscribirse",
    "quiero suscribirme",
    "suscribirme a las alertas",
    "suscribirme a las alertas de salud",
    "suscribirme a alertas",
    "suscribirme a los avisos",
    "suscribirme a los avisos de salud",
    "suscribirme a avisos",
    "quiero suscribirme a las alertas",
    "quiero suscribirme a los avisos",
    "quiero recibir alertas",
    "quiero recibir las alertas",
    "quiero recibir avisos",
    "quiero recibir los avisos",
    "activar alertas",
    "activar avisos",
];

/// Whole messages in Spanish, accents folded, that stop every topic.
const UNSUBSCRIBE_PHRASES_ES: &[&str] = &[
    "cancelar suscripcion",
    "cancelar la suscripcion",
    "cancelar mi suscripcion",
    "cancelar alertas",
    "cancelar las alertas",
    "cancelar avisos",
    "cancelar los avisos",
    "darme de baja",
    "quiero darme de baja",
    "darme de baja de las alertas",
    "darme de baja de los avisos",
    "desuscribirme",
    "ya no quiero alertas",
    "ya no quiero las alertas",
    "ya no quiero avisos",
    "ya no quiero los avisos",
    "ya no quiero recibir alertas",
    "ya no quiero recibir avisos",
    "no quiero mas alertas",
    "no quiero mas avisos",
    "no mas alertas",
    "no mas avisos",
    "parar alertas",
    "parar las alertas",
    "parar avisos",
    "parar los avisos",
    "detener alertas",
    "detener las alertas",
    "desactivar alertas",
    "desactivar avisos",
];

/// Words around a command that do not change it ("stop alerts please",
/// "parar alertas, por favor").
const POLITE_ENDINGS: &[&str] = &[" please", " por favor", " porfa", " xfa", ","];

/// The notices command `text` is, if it is one.
#[cfg(test)]
fn notice_command(text: &str) -> Option<NoticeCommand> {
    notice_command_in(text).map(|(command, _)| command)
}

/// The notices command `text` is, if it is one, and the language its words
/// are in ("/suscribir" and "parar alertas" are Spanish).
pub(super) fn notice_command_in(text: &str) -> Option<(NoticeCommand, Language)> {
    // Accents folded: "suscripción" and "suscripcion" are one word.
    let normalized = fold_accents(&normalize(text));
    let trimmed = normalized
        .trim()
        .trim_start_matches(['¡', '¿'])
        .trim_end_matches(['.', '!', '?'])
        .trim();
    let (first, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
    let first = first.split('@').next().unwrap_or(first);
    let topics = || -> Vec<String> {
        rest.split(',')
            .map(|part| part.trim().replace(' ', "-"))
            .filter(|topic| {
                !topic.is_empty() && !["all", "todo", "todos", "todas"].contains(&topic.as_str())
            })
            .collect()
    };
    match first {
        "/subscribe" => return Some((NoticeCommand::Subscribe(topics()), Language::English)),
        "/unsubscribe" | "/stop" => {
            return Some((NoticeCommand::Unsubscribe(topics()), Language::English))
        }
        "/suscribir" | "/suscribirme" | "/suscribirse" => {
            return Some((NoticeCommand::Subscribe(topics()), Language::Spanish))
        }
        "/cancelar" | "/baja" | "/desuscribir" | "/desuscribirme" | "/parar" => {
            return Some((NoticeCommand::Unsubscribe(topics()), Language::Spanish))
        }
        _ => {}
    }
    let mut phrase = trimmed;
    while let Some(shorter) = POLITE_ENDINGS
        .iter()
        .find_map(|ending| phrase.strip_suffix(ending))
    {
        phrase = shorter.trim_end();
    }
    let phrase = phrase
        .strip_prefix("por favor, ")
        .or_else(|| phrase.strip_prefix("por favor "))
        .unwrap_or(phrase);
    let tables: [(&[&str], bool, Language); 4] = [
        (SUBSCRIBE_PHRASES, true, Language::English),
        (UNSUBSCRIBE_PHRASES, false, Language::English),
        (SUBSCRIBE_PHRASES_ES, true, Language::Spanish),
        (UNSUBSCRIBE_PHRASES_ES, false, Language::Spanish),
    ];
    tables
        .iter()
        .find(|(phrases, _, _)| phrases.contains(&phrase))
        .map(|&(_, subscribing, language)| {
            let command = if subscribing {
                NoticeCommand::Subscribe(Vec::new())
            } else {
                NoticeCommand::Unsubscribe(Vec::new())
            };
            (command, language)
        })
}

/// The notice as a subscriber receives it; its `entry` names the notice,
/// so that its progress can be followed through the outbox.
pub(super) fn notice_message(practice: &Practice, notice: &Notice) -> Reply {
    Reply {
        entry: Some(notice.id.clone()),
        ..Reply::plain(
            ReplyKind::Notice,
            format!(
                "**Notice from {}: {}**\n\n{}\n\n(You get these because you asked for health notices. Type /unsubscribe to stop.)",
                practice.name, notice.title, notice.text
            ),
        )
    }
}

/// A reply in `language` (which the first-contact notice then follows too).
fn response(reply: Reply, language: Language) -> Response {
    Response {
        notice: None,
        reply,
        handoff: None,
        case: None,
        explanation: Explanation {
            language: Some(language),
            ..Explanation::default()
        },
    }
}

impl Service {
    /// The notices in force, what the patient is subscribed to, and buttons
    /// to change it, in the patient's `language`.
    pub(super) fn notices_list(
        &self,
        engine: &Engine,
        from: &Address,
        now: Timestamp,
        language: Language,
    ) -> Result<Response, ServiceError> {
        let knowledge = engine.knowledge();
        let notices = self.notices(engine).unwrap_or_else(|error| {
            tracing::error!(%error, "cannot read the published health notices; listing the knowledge folder's");
            knowledge.notices.clone()
        });
        let mut reply = wording::notices_in_force(&knowledge.practice, &notices, now, language);
        let topics = &knowledge.practice.notice_topics;
        if topics.is_empty() {
            return Ok(response(reply, language));
        }
        let subscribed = self
            .store()
            .subscription(from)?
            .map(|s| s.topics)
            .unwrap_or_default();
        let spanish = language == Language::Spanish;
        let (subscribe, stop) = if spanish {
            ("/suscribir", "/baja")
        } else {
            ("/subscribe", "/unsubscribe")
        };
        if subscribed.is_empty() {
            reply.text.push_str(&if spanish {
                format!(
                    "\n\nPuedo enviarle los avisos del consultorio a medida que se publiquen, sobre: {}. Escriba /suscribir (todos) o /suscribir y un tema.",
                    topics.join(", ")
                )
            } else {
                format!(
                    "\n\nI can send you the practice's notices as they come out, on: {}. Type /subscribe (all of them) or /subscribe and a topic.",
                    topics.join(", ")
                )
            });
            reply.buttons.push(Button {
                label: if spanish {
                    "Suscribirme a todos"
                } else {
                    "Subscribe to all"
                }
                .into(),
                reply: subscribe.into(),
            });
        } else {
            let names: Vec<&str> = subscribed.iter().map(String::as_str).collect();
            reply.text.push_str(&if spanish {
                format!(
                    "\n\nRecibe avisos sobre: {}. Escriba /baja para dejar de recibirlos.",
                    names.join(", ")
                )
            } else {
                format!(
                    "\n\nYou get notices about: {}. Type /unsubscribe to stop.",
                    names.join(", ")
                )
            });
            reply.buttons.push(Button {
                label: if spanish {
                    "Dejar de recibir avisos"
                } else {
                    "Stop notices"
                }
                .into(),
                reply: stop.into(),
            });
        }
        for topic in topics.iter().filter(|topic| !subscribed.contains(*topic)) {
            reply.buttons.push(Button {
                label: if spanish {
                    format!("Suscribirme: {topic}")
                } else {
                    format!("Subscribe: {topic}")
                },
                reply: format!("{subscribe} {topic}"),
            });
        }
        Ok(response(reply, language))
    }

    /// Subscribes `from` to `topics` (all when empty) or stops them, and
    /// says so in the patient's `language`.
    pub(super) fn change_subscription(
        &self,
        engine: &Engine,
        from: &Address,
        command: NoticeCommand,
        now: Timestamp,
        language: Language,
    ) -> Result<Response, ServiceError> {
        let practice = &engine.knowledge().practice;
        let offered = &practice.notice_topics;
        let spanish = language == Language::Spanish;
        if offered.is_empty() {
            return Ok(response(
                Reply::plain(
                    ReplyKind::Notice,
                    if spanish {
                        format!("{} no envía avisos por este chat.", practice.name)
                    } else {
                        format!("{} does not send notices in this chat.", practice.name)
                    },
                ),
                language,
            ));
        }
        let (named, subscribing) = match &command {
            NoticeCommand::Subscribe(topics) => (topics, true),
            NoticeCommand::Unsubscribe(topics) => (topics, false),
        };
        let unknown: Vec<&String> = named.iter().filter(|t| !offered.contains(t)).collect();
        if !unknown.is_empty() {
            let unknown = unknown
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Ok(response(
                Reply::plain(
                    ReplyKind::Notice,
                    if spanish {
                        format!(
                            "No tengo avisos sobre {unknown}. Los temas son: {}.",
                            offered.join(", ")
                        )
                    } else {
                        format!(
                            "I don't have notices about {unknown}. The topics are: {}.",
                            offered.join(", ")
                        )
                    },
                ),
                language,
            ));
        }
        let chosen: BTreeSet<String> = if named.is_empty() {
            offered.iter().cloned().collect()
        } else {
            named.iter().cloned().collect()
        };
        let mut topics = self
            .store()
            .subscription(from)?
            .map(|s| s.topics)
            .unwrap_or_default();
        if subscribing {
            topics.extend(chosen);
        } else {
            topics.retain(|topic| !chosen.contains(topic));
        }
        self.store().set_subscription(from, topics.clone(), now)?;
        tracing::info!(
            topics = topics.len(),
            "a patient changed their notice subscription"
        );
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        let text = match (topics.is_empty(), spanish) {
            (true, true) => {
                "Listo: ya no recibirá más avisos nuestros. Escriba /suscribir para volver a recibirlos."
                    .to_string()
            }
            (true, false) => {
                "Done: you won't get any more notices from us. Type /subscribe to start again."
                    .to_string()
            }
            (false, true) => format!(
                "Listo: recibirá en este chat los avisos de {} sobre {}. Escriba /baja para dejar de recibirlos cuando quiera.",
                practice.name,
                names.join(", ")
            ),
            (false, false) => format!(
                "Done: you'll get {}'s notices about {} in this chat. Type /unsubscribe to stop at any time.",
                practice.name,
                names.join(", ")
            ),
        };
        Ok(response(Reply::plain(ReplyKind::Notice, text), language))
    }

    /// Every notice: the knowledge folder's, then those published from
    /// chat or the command line (drafts left out), in force or not.
    pub(super) fn notices(&self, engine: &Engine) -> Result<Vec<Notice>, ServiceError> {
        let mut notices = engine.knowledge().notices.clone();
        for published in self.store().published_notices()? {
            if published.published_at.is_some() {
                notices.push(super::publishing::as_notice(&published));
            }
        }
        Ok(notices)
    }

    /// Queues every notice in force for each subscriber of one of its
    /// topics who has not had it yet; how many messages were queued.
    pub fn send_notices(&self) -> Result<usize, ServiceError> {
        let now = self.now();
        let engine = self.engine();
        let in_force: Vec<Notice> = self
            .notices(&engine)?
            .into_iter()
            .filter(|notice| notice.is_active(now))
            .collect();
        if in_force.is_empty() {
            return Ok(0);
        }
        let subscriptions = self.store().subscriptions()?;
        let mut queued = 0;
        for notice in &in_force {
            queued += self.queue_for_subscribers(
                &engine.knowledge().practice,
                notice,
                &subscriptions,
                now,
            )?;
        }
        Ok(queued)
    }

    /// Queues `notice` for each of `subscriptions` on one of its topics who
    /// has not had it yet; how many. It pauses now and then (see
    /// [`QUEUED_BETWEEN_PAUSES`]): call it on a blocking thread.
    pub(super) fn queue_for_subscribers(
        &self,
        practice: &Practice,
        notice: &Notice,
        subscriptions: &[Subscription],
        now: Timestamp,
    ) -> Result<usize, ServiceError> {
        let message = notice_message(practice, notice);
        let mut queued = 0;
        for subscription in subscriptions {
            if !notice
                .topics
                .iter()
                .any(|t| subscription.topics.contains(t))
            {
                continue;
            }
            if self
                .store()
                .queue_notice(&notice.id, &subscription.patient, &message, now)?
            {
                queued += 1;
                if queued % QUEUED_BETWEEN_PAUSES == 0 {
                    std::thread::sleep(QUEUEING_PAUSE);
                }
            }
        }
        if queued > 0 {
            tracing::info!(notice = %notice.id, queued, "health notice queued for subscribers");
            self.queued();
        }
        Ok(queued)
    }

    /// Logs each notice's progress (queued, sent, pending, failed) when it
    /// changed since `logged`, which holds what was logged last: a line per
    /// notice as it goes out, and one when its last message is done. A
    /// notice already done when first seen (after a restart) is not logged.
    pub fn log_notice_progress(
        &self,
        logged: &mut std::collections::HashMap<String, NoticeProgress>,
    ) -> Result<(), ServiceError> {
        let current = self.store().notice_progress()?;
        for (notice, progress) in progress_to_log(logged, current) {
            tracing::info!(
                notice = %notice,
                queued = progress.queued,
                sent = progress.sent,
                pending = progress.pending,
                failed = progress.failed,
                "{}",
                if progress.pending == 0 {
                    "health notice has finished going out"
                } else {
                    "health notice progress"
                }
            );
            logged.insert(notice, progress);
        }
        Ok(())
    }
}

/// The notices whose progress changed since `logged`, leaving out one first
/// seen with nothing left to send (finished before a restart).
fn progress_to_log(
    logged: &std::collections::HashMap<String, NoticeProgress>,
    current: std::collections::BTreeMap<String, NoticeProgress>,
) -> Vec<(String, NoticeProgress)> {
    current
        .into_iter()
        .filter(|(notice, progress)| match logged.get(notice) {
            Some(before) => before != progress,
            None => progress.pending > 0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_logged_as_it_changes_and_once_when_done() {
        let going = |sent, pending| NoticeProgress {
            queued: 3,
            sent,
            pending,
            failed: 0,
        };
        let mut logged = std::collections::HashMap::new();
        let current = [
            ("flu".to_string(), going(1, 2)),
            ("old".to_string(), going(3, 0)),
        ];
        let first = progress_to_log(&logged, current.into_iter().collect());
        // A notice finished before this process started is not news.
        assert_eq!(first, [("flu".to_string(), going(1, 2))]);
        logged.extend(first);
        assert!(progress_to_log(&logged, [("flu".to_string(), going(1, 2))].into()).is_empty());
        assert_eq!(
            progress_to_log(&logged, [("flu".to_string(), going(3, 0))].into()),
            [("flu".to_string(), going(3, 0))]
        );
    }

    #[test]
    fn subscribe_and_stop_commands_name_topics_or_mean_all() {
        assert_eq!(
            notice_command("/subscribe"),
            Some(NoticeCommand::Subscribe(vec![]))
        );
        assert_eq!(
            notice_command("/subscribe all"),
            Some(NoticeCommand::Subscribe(vec![]))
        );
        assert_eq!(
            notice_command("/subscribe outbreaks, vaccination clinics"),
            Some(NoticeCommand::Subscribe(vec![
                "outbreaks".into(),
                "vaccination-clinics".into()
            ]))
        );
        assert_eq!(
            notice_command("Subscribe to health alerts please"),
            Some(NoticeCommand::Subscribe(vec![]))
        );
        assert_eq!(
            notice_command("STOP ALERTS"),
            Some(NoticeCommand::Unsubscribe(vec![]))
        );
        assert_eq!(
            notice_command("/unsubscribe closures"),
            Some(NoticeCommand::Unsubscribe(vec!["closures".into()]))
        );
        // Not commands: left to the FAQ and triage.
        assert_eq!(
            notice_command("how do I stop my alerts on the portal"),
            None
        );
        assert_eq!(notice_command("I can't stop coughing"), None);
    }

    #[test]
    fn spanish_subscribe_and_stop_commands_are_read_as_spanish() {
        let spanish = |text| notice_command_in(text).map(|(_, language)| language);
        assert_eq!(
            notice_command_in("/suscribir outbreaks"),
            Some((
                NoticeCommand::Subscribe(vec!["outbreaks".into()]),
                Language::Spanish
            ))
        );
        assert_eq!(
            notice_command("/suscribirme todos"),
            Some(NoticeCommand::Subscribe(vec![]))
        );
        assert_eq!(
            notice_command("Suscribirme a las alertas, por favor"),
            Some(NoticeCommand::Subscribe(vec![]))
        );
        for stop in [
            "/cancelar",
            "/baja",
            "¡Ya no quiero alertas!",
            "parar alertas por favor",
            "cancelar la suscripción",
        ] {
            assert_eq!(
                notice_command(stop),
                Some(NoticeCommand::Unsubscribe(vec![])),
                "{stop}"
            );
            assert_eq!(spanish(stop), Some(Language::Spanish), "{stop}");
        }
        assert_eq!(spanish("/subscribe"), Some(Language::English));
        assert_eq!(spanish("stop alerts please"), Some(Language::English));
        // Not commands.
        assert_eq!(notice_command("no puedo parar de toser"), None);
        assert_eq!(notice_command("quiero cancelar mi cita"), None);
    }
}
