//! The practice's settings (name, phone, emergency number, opening hours...) and
//! the bot's own sentences, which the practice may override.

use std::collections::BTreeMap;

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;

/// The placeholders the [practice] settings fill in, which `[practice.extra]`
/// may therefore not define: one list for [`Practice::placeholders`] and the
/// loader's check.
pub const BUILTIN_PLACEHOLDERS: [&str; 9] = [
    "name",
    "phone",
    "emergency_number",
    "crisis_line",
    "portal_url",
    "address",
    "after_hours_line",
    "timezone",
    "hours",
];

/// The settings every answer may refer to by placeholder.
#[derive(Debug, Clone)]
pub struct Practice {
    pub name: String,
    pub phone: String,
    /// What patients dial in an emergency: 911, 999, 112, 000...
    pub emergency_number: String,
    pub crisis_line: String,
    pub portal_url: String,
    pub address: String,
    pub after_hours_line: String,
    /// IANA time-zone name, as written.
    pub timezone: String,
    pub time_zone: TimeZone,
    pub hours: OpeningHours,
    /// The practice's own placeholders from `[practice.extra]`.
    pub extra: BTreeMap<String, String>,
    /// The bot's built-in sentences, with the practice's overrides applied and
    /// placeholders filled in.
    pub messages: Messages,
    /// The topics the practice publishes notices on (`notice_topics`).
    pub notice_topics: Vec<String>,
    /// The languages patients can talk to carebot in (`languages`), the
    /// knowledge files' own language, English, first.
    pub languages: Vec<carebot_chat::Language>,
}

impl Practice {
    /// The values of every placeholder answers may use.
    pub fn placeholders(&self) -> BTreeMap<String, String> {
        let mut values = self.extra.clone();
        // In the order of BUILTIN_PLACEHOLDERS; the array types make the
        // lengths agree.
        let builtin: [String; BUILTIN_PLACEHOLDERS.len()] = [
            self.name.clone(),
            self.phone.clone(),
            self.emergency_number.clone(),
            self.crisis_line.clone(),
            self.portal_url.clone(),
            self.address.clone(),
            self.after_hours_line.clone(),
            self.timezone.clone(),
            self.hours.describe(),
        ];
        for (name, value) in BUILTIN_PLACEHOLDERS.iter().zip(builtin) {
            values.insert(name.to_string(), value);
        }
        values
    }

    /// Whether the practice is open at `when` (in the practice's time zone).
    pub fn is_open_at(&self, when: jiff::Timestamp) -> bool {
        let local = when.to_zoned(self.time_zone.clone());
        self.hours.is_open(local.weekday(), local.time())
    }
}

/// Opening hours per weekday; a day with no ranges is closed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpeningHours {
    /// Monday first.
    pub days: [Vec<(Time, Time)>; 7],
}

pub const WEEKDAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

