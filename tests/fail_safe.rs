//! The fail-safe under triage, on the shipped knowledge: a message about a
//! health problem happening now never gets an FAQ answer or a bare fallback,
//! the red-flag screen names the emergency number in every reply, "not sure"
//! counts as yes, and answers inside a safety flow stay in it.

use carebot::{Level, ReplyKind};

use crate::support::{converse, shipped_engine};

/// Asserts that each of `texts`, as the first message of a conversation, gets
/// advice of `level` (`None`: no advice level at all).
fn assert_first_replies_are(engine: &carebot::Engine, texts: &[&str], level: Option<Level>) {
    for text in texts {
        let reply = &converse(engine, &[text])[0];
        assert_eq!(
            reply.level,
            level,
            "{text:?} got {}",
            carebot::kbtest::describe(reply)
        );
    }
}

#[test]
fn a_health_problem_in_words_no_rule_knows_never_gets_an_faq_answer() {
    let engine = shipped_engine();
    for text in [
        "my husband has been shot",
        "what do I do about this bleeding, it's everywhere",
        "the pain never went away and now it's worse",
        "idk what's going on, she's gone really pale and clammy",
        "my jaw is locked and it's killing me",
        "I feel terrible, something is wrong, can you help",
        "parking is a nightmare but anyway my son has a rash all over",
        "thrush keeps coming back, 4th time this year",
    ] {
        let reply = &converse(&engine, &[text])[0];
        assert!(
            matches!(reply.kind, ReplyKind::Triage | ReplyKind::Question),
            "{text:?} got {}",
            carebot::kbtest::describe(reply)
        );
        assert!(
            reply.text.contains("911") || reply.kind == ReplyKind::Triage,
            "{text:?}: {}",
            reply.text
        );
    }
}

#[test]
fn admin_questions_and_what_is_not_happening_now_still_reach_the_faq() {
    let engine = shipped_engine();
    for (text, entry) in [
        ("can I get a flu shot?", "flu-vaccine"),
        // Asking for the jab is not having the flu, whatever the background.
        ("can I get the flu jab?", "flu-vaccine"),
        (
            "I had a kidney transplant in 2019, can I get the flu jab?",
            "flu-vaccine",
        ),
        ("I need a sick note for work", "forms-sick-notes"),
        ("the portal app keeps crashing", "portal-not-working"),
        ("do you close for labor day", "holiday-hours"),
    ] {
        let reply = &converse(&engine, &[text])[0];
        assert_eq!(
            reply.entry.as_deref(),
            Some(entry),
            "{text:?}: {}",
            carebot::kbtest::describe(reply)
        );
    }
}

#[test]
fn every_reply_of_the_screen_names_the_emergency_number_and_not_sure_counts_as_yes() {
    let engine = shipped_engine();
    let replies = converse(
        &engine,
        &[
            "my son is really poorly, something is wrong",
            "I'm not sure",
        ],
    );
    assert_eq!(replies[0].kind, ReplyKind::Question);
    assert_eq!(replies[0].entry.as_deref(), Some("screen-life-threatening"));
    assert!(replies[0].text.contains("911"), "{}", replies[0].text);
    assert_eq!(
        replies[1].level,
        Some(Level::Emergency),
        "{}",
        replies[1].text
    );

    let replies = converse(
        &engine,
        &["my son is really poorly, something is wrong", "no", "no"],
    );
    assert!(replies[1].text.contains("911"), "{}", replies[1].text);
    assert_eq!(replies[2].level, Some(Level::Routine));
    assert!(replies[2].text.contains("911"), "{}", replies[2].text);
}

#[test]
fn a_message_that_already_answers_the_screen_is_an_emergency_at_once() {
    let engine = shipped_engine();
    assert_first_replies_are(
        &engine,
        &[
            "HELP my dad is fighting for air and his lips are purple",
            "found my flatmate passed out on the floor, not responding when I shake him",
            "68F, acute onset facial droop and dysarthria 40 min ago",
        ],
        Some(Level::Emergency),
    );
}

#[test]
fn the_crisis_flow_names_the_crisis_line_and_keeps_its_answers() {
    let engine = shipped_engine();
    let replies = converse(
        &engine,
        &[
            "I want to end my life",
            "what time do you open?",
            "later today",
        ],
    );
    for reply in &replies {
        assert!(reply.text.contains("988"), "{}", reply.text);
        assert!(reply.text.contains("911"), "{}", reply.text);
        assert_ne!(reply.kind, ReplyKind::Answer, "{}", reply.text);
    }
    assert_eq!(replies[2].level, Some(Level::Emergency));
    let replies = converse(
        &engine,
        &["I want to end my life", "I have got the tablets here"],
    );
    assert_eq!(replies[1].level, Some(Level::Emergency));
}

