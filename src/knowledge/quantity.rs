//! Quantities in rule conditions and in messages: durations/ages ("3 months") and
//! temperatures ("38 C", "100.4 F"), in one unit each (days, °C) so that a rule
//! written in weeks compares with a message written in days.

/// Days in one of `unit` ("weeks", "mo", "yrs"...), or `None` if it isn't a unit
/// of time.
pub fn days_per_unit(unit: &str) -> Option<f64> {
    Some(match unit {
        // English, then Spanish with accents folded ("3 dias", "2 anos": a
        // unit is only ever read after a number, where "ano" is a year).
        "minute" | "minutes" | "min" | "mins" | "minuto" | "minutos" => 1.0 / 1440.0,
        "hour" | "hours" | "hr" | "hrs" | "h" | "hora" | "horas" => 1.0 / 24.0,
        "day" | "days" | "d" | "night" | "nights" | "dia" | "dias" | "noche" | "noches" => 1.0,
        "week" | "weeks" | "wk" | "wks" | "w" | "semana" | "semanas" | "sem" => 7.0,
        "month" | "months" | "mo" | "mos" | "mth" | "mths" | "m" | "mes" | "meses" => 30.44,
        "year" | "years" | "yr" | "yrs" | "y" | "ano" | "anos" | "anio" | "anios" => 365.25,
        _ => return None,
    })
}

/// Converts a reading to °C, taking the unit if given and otherwise the plausible
/// one: nobody has a body temperature of 100 °C, or of 38 °F.
pub fn to_celsius(value: f64, unit: Option<char>) -> f64 {
    match unit {
        Some('f') => (value - 32.0) * 5.0 / 9.0,
        Some(_) => value,
        None if value > 50.0 => (value - 32.0) * 5.0 / 9.0,
        None => value,
    }
}

/// Whether `celsius` is a plausible human body temperature reading.
pub fn is_body_temperature(celsius: f64) -> bool {
    (33.0..=44.0).contains(&celsius)
}

fn split_number(text: &str) -> Option<(f64, String)> {
    let text = text.trim().to_lowercase();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let value: f64 = text[..end].parse().ok()?;
    let unit = text[end..]
        .trim()
        .trim_start_matches('°')
        .trim()
        .to_string();
    Some((value, unit))
}

/// Parses a rule's duration or age bound such as "3 months" into days.
pub fn parse_duration_days(text: &str) -> Result<f64, String> {
    let explain = || {
        format!("`{text}` is not a length of time: write a number and a unit, e.g. \"3 months\", \"5 days\", \"65 years\"")
    };
    let (value, unit) = split_number(text).ok_or_else(explain)?;
    let per_unit = days_per_unit(&unit).ok_or_else(explain)?;
    Ok(value * per_unit)
}

/// Parses a rule's temperature bound such as "38 C" or "100.4 F" into °C.
pub fn parse_temperature_celsius(text: &str) -> Result<f64, String> {
    let explain = || format!("`{text}` is not a temperature: write e.g. \"38 C\" or \"100.4 F\"");
    let (value, unit) = split_number(text).ok_or_else(explain)?;
    let unit = match unit.as_str() {
        "" => None,
        "c" | "celsius" => Some('c'),
        "f" | "fahrenheit" => Some('f'),
        _ => return Err(explain()),
    };
    let celsius = to_celsius(value, unit);
    if !is_body_temperature(celsius) {
        return Err(format!(
            "`{text}` is not a body temperature (expected 33-44 °C or 91-111 °F)"
        ));
    }
    Ok(celsius)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_in_any_unit() {
        assert_eq!(parse_duration_days("5 days"), Ok(5.0));
        assert_eq!(parse_duration_days("3 weeks"), Ok(21.0));
        assert!((parse_duration_days("3 months").unwrap() - 91.32).abs() < 0.01);
        assert!(parse_duration_days("3 fortnights").is_err());
        assert!(parse_duration_days("soon").is_err());
    }

    #[test]
    fn parses_temperatures_in_both_scales() {
        assert_eq!(parse_temperature_celsius("38 C"), Ok(38.0));
        assert_eq!(parse_temperature_celsius("38°C"), Ok(38.0));
        assert!((parse_temperature_celsius("100.4 F").unwrap() - 38.0).abs() < 0.01);
        assert!(parse_temperature_celsius("380 C").is_err());
        assert!(parse_temperature_celsius("38 K").is_err());
    }
}