impl OpeningHours {
    /// Parses one day's hours: "08:00-18:00", "08:00-12:00, 14:00-18:00" or "closed".
    pub fn parse_day(text: &str) -> Result<Vec<(Time, Time)>, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("closed") || text.is_empty() {
            return Ok(Vec::new());
        }
        text.split(',')
            .map(|range| {
                let explain = || {
                    format!(
                        "`{}` is not a time range: write it like \"08:00-18:00\", or \"closed\"",
                        range.trim()
                    )
                };
                let (open, close) = range.trim().split_once('-').ok_or_else(explain)?;
                let open: Time = open.trim().parse().map_err(|_| explain())?;
                let close: Time = close.trim().parse().map_err(|_| explain())?;
                if close <= open {
                    return Err(format!("`{}` closes before it opens", range.trim()));
                }
                Ok((open, close))
            })
            .collect()
    }

    fn index(weekday: Weekday) -> usize {
        weekday.to_monday_zero_offset() as usize
    }

    pub fn is_open(&self, weekday: Weekday, time: Time) -> bool {
        self.days[Self::index(weekday)]
            .iter()
            .any(|(open, close)| *open <= time && time < *close)
    }

    /// The week as a short Markdown list, for the `{hours}` placeholder.
    pub fn describe(&self) -> String {
        self.describe_in(carebot_chat::Language::English)
    }

    /// [`OpeningHours::describe`] with the days' names in `language`.
    pub fn describe_in(&self, language: carebot_chat::Language) -> String {
        const SPANISH_DAYS: [&str; 7] = [
            "lunes",
            "martes",
            "miércoles",
            "jueves",
            "viernes",
            "sábado",
            "domingo",
        ];
        let (names, closed) = match language {
            carebot_chat::Language::English => (WEEKDAY_NAMES, "closed"),
            carebot_chat::Language::Spanish => (SPANISH_DAYS, "cerrado"),
        };
        let mut lines = Vec::new();
        for (name, ranges) in names.iter().zip(&self.days) {
            let mut day = name.to_string();
            if let Some(first) = day.chars().next() {
                day.replace_range(..first.len_utf8(), &first.to_uppercase().to_string());
            }
            let hours = if ranges.is_empty() {
                closed.to_string()
            } else {
                ranges
                    .iter()
                    .map(|(open, close)| {
                        format!("{}–{}", open.strftime("%H:%M"), close.strftime("%H:%M"))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            lines.push(format!("- {day}: {hours}"));
        }
        lines.join("\n")
    }
}

/// The bot's own sentences. Each has a default; `[practice.messages]` overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Messages {
    pub fallback: String,
    pub choices_intro: String,
    pub identifier_warning: String,
    pub emergency_prefix: String,
    /// Added to every question of an emergency rule or of the red-flag screen
    /// that does not already name the emergency number.
    pub safety_line: String,
    /// Added to advice below an emergency that does not already name the
    /// emergency number: the safety-netting every NHS 111 disposition ends with.
    pub safety_net: String,
    /// For a health problem that neither a rule nor the red-flag screen could
    /// place (a practice whose files have no screen): never the FAQ.
    pub health_fallback: String,
    pub followup_unclear: String,
    pub too_long: String,
    pub empty: String,
    /// The one notice a patient sending messages too fast gets (see
    /// [`crate::ratelimit`]).
    pub slow_down: String,
}

impl Messages {
    /// The default templates, by key, before placeholders are filled in.
    pub fn default_templates() -> BTreeMap<&'static str, &'static str> {
        BTreeMap::from([
            (
                "fallback",
                "Sorry, I'm not sure I can help with that. You can call us on {phone}, or type \"agent\" to reach a person. If it's an emergency, call {emergency_number} now.",
            ),
            ("choices_intro", "I'm not quite sure which of these you mean. Please pick one:"),
            (
                "identifier_warning",
                "⚠️ Please don't share social-security, card or ID numbers here — this chat isn't the place for them. For anything personal, use the patient portal ({portal_url}) or call {phone}.",
            ),
            ("emergency_prefix", "**Call {emergency_number} now.**"),
            (
                "safety_line",
                "If anyone is in danger right now, call {emergency_number} — don't wait for my reply.",
            ),
            (
                "safety_net",
                "If it gets worse, or you notice trouble breathing, chest pain, confusion, fainting or bleeding that won't stop, call {emergency_number}.",
            ),
            (
                "health_fallback",
                "I can't tell from that how urgent this is, so please don't wait on me. If it could be an emergency, call {emergency_number} now. Otherwise call us on {phone}, or type \"nurse\" and a clinician will look at your message.",
            ),
            ("followup_unclear", "Sorry, I didn't catch that."),
            (
                "too_long",
                "That message is too long for me to read. Please keep it short — one or two sentences about what's wrong or what you'd like to know. If it's an emergency, call {emergency_number} now.",
            ),
            (
                "slow_down",
                "You're sending messages faster than I can answer them. Please wait a moment, then send your question again. If it's an emergency, call {emergency_number} now.",
            ),
            (
                "empty",
                "I didn't get any text. What can I help you with? If it's an emergency, call {emergency_number} now.",
            ),
        ])
    }

    /// Builds the messages from filled-in templates by key.
    /// The sentences by key, as [`Messages::from_rendered`] takes them.
    pub fn rendered(&self) -> BTreeMap<String, String> {
        BTreeMap::from(
            [
                ("fallback", &self.fallback),
                ("choices_intro", &self.choices_intro),
                ("identifier_warning", &self.identifier_warning),
                ("emergency_prefix", &self.emergency_prefix),
                ("safety_line", &self.safety_line),
                ("safety_net", &self.safety_net),
                ("health_fallback", &self.health_fallback),
                ("followup_unclear", &self.followup_unclear),
                ("too_long", &self.too_long),
                ("empty", &self.empty),
                ("slow_down", &self.slow_down),
            ]
            .map(|(key, text)| (key.to_string(), text.clone())),
        )
    }

    pub fn from_rendered(mut rendered: BTreeMap<String, String>) -> Messages {
        let mut take = |key: &str| rendered.remove(key).unwrap_or_default();
        Messages {
            fallback: take("fallback"),
            choices_intro: take("choices_intro"),
            identifier_warning: take("identifier_warning"),
            emergency_prefix: take("emergency_prefix"),
            safety_line: take("safety_line"),
            safety_net: take("safety_net"),
            health_fallback: take("health_fallback"),
            followup_unclear: take("followup_unclear"),
            too_long: take("too_long"),
            empty: take("empty"),
            slow_down: take("slow_down"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_day_ranges_and_closed_days() {
        let ranges = OpeningHours::parse_day("08:00-12:00, 14:00-18:30").unwrap();
        assert_eq!(ranges.len(), 2);
        assert_eq!(OpeningHours::parse_day("Closed"), Ok(Vec::new()));
        assert!(OpeningHours::parse_day("8am to 6pm").is_err());
        assert!(OpeningHours::parse_day("18:00-08:00")
            .unwrap_err()
            .contains("closes before it opens"));
    }

    #[test]
    fn knows_when_it_is_open() {
        let mut hours = OpeningHours::default();
        hours.days[0] = OpeningHours::parse_day("08:00-18:00").unwrap();
        let nine = Time::constant(9, 0, 0, 0);
        let seven_pm = Time::constant(19, 0, 0, 0);
        assert!(hours.is_open(Weekday::Monday, nine));
        assert!(!hours.is_open(Weekday::Monday, seven_pm));
        assert!(!hours.is_open(Weekday::Sunday, nine));
        assert!(hours
            .describe()
            .starts_with("- Monday: 08:00–18:00\n- Tuesday: closed"));
    }
}
