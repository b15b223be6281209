//! Placeholders in answers and advice (`{phone}`, `{emergency_number}`...), filled
//! in from the practice settings when the knowledge base loads, so that one edit
//! to `practice.toml` updates every answer.

use std::collections::BTreeMap;

/// A placeholder that names no setting, with its byte offset in the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPlaceholder {
    pub name: String,
    pub offset: usize,
}

/// A template problem: an unknown name or a brace that is never closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    Unknown(UnknownPlaceholder),
    Unclosed { offset: usize },
}

/// Fills `{name}` placeholders from `values`; `{{` and `}}` are literal braces.
pub fn render(template: &str, values: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    let mut offset = 0;
    while let Some(index) = rest.find(['{', '}']) {
        out.push_str(&rest[..index]);
        let tail = &rest[index..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            offset += index + 2;
            continue;
        }
        if let Some(after) = tail.strip_prefix('}') {
            // A lone closing brace is harmless text.
            out.push('}');
            rest = after;
            offset += index + 1;
            continue;
        }
        let Some(close) = tail.find('}') else {
            return Err(TemplateError::Unclosed {
                offset: offset + index,
            });
        };
        let name = tail[1..close].trim();
        match values.get(name) {
            Some(value) => out.push_str(value),
            None => {
                return Err(TemplateError::Unknown(UnknownPlaceholder {
                    name: name.to_string(),
                    offset: offset + index,
                }))
            }
        }
        rest = &tail[close + 1..];
        offset += index + close + 1;
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("phone".to_string(), "555-0100".to_string()),
            ("emergency_number".to_string(), "999".to_string()),
        ])
    }

    #[test]
    fn fills_placeholders_and_keeps_literal_braces() {
        assert_eq!(
            render("Call {phone} or {{not this}}; emergencies: { emergency_number }.", &values()),
            Ok("Call 555-0100 or {not this}; emergencies: 999.".to_string())
        );
    }

    #[test]
    fn reports_unknown_and_unclosed_placeholders_with_offsets() {
        assert_eq!(
            render("Call {phnoe} now", &values()),
            Err(TemplateError::Unknown(UnknownPlaceholder {
                name: "phnoe".into(),
                offset: 5
            }))
        );
        assert_eq!(
            render("ab {phone", &values()),
            Err(TemplateError::Unclosed { offset: 3 })
        );
    }
}