#[test]
fn self_care_waits_for_the_screen_when_something_unrecognised_is_said() {
    let engine = shipped_engine();
    // The upset-stomach rule knows the vomiting, nothing knows the bulging.
    let reply = &converse(
        &engine,
        &["the soft spot on my babys head is bulging and shes vomiting"],
    )[0];
    assert_ne!(
        reply.level,
        Some(Level::SelfCare),
        "{}",
        carebot::kbtest::describe(reply)
    );
    // An ordinary self-care message is still answered as self-care.
    let reply = &converse(&engine, &["bit of acid reflux tonight, any tips?"])[0];
    assert_eq!(
        reply.level,
        Some(Level::SelfCare),
        "{}",
        carebot::kbtest::describe(reply)
    );
}

#[test]
fn a_baby_age_is_not_asked_of_an_adult() {
    let engine = shipped_engine();
    for text in [
        "my dad has a temperature of 39 and is shivering",
        "I've had a fever of 38.5 since Monday",
    ] {
        let reply = &converse(&engine, &[text])[0];
        assert!(
            !(reply.kind == ReplyKind::Question && reply.text.contains("How old")),
            "{text:?}: {}",
            reply.text
        );
    }
}

#[test]
fn two_signs_of_serious_illness_from_different_body_systems_are_an_emergency() {
    let engine = shipped_engine();
    assert_first_replies_are(
        &engine,
        &[
            "not sure what's going on but I'm breathless and clammy all of a sudden",
            "my grandad has a water infection and today he's muddled and not making sense, temp 38.6",
            "she's gone ice cold and is mumbling, we found her on the kitchen floor",
            "blood in my poo this morning and I nearly fainted on the loo",
        ],
        Some(Level::Emergency),
    );
    // One sign alone, or a sign in its everyday sense, is not scored.
    for text in [
        "I've been a bit breathless on hills for a few months",
        "I'm confused about my bill, can someone explain the charges?",
    ] {
        let reply = &converse(&engine, &[text])[0];
        assert_ne!(
            reply.level,
            Some(Level::Emergency),
            "{text:?} got {}",
            carebot::kbtest::describe(reply)
        );
    }
    let reply = &converse(&engine, &["I'm confused about my bill"])[0];
    assert_eq!(reply.entry.as_deref(), Some("billing-questions"));
}

#[test]
fn readings_from_a_home_monitor_or_clinical_notes_are_read_by_their_band() {
    let engine = shipped_engine();
    for (text, level) in [
        (
            "my oximeter says 87% and I feel rough",
            Some(Level::Emergency),
        ),
        ("62F, T1DM, BM 1.8, GCS 12", Some(Level::Emergency)),
        (
            "bp 188/126 and my left arm feels weak",
            Some(Level::Emergency),
        ),
        (
            "home monitor says 184/112, I feel fine",
            Some(Level::Urgent),
        ),
    ] {
        assert_first_replies_are(&engine, &[text], level);
    }
    // A normal reading is no finding at all.
    let reply = &converse(
        &engine,
        &["my bp was 124/78 at the pharmacy, when is my review due?"],
    )[0];
    assert_ne!(reply.level, Some(Level::Emergency));
    assert_ne!(reply.level, Some(Level::Urgent));
}

#[test]
fn the_worst_headache_is_a_red_flag_that_a_bad_headache_is_not() {
    let engine = shipped_engine();
    let worst = &converse(
        &engine,
        &["worst headache of my life, came on a minute ago"],
    )[0];
    assert_eq!(worst.level, Some(Level::Emergency), "{}", worst.text);
    let bad = &converse(
        &engine,
        &["got a bad headache since this morning, had a late night"],
    )[0];
    assert_ne!(
        bad.level,
        Some(Level::Emergency),
        "{}",
        carebot::kbtest::describe(bad)
    );
}

#[test]
fn advice_that_forgets_the_emergency_number_gets_the_safety_net() {
    let engine = shipped_engine();
    // The head-lice advice does not mention the emergency number itself.
    let reply = &converse(
        &engine,
        &["pretty sure my daughter has nits, her head is so itchy"],
    )[0];
    assert_eq!(reply.level, Some(Level::SelfCare), "{}", reply.text);
    assert!(
        reply.text.contains("If it gets worse") && reply.text.contains("911"),
        "{}",
        reply.text
    );
}

