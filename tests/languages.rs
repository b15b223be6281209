//! Patients who write in Spanish: translation files checked against the
//! entries they translate, the conversation's language read and switched,
//! the same rules deciding in both languages, and an emergency in either
//! language never missed because the conversation was in the other.

use carebot::{Conversation, Engine, Language, Level, ReplyKind};

use crate::support::{fixture_dir, shipped_engine, temp_knowledge};

/// The fixture's practice settings, offering Spanish as well.
fn practice_with_spanish() -> String {
    let practice = std::fs::read_to_string(fixture_dir().join("practice.toml")).unwrap();
    practice.replacen(
        "timezone = \"Europe/London\"",
        "timezone = \"Europe/London\"\nlanguages = [\"en\", \"es\"]",
        1,
    )
}

const HEADER: &str = "[translation]\nlanguage = \"es\"\nreviewed = 2026-12-01\nowner = \"Test\"\nsources = [\"MedlinePlus en español\"]\n";

/// The Spanish text of the fixture's second emergency rule.
const BABY_FEVER: &str = r#"[[rule]]
id = "baby-fever"
advice = "**Llame al {emergency_number} ahora**: un bebé menor de 3 meses con fiebre necesita atención urgente."

[[rule.ask]]
about = "age"
question = "¿Cuántos meses tiene el bebé?"
"#;

/// Spanish text for the fixture's concepts, rules and one FAQ entry.
fn spanish() -> String {
    format!(
        r#"{HEADER}
[[concept]]
id = "ankle"
words = ["tobillo"]

[[concept]]
id = "injury"
words = ["me cai", "se cayo", "torci", "me doble"]

[[concept]]
id = "cannot_bear_weight"
words = ["no puedo apoyar", "no puedo caminar"]
absent_words = ["puedo caminar"]

[[concept]]
id = "bony_tenderness"
words = ["me duele el hueso"]

[[concept]]
id = "chest_pain"
words = ["dolor de pecho", "me duele el pecho"]

[[concept]]
id = "crushing"
words = ["aplastante", "opresion"]

[[concept]]
id = "arm_numb"
words = ["brazo dormido", "brazo entumido"]

[[concept]]
id = "fever"
words = ["fiebre", "calentura"]

[[rule]]
id = "heart-attack-signs"
title = "Posible infarto"
advice = "**Llame al {{emergency_number}} ahora.** Este dolor de pecho necesita una ambulancia."
examples = ["dolor de pecho aplastante y el brazo dormido"]

{BABY_FEVER}
[[rule]]
id = "ankle-ottawa-positive"
title = "Lesión de tobillo que puede necesitar radiografía"
advice = "Hágase ver **hoy**: puede necesitar una radiografía. Llame al {{phone}}."
examples = ["me cai de la escalera y no puedo apoyar el tobillo"]

[[rule.ask]]
about = "cannot_bear_weight"
question = "¿Puede dar cuatro pasos apoyando el pie, aunque sea cojeando?"

[[faq]]
id = "opening-hours"
title = "Horario"
questions = ["¿Cuál es su horario?", "¿a qué hora abren?", "¿a qué hora cierran?"]
keywords = ["horario", "abren", "cierran"]
answer = "Nuestro horario:\n{{hours}}"
examples = ["a q hora abren el sabado"]

[messages]
fallback = "Lo siento, no estoy seguro de poder ayudarle con eso. Llame al {{phone}}, o al {{emergency_number}} si es una emergencia."
"#
    )
}

fn engine_with(files: &[(&str, &str)]) -> Engine {
    let dir = temp_knowledge(files);
    Engine::new(carebot::load_dir(dir.path()).expect("the knowledge loads"))
}

fn fixture_files() -> Vec<(&'static str, String)> {
    ["concepts.toml", "rules.toml", "faq.toml"]
        .into_iter()
        .map(|name| {
            (
                name,
                std::fs::read_to_string(fixture_dir().join(name)).unwrap(),
            )
        })
        .collect()
}

