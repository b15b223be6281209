//! What patients and clinicians are told about cases. Kept in one place so the
//! wording can be reviewed together (and later made overridable by the
//! practice like the engine's own sentences).

use jiff::Timestamp;

use carebot_chat::{Button, Language, Level, Reply, ReplyKind, USAGE};

use crate::handoff::{CaseStatus, HandoffCase, HandoffSettings, Trigger};
use crate::knowledge::{Notice, Practice};
use crate::record::RecordSettings;
use crate::store::{Forgotten, PatientData};

/// How many of the patient's messages a notification quotes.
const TRANSCRIPT_MESSAGES: usize = 6;
/// Longest quoted message, in characters.
const QUOTE_CHARS: usize = 400;
/// How many messages since opening a notification quotes: the latest, so an
/// update stays the same size however long the patient keeps writing (the
/// clinicians' chat may take only 20 messages a minute; `/case` shows all).
const NOTIFIED_THREAD_MESSAGES: usize = 6;

/// The practice's health notices in force at `now` (the knowledge folder's
/// and those published from chat or the command line), newest first, each
/// with the day it runs to; or that there are none. Framed in the patient's
/// `language`; each notice's title and text as the knowledge gives them.
pub fn notices_in_force(
    practice: &Practice,
    notices: &[Notice],
    now: Timestamp,
    language: Language,
) -> Reply {
    let mut notices: Vec<_> = notices
        .iter()
        .filter(|notice| notice.is_active(now))
        .collect();
    if notices.is_empty() {
        let text = match language {
            Language::Spanish => format!(
                "En este momento no hay avisos de {}. Para cualquier otra cosa, pregúnteme o llámenos al {}.",
                practice.name, practice.phone
            ),
            Language::English => format!(
                "There are no notices from {} right now. For anything else, just ask, or call us on {}.",
                practice.name, practice.phone
            ),
        };
        return Reply::plain(ReplyKind::Answer, text);
    }
    notices.sort_by_key(|notice| std::cmp::Reverse(notice.publish_at));
    let (mut text, until) = match language {
        Language::Spanish => (format!("Avisos de {}:", practice.name), "hasta el"),
        Language::English => (format!("Notices from {}:", practice.name), "until"),
    };
    for notice in notices {
        text.push_str(&format!(
            "\n\n**{}** ({until} {})\n{}",
            notice.title,
            last_day_in(practice, notice.expires_at, language),
            notice.text
        ));
    }
    Reply::plain(ReplyKind::Answer, text)
}

/// Abbreviated days of the week in Spanish, Monday first.
const DAYS_ES: [&str; 7] = ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"];
/// Abbreviated months in Spanish, January first.
const MONTHS_ES: [&str; 12] = [
    "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
];

/// A day as a patient reading `language` reads it: "Sat 28 Nov 2026",
/// "sáb 28 nov 2026".
fn day_in(day: &jiff::Zoned, language: Language) -> String {
    match language {
        Language::English => day.strftime("%a %-d %b %Y").to_string(),
        Language::Spanish => format!(
            "{} {} {} {}",
            DAYS_ES[day.weekday().to_monday_zero_offset() as usize],
            day.day(),
            MONTHS_ES[(day.month() - 1) as usize],
            day.year()
        ),
    }
}

/// [`last_day`] in the patient's language.
pub fn last_day_in(practice: &Practice, expires_at: Timestamp, language: Language) -> String {
    let last = expires_at.to_zoned(practice.time_zone.clone()) - jiff::Span::new().seconds(1);
    day_in(&last, language)
}

/// [`local_time`] in the patient's language: "sáb 28 nov 2026, 14:00 EST".
pub fn local_time_in(practice: &Practice, at: Timestamp, language: Language) -> String {
    match language {
        Language::English => local_time(practice, at),
        Language::Spanish => {
            let local = at.to_zoned(practice.time_zone.clone());
            format!(
                "{}, {}",
                day_in(&local, language),
                local.strftime("%H:%M %Z")
            )
        }
    }
}

/// The last day something ending at `expires_at` runs, in the practice's
/// calendar ("Sat 28 Nov 2026" for midnight on the 29th).
pub fn last_day(practice: &Practice, expires_at: Timestamp) -> String {
    last_day_in(practice, expires_at, Language::English)
}

