//! What patients and clinicians are told about cases. Kept in one place so the
//! wording can be reviewed together (and later made overridable by the
//! practice like the engine's own sentences).

use jiff::Timestamp;

use carebot_chat::{Button, Level, Reply, ReplyKind, USAGE};

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
/// with the day it runs to; or that there are none.
pub fn notices_in_force(practice: &Practice, notices: &[Notice], now: Timestamp) -> Reply {
    let mut notices: Vec<_> = notices
        .iter()
        .filter(|notice| notice.is_active(now))
        .collect();
    if notices.is_empty() {
        return Reply::plain(
            ReplyKind::Answer,
            format!(
                "There are no notices from {} right now. For anything else, just ask, or call us on {}.",
                practice.name, practice.phone
            ),
        );
    }
    notices.sort_by_key(|notice| std::cmp::Reverse(notice.publish_at));
    let mut text = format!("Notices from {}:", practice.name);
    for notice in notices {
        text.push_str(&format!(
            "\n\n**{}** (until {})\n{}",
            notice.title,
            last_day(practice, notice.expires_at),
            notice.text
        ));
    }
    Reply::plain(ReplyKind::Answer, text)
}

/// The last day something ending at `expires_at` runs, in the practice's
/// calendar ("Sat 28 Nov 2026" for midnight on the 29th).
pub fn last_day(practice: &Practice, expires_at: Timestamp) -> String {
    let last = expires_at.to_zoned(practice.time_zone.clone()) - jiff::Span::new().seconds(1);
    last.strftime("%a %-d %b %Y").to_string()
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

/// The short notice a patient gets the first time they write.
pub fn first_contact(
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
) -> Reply {
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

/// What happens next, for a patient whose message should have opened (or
/// joined) a case that carebot could not store: nobody at the practice has
/// been told, so the patient must not wait for a reply.
pub fn case_not_passed_on(practice: &Practice, level: Option<Level>, open_now: bool) -> Reply {
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

/// To a patient whose case nobody has claimed in time.
pub fn please_phone(practice: &Practice, case: &HandoffCase, open_now: bool) -> Reply {
    let line = if open_now {
        &practice.phone
    } else {
        &practice.after_hours_line
    };
    about_case(
        case,
        format!(
            "Sorry, nobody from the team has been able to pick up case **{}** yet. Please phone {} on {line} rather than waiting here. In an emergency, call {} now.",
            case.id,
            if open_now { "the practice" } else { "our after-hours line" },
            practice.emergency_number
        ),
    )
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
    about_case(
        case,
        format!(
            "{name} from the practice team is looking at your case **{}** and will reply here.",
            case.id
        ),
    )
}

/// A clinician's message, as the patient sees it.
pub fn from_clinician(practice: &Practice, case: &HandoffCase, name: &str, text: &str) -> Reply {
    about_case(case, format!("**{name} ({}):** {text}", practice.name))
}

/// To the patient, when their case is closed.
pub fn resolved(practice: &Practice, case: &HandoffCase) -> Reply {
    about_case(
        case,
        format!(
            "The team has closed case **{}**. If there's anything else, write here or call us on {}.",
            case.id, practice.phone
        ),
    )
}

/// To a patient with a claimed case, when the bot had nothing better to say.
pub fn passed_on(case: &HandoffCase, name: &str) -> Reply {
    about_case(
        case,
        format!("I've passed that on to {name} (case **{}**).", case.id),
    )
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

/// "What do you know about me": everything stored about the patient.
pub fn patient_data(practice: &Practice, data: &PatientData) -> Reply {
    let mut lines = vec!["Here is everything I've stored about you in this chat:".to_string()];
    let nothing = data.notice.is_none()
        && data.conversation.is_none()
        && data.cases.is_empty()
        && data.outbox.is_empty()
        && data.subscription.is_none()
        && data.correspondence.is_empty()
        && data.record_link.is_none();
    if let Some(notice) = &data.notice {
        lines.push(format!(
            "- You first wrote on {}.",
            local_time(practice, notice.at)
        ));
    }
    if let Some(subscription) = &data.subscription {
        let topics: Vec<&str> = subscription.topics.iter().map(String::as_str).collect();
        lines.push(format!(
            "- You get health notices about: {} (since {}; type /unsubscribe to stop).",
            topics.join(", "),
            local_time(practice, subscription.since)
        ));
    }
    if let Some(record) = &data.conversation {
        lines.push(format!(
            "- Our conversation, last updated {}. Your recent messages:",
            local_time(practice, record.updated_at)
        ));
        for turn in record.turns.iter().filter(|turn| turn.from_patient) {
            lines.push(format!("  {}", quote(&turn.text)));
        }
        for answer in &record.answers {
            lines.push(format!(
                "  - asked \"{}\", you said \"{}\"",
                answer.question, answer.answer
            ));
        }
    }
    for case in &data.cases {
        lines.push(format!(
            "- Case {} ({}), opened {}{}. What it holds:",
            case.id,
            case.status(),
            local_time(practice, case.opened_at),
            case.level
                .map(|level| format!(", level {level}"))
                .unwrap_or_default()
        ));
        for message in &case.messages {
            lines.push(format!("  {}", quote(message)));
        }
        for message in &case.thread {
            let who = message.clinician.as_deref().unwrap_or("you");
            lines.push(format!("  - {who}: {}", message.text));
        }
    }
    if let Some(first) = data.correspondence.first() {
        lines.push(format!(
            "- Our messages since {} ({} in all), kept as correspondence with the practice.",
            local_time(practice, first.at),
            data.correspondence.len()
        ));
    }
    if let Some(link) = &data.record_link {
        lines.push(format!(
            "- A clinician linked this chat to your record at the practice on {}.",
            local_time(practice, link.at)
        ));
    }
    if !data.outbox.is_empty() {
        lines.push(format!(
            "- {} message(s) waiting to be delivered.",
            data.outbox.len()
        ));
    }
    if nothing {
        lines = vec!["I haven't stored anything about you.".to_string()];
    } else {
        lines.push(String::new());
        lines.push("Type **forget me** to delete all of it. Your medical record at the practice is separate: for that, call us on ".to_string() + &practice.phone + ".");
    }
    Reply::plain(ReplyKind::Notice, lines.join("\n"))
}

/// After "forget me".
pub fn forgotten(forgotten: &Forgotten) -> Reply {
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