fn bilingual_engine() -> Engine {
    let fixture = fixture_files();
    let practice = practice_with_spanish();
    let spanish = spanish();
    let mut files: Vec<(&str, &str)> = fixture.iter().map(|(n, s)| (*n, s.as_str())).collect();
    files.push(("practice.toml", &practice));
    files.push(("es/textos.toml", &spanish));
    engine_with(&files)
}

fn problems_with(spanish: &str, practice: &str) -> Vec<String> {
    let fixture = fixture_files();
    let mut files: Vec<(&str, &str)> = fixture.iter().map(|(n, s)| (*n, s.as_str())).collect();
    files.push(("practice.toml", practice));
    files.push(("es/textos.toml", spanish));
    let dir = temp_knowledge(&files);
    let problems = carebot::load_dir(dir.path()).expect_err("the knowledge is invalid");
    let prefix = format!("{}/", dir.path().display());
    problems
        .iter()
        .map(|p| p.to_string().replace(&prefix, ""))
        .collect()
}

#[test]
fn a_spanish_message_gets_the_same_rule_in_spanish_and_the_conversation_stays_in_spanish() {
    let engine = bilingual_engine();
    let mut conversation = Conversation::default();
    let outcome = engine.respond(
        &mut conversation,
        "me cai en la escalera y no puedo apoyar el tobillo",
    );
    assert_eq!(
        outcome.reply.entry.as_deref(),
        Some("ankle-ottawa-positive")
    );
    assert_eq!(outcome.reply.level, Some(Level::Urgent));
    assert!(
        outcome.reply.text.contains("radiografía"),
        "{}",
        outcome.reply.text
    );
    assert_eq!(conversation.language, Some(Language::Spanish));
    assert_eq!(outcome.explanation.language, Some(Language::Spanish));

    // A follow-up question is asked in Spanish, with Spanish buttons, and a
    // Spanish "no" answers it.
    let mut conversation = Conversation::default();
    let question = engine.reply(&mut conversation, "me torci el tobillo ayer en el partido");
    assert_eq!(question.kind, ReplyKind::Question, "{}", question.text);
    assert!(question.text.contains("cuatro pasos"), "{}", question.text);
    let labels: Vec<&str> = question.buttons.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["Sí", "No", "No estoy seguro"]);
    let advice = engine.reply(&mut conversation, "no");
    assert_eq!(
        advice.entry.as_deref(),
        Some("ankle-ottawa-positive"),
        "{}",
        advice.text
    );
    assert!(advice.text.contains("Hágase ver"), "{}", advice.text);
}

#[test]
fn english_is_answered_in_english_as_before() {
    let engine = bilingual_engine();
    let mut conversation = Conversation::default();
    let reply = engine.reply(
        &mut conversation,
        "I tripped and my ankle is swollen, I can't put weight on it",
    );
    assert_eq!(reply.entry.as_deref(), Some("ankle-ottawa-positive"));
    assert!(reply.text.contains("X-ray"), "{}", reply.text);
    assert_ne!(conversation.language, Some(Language::Spanish));
}

#[test]
fn spanish_negation_keeps_a_denied_finding_out() {
    let engine = bilingual_engine();
    let mut conversation = Conversation {
        language: Some(Language::Spanish),
        ..Conversation::default()
    };
    let reply = engine.reply(
        &mut conversation,
        "no tengo dolor de pecho, solo quería saber el horario",
    );
    assert_ne!(reply.level, Some(Level::Emergency), "{}", reply.text);
    assert_ne!(reply.entry.as_deref(), Some("chest-pain"), "{}", reply.text);
}

#[test]
fn faq_questions_in_spanish_get_the_spanish_answer() {
    let engine = bilingual_engine();
    let mut conversation = Conversation::default();
    let reply = engine.reply(&mut conversation, "¿a qué hora abren el sábado?");
    assert_eq!(reply.kind, ReplyKind::Answer, "{}", reply.text);
    assert_eq!(reply.entry.as_deref(), Some("opening-hours"));
    assert!(reply.text.starts_with("Nuestro horario"), "{}", reply.text);
}