/// A time as people at the practice read it.
pub fn local_time(practice: &Practice, at: Timestamp) -> String {
    at.to_zoned(practice.time_zone.clone())
        .strftime("%a %-d %b %Y %H:%M %Z")
        .to_string()
}

fn quote(text: &str) -> String {
    let mut short: String = text.chars().take(QUOTE_CHARS).collect();
    if text.chars().nth(QUOTE_CHARS).is_some() {
        short.push('…');
    }
    format!("> {}", inert(&short))
}

/// Patient text made inert for a message carebot writes: on one line (so a
/// typed "\nStatus: resolved" can never look like carebot's own line), with
/// control characters gone, Markdown links broken (`[chart](https://…)` shows
/// as typed, not as a live link) and web addresses defanged so no client turns
/// them into links.
fn inert(text: &str) -> String {
    const ZERO_WIDTH_SPACE: &str = "\u{200B}";
    text.chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .replace("](", &format!("]{ZERO_WIDTH_SPACE}("))
        .replace("://", &format!(":{ZERO_WIDTH_SPACE}//"))
        .replace("www.", &format!("www{ZERO_WIDTH_SPACE}."))
}

/// The short notice a patient gets the first time they write, in the
/// language they wrote in, with a button for each of the practice's other
/// languages.
pub fn first_contact(
    practice: &Practice,
    settings: &HandoffSettings,
    record: &RecordSettings,
    language: Language,
) -> Reply {
    let mut reply = match language {
        Language::Spanish => first_contact_es(practice, settings, record),
        Language::English => first_contact_en(practice, settings, record),
    };
    reply.buttons = practice
        .languages
        .iter()
        .filter(|&&other| other != language && practice.languages.len() > 1)
        .map(|other| Button {
            label: other.own_name().to_string(),
            reply: format!("/language {}", other.code()),
        })
        .collect();
    reply
}

fn first_contact_es(
    practice: &Practice,
    settings: &HandoffSettings,
    record: &RecordSettings,
) -> Reply {
    let mut text = format!(
        "¡Hola! Soy el asistente automático de {name}. Respondo preguntas sobre el consultorio, le ayudo a decidir dónde atenderse y puedo pasar su mensaje a nuestro equipo. No soy personal médico y **no atiendo emergencias**: para eso, llame al {emergency} ahora.\n\n\
         Lo que guardo: esta conversación y lo que se pase a nuestro equipo, hasta {days} días, para que el equipo pueda ayudarle. Escriba **/misdatos** para verlo, o **/olvidame** para borrarlo.",
        name = practice.name,
        emergency = practice.emergency_number,
        days = settings.retention_days,
    );
    if record.push {
        text.push_str(" Cuando un profesional haya vinculado este chat con su historia clínica en el consultorio, nuestros mensajes también se copian a esa historia al cerrar su caso, y el consultorio los conserva como el resto de su historia.");
    }
    Reply::plain(ReplyKind::Notice, text)
}

fn first_contact_en(
    practice: &Practice,
    settings: &HandoffSettings,
    record: &RecordSettings,
) -> Reply {
    let mut text = format!(
        "Hello! I'm the automated assistant of {name}. I answer questions about the practice and help you decide where to get care, and I can pass your message to our team. I'm not a clinician, and I'm **not for emergencies**: for those, call {emergency} now.\n\n\
         What I keep: this conversation and anything passed to our team, for up to {days} days, so the team can help you. Type **what do you know about me** to see it, or **forget me** to delete it.",
        name = practice.name,
        emergency = practice.emergency_number,
        days = settings.retention_days,
    );
    if record.push {
        text.push_str(" Once a clinician has linked this chat to your medical record at the practice, our messages are also copied to that record when your case is closed, and the practice keeps them as it keeps the rest of your record.");
    }
    Reply::plain(ReplyKind::Notice, text)
}

