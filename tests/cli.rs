//! The `carebot` command line as scripts and people use it: `ask`, the
//! `ask --json` contract (one JSON line out for every line in, errors included),
//! `kb check`, `kb test` and `kb import`.

use serde_json::Value;

use crate::support::{
    ask_json, carebot, copy_dir, fixture_dir, line, run, shipped_dir, temp_knowledge,
};

fn text(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn ask_gives_the_acceptance_replies_on_the_shipped_knowledge() {
    let cases = [
        ("I tripped and my ankel is swolen, can't put weight on it", "urgent"),
        ("twisted my ankle, a bit puffy but I can walk fine and the bone doesn't hurt when I press", "self_care"),
        ("crushing chest pain and my left arm is numb", "emergency"),
    ];
    for (message, level) in cases {
        let output = run(&["ask", message], b"");
        assert!(output.status.success());
        let out = text(&output);
        assert!(
            out.starts_with(&format!("[triage · {level}")),
            "{message:?} gave {out}"
        );
    }
    let out = text(&run(
        &["ask", "crushing chest pain and my left arm is numb"],
        b"",
    ));
    assert!(out.contains("911"), "{out}");
    let out = text(&run(
        &[
            "ask",
            "I tripped and my ankel is swolen, can't put weight on it",
        ],
        b"",
    ));
    assert!(out.to_lowercase().contains("today"), "{out}");
    let out = text(&run(&["ask", "twisted my ankle, a bit puffy but I can walk fine and the bone doesn't hurt when I press"], b""));
    assert!(
        out.contains("911") || out.to_lowercase().contains("seek"),
        "self-care says when to seek help: {out}"
    );
    let out = text(&run(&["ask", "no chest pain, just a runny nose"], b""));
    assert!(
        !out.contains("chest-pain") && !out.contains("heart-attack") && !out.contains("emergency"),
        "{out}"
    );
}

#[test]
fn ask_json_answers_every_line_with_exactly_one_line() {
    let mut input = Vec::new();
    input.extend(line("ana", "I twisted my ankle").as_bytes());
    input.extend(line("ben", "when are you open?").as_bytes());
    input.extend(b"this is not json\n");
    input.extend(b"\n");
    input.extend(b"{\"user\": \"cy\"}\n");
    input.extend(b"{\"text\": \"no user\"}\n");
    input.extend(b"\xff\xfe invalid utf-8\n");
    input.extend(line("ana", "nope, can't walk on it").as_bytes());
    input.extend(line("dee", &"x".repeat(1_000_000)).as_bytes());
    input.extend(line("eve", "\u{0001}\u{0002}\u{0007}").as_bytes());
    input.extend(line("fay", "🤒🤒🤒").as_bytes());
    input.extend(line("gus", "").as_bytes());
    let replies = ask_json(&fixture_dir(), &[], &input);
    assert_eq!(
        replies.len(),
        12,
        "one output line per input line: {replies:#?}"
    );

    let kinds: Vec<&str> = replies
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "question", "answer", "error", "error", "error", "error", "error", "triage", "notice",
            "fallback", "fallback", "notice"
        ]
    );
    // The same user continues one conversation.
    assert_eq!(replies[7]["user"], "ana");
    assert_eq!(replies[7]["level"], "urgent");
    assert_eq!(replies[7]["entry"], "ankle-ottawa-positive");
    assert_eq!(replies[1]["entry"], "opening-hours");
    assert_eq!(replies[1]["level"], Value::Null);
    // Errors say what is wrong and on which line.
    assert!(replies[2]["error"].as_str().unwrap().contains("not JSON"));
    assert_eq!(replies[2]["line"], 3);
    assert!(replies[4]["error"].as_str().unwrap().contains("text"));
    assert_eq!(replies[4]["user"], "cy");
    assert!(replies[6]["error"].as_str().unwrap().contains("UTF-8"));
    // Every reply carries the stable fields.
    for reply in replies.iter().filter(|r| r["kind"] != "error") {
        for field in [
            "user", "kind", "level", "entry", "text", "choices", "buttons", "handoff",
        ] {
            assert!(reply.get(field).is_some(), "{field} missing in {reply}");
        }
    }
}