#[test]
fn the_patient_can_switch_language_and_is_answered_in_it() {
    let engine = bilingual_engine();
    let mut conversation = Conversation::default();
    let confirmed = engine.reply(&mut conversation, "español por favor");
    assert_eq!(conversation.language, Some(Language::Spanish));
    assert!(confirmed.text.contains("español"), "{}", confirmed.text);
    let back = engine.reply(&mut conversation, "/language en");
    assert_eq!(conversation.language, Some(Language::English));
    assert!(back.text.contains("English"), "{}", back.text);
    let which = engine.reply(&mut conversation, "/language");
    let replies: Vec<&str> = which.buttons.iter().map(|b| b.reply.as_str()).collect();
    assert_eq!(replies, ["/language en", "/language es"]);
}

#[test]
fn an_emergency_in_spanish_is_caught_in_a_conversation_held_in_english() {
    let engine = bilingual_engine();
    let mut conversation = Conversation {
        language: Some(Language::English),
        ..Conversation::default()
    };
    let reply = engine.reply(
        &mut conversation,
        "dolor de pecho aplastante y el brazo dormido",
    );
    assert_eq!(reply.level, Some(Level::Emergency), "{}", reply.text);
    assert!(reply.text.contains("999"), "{}", reply.text);
    assert!(reply.text.contains("Llame"), "{}", reply.text);
    assert_eq!(conversation.language, Some(Language::Spanish));
}

#[test]
fn the_kb_tests_run_in_every_language() {
    let engine = bilingual_engine();
    let report = carebot::kbtest::run(&engine);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    // The Spanish examples and questions ran too: two rule examples, three
    // questions and one example of the FAQ entry.
    let english_only = {
        let fixture = fixture_files();
        let files: Vec<(&str, &str)> = fixture.iter().map(|(n, s)| (*n, s.as_str())).collect();
        carebot::kbtest::run(&engine_with(&files)).passed
    };
    assert_eq!(report.passed, english_only + 6);
}

#[test]
fn translation_mistakes_are_reported_where_they_stand() {
    let practice = practice_with_spanish();
    let spanish = spanish();
    // An unknown id loads (a deleted rules file leaves its translations
    // behind) but `kb check` warns where it stands.
    let unknown_rule = format!("{spanish}\n[[rule]]\nid = \"no-such-rule\"\nadvice = \"x\"\n");
    let fixture = fixture_files();
    let mut files: Vec<(&str, &str)> = fixture.iter().map(|(n, s)| (*n, s.as_str())).collect();
    files.push(("practice.toml", &practice));
    files.push(("es/textos.toml", &unknown_rule));
    let dir = temp_knowledge(&files);
    let engine = Engine::new(carebot::load_dir(dir.path()).expect("loads"));
    let settings = carebot::kbcheck::CheckSettings {
        stale_after_days: 365,
        today: jiff::civil::date(2026, 12, 7),
    };
    let warnings: Vec<String> = carebot::kbcheck::warnings(&engine, settings)
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("es/textos.toml:")
                && w.contains("no rule `no-such-rule` to translate")),
        "{warnings:?}"
    );

    let wrong_ask = spanish.replace("about = \"cannot_bear_weight\"", "about = \"swelling\"");
    let found = problems_with(&wrong_ask, &practice);
    assert!(
        found.iter().any(|p| p.contains("asks nothing about `swelling`; its asks are about: cannot_bear_weight, bony_tenderness")),
        "{found:?}"
    );

    let no_number = spanish.replace("**Llame al {emergency_number} ahora.** Este", "Este");
    let found = problems_with(&no_number, &practice);
    assert!(
        found.iter().any(|p| p.contains(
            "emergency rule `heart-attack-signs` must tell the patient to call {emergency_number}"
        )),
        "{found:?}"
    );

    let not_offered = std::fs::read_to_string(fixture_dir().join("practice.toml")).unwrap();
    let found = problems_with(&spanish, &not_offered);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("the practice does not offer `es`"),
        "{found:?}"
    );
}

#[test]
fn an_emergency_rule_without_a_translation_is_an_error() {
    let practice = practice_with_spanish();
    let without = spanish().replace(BABY_FEVER, "");
    let found = problems_with(&without, &practice);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("rules.toml:"),
        "reported at the rule itself: {found:?}"
    );
    assert!(
        found[0].contains("emergency rule `baby-fever` has no `es` text"),
        "{found:?}"
    );
}

