//! Malformed knowledge files get a precise `file:line:col: error: ...` report
//! and a non-zero exit, never a panic.

use crate::support::{fixture_dir, run, temp_knowledge};

/// The problems reported for a knowledge folder made of the fixture's concepts
/// plus `files`.
fn problems(files: &[(&str, &str)]) -> Vec<String> {
    let concepts = std::fs::read_to_string(fixture_dir().join("concepts.toml")).unwrap();
    let mut all = vec![("concepts.toml", concepts.as_str())];
    all.extend_from_slice(files);
    let dir = temp_knowledge(&all);
    let problems = carebot::load_dir(dir.path()).expect_err("the knowledge is invalid");
    let prefix = format!("{}/", dir.path().display());
    problems
        .iter()
        .map(|p| p.to_string().replace(&prefix, ""))
        .collect()
}

const RULE_HEAD: &str = "[[rule]]\nid = \"r\"\nlevel = \"urgent\"\nadvice = \"See us today.\"\nreviewed = 2026-11-01\nowner = \"T\"\n";

#[test]
fn toml_syntax_errors_point_at_the_spot() {
    let found = problems(&[(
        "faq/hours.toml",
        "[[faq]]\nid = \"hours\"\nquestions = [\"when are you open\"\n",
    )]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("faq/hours.toml:3:"), "{found:?}");
    assert!(found[0].contains("error:"));
}

#[test]
fn unknown_concepts_are_reported_where_the_rule_names_them() {
    let rule = format!("{RULE_HEAD}when.all = [\"ankle\", \"swolen\"]\n");
    let found = problems(&[("rules.toml", &rule)]);
    assert_eq!(found, ["rules.toml:7:22: error: unknown concept `swolen`: define it with [[concept]] id = \"swolen\""]);
}

#[test]
fn duplicate_ids_name_the_first_definition() {
    let faq = "[[faq]]\nid = \"hours\"\nquestions = [\"a\"]\nanswer = \"b\"\nreviewed = 2026-11-01\nowner = \"T\"\n";
    let found = problems(&[("a.toml", faq), ("b.toml", faq)]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("b.toml:2:6: error: duplicate id `hours`; it is first defined at "),
        "{found:?}"
    );
    assert!(found[0].ends_with("a.toml:2:6"), "{found:?}");
}

#[test]
fn missing_fields_bad_dates_and_unknown_keys_are_explained() {
    let missing = problems(&[(
        "f.toml",
        "[[faq]]\nid = \"x\"\nquestions = [\"a\"]\nreviewed = 2026-11-01\nowner = \"T\"\n",
    )]);
    assert!(
        missing[0].starts_with("f.toml:1:1: error:")
            && missing[0].contains("missing field `answer`"),
        "{missing:?}"
    );

    let bad_date = problems(&[("f.toml", "[[faq]]\nid = \"x\"\nquestions = [\"a\"]\nanswer = \"b\"\nreviewed = \"last week\"\nowner = \"T\"\n")]);
    assert_eq!(
        bad_date,
        ["f.toml:5:12: error: `reviewed` must be a date like 2026-11-01"]
    );

    let typo = problems(&[("f.toml", "[[faq]]\nid = \"x\"\nquestions = [\"a\"]\nanswr = \"b\"\nreviewed = 2026-11-01\nowner = \"T\"\n")]);
    assert!(
        typo[0].starts_with("f.toml:4:1: error: unknown field `answr`"),
        "{typo:?}"
    );
}

#[test]
fn placeholders_levels_and_emergency_numbers_are_checked() {
    let faq = "[[faq]]\nid = \"x\"\nquestions = [\"a\"]\nanswer = \"\"\"\nCall us on\n{phnoe} today\n\"\"\"\nreviewed = 2026-11-01\nowner = \"T\"\n";
    let found = problems(&[("f.toml", faq)]);
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .starts_with("f.toml:6:1: error: unknown placeholder `{phnoe}`; known placeholders:"),
        "{found:?}"
    );

    let rule = RULE_HEAD.replace("urgent", "urgnt") + "when.all = [\"ankle\"]\n";
    let found = problems(&[("r.toml", &rule)]);
    assert_eq!(
        found,
        ["r.toml:3:9: error: unknown level `urgnt`: use emergency, urgent, routine or self_care"]
    );

    let rule = RULE_HEAD.replace("urgent", "emergency") + "when.all = [\"chest_pain\"]\n";
    let found = problems(&[("r.toml", &rule)]);
    assert!(found[0].starts_with("r.toml:4:10: error: emergency rule `r` must tell the patient to call {emergency_number}"), "{found:?}");
}