/// What happens next, for a patient whose message opened (or joined) a case.
pub fn case_next_steps(
    practice: &Practice,
    case: &HandoffCase,
    open_now: bool,
    joined: bool,
    language: Language,
) -> Reply {
    if language == Language::Spanish {
        return case_next_steps_es(practice, case, open_now, joined);
    }
    let id = case.id;
    let mut text = String::new();
    if case.level == Some(Level::Emergency) {
        text.push_str(&format!(
            "**Call {} now — don't wait for a reply from us.** ",
            practice.emergency_number
        ));
    }
    if joined {
        text.push_str(&format!(
            "I've added this to your case **{id}** and told the team."
        ));
    } else {
        text.push_str(&format!(
            "I've passed this to the practice team as case **{id}**."
        ));
    }
    if open_now {
        text.push_str(" A member of the team will reply here as soon as they can. If it gets worse, or you haven't heard from us soon, call us on ");
        text.push_str(&practice.phone);
        text.push('.');
    } else {
        text.push_str(&format!(
            " The practice is closed right now, so the team will see it when we reopen. If you need advice before then, call our after-hours line on {}.",
            practice.after_hours_line
        ));
    }
    if case.level != Some(Level::Emergency) {
        text.push_str(&format!(
            " In an emergency, call {} now.",
            practice.emergency_number
        ));
    }
    about_case(case, text)
}

fn case_next_steps_es(
    practice: &Practice,
    case: &HandoffCase,
    open_now: bool,
    joined: bool,
) -> Reply {
    let id = case.id;
    let mut text = String::new();
    if case.level == Some(Level::Emergency) {
        text.push_str(&format!(
            "**Llame al {} ahora; no espere nuestra respuesta.** ",
            practice.emergency_number
        ));
    }
    if joined {
        text.push_str(&format!(
            "Lo he añadido a su caso **{id}** y he avisado al equipo."
        ));
    } else {
        text.push_str(&format!(
            "He pasado esto al equipo del consultorio como el caso **{id}**."
        ));
    }
    if open_now {
        text.push_str(&format!(" Alguien del equipo le responderá aquí lo antes posible. Si empeora, o si no sabe de nosotros pronto, llámenos al {}.", practice.phone));
    } else {
        text.push_str(&format!(" El consultorio está cerrado ahora, así que el equipo lo verá cuando abramos. Si necesita consejo antes, llame a nuestra línea fuera de horario al {}.", practice.after_hours_line));
    }
    if case.level != Some(Level::Emergency) {
        text.push_str(&format!(
            " En una emergencia, llame al {} ahora.",
            practice.emergency_number
        ));
    }
    about_case(case, text)
}

/// What happens next, for a patient whose message should have opened (or
/// joined) a case that carebot could not store: nobody at the practice has
/// been told, so the patient must not wait for a reply.
pub fn case_not_passed_on(
    practice: &Practice,
    level: Option<Level>,
    open_now: bool,
    language: Language,
) -> Reply {
    if language == Language::Spanish {
        let mut text = String::new();
        if level == Some(Level::Emergency) {
            text.push_str(&format!(
                "**Llame al {} ahora.** ",
                practice.emergency_number
            ));
        }
        text.push_str("No pude pasar esto al equipo del consultorio por un problema de nuestro lado, así que **nadie lo ha visto todavía**. ");
        if open_now {
            text.push_str(&format!("Por favor, llámenos al {}.", practice.phone));
        } else {
            text.push_str(&format!(
                "El consultorio está cerrado ahora: llame a nuestra línea fuera de horario al {}.",
                practice.after_hours_line
            ));
        }
        if level != Some(Level::Emergency) {
            text.push_str(&format!(
                " En una emergencia, llame al {} ahora.",
                practice.emergency_number
            ));
        }
        return Reply::plain(ReplyKind::Notice, text);
    }
    let mut text = String::new();
    if level == Some(Level::Emergency) {
        text.push_str(&format!("**Call {} now.** ", practice.emergency_number));
    }
    text.push_str("I couldn't pass this on to the practice team because of a problem on our side, so **nobody has seen it yet**. ");
    if open_now {
        text.push_str(&format!("Please call us on {}.", practice.phone));
    } else {
        text.push_str(&format!(
            "The practice is closed right now: please call our after-hours line on {}.",
            practice.after_hours_line
        ));
    }
    if level != Some(Level::Emergency) {
        text.push_str(&format!(
            " In an emergency, call {} now.",
            practice.emergency_number
        ));
    }
    Reply::plain(ReplyKind::Notice, text)
}