#[test]
fn the_shipped_knowledge_catches_spanish_emergencies() {
    let engine = shipped_engine();
    for text in [
        "me duele mucho el pecho y no puedo respirar",
        "a mi papá se le cayó la cara de un lado y no puede hablar bien",
        "mi bebé de 6 semanas tiene fiebre de 38.5",
        "quiero quitarme la vida, ya tengo las pastillas",
    ] {
        let mut conversation = Conversation::default();
        let reply = engine.reply(&mut conversation, text);
        assert_eq!(
            reply.level,
            Some(Level::Emergency),
            "{text}: {}",
            reply.text
        );
        assert!(reply.text.contains("911"), "{text}: {}", reply.text);
        assert_eq!(conversation.language, Some(Language::Spanish), "{text}");
    }
    let mut conversation = Conversation::default();
    let reply = engine.reply(&mut conversation, "¿a qué hora abren el sábado?");
    assert_eq!(
        reply.entry.as_deref(),
        Some("opening-hours"),
        "{}",
        reply.text
    );
}

/// The last message queued for `to`.
fn last_to(service: &carebot::Service, to: &carebot::Address) -> carebot::Outbound {
    service
        .store()
        .outbox_for(to)
        .unwrap()
        .pop()
        .expect("a message was queued")
        .message
}

#[test]
fn a_spanish_speaking_patient_hears_about_their_case_in_spanish_and_clinicians_in_english() {
    use crate::support::handoff::{monday_afternoon, nurse, patient, service_at, CHANNEL};
    use carebot::{Address, ClinicianCommand};

    let command = |text: &str| ClinicianCommand::parse(text).unwrap().unwrap();
    let (_dir, service, _clock) = service_at(monday_afternoon());
    let patient = patient(40);
    let channel: Address = CHANNEL.parse().unwrap();

    let opened = service
        .patient_message(&patient, "me duele mucho el pecho y no puedo respirar")
        .unwrap();
    let id = opened.case.expect("the emergency opens a case");
    let next_steps = opened
        .handoff
        .expect("the patient is told what happens next");
    assert!(
        next_steps.text.contains("Llame al 911"),
        "{}",
        next_steps.text
    );
    let case = service.store().case(id).unwrap().unwrap();
    assert_eq!(case.language, Some(Language::Spanish));
    let new_case = last_to(&service, &channel);
    assert!(
        new_case.reply.text.starts_with("🔔 New case C-0001"),
        "{}",
        new_case.reply.text
    );
    assert!(
        new_case.reply.text.contains("Patient wrote:"),
        "{}",
        new_case.reply.text
    );

    // Claimed: the patient is told in Spanish, the channel in English.
    service
        .clinician_command(&nurse(), command("/claim C-0001"))
        .unwrap();
    let claimed = last_to(&service, &patient);
    assert_eq!(
        claimed.reply.text,
        "Nurse Kim, del equipo del consultorio, está revisando su caso **C-0001** y le responderá aquí."
    );
    assert_eq!(claimed.reply.entry.as_deref(), Some("C-0001"));
    assert_eq!(
        last_to(&service, &channel).reply.text,
        "C-0001 claimed by Nurse Kim."
    );

    // The clinician's reply reaches the patient as written.
    service
        .clinician_command(
            &nurse(),
            command("/reply C-0001 ¿Ya llamó al 911? Can you hear me?"),
        )
        .unwrap();
    assert_eq!(
        last_to(&service, &patient).reply.text,
        "**Nurse Kim (Riverside Family Practice):** ¿Ya llamó al 911? Can you hear me?"
    );

    // The patient's answer is passed on in Spanish; the nurse's update is in
    // English, quoting the patient's words as written.
    let answer = service
        .patient_message(&patient, "sí, ya viene la ambulancia, gracias")
        .unwrap();
    assert_eq!(answer.case, Some(id));
    assert_eq!(
        answer.reply.text,
        "Le he pasado eso a Nurse Kim (caso **C-0001**)."
    );
    let update = last_to(&service, &nurse().chat);
    assert!(
        update.reply.text.starts_with("✉️ Update on case C-0001"),
        "{}",
        update.reply.text
    );
    assert!(
        update
            .reply
            .text
            .contains("> sí, ya viene la ambulancia, gracias"),
        "{}",
        update.reply.text
    );

    // Resolved: in Spanish, with the practice's phone.
    service
        .clinician_command(&nurse(), command("/resolve C-0001 ambulance took her"))
        .unwrap();
    assert_eq!(
        last_to(&service, &patient).reply.text,
        "El equipo ha cerrado el caso **C-0001**. Si necesita algo más, escriba aquí o llámenos al (555) 010-0100."
    );
}