#[test]
fn conditions_and_follow_ups_are_validated() {
    let rule = format!("{RULE_HEAD}when.all = [\"fever\"]\nwhen.age_below = \"3 moons\"\n[[rule.ask]]\nabout = \"swelling\"\nquestion = \"Is it swollen?\"\n");
    let found = problems(&[("r.toml", &rule)]);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("r.toml:8:18: error: `3 moons` is not a length of time")),
        "{found:?}"
    );
    assert!(found.iter().any(|p| p.starts_with("r.toml:10:9: error: this rule asks about `swelling`, but none of its `when` conditions use it")), "{found:?}");

    let no_trigger = problems(&[("r.toml", &format!("{RULE_HEAD}when.any = []\n"))]);
    assert!(
        no_trigger[0].contains("has nothing that can trigger it"),
        "{no_trigger:?}"
    );
    let no_when = problems(&[("r.toml", RULE_HEAD)]);
    assert_eq!(no_when, ["r.toml:1:1: error: missing field `when`"]);
}

#[test]
fn a_score_of_signs_must_fit_the_signs_it_counts() {
    let too_many = format!("{RULE_HEAD}when.any = [\"fever\", \"swelling\"]\nwhen.at_least = 3\n");
    assert_eq!(
        problems(&[("r.toml", &too_many)]),
        ["r.toml:8:17: error: `when.at_least = 3` must be between 1 and the 2 concepts of `when.any`"]
    );
    let nothing_to_count = format!("{RULE_HEAD}when.all = [\"fever\"]\nwhen.at_least = 2\n");
    assert_eq!(
        problems(&[("r.toml", &nothing_to_count)]),
        ["r.toml:8:17: error: `when.at_least` counts the concepts of `when.any`: list them there"]
    );
}

#[test]
fn a_word_pair_needs_a_word_on_each_side() {
    let pair =
        "[[concept]]\nid = \"chest_feeling\"\n\n[[concept.pair]]\nwords = [\"chest\"]\nwith = []\n";
    assert_eq!(
        problems(&[("c.toml", pair)]),
        ["c.toml:6:8: error: `pair.with` is empty: a pair needs a word on each side"]
    );
}

#[test]
fn bad_practice_settings_and_non_utf8_files_are_reported() {
    let dir = temp_knowledge(&[("x.toml", "")]);
    let practice = std::fs::read_to_string(dir.path().join("practice.toml")).unwrap();
    std::fs::write(
        dir.path().join("practice.toml"),
        practice
            .replace("Europe/London", "Mars/Olympus")
            .replace("08:00-18:00", "8 till 6")
            .replace(
                "emergency_number = \"999\"",
                "emergency_number = \"call us tomorrow\"",
            ),
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.toml"), b"id = \"caf\xe9\"\n").unwrap();
    let problems: Vec<String> = carebot::load_dir(dir.path())
        .unwrap_err()
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("bad.toml:1:10: error: the file is not UTF-8 text")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("practice.toml:11:12: error: unknown time zone `Mars/Olympus`")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("error: `8 till 6` is not a time range")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains(
            "error: practice `emergency_number` is `call us tomorrow`: it must be a number to dial"
        )),
        "{problems:?}"
    );
}

#[test]
fn the_command_line_exits_non_zero_with_every_problem_listed() {
    let dir = temp_knowledge(&[
        ("a.toml", "[[concept]]\nid = \"Bad Id\"\nwords = [\"x\"]\n"),
        ("b.toml", "[[faq]\n"),
    ]);
    for command in [
        vec!["kb", "check"],
        vec!["kb", "test"],
        vec!["ask", "hello"],
    ] {
        let mut args = command.clone();
        args.extend(["--knowledge", dir.path().to_str().unwrap()]);
        let output = run(&args, b"");
        assert_eq!(output.status.code(), Some(1), "{command:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("a.toml:2:6: error: concept id `Bad Id` must be lower-case"),
            "{stderr}"
        );
        assert!(stderr.contains("b.toml:1:"), "{stderr}");
        assert!(stderr.contains("has 2 errors"), "{stderr}");
        assert!(!stderr.contains("panicked"));
    }
}

#[test]
fn a_folder_without_practice_settings_or_that_does_not_exist_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let problems = carebot::load_dir(dir.path()).unwrap_err();
    assert!(problems[0].message.contains("no [practice] table"));
    let missing = carebot::load_dir(&dir.path().join("nope")).unwrap_err();
    assert!(missing[0]
        .message
        .contains("cannot read the knowledge folder"));
}

#[test]
fn a_misspelt_practice_key_is_the_one_error_not_buried_under_every_placeholder() {
    // Without readable practice settings every `{phone}` in every answer is
    // unknown; the report names the misspelt key and nothing else.
    let dir = tempfile::tempdir().expect("temp dir");
    crate::support::copy_dir(&crate::support::shipped_dir(), dir.path());
    let practice_path = dir.path().join("practice.toml");
    let practice = std::fs::read_to_string(&practice_path).expect("practice.toml");
    std::fs::write(
        &practice_path,
        practice.replacen("timezone = ", "time_zone = ", 1),
    )
    .expect("write practice.toml");
    let problems = carebot::load_dir(dir.path()).expect_err("the practice is invalid");
    let found: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(found.len() <= 2, "{found:#?}");
    assert!(
        found
            .iter()
            .any(|p| p.contains("practice.toml") && p.contains("time_zone")),
        "{found:#?}"
    );
    assert!(!found.iter().any(|p| p.contains("unknown placeholder")));
}