#[test]
fn ask_json_offers_choices_as_entry_ids() {
    let replies = ask_json(
        &fixture_dir(),
        &[],
        line("u", "do you do vaccines?").as_bytes(),
    );
    assert_eq!(replies[0]["kind"], "choices");
    let choices: Vec<&str> = replies[0]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let labels: Vec<&str> = replies[0]["buttons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    // Best first, as the FAQ ranked them; each button labels its choice.
    let mut offered: Vec<(&str, &str)> = choices.into_iter().zip(labels).collect();
    offered.sort();
    assert_eq!(
        offered,
        [
            ("flu-vaccine", "Flu vaccine"),
            ("travel-vaccine", "Travel vaccines")
        ]
    );
}

#[test]
fn ask_json_explain_shows_findings_and_candidates() {
    let replies = ask_json(
        &fixture_dir(),
        &["--explain"],
        line("u", "no chest pain, just a runny nose").as_bytes(),
    );
    let findings = replies[0]["findings"].as_array().expect("findings");
    let chest = findings
        .iter()
        .find(|f| f["concept"] == "chest_pain")
        .expect("chest pain found");
    assert_eq!(chest["negated"], true);
    let nose = findings
        .iter()
        .find(|f| f["concept"] == "runny_nose")
        .expect("runny nose found");
    assert_eq!(nose["negated"], false);
    let replies = ask_json(
        &shipped_dir(),
        &["--explain"],
        line("u", "how do I get a flu shot").as_bytes(),
    );
    let candidates = replies[0]["candidates"].as_array().expect("candidates");
    assert_eq!(candidates.len(), 10);
    assert!(candidates[0]["score"].as_f64().unwrap() >= candidates[1]["score"].as_f64().unwrap());
}

#[test]
fn ask_reads_arguments_that_are_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let output = carebot()
        .args(["ask", "--knowledge"])
        .arg(fixture_dir())
        .arg(std::ffi::OsStr::from_bytes(b"when are you open \xff"))
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(text(&output).contains("opening-hours"));
}

#[test]
fn kb_check_and_kb_test_pass_on_the_fixture() {
    let fixture = fixture_dir();
    let dir = fixture.to_str().unwrap();
    let output = run(&["kb", "check", "--strict", dir], b"");
    assert!(
        output.status.success(),
        "{}{}",
        text(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text(&output).contains("0 errors, 0 warnings"));
    let output = run(&["kb", "test", dir], b"");
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains(" passed, 0 failed"));
}

#[test]
fn kb_test_reports_what_was_reached_instead() {
    let rules = std::fs::read_to_string(fixture_dir().join("rules.toml")).unwrap();
    // A counter-example that does reach its rule, and an example that cannot.
    let broken = rules.replace(
        "counter_examples = [\"no chest pain, just a runny nose\"]",
        "counter_examples = [\"crushing chest pain, arm is numb\"]",
    ) + "\n";
    let faq = std::fs::read_to_string(fixture_dir().join("faq.toml")).unwrap()
        + "\n[[faq]]\nid = \"parking\"\nquestions = [\"where can I park\"]\nanswer = \"Behind the building.\"\nreviewed = 2026-11-01\nowner = \"Test\"\nexamples = [\"what are your opening hours\"]\n";
    let dir = temp_knowledge(&[
        ("rules.toml", &broken),
        ("faq.toml", &faq),
        (
            "concepts.toml",
            &std::fs::read_to_string(fixture_dir().join("concepts.toml")).unwrap(),
        ),
    ]);
    let output = run(&["kb", "test", dir.path().to_str().unwrap()], b"");
    assert!(!output.status.success());
    let out = text(&output);
    assert!(out.contains("counter-example \"crushing chest pain, arm is numb\" must not reach `heart-attack-signs`, but reached rule `heart-attack-signs` (emergency)"), "{out}");
    assert!(out.contains("example \"what are your opening hours\" must reach `parking`, but reached FAQ `opening-hours`"), "{out}");
    assert!(
        out.contains("rules.toml:1:1:"),
        "failures point at the entry: {out}"
    );
    assert!(out.contains("2 failed"), "{out}");
}

#[test]
fn kb_check_warns_about_stale_reviews_and_missing_sources() {
    let faq = "[[faq]]\nid = \"parking\"\nquestions = [\"where can I park\"]\nanswer = \"Behind the building.\"\nreviewed = 2020-01-01\nowner = \"Test\"\n";
    let dir = temp_knowledge(&[
        ("faq.toml", faq),
        (
            "concepts.toml",
            "[[concept]]\nid = \"x\"\nwords = [\"x\"]\n",
        ),
    ]);
    let output = run(&["kb", "check", dir.path().to_str().unwrap()], b"");
    assert!(output.status.success(), "warnings alone do not fail");
    let out = text(&output);
    assert!(
        out.contains("faq.toml:1:1: warning: FAQ `parking` was last reviewed on 2020-01-01"),
        "{out}"
    );
    assert!(out.contains("names no `sources`"), "{out}");
    assert!(out.contains("no `counter_examples`"), "{out}");
    let strict = run(
        &["kb", "check", "--strict", dir.path().to_str().unwrap()],
        b"",
    );
    assert!(!strict.status.success(), "--strict fails on warnings");
}