/// The heading clinicians see for a case: id, level, rule.
fn heading(case: &HandoffCase, rule_title: Option<&str>) -> String {
    let level = case
        .level
        .map(|level| level.as_str().to_uppercase().replace('_', " "))
        .unwrap_or_else(|| "NO LEVEL".to_string());
    let why = match (&case.trigger, rule_title) {
        (Trigger::Rule { rule }, Some(title)) => format!("{rule} ({title})"),
        (Trigger::Rule { rule }, None) => rule.clone(),
        (Trigger::PatientAsked, _) => "patient asked for a person".to_string(),
    };
    format!("{} — {level} · {why}", case.id)
}

/// Everything a clinician needs to act on a case: for `/case` and
/// `carebot case`.
pub fn case_details(practice: &Practice, case: &HandoffCase, rule_title: Option<&str>) -> String {
    details(practice, case, rule_title, usize::MAX)
}

/// What a notification says about a case: its details, with only the latest
/// messages since opening.
fn notified_details(practice: &Practice, case: &HandoffCase, rule_title: Option<&str>) -> String {
    details(practice, case, rule_title, NOTIFIED_THREAD_MESSAGES)
}

/// A case's details, quoting at most the latest `thread_messages` messages
/// since opening.
fn details(
    practice: &Practice,
    case: &HandoffCase,
    rule_title: Option<&str>,
    thread_messages: usize,
) -> String {
    let mut lines = vec![
        heading(case, rule_title),
        format!(
            "Patient: {} · opened {}{}",
            case.patient,
            local_time(practice, case.opened_at),
            if case.after_hours {
                " (after hours)"
            } else {
                ""
            }
        ),
        format!("Status: {}", status_line(practice, case)),
    ];
    if !case.messages.is_empty() {
        lines.push("Patient wrote:".to_string());
        let skip = case.messages.len().saturating_sub(TRANSCRIPT_MESSAGES);
        if skip > 0 {
            lines.push(format!("(… {skip} earlier)"));
        }
        lines.extend(case.messages[skip..].iter().map(|m| quote(m)));
    }
    if !case.answers.is_empty() {
        lines.push("Follow-up answers:".to_string());
        for answer in &case.answers {
            lines.push(format!("- {} → {}", answer.question, quote(&answer.answer)));
        }
    }
    if !case.thread.is_empty() {
        lines.push("Since then:".to_string());
        let skip = case.thread.len().saturating_sub(thread_messages);
        if skip > 0 {
            lines.push(format!("(… {skip} earlier: /case {} shows them)", case.id));
        }
        for message in &case.thread[skip..] {
            let who = message.clinician.as_deref().unwrap_or("patient");
            // Everyone's words are quoted: only carebot writes unquoted lines.
            lines.push(format!(
                "- {} {who}: {}",
                local_time(practice, message.at),
                quote(&message.text)
            ));
        }
    }
    lines.join("\n")
}

fn status_line(practice: &Practice, case: &HandoffCase) -> String {
    match (&case.claim, &case.resolution) {
        (_, Some(resolution)) => format!(
            "resolved by {} {} — {}",
            resolution.name,
            local_time(practice, resolution.at),
            resolution.note
        ),
        (Some(claim), None) => format!(
            "claimed by {} {}",
            claim.name,
            local_time(practice, claim.at)
        ),
        (None, None) => "open, not claimed yet".to_string(),
    }
}

/// How to act on a case, as text and buttons.
fn actions(case: &HandoffCase) -> (String, Vec<Button>) {
    let id = case.id;
    let text =
        format!("Act on it: /claim {id} · /reply {id} <message> · /resolve {id} <note> · /cases");
    let buttons = match case.status() {
        CaseStatus::Open => vec![Button {
            label: format!("Claim {id}"),
            reply: format!("/claim {id}"),
        }],
        _ => Vec::new(),
    };
    (text, buttons)
}

/// A notification to the clinicians: `headline`, the case's details (the
/// latest messages only), and how to act on it.
fn notification(
    headline: &str,
    practice: &Practice,
    case: &HandoffCase,
    rule_title: Option<&str>,
) -> Reply {
    let (act, buttons) = actions(case);
    let details = notified_details(practice, case, rule_title);
    Reply {
        level: case.level,
        entry: Some(case.id.to_string()),
        buttons,
        handoff: true,
        ..Reply::plain(ReplyKind::Notice, format!("{headline}{details}\n\n{act}"))
    }
}