#[test]
fn a_second_question_is_answered_only_when_it_is_really_asked() {
    let engine = shipped_engine();
    let asked = &converse(
        &engine,
        &["sore throat for 2 days and what are your opening hours"],
    )[0];
    assert!(
        asked.text.contains("You also asked about"),
        "{}",
        asked.text
    );
    // "tripped" shares a stem with travel, and "shot" with a vaccine, but
    // neither message asks anything besides the health problem.
    for text in [
        "tripped on the stairs, my ankle is a bit sore but I can walk on it fine",
        "got a sore throat and a cough, started yesterday",
    ] {
        let reply = &converse(&engine, &[text])[0];
        assert!(
            !reply.text.contains("You also asked about"),
            "{text:?}: {}",
            reply.text
        );
    }
}

#[test]
fn a_place_and_a_feeling_in_either_order_name_the_finding() {
    // `[[concept.pair]]`: "pressure" next to "chest" in any order, with words
    // between, is chest pain; with the jaw ache and nausea, a heart attack sign.
    let engine = shipped_engine();
    assert_first_replies_are(
        &engine,
        &[
            "Pressure in chest, jaw aching, I feel sick",
            "heavy pressure behind my breastbone and my left arm aches",
            "my dad's smile looks wonky and his words are all jumbled",
        ],
        Some(Level::Emergency),
    );
    // Blood pressure is not chest pressure.
    let reply = &converse(
        &engine,
        &["my blood pressure was 150/95 at the chemist, chest is fine"],
    )[0];
    assert_ne!(
        reply.level,
        Some(Level::Emergency),
        "{}",
        carebot::kbtest::describe(reply)
    );
}

#[test]
fn a_problem_that_has_lasted_weeks_is_booked_without_the_screens_questions() {
    let engine = shipped_engine();
    let weeks = &converse(&engine, &["my tongue has felt sore and burning for months"])[0];
    assert_eq!(
        weeks.level,
        Some(Level::Routine),
        "{}",
        carebot::kbtest::describe(weeks)
    );
    assert_eq!(weeks.kind, ReplyKind::Triage);
    // The same problem since this morning is asked the life-threatening question.
    let today = &converse(
        &engine,
        &["my tongue has felt sore and burning since this morning"],
    )[0];
    assert_eq!(
        today.kind,
        ReplyKind::Question,
        "{}",
        carebot::kbtest::describe(today)
    );
    // A warning sign named with a long-standing problem still brings its advice.
    assert_first_replies_are(
        &engine,
        &["I've been unwell for weeks and now I think I'm dying"],
        Some(Level::Emergency),
    );
}

#[test]
fn a_plan_told_with_means_and_a_farewell_is_an_emergency_without_the_word_suicide() {
    let engine = shipped_engine();
    assert_first_replies_are(
        &engine,
        &[
            "my friend texted me goodbye and he has a rope",
            "I've made up my mind, I'm going to the bridge tonight",
        ],
        Some(Level::Emergency),
    );
    let reply = &converse(
        &engine,
        &["I said goodbye to my sister at the station, now I have a cold"],
    )[0];
    assert_ne!(
        reply.level,
        Some(Level::Emergency),
        "{}",
        carebot::kbtest::describe(reply)
    );
}

#[test]
fn a_same_day_sign_beside_an_understood_self_care_problem_gets_same_day_advice() {
    // The sore-throat rule reads the throat; "can barely swallow water" is a
    // same-day sign it does not weigh. The message was understood, so no
    // life-threatening question: same-day advice at once.
    let engine = shipped_engine();
    assert_first_replies_are(
        &engine,
        &["sore throat and I can barely swallow water, 3 days now"],
        Some(Level::Urgent),
    );
    assert_first_replies_are(
        &engine,
        &["sore throat for 3 days, otherwise fine"],
        Some(Level::SelfCare),
    );
}