#[test]
fn kb_check_warns_about_the_concepts_a_deleted_rules_file_leaves_behind() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&shipped_dir(), dir.path());
    std::fs::remove_file(dir.path().join("rules/breathing-allergy.toml")).unwrap();
    let output = run(&["kb", "check", dir.path().to_str().unwrap()], b"");
    assert!(output.status.success(), "warnings alone do not fail");
    let out = text(&output);
    let warning = out
        .lines()
        .find(|line| line.contains("read by no triage rule"))
        .unwrap_or_else(|| panic!("no warning about unread concepts in\n{out}"));
    assert!(
        warning.contains("/concepts/breathing-allergy.toml:")
            && warning.contains(": warning: concepts `")
            && warning.contains("if a rules file was deleted or moved, put it back"),
        "{warning}"
    );
}

/// Whether `text` has a character that a terminal would act on rather than
/// show: a control character other than the line end, or a bidi override.
fn acts_on_the_terminal(text: &str) -> bool {
    text.chars()
        .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}')
}

#[test]
fn kb_check_escapes_control_characters_quoted_from_the_files() {
    // The warning for a stale review names the owner; this one clears the
    // screen, returns the cursor and reverses the text after it.
    let faq = "[[faq]]\nid = \"parking\"\nquestions = [\"where can I park\"]\nanswer = \"Behind the building.\"\nreviewed = 2020-01-01\nowner = \"Dr \\u001b[2J\\rNo\\u202e\"\n";
    let dir = temp_knowledge(&[("faq.toml", faq)]);
    let output = run(&["kb", "check", dir.path().to_str().unwrap()], b"");
    let out = text(&output);
    assert!(
        out.contains("faq.toml:1:1: warning: FAQ `parking` was last reviewed on 2020-01-01 ("),
        "{out}"
    );
    assert!(
        out.contains("ask Dr \\u{1b}[2J\\rNo\\u{202e} to review it"),
        "{out}"
    );
    assert!(!acts_on_the_terminal(&out), "{out:?}");

    // Errors quote the files too, and so does a file's name.
    let faq = "[[faq]]\nid = \"park\\u001b[31m\"\nquestions = [\"where can I park\"]\nanswer = \"Behind the building.\"\nreviewed = 2026-11-01\nowner = \"T\"\n";
    let dir = temp_knowledge(&[("faq\u{7}.toml", faq)]);
    let output = run(&["kb", "check", dir.path().to_str().unwrap()], b"");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("faq\\u{7}.toml:2:6: error: entry id `park\\u{1b}[31m` must be lower-case"),
        "{stderr}"
    );
    assert!(!acts_on_the_terminal(&stderr), "{stderr:?}");
}

#[test]
fn kb_import_writes_a_valid_file_and_reports_bad_rows() {
    let dir = temp_knowledge(&[]);
    let csv = write_csv(
        &dir,
        "question,answer,id,extra questions\n\
         Where can I park?,\"Free parking behind the building, {see map}.\",,Is there parking? | where do i leave my car\n\
         What is your fax number?,,,\n\
         ,An answer without a question,,\n\
         \"Do you do ear syringing?\",\"Yes — book a nurse appointment.\nBring your notes.\",ear-care,\n",
    );
    let out_file = dir.path().join("faq/imported.toml");
    let (output, stderr) = kb_import(dir.path(), &csv);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("faqs.csv: row 3: skipped: the answer is empty"),
        "{stderr}"
    );
    assert!(
        stderr.contains("faqs.csv: row 4: skipped: the question is empty"),
        "{stderr}"
    );
    assert!(
        text(&output).contains("wrote 2 FAQ entries"),
        "{}",
        text(&output)
    );
    // The written file is valid, and its entries answer questions.
    let knowledge = carebot::load_dir(dir.path()).expect("imported knowledge loads");
    assert!(knowledge.faq("ear-care").is_some());
    let parking = knowledge
        .faq("where-can-i-park")
        .expect("id made from the question");
    assert_eq!(parking.questions.len(), 3);
    assert!(
        parking.answer.contains("{see map}"),
        "braces stay literal: {}",
        parking.answer
    );
    let replies = ask_json(
        dir.path(),
        &[],
        line("u", "where do I leave my car?").as_bytes(),
    );
    assert_eq!(replies[0]["entry"], "where-can-i-park");
    // It refuses to overwrite without --force.
    let (again, _) = kb_import(dir.path(), &csv);
    assert!(!again.status.success());
    assert!(out_file.exists());
}