/// The notification of a new case, to the clinicians.
pub fn case_opened(practice: &Practice, case: &HandoffCase, rule_title: Option<&str>) -> Reply {
    notification("🔔 New case ", practice, case, rule_title)
}

/// More from the patient on a case, to the clinicians or the claimer.
pub fn case_updated(practice: &Practice, case: &HandoffCase, rule_title: Option<&str>) -> Reply {
    notification("✉️ Update on case ", practice, case, rule_title)
}

/// More from the patient that made a case an emergency, to the clinicians or
/// the claimer.
pub fn case_escalated(practice: &Practice, case: &HandoffCase, rule_title: Option<&str>) -> Reply {
    notification("🚨 Case now an emergency: ", practice, case, rule_title)
}

/// The reminder for a case nobody has claimed.
pub fn case_reminder(
    practice: &Practice,
    case: &HandoffCase,
    rule_title: Option<&str>,
    waited_minutes: u64,
) -> Reply {
    let headline = format!("⏰ Still unclaimed after {waited_minutes} min: ");
    notification(&headline, practice, case, rule_title)
}

/// The language the patient is told about `case` in: the patient's, or
/// English for cases stored before carebot spoke more than one language.
fn patient_language(case: &HandoffCase) -> Language {
    case.language.unwrap_or(Language::English)
}

/// To a patient whose case nobody has claimed in time.
pub fn please_phone(practice: &Practice, case: &HandoffCase, open_now: bool) -> Reply {
    let line = if open_now {
        &practice.phone
    } else {
        &practice.after_hours_line
    };
    let text = match patient_language(case) {
        Language::Spanish => format!(
            "Lo siento, nadie del equipo ha podido atender todavía el caso **{}**. Por favor, llame {}, al {line}, en lugar de esperar aquí. En una emergencia, llame al {} ahora.",
            case.id,
            if open_now { "al consultorio" } else { "a nuestra línea fuera de horario" },
            practice.emergency_number
        ),
        Language::English => format!(
            "Sorry, nobody from the team has been able to pick up case **{}** yet. Please phone {} on {line} rather than waiting here. In an emergency, call {} now.",
            case.id,
            if open_now { "the practice" } else { "our after-hours line" },
            practice.emergency_number
        ),
    };
    about_case(case, text)
}

/// A notice to the patient about their case (the case id as its entry, so
/// adapters and the transcript can tell which case it is about).
fn about_case(case: &HandoffCase, text: impl Into<String>) -> Reply {
    Reply {
        entry: Some(case.id.to_string()),
        ..Reply::plain(ReplyKind::Notice, text)
    }
}

/// To the patient, when a clinician takes their case.
pub fn claimed(case: &HandoffCase, name: &str) -> Reply {
    let text = match patient_language(case) {
        Language::Spanish => format!(
            "{name}, del equipo del consultorio, está revisando su caso **{}** y le responderá aquí.",
            case.id
        ),
        Language::English => format!(
            "{name} from the practice team is looking at your case **{}** and will reply here.",
            case.id
        ),
    };
    about_case(case, text)
}

/// A clinician's message, as the patient sees it: their words as written,
/// after their name and the practice's. The framing has no words of its own,
/// so it reads the same in every language.
pub fn from_clinician(practice: &Practice, case: &HandoffCase, name: &str, text: &str) -> Reply {
    about_case(case, format!("**{name} ({}):** {text}", practice.name))
}

/// To the patient, when their case is closed.
pub fn resolved(practice: &Practice, case: &HandoffCase) -> Reply {
    let text = match patient_language(case) {
        Language::Spanish => format!(
            "El equipo ha cerrado el caso **{}**. Si necesita algo más, escriba aquí o llámenos al {}.",
            case.id, practice.phone
        ),
        Language::English => format!(
            "The team has closed case **{}**. If there's anything else, write here or call us on {}.",
            case.id, practice.phone
        ),
    };
    about_case(case, text)
}

/// To a patient with a claimed case, when the bot had nothing better to say.
pub fn passed_on(case: &HandoffCase, name: &str) -> Reply {
    let text = match patient_language(case) {
        Language::Spanish => format!("Le he pasado eso a {name} (caso **{}**).", case.id),
        Language::English => format!("I've passed that on to {name} (case **{}**).", case.id),
    };
    about_case(case, text)
}