#[test]
fn an_everyday_infection_with_a_weak_immune_system_is_seen_today() {
    // Self-care is not for someone whose immune system is weakened: the
    // screen's same-day advice, at once, since every word was understood.
    let engine = shipped_engine();
    assert_first_replies_are(
        &engine,
        &[
            "on tacrolimus for my kidney and got diarrhoea for 3 days",
            "I'm a liver transplant patient and I've had a bad cough since yesterday",
            // A transplant told in the past is still there.
            "had a liver transplant last year, got a bad cough since yesterday",
        ],
        Some(Level::Urgent),
    );
    assert_first_replies_are(
        &engine,
        &["got diarrhoea for 3 days, drinking fine"],
        Some(Level::SelfCare),
    );
    // Pregnancy or a transplant alone is no problem to advise about.
    for text in [
        "do you do flu jabs for pregnant women?",
        "how do I get a copy of my transplant records",
    ] {
        let reply = &converse(&engine, &[text])[0];
        assert_ne!(reply.level, Some(Level::Urgent), "{text}");
    }
}

#[test]
fn a_reading_in_a_red_band_is_never_self_care() {
    // An upset stomach is self-care; with a blood pressure of 85 on the home
    // machine it is seen today, and with Addison's it is an adrenal crisis.
    let engine = shipped_engine();
    assert_first_replies_are(
        &engine,
        &["diarrhoea since yesterday, bp 85/50 on my home machine"],
        Some(Level::Urgent),
    );
    assert_first_replies_are(
        &engine,
        &["I have Addison's and a tummy bug, my blood pressure is 82/48"],
        Some(Level::Emergency),
    );
}

#[test]
fn a_pulse_at_or_above_the_systolic_pressure_is_shock_with_whatever_it_comes_with() {
    let engine = shipped_engine();
    // Neither reading alone scores 3 in NEWS2; together the shock index is over 1.
    assert_first_replies_are(
        &engine,
        &[
            "Pt 56M, 3 episodes of black tarry stool today, HR 115, BP 96/60, pale",
            "34F, LMP 6 weeks ago, LIF pain and spotting, HR 118, BP 92/60",
        ],
        Some(Level::Emergency),
    );
    // 160/110 is severe in pregnancy even with no other sign.
    assert_first_replies_are(
        &engine,
        &["I'm 33 weeks pregnant and my bp machine says 164/108, feel ok"],
        Some(Level::Emergency),
    );
}

#[test]
fn a_pain_in_its_own_clause_is_not_explained_by_a_finding_elsewhere() {
    let engine = shipped_engine();
    // The fever is read ("T 38.2"); the perineal pain is not, so the adult
    // fever self-care advice must not stand for the whole note.
    let reply = &converse(&engine, &["Pt 70M, T 38.2, perineal pain, tender prostate"])[0];
    assert_ne!(
        reply.level,
        Some(Level::SelfCare),
        "{}",
        carebot::kbtest::describe(reply)
    );
    // "it" carries the finding into the next clause, and "a bit" only qualifies it.
    assert_first_replies_are(
        &engine,
        &["I've got shingles on my side, it's really sore"],
        Some(Level::Urgent),
    );
    assert_first_replies_are(
        &engine,
        &["constipated for 4 days, a bit uncomfortable but otherwise fine"],
        Some(Level::SelfCare),
    );
}

#[test]
fn figures_of_speech_built_from_emergency_words_report_nothing() {
    let engine = shipped_engine();
    for text in [
        "dying to know if you do flu jabs on saturdays",
        "this exam is going to give me a heart attack lol",
        "my phone died, can you resend the appointment text?",
    ] {
        let reply = &converse(&engine, &[text])[0];
        assert_eq!(
            reply.level,
            None,
            "{text:?} got {}",
            carebot::kbtest::describe(reply)
        );
        assert_ne!(
            reply.kind,
            ReplyKind::Question,
            "{text:?} got {}",
            carebot::kbtest::describe(reply)
        );
    }
    // The same words meant literally still are.
    assert_first_replies_are(
        &engine,
        &["I think my dad is having a heart attack"],
        Some(Level::Emergency),
    );
}

#[test]
fn feeling_about_to_faint_is_not_a_faint_that_has_passed() {
    let engine = shipped_engine();
    for text in [
        "sudden awful pain in my tummy and back and I feel like I'm going to faint",
        "my heart is pounding and I feel like I'm about to pass out",
    ] {
        let reply = &converse(&engine, &[text])[0];
        assert!(
            reply.level >= Some(Level::Urgent) || reply.kind == ReplyKind::Question,
            "{text:?} got {}",
            carebot::kbtest::describe(reply)
        );
        assert_ne!(reply.entry.as_deref(), Some("fainted-recovered"));
    }
}