#[test]
fn a_case_stored_before_languages_reads_as_english() {
    let (_dir, service, _clock) =
        crate::support::handoff::service_at(crate::support::handoff::monday_afternoon());
    let id = service
        .patient_message(&crate::support::handoff::patient(41), "agent")
        .unwrap()
        .case
        .unwrap();
    let case = service.store().case(id).unwrap().unwrap();
    assert_eq!(case.language, Some(Language::English));
    let mut stored = serde_json::to_value(&case).unwrap();
    stored.as_object_mut().unwrap().remove("language");
    let old: carebot::handoff::HandoffCase = serde_json::from_value(stored).unwrap();
    assert_eq!(old.language, None);
    let resolved =
        carebot::service::wording::resolved(&service.engine().knowledge().practice, &old);
    assert!(
        resolved.text.starts_with("The team has closed case"),
        "{}",
        resolved.text
    );

    // A patient told to phone is told in their language.
    let spanish = carebot::handoff::HandoffCase {
        language: Some(Language::Spanish),
        ..old
    };
    let engine = service.engine();
    let practice = &engine.knowledge().practice;
    let phone = carebot::service::wording::please_phone(practice, &spanish, false);
    assert!(
        phone
            .text
            .contains("llame a nuestra línea fuera de horario, al (555) 010-0199"),
        "{}",
        phone.text
    );
}

/// A notice in force on 15 October 2026, for the patients' own commands.
const FLU_CLINICS: &str = r#"
[[notice]]
id = "flu-clinics-autumn"
title = "Walk-in flu clinics on Saturdays"
text = "Our walk-in flu clinics run on Saturdays from 9am to noon until 28 November."
topics = ["vaccination-clinics"]
publish_at = 2026-10-01
expires_at = 2026-11-29
questions = ["is there a flu clinic this week"]
keywords = ["flu clinic"]
sources = ["CDC: Who needs a flu vaccine"]
reviewed = 2026-09-20
owner = "Practice manager"
"#;

/// A service on the shipped knowledge (which offers Spanish) with
/// [`FLU_CLINICS`], its clock on 15 October 2026.
fn service_with_notices() -> (
    tempfile::TempDir,
    tempfile::TempDir,
    std::sync::Arc<carebot::Service>,
) {
    let knowledge =
        crate::support::knowledge_with_notices(FLU_CLINICS, crate::support::NOTICE_TOPICS);
    let engine =
        Engine::new(carebot::load_dir(knowledge.path()).expect("knowledge loads")).lexical_only();
    let data = tempfile::tempdir().expect("temp dir");
    let store = carebot::Store::open(data.path()).expect("store opens");
    let clock = carebot::clock::ManualClock::new("2026-10-15T14:00:00Z".parse().unwrap());
    let service = std::sync::Arc::new(carebot::Service::new(
        std::sync::Arc::new(engine),
        store,
        crate::support::handoff::settings(),
        std::sync::Arc::new(clock),
    ));
    (knowledge, data, service)
}

fn say(service: &carebot::Service, patient: &carebot::Address, text: &str) -> carebot::Reply {
    service
        .patient_message(patient, text)
        .expect("replies")
        .reply
}