/// To someone who used a clinician command without being a clinician.
pub fn refused() -> Reply {
    Reply::plain(
        ReplyKind::Notice,
        "Sorry, only the practice's clinicians can use that command. If you're a patient and need help, just tell me what's wrong, or type **agent** to reach a person.",
    )
}

/// The list of clinician commands.
pub fn help() -> Reply {
    Reply::plain(
        ReplyKind::Notice,
        format!("Clinician commands:\n{}", USAGE.join("\n")),
    )
}

/// One line per case, for `/cases` and `carebot cases`.
pub fn case_line(practice: &Practice, case: &HandoffCase) -> String {
    let level = case.level.map(Level::as_str).unwrap_or("-");
    let why = case.rule().unwrap_or("asked for a person");
    let who = match (&case.claim, &case.resolution) {
        (_, Some(resolution)) => format!(" · resolved by {}", resolution.name),
        (Some(claim), None) => format!(" · claimed by {}", claim.name),
        (None, None) => String::new(),
    };
    format!(
        "{} {} {level} · {why} · {}{who}",
        case.id,
        case.status(),
        local_time(practice, case.opened_at)
    )
}

/// "What do you know about me": everything stored about the patient, in
/// their `language` (their own words and the clinicians' quoted as written).
pub fn patient_data(practice: &Practice, data: &PatientData, language: Language) -> Reply {
    let spanish = language == Language::Spanish;
    let at = |time: Timestamp| local_time_in(practice, time, language);
    let mut lines = vec![if spanish {
        "Esto es todo lo que he guardado sobre usted en este chat:"
    } else {
        "Here is everything I've stored about you in this chat:"
    }
    .to_string()];
    let nothing = data.notice.is_none()
        && data.conversation.is_none()
        && data.cases.is_empty()
        && data.outbox.is_empty()
        && data.subscription.is_none()
        && data.correspondence.is_empty()
        && data.record_link.is_none();
    if let Some(notice) = &data.notice {
        lines.push(if spanish {
            format!("- Nos escribió por primera vez el {}.", at(notice.at))
        } else {
            format!("- You first wrote on {}.", at(notice.at))
        });
    }
    if let Some(subscription) = &data.subscription {
        let topics: Vec<&str> = subscription.topics.iter().map(String::as_str).collect();
        lines.push(if spanish {
            format!(
                "- Recibe avisos de salud sobre: {} (desde el {}; escriba /baja para dejar de recibirlos).",
                topics.join(", "),
                at(subscription.since)
            )
        } else {
            format!(
                "- You get health notices about: {} (since {}; type /unsubscribe to stop).",
                topics.join(", "),
                at(subscription.since)
            )
        });
    }
    if let Some(record) = &data.conversation {
        lines.push(if spanish {
            format!(
                "- Nuestra conversación, actualizada por última vez el {}. Sus mensajes recientes:",
                at(record.updated_at)
            )
        } else {
            format!(
                "- Our conversation, last updated {}. Your recent messages:",
                at(record.updated_at)
            )
        });
        for turn in record.turns.iter().filter(|turn| turn.from_patient) {
            lines.push(format!("  {}", quote(&turn.text)));
        }
        for answer in &record.answers {
            lines.push(if spanish {
                format!(
                    "  - le pregunté \"{}\", usted respondió \"{}\"",
                    answer.question, answer.answer
                )
            } else {
                format!(
                    "  - asked \"{}\", you said \"{}\"",
                    answer.question, answer.answer
                )
            });
        }
    }
    for case in &data.cases {
        lines.push(if spanish {
            format!(
                "- Caso {} ({}), abierto el {}{}. Lo que contiene:",
                case.id,
                status_es(case.status()),
                at(case.opened_at),
                case.level
                    .map(|level| format!(", nivel {}", level_es(level)))
                    .unwrap_or_default()
            )
        } else {
            format!(
                "- Case {} ({}), opened {}{}. What it holds:",
                case.id,
                case.status(),
                at(case.opened_at),
                case.level
                    .map(|level| format!(", level {level}"))
                    .unwrap_or_default()
            )
        });
        for message in &case.messages {
            lines.push(format!("  {}", quote(message)));
        }
        for message in &case.thread {
            let who = message
                .clinician
                .as_deref()
                .unwrap_or(if spanish { "usted" } else { "you" });
            lines.push(format!("  - {who}: {}", message.text));
        }
    }
    if let Some(first) = data.correspondence.first() {
        lines.push(if spanish {
            format!(
                "- Nuestros mensajes desde el {} ({} en total), guardados como correspondencia con el consultorio.",
                at(first.at),
                data.correspondence.len()
            )
        } else {
            format!(
                "- Our messages since {} ({} in all), kept as correspondence with the practice.",
                at(first.at),
                data.correspondence.len()
            )
        });
    }
    if let Some(link) = &data.record_link {
        lines.push(if spanish {
            format!(
                "- Un profesional vinculó este chat con su historia clínica en el consultorio el {}.",
                at(link.at)
            )
        } else {
            format!(
                "- A clinician linked this chat to your record at the practice on {}.",
                at(link.at)
            )
        });
    }
    if !data.outbox.is_empty() {
        lines.push(match (spanish, data.outbox.len()) {
            (true, 1) => "- 1 mensaje pendiente de entrega.".to_string(),
            (true, n) => format!("- {n} mensajes pendientes de entrega."),
            (false, n) => format!("- {n} message(s) waiting to be delivered."),
        });
    }
    if nothing {
        lines = vec![if spanish {
            "No he guardado nada sobre usted."
        } else {
            "I haven't stored anything about you."
        }
        .to_string()];
    } else {
        lines.push(String::new());
        lines.push(if spanish {
            format!(
                "Escriba **/olvidame** para borrarlo todo. Su historia clínica en el consultorio es aparte: para eso, llámenos al {}.",
                practice.phone
            )
        } else {
            format!(
                "Type **forget me** to delete all of it. Your medical record at the practice is separate: for that, call us on {}.",
                practice.phone
            )
        });
    }
    Reply::plain(ReplyKind::Notice, lines.join("\n"))
}