/// Writes `text` as `faqs.csv` in `dir`.
fn write_csv(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let csv = dir.path().join("faqs.csv");
    std::fs::write(&csv, text).unwrap();
    csv
}

/// `carebot kb import --knowledge <dir> <csv>`, and its stderr.
fn kb_import(dir: &std::path::Path, csv: &std::path::Path) -> (std::process::Output, String) {
    let output = run(
        &[
            "kb",
            "import",
            "--knowledge",
            dir.to_str().unwrap(),
            csv.to_str().unwrap(),
        ],
        b"",
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stderr)
}

#[test]
fn kb_import_numbers_rows_as_the_spreadsheet_shows_them() {
    // As a spreadsheet saves it: CRLF line ends, a blank row 3, and a cell
    // with a line break in row 4; the bad rows are 5 and 7.
    let dir = temp_knowledge(&[]);
    let csv = write_csv(
        &dir,
        "question,answer\r\n\
         Where can I park?,Behind the building.\r\n\
         \r\n\
         Do you do ear syringing?,\"Yes.\r\nBring your notes.\"\r\n\
         What is your fax number?,\r\n\
         Can I bring my dog?,Only assistance dogs.\r\n\
         ,An answer without a question\r\n",
    );
    let (output, stderr) = kb_import(dir.path(), &csv);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("faqs.csv: row 5: skipped: the answer is empty"),
        "{stderr}"
    );
    assert!(
        stderr.contains("faqs.csv: row 7: skipped: the question is empty"),
        "{stderr}"
    );
    assert!(text(&output).contains("wrote 3 FAQ entries"));
}

#[test]
fn kb_import_never_reuses_an_id_the_knowledge_folder_has() {
    let faq = "[[faq]]\nid = \"opening-hours\"\nquestions = [\"When are you open?\"]\nanswer = \"9 to 5.\"\nreviewed = 2026-11-01\nowner = \"T\"\n";
    let dir = temp_knowledge(&[("faq/hours.toml", faq)]);
    let csv = write_csv(
        &dir,
        "question,answer,id\n\
         When do you open on Saturdays?,From 9 to 12.,opening-hours\n\
         Opening hours,From 9 to 5.,\n\
         Are you open at Christmas?,No.,opening-hours\n",
    );
    let (output, stderr) = kb_import(dir.path(), &csv);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("faqs.csv: row 2: note: id `opening-hours` is already used in the knowledge folder (faq/hours.toml:2:6); written as `opening-hours-2`"),
        "{stderr}"
    );
    assert!(stderr.contains("row 3: note: id `opening-hours` is already used in the knowledge folder (faq/hours.toml:2:6); written as `opening-hours-3`"), "{stderr}");
    assert!(stderr.contains("row 4: note: id `opening-hours` is already used in the knowledge folder (faq/hours.toml:2:6); written as `opening-hours-4`"), "{stderr}");
    let knowledge = carebot::load_dir(dir.path()).expect("no duplicate id");
    assert_eq!(knowledge.faq("opening-hours").unwrap().answer, "9 to 5.");
    assert_eq!(knowledge.faq("opening-hours-4").unwrap().answer, "No.");
}

#[test]
fn kb_import_gives_20000_equal_ids_distinct_numbers() {
    let dir = temp_knowledge(&[]);
    let mut rows = String::from("question,answer,id\n");
    for n in 0..20_000 {
        rows.push_str(&format!("Question {n}?,Answer {n}.,same\n"));
    }
    let csv = write_csv(&dir, &rows);
    let (output, stderr) = kb_import(dir.path(), &csv);
    assert!(output.status.success(), "{stderr}");
    assert!(text(&output).contains("wrote 20000 FAQ entries"));
    let written = std::fs::read_to_string(dir.path().join("faq/imported.toml")).unwrap();
    assert!(written.contains("id = \"same\"\n"));
    assert!(written.contains("id = \"same-20000\"\n"));
}