#[test]
fn a_spanish_speaking_patient_gets_their_data_notices_and_subscriptions_in_spanish() {
    let (_knowledge, _data, service) = service_with_notices();
    let patient = carebot::Address::new("telegram", "hispanohablante-1");
    say(&service, &patient, "hola, ¿a qué hora abren el sábado?");
    let stored = service.store().conversation(&patient).unwrap().unwrap();
    assert_eq!(stored.state.language, Some(Language::Spanish));

    // The notices: framing, date and buttons in Spanish, the notice itself as
    // the knowledge gives it.
    let list = say(&service, &patient, "/notices");
    assert!(list.text.starts_with("Avisos de "), "{}", list.text);
    assert!(
        list.text
            .contains("**Walk-in flu clinics on Saturdays** (hasta el sáb 28 nov 2026)"),
        "{}",
        list.text
    );
    assert!(list.text.contains("Escriba /suscribir"), "{}", list.text);
    let buttons: Vec<(&str, &str)> = list
        .buttons
        .iter()
        .map(|b| (b.label.as_str(), b.reply.as_str()))
        .collect();
    assert!(
        buttons.contains(&("Suscribirme a todos", "/suscribir")),
        "{buttons:?}"
    );
    assert!(
        buttons.contains(&("Suscribirme: outbreaks", "/suscribir outbreaks")),
        "{buttons:?}"
    );

    // Subscribing, by a button's command, and a topic there is not.
    let done = say(&service, &patient, "/suscribir vaccination-clinics");
    assert!(
        done.text
            .starts_with("Listo: recibirá en este chat los avisos de")
            && done.text.contains("sobre vaccination-clinics")
            && done.text.contains("Escriba /baja"),
        "{}",
        done.text
    );
    let refused = say(&service, &patient, "/suscribir gripe");
    assert_eq!(
        refused.text,
        "No tengo avisos sobre gripe. Los temas son: outbreaks, vaccination-clinics, closures."
    );
    let list = say(&service, &patient, "avisos");
    assert!(
        list.text
            .contains("Recibe avisos sobre: vaccination-clinics. Escriba /baja"),
        "{}",
        list.text
    );
    assert!(
        list.buttons
            .iter()
            .any(|b| b.label == "Dejar de recibir avisos" && b.reply == "/baja"),
        "{:?}",
        list.buttons
    );

    let data = say(&service, &patient, "/misdatos");
    assert!(
        data.text
            .starts_with("Esto es todo lo que he guardado sobre usted en este chat:"),
        "{}",
        data.text
    );
    assert!(
        data.text
            .contains("- Recibe avisos de salud sobre: vaccination-clinics (desde el jue 15 oct 2026, 10:00 EDT;"),
        "{}",
        data.text
    );
    assert!(
        data.text.contains("> hola, ¿a qué hora abren el sábado?"),
        "{}",
        data.text
    );
    assert!(data.text.contains("Escriba **/olvidame**"), "{}", data.text);
    assert!(!data.text.contains("Here is"), "{}", data.text);
    // "que saben de mi" is the same command.
    assert_eq!(say(&service, &patient, "¿Qué saben de mí?").text, data.text);

    let stopped = say(&service, &patient, "ya no quiero alertas");
    assert_eq!(
        stopped.text,
        "Listo: ya no recibirá más avisos nuestros. Escriba /suscribir para volver a recibirlos."
    );
    assert_eq!(service.store().subscription(&patient).unwrap(), None);

    say(&service, &patient, "suscribirme a las alertas");
    let forgotten = say(&service, &patient, "/olvidame");
    assert!(
        forgotten.text.starts_with(
            "Listo: he borrado todo lo que tenía guardado sobre usted (esta conversación y su suscripción a los avisos de salud). Solo conservo una nota de que se hizo un borrado, sin ninguno de sus mensajes. Si vuelve a escribir, empezaremos de cero."
        ),
        "{}",
        forgotten.text
    );
    // What was kept as correspondence for the record is spoken of in Spanish too.
    assert!(
        forgotten
            .text
            .contains("su historia clínica en el consultorio"),
        "{}",
        forgotten.text
    );
    assert!(service.store().conversation(&patient).unwrap().is_none());
}