/// A case's status as a Spanish-speaking patient reads it.
fn status_es(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::Open => "abierto",
        CaseStatus::Claimed => "en revisión",
        CaseStatus::Resolved => "cerrado",
    }
}

/// A level as a Spanish-speaking patient reads it.
fn level_es(level: Level) -> &'static str {
    match level {
        Level::Emergency => "emergencia",
        Level::Urgent => "urgente",
        Level::Routine => "consulta de rutina",
        Level::SelfCare => "cuidados en casa",
    }
}

/// After "forget me", in the patient's `language` (read before everything
/// about them was deleted).
pub fn forgotten(forgotten: &Forgotten, language: Language) -> Reply {
    if language == Language::Spanish {
        return forgotten_es(forgotten);
    }
    let mut what = vec!["this conversation".to_string()];
    match forgotten.cases.len() {
        0 => {}
        1 => what.push(format!("case {}", forgotten.cases[0])),
        n => what.push(format!("{n} cases")),
    }
    if forgotten.subscription {
        what.push("your subscription to health notices".to_string());
    }
    let mut text = format!(
        "Done: I've deleted everything I stored about you ({}). I keep only a note that a deletion happened, without any of your messages. If you write again, we start afresh.",
        what.join(" and ")
    );
    if forgotten.record > 0 {
        text.push_str(" Anything already copied to your medical record at the practice stays there, as your record does: call the practice about it.");
    }
    Reply::plain(ReplyKind::Notice, text)
}

fn forgotten_es(forgotten: &Forgotten) -> Reply {
    let mut what = vec!["esta conversación".to_string()];
    match forgotten.cases.len() {
        0 => {}
        1 => what.push(format!("el caso {}", forgotten.cases[0])),
        n => what.push(format!("{n} casos")),
    }
    if forgotten.subscription {
        what.push("su suscripción a los avisos de salud".to_string());
    }
    let what = match what.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} y {last}", rest.join(", ")),
        _ => what.join(""),
    };
    let mut text = format!(
        "Listo: he borrado todo lo que tenía guardado sobre usted ({what}). Solo conservo una nota de que se hizo un borrado, sin ninguno de sus mensajes. Si vuelve a escribir, empezaremos de cero."
    );
    if forgotten.record > 0 {
        text.push_str(" Lo que ya se haya copiado a su historia clínica en el consultorio se queda allí, como el resto de su historia: llame al consultorio si tiene preguntas sobre eso.");
    }
    Reply::plain(ReplyKind::Notice, text)
}