#[test]
fn a_spanish_command_with_nothing_stored_is_answered_in_spanish_and_english_stays_english() {
    let (_knowledge, _data, service) = service_with_notices();
    // Nothing stored: the command's own words tell the language, and the
    // first-contact notice follows it.
    let newcomer = carebot::Address::new("telegram", "hispanohablante-2");
    let response = service.patient_message(&newcomer, "/misdatos").unwrap();
    assert!(
        response
            .reply
            .text
            .starts_with("Esto es todo lo que he guardado sobre usted"),
        "{}",
        response.reply.text
    );
    assert!(
        response
            .reply
            .text
            .contains("- Nos escribió por primera vez el jue 15 oct 2026"),
        "{}",
        response.reply.text
    );
    let notice = response.notice.expect("the first-contact notice");
    assert!(notice.text.starts_with("¡Hola!"), "{}", notice.text);
    let subscribed = say(
        &service,
        &carebot::Address::new("telegram", "hispanohablante-3"),
        "Suscribirme a las alertas, por favor",
    );
    assert!(
        subscribed.text.starts_with("Listo: recibirá en este chat"),
        "{}",
        subscribed.text
    );
    assert_eq!(
        carebot::handoff::command_language("Olvídame"),
        Some(Language::Spanish)
    );
    assert_eq!(
        carebot::handoff::command_language("forget me please"),
        Some(Language::English)
    );
    assert_eq!(carebot::handoff::command_language("me duele"), None);

    // English as before.
    let patient = carebot::Address::new("telegram", "english-1");
    let list = say(&service, &patient, "/notices");
    assert!(list.text.starts_with("Notices from "), "{}", list.text);
    assert!(
        list.text.contains("(until Sat 28 Nov 2026)"),
        "{}",
        list.text
    );
    assert!(
        list.buttons
            .iter()
            .any(|b| b.label == "Subscribe to all" && b.reply == "/subscribe"),
        "{:?}",
        list.buttons
    );
    let done = say(&service, &patient, "/subscribe");
    assert!(done.text.starts_with("Done: you'll get"), "{}", done.text);
    let data = say(&service, &patient, "/mydata");
    assert!(
        data.text
            .starts_with("Here is everything I've stored about you"),
        "{}",
        data.text
    );
    assert!(
        data.text
            .contains("You first wrote on Thu 15 Oct 2026 10:00 EDT."),
        "{}",
        data.text
    );
    let forgotten = say(&service, &patient, "forget me");
    assert!(
        forgotten.text.starts_with("Done: I've deleted everything"),
        "{}",
        forgotten.text
    );

    // The stored conversation's language comes first: a patient talking in
    // English who types a Spanish command is still answered in English.
    let english = carebot::Address::new("telegram", "english-2");
    say(&service, &english, "what time do you open on saturday?");
    assert_eq!(
        service
            .store()
            .conversation(&english)
            .unwrap()
            .unwrap()
            .state
            .language,
        Some(Language::English)
    );
    let data = say(&service, &english, "/misdatos");
    assert!(data.text.starts_with("Here is everything"), "{}", data.text);
}

#[test]
fn an_emergency_in_spanish_words_inside_an_english_message_is_caught_and_shared_words_are_not() {
    let engine = shipped_engine();
    // Mostly English, the emergency in Spanish words: read in Spanish too.
    let mut conversation = Conversation::default();
    let reply = engine.reply(&mut conversation, "help my dad no respira");
    assert_eq!(reply.level, Some(Level::Emergency), "{}", reply.text);
    assert_eq!(conversation.language, Some(Language::Spanish));
    // A medical word both languages share, or a spelling correction towards
    // Spanish ("isn't"), is no reason to answer an English message in Spanish.
    for text in ["what are the signs of sepsis?", "The portal isn't working"] {
        let mut conversation = Conversation::default();
        let outcome = engine.respond(&mut conversation, text);
        assert_eq!(
            outcome.explanation.language,
            Some(Language::English),
            "{text}"
        );
        assert_ne!(
            outcome.reply.level,
            Some(Level::Emergency),
            "{text}: {}",
            outcome.reply.text
        );
    }
}
