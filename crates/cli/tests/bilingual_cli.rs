//! Correspondence in several languages, through the real binaries
//! (`docs/client.md`, "A body in several languages"): Northland opens an
//! inquiry in English and Russian, both equally authentic; Southland reads
//! both and answers in Russian (authentic) with an English translation; a
//! disclosure that redacts the Russian texts is consented, exported and
//! verified by `hotline verify`, which shows each text with its tag and the
//! Russian ones as redacted. A bundle that shows a redacted text, hides one
//! the terms show, or passes a text off as an attachment is refused. With
//! `HOTLINE_DISCLOSURE_CORPUS` set, the bundles are written to its
//! `bilingual/` folder with the Rust verdict, checks and texts, for the
//! JavaScript verifier and verify.html (web/verify/test/bilingual.test.mjs).

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::cli::{hotline, north_and_south, ok};
use hotline_disclosure::{Verdict, verify};
use serde_json::Value;

const EN: &str =
    "We observed intrusions from infrastructure on your territory.\nPlease investigate.";
const RU: &str =
    "Мы наблюдали вторжения с инфраструктуры на вашей территории.\nПросим расследовать.";
const ANSWER_RU: &str = "Инфраструктура отключена.";
const ANSWER_EN: &str = "The infrastructure was taken down.";
const ANSWER_AR: &str = "تم إيقاف البنية التحتية.";

/// `hotline` on `profile` with the environment `env` (a language).
fn hotline_in(profile: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hotline"));
    c.arg("--profile")
        .arg(profile)
        .args(args)
        .env("HOTLINE_PASSPHRASE", common::cli::PASS)
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .env_remove("HOTLINE_LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn err(o: std::process::Output) -> String {
    assert!(
        !o.status.success(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The entry of bundle `b` at log index `i`, mutably.
fn entry(b: &mut Value, i: u64) -> &mut Value {
    b["entries"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["index"].as_u64() == Some(i))
        .unwrap()
}

/// The stub of an open wire part: its tag and leaf hash.
fn stub_of(p: &Value) -> Value {
    let leaf = hotline_core::commitment::Part {
        kind: hotline_core::commitment::PartKind::from_u8(p["tag"].as_u64().unwrap() as u8)
            .unwrap(),
        salt: B64
            .decode(p["salt"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap(),
        bytes: B64.decode(p["content"].as_str().unwrap()).unwrap(),
    }
    .leaf_hash();
    serde_json::json!({"tag": p["tag"], "redacted": B64.encode(leaf)})
}

fn texts(r: &hotline_disclosure::Report) -> Vec<Vec<(String, bool, Option<String>)>> {
    r.messages
        .iter()
        .map(|m| {
            m.texts
                .iter()
                .map(|t| (t.lang.clone(), t.authentic, t.body.clone()))
                .collect()
        })
        .collect()
}

#[test]
fn a_bilingual_inquiry_is_disclosed_with_one_language_redacted() {
    let d = tempfile::tempdir().unwrap();
    let relay = common::start(&d.path().join("relay"), &common::unique("bilingual"), None);
    let (dirs, _) = north_and_south(d.path(), &relay);
    let (north, south) = (&dirs[0], &dirs[1]);
    let f = |name: &str, text: &str| {
        let p = d.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let (en, ru) = (f("note.en.md", EN), f("note.ru.md", RU));
    let (en_arg, ru_arg) = (format!("en={en}"), format!("ru={ru}"));
    let open = |extra: &[&str]| {
        let mut a = vec![
            "case",
            "open",
            "--kind",
            "inquiry",
            "--to",
            "southland",
            "--title",
            "Intrusions / Вторжения",
        ];
        a.extend_from_slice(extra);
        hotline(north, &a)
    };

    // Several texts and no word on which binds: refused, nothing sent.
    let e = err(open(&["--body-file", &en_arg, "--body-file", &ru_arg]));
    assert!(e.contains("say which text is authentic"), "{e}");
    let e = err(open(&[
        "--body-file",
        &en_arg,
        "--body-file",
        &format!("EN={ru}"),
        "--authentic",
        "all",
    ]));
    assert!(e.contains("given twice"), "{e}");
    let e = err(open(&[
        "--body-file",
        &en_arg,
        "--body-file",
        &ru_arg,
        "--authentic",
        "fr",
    ]));
    assert!(e.contains("\"fr\" is marked authentic"), "{e}");
    let e = err(open(&["--body-file", &format!("english={en}")]));
    assert!(e.contains("LANG=FILE"), "{e}");

    let opened = ok(open(&[
        "--body-file",
        &en_arg,
        "--body-file",
        &ru_arg,
        "--authentic",
        "all",
    ]));
    let case = opened.split_whitespace().nth(3).unwrap().to_owned();
    assert_eq!(case.len(), 32, "{opened}");

    // Southland reads both texts, each with its tag.
    ok(hotline(south, &["sync"]));
    let shown = ok(hotline(south, &["case", "show", &case]));
    for want in [
        "[en, authentic]",
        "[ru, authentic]",
        "| Please investigate.",
        "| Просим расследовать.",
    ] {
        assert!(shown.contains(want), "{want}: {shown}");
    }
    let en_at = shown.find("[en, authentic]").unwrap();
    assert!(en_at < shown.find("[ru, authentic]").unwrap(), "{shown}");
    let (ans_ru, ans_en, ans_ar) = (
        f("answer.ru.md", ANSWER_RU),
        f("answer.en.md", ANSWER_EN),
        f("answer.ar.md", ANSWER_AR),
    );
    ok(hotline(
        south,
        &[
            "case",
            "answer",
            &case,
            "--body-file",
            &format!("ru={ans_ru}"),
            "--body-file",
            &format!("en={ans_en}"),
            "--body-file",
            &format!("ar={ans_ar}"),
            "--authentic",
            "ru",
        ],
    ));
    ok(hotline(north, &["sync"]));
    let shown = ok(hotline(north, &["case", "show", &case]));
    assert!(
        shown.contains("[ru, authentic]")
            && shown.contains("[en, translation]")
            && shown.contains("[ar, translation]"),
        "{shown}"
    );
    // For scripts: each event's texts in --json.
    let v: Value =
        serde_json::from_str(&ok(hotline(north, &["case", "show", &case, "--json"]))).unwrap();
    let timeline = v["timeline"].as_array().unwrap();
    assert_eq!(
        timeline[0]["texts"],
        serde_json::json!([
            {"lang": "en", "authentic": true, "body": EN},
            {"lang": "ru", "authentic": true, "body": RU},
        ])
    );
    let answer = timeline.iter().find(|e| e["kind"] == "answer").unwrap();
    assert_eq!(answer["texts"][0]["lang"], "ru");
    assert_eq!(
        answer["texts"][2],
        serde_json::json!({"lang": "ar", "authentic": false, "body": ANSWER_AR})
    );

    // The web UI: the texts side by side, each in its language and
    // writing direction, labelled with its tag and whether it binds.
    let ui = common::ui::logged_in(north, "/disclosure");
    let (status, page) = ui.get(&format!("/case/{case}"));
    assert_eq!(status, 200);
    for want in [
        r#"<section class="text" lang="en" dir="ltr"><p class="text-label" dir="auto">en: authentic text</p>"#,
        r#"<section class="text" lang="ru" dir="ltr"><p class="text-label" dir="auto">ru: authentic text</p>"#,
        r#"<section class="text" lang="ru" dir="ltr"><p class="text-label" dir="auto">ru: authentic text</p><div class="body"><p>Инфраструктура отключена.</p>"#,
        r#"<section class="text" lang="ar" dir="rtl"><p class="text-label" dir="auto">ar: translation, not authentic</p>"#,
        "The texts in en, ru are equally authentic.",
        "Просим расследовать.",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    assert_eq!(page.matches(r#"<div class="texts">"#).count(), 2, "{page}");
    assert_eq!(page.matches("equally authentic").count(), 1, "{page}");
    let ru_ui = ui.get_lang(&format!("/case/{case}"), "ru");
    assert!(
        ru_ui.contains("ar: перевод, не аутентичный")
            && ru_ui.contains("Тексты на языках en, ru равно аутентичны."),
        "{ru_ui}"
    );

    // Compose in the UI: a second language needs its tag, a tag of its own
    // and a well-formed one; a check previews both side by side; sent, the
    // case carries both texts with the authenticity chosen.
    let compose = |fields: &[(&str, &str)]| {
        let mut body = format!("csrf={}", ui.csrf);
        for (k, v) in fields {
            body.push_str(&format!("&{k}={}", common::ui::enc(v)));
        }
        let mut r = common::ui::agent()
            .post(format!("{}/compose", ui.server.base))
            .header("Cookie", &ui.cookie)
            .header("Origin", &ui.server.base)
            .content_type("application/x-www-form-urlencoded")
            .send(body)
            .unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap(),
            location,
        )
    };
    let base = [
        ("kind", "warning"),
        ("to", "southland"),
        ("tlp", "TLP:GREEN"),
        ("title", "Warning / Предупреждение"),
        ("body", "Attack expected tonight."),
        ("body2", "Атака ожидается сегодня ночью."),
    ];
    for (extra, want) in [
        (vec![], "Say which language the other text is in."),
        (
            vec![("lang2", "EN")],
            "The two texts must be in different languages.",
        ),
        (
            vec![("lang2", "russian")],
            "russian is not a BCP 47 language tag",
        ),
    ] {
        let fields = [&base[..], &extra[..], &[("step", "send")]].concat();
        let (status, page, _) = compose(&fields);
        assert_eq!(status, 422, "{page}");
        assert!(page.contains(want), "{want}: {page}");
    }
    let two = [&base[..], &[("lang2", "ru"), ("authentic", "1")]].concat();
    let (status, page, _) = compose(&[&two[..], &[("step", "check")]].concat());
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(
            r#"<section class="text" lang="ru" dir="ltr"><p>Атака ожидается сегодня ночью.</p>"#
        ),
        "{page}"
    );
    // The same check as the browser sends it (multipart, as with files).
    let mut body = String::new();
    for (k, v) in [
        &[("csrf", ui.csrf.as_str())][..],
        &two[..],
        &[("step", "check")],
    ]
    .concat()
    {
        body.push_str(&format!(
            "--b0undary\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str("--b0undary--\r\n");
    let mut r = common::ui::agent()
        .post(format!("{}/compose", ui.server.base))
        .header("Cookie", &ui.cookie)
        .header("Origin", &ui.server.base)
        .content_type("multipart/form-data; boundary=b0undary")
        .send(body)
        .unwrap();
    let page = r.body_mut().read_to_string().unwrap();
    assert!(
        page.contains(
            r#"<section class="text" lang="ru" dir="ltr"><p>Атака ожидается сегодня ночью.</p>"#
        ),
        "{page}"
    );
    let (status, page, location) = compose(&[&two[..], &[("step", "send")]].concat());
    assert_eq!(status, 303, "{page}");
    let warning = location.unwrap().strip_prefix("/case/").unwrap().to_owned();
    let (_, page) = ui.get(&format!("/case/{warning}"));
    assert!(
        page.contains(r#"lang="en" dir="ltr"><p class="text-label" dir="auto">en: authentic text</p>"#)
            && page.contains(r#"lang="ru" dir="ltr"><p class="text-label" dir="auto">ru: translation, not authentic</p>"#),
        "{page}"
    );
    drop(ui);

    // Two disclosures: the Russian texts redacted, and everything shown.
    let mut requests = Vec::new();
    for redact in ["body:ru", "stix"] {
        let r = ok(hotline(
            north,
            &[
                "disclose",
                "request",
                "--case",
                &case,
                "--redact",
                redact,
                "--purpose",
                redact,
            ],
        ));
        requests.push(r.split_whitespace().nth(2).unwrap().to_owned());
    }
    ok(hotline(south, &["sync"]));
    for r in &requests {
        ok(hotline(south, &["disclose", "consent", r]));
    }
    ok(hotline(north, &["sync"]));
    let export = |r: &str, name: &str| -> (String, Value) {
        let p = d.path().join(name);
        ok(hotline(
            north,
            &["disclose", "export", r, "--out", p.to_str().unwrap()],
        ));
        let v = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        (p.to_str().unwrap().to_owned(), v)
    };
    let (redacted_file, redacted) = export(&requests[0], "redacted.json");
    let (_, open_bundle) = export(&requests[1], "open.json");

    // `hotline verify`: valid, each text with its tag, the Russian ones redacted.
    let out = ok(hotline(north, &["verify", &redacted_file]));
    assert!(out.contains("Verdict: VALID"), "{out}");
    for want in [
        "[en, authentic]\n    | We observed intrusions",
        "[ru, authentic] redacted",
        "[ru, authentic] redacted",
        "[en, translation]\n    | The infrastructure was taken down.",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    assert!(
        !out.contains("Просим") && !out.contains(ANSWER_RU),
        "a redacted text shown: {out}"
    );

    // `hotline` in Russian, through the same Fluent resources as the UI:
    // from HOTLINE_LANG, or from the POSIX locale; --json stays as it is.
    let ru = [("HOTLINE_LANG", "ru")];
    let out = hotline_in(north, &ru, &["verify", &redacted_file]);
    for want in [
        "Пакет раскрытия",
        "Итог: ДЕЙСТВИТЕЛЕН",
        "[en, аутентичный текст]\n    | We observed intrusions",
        "[ru, аутентичный текст] скрыт",
        "[en, перевод]",
        "запрос от northland: Intrusions / Вторжения (скрыто частей: 1)",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    assert!(!out.contains("Verdict:"), "{out}");
    let out = hotline_in(north, &[("LANG", "ru_RU.UTF-8")], &["case", "show", &case]);
    assert!(
        out.contains("[ru, аутентичный текст]") && out.contains("[ar, перевод]"),
        "{out}"
    );
    assert!(
        out.contains("открыто ") && out.contains("состояние "),
        "{out}"
    );
    let out = hotline_in(
        north,
        &[("LANG", "ru_RU.UTF-8"), ("HOTLINE_LANG", "en")],
        &["case", "show", &case],
    );
    assert!(
        out.contains("[ru, authentic]") && out.contains("opened "),
        "{out}"
    );
    let out = hotline_in(south, &ru, &["inbox"]);
    assert!(
        out.contains("канал ") && out.contains("синхронизирован"),
        "{out}"
    );
    let out = hotline_in(north, &ru, &["case", "show", "00"]);
    assert!(out.lines().any(|l| l.starts_with("ошибка: ")), "{out}");
    let json = hotline_in(north, &ru, &["verify", "--json", &redacted_file]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["verdict"], "valid");
    let bytes = serde_json::to_vec(&redacted).unwrap();
    let r = verify(&bytes);
    assert_eq!(r.verdict, Verdict::Valid, "{:?}", r.checks);
    let t = texts(&r);
    assert_eq!(
        t[0],
        [
            ("en".into(), true, Some(EN.into())),
            ("ru".into(), true, None)
        ]
    );
    assert_eq!(
        t.iter().find(|m| m[0].0 == "ru").unwrap(),
        &[
            ("ru".into(), true, None),
            ("en".into(), false, Some(ANSWER_EN.into())),
            ("ar".into(), false, Some(ANSWER_AR.into()))
        ]
    );
    let r = verify(&serde_json::to_vec(&open_bundle).unwrap());
    assert_eq!(r.verdict, Verdict::Valid, "{:?}", r.checks);
    assert_eq!(texts(&r)[0][1], ("ru".into(), true, Some(RU.into())));

    // The inquiry's log index and its parts in both bundles.
    let inquiry = r.messages[0].index;
    let mut corpus: Vec<(String, Vec<u8>)> = vec![
        ("bilingual-ru-redacted".into(), bytes.clone()),
        (
            "bilingual-open".into(),
            serde_json::to_vec(&open_bundle).unwrap(),
        ),
    ];
    let mut expect = |name: &str, b: &Value, want: &str| {
        let data = serde_json::to_vec(b).unwrap();
        let r = verify(&data);
        assert_eq!(r.verdict, Verdict::Invalid, "{name}: {:?}", r.checks);
        assert!(
            r.checks.iter().any(|c| !c.ok && c.detail.contains(want)),
            "{name}: expected a failure mentioning {want:?}, got {:?}",
            r.checks
        );
        corpus.push((name.into(), data));
    };
    // The Russian text shown though the terms redact it (the open part,
    // same salt, from the other bundle: the commitment still holds).
    let ru_open = entry(&mut open_bundle.clone(), inquiry)["parts"][2].clone();
    assert_eq!(ru_open["tag"], 2);
    let mut b = redacted.clone();
    assert!(entry(&mut b, inquiry)["parts"][2].get("redacted").is_some());
    entry(&mut b, inquiry)["parts"][2] = ru_open;
    expect("bilingual-ru-shown", &b, "shown though the terms redact it");
    // The English text hidden though the terms show it.
    let mut b = redacted.clone();
    let en_part = entry(&mut b, inquiry)["parts"][1].clone();
    entry(&mut b, inquiry)["parts"][1] = stub_of(&en_part);
    expect("bilingual-en-hidden", &b, "redacted beyond the terms");
    // The Russian stub passed off as an attachment.
    let mut b = redacted.clone();
    entry(&mut b, inquiry)["parts"][2]["tag"] = 3.into();
    expect(
        "bilingual-ru-stub-as-attachment",
        &b,
        "where its header's layout has the body",
    );
    // The Russian text dropped: the parts no longer match the commitment.
    let mut b = redacted.clone();
    entry(&mut b, inquiry)["parts"]
        .as_array_mut()
        .unwrap()
        .remove(2);
    expect(
        "bilingual-ru-dropped",
        &b,
        "do not match the signed commitment",
    );

    if let Ok(dir) = std::env::var("HOTLINE_DISCLOSURE_CORPUS") {
        let dir = std::path::Path::new(&dir).join("bilingual");
        std::fs::create_dir_all(&dir).unwrap();
        let mut manifest = Vec::new();
        for (i, (name, data)) in corpus.iter().enumerate() {
            let file = format!("{i:02}.json");
            std::fs::write(dir.join(&file), data).unwrap();
            let r = verify(data);
            manifest.push(serde_json::json!({
                "file": file,
                "name": name,
                "verdict": r.verdict,
                "checks": r.checks.iter().map(|c| serde_json::json!({"what": c.what, "ok": c.ok})).collect::<Vec<_>>(),
                "texts": r.messages.iter().map(|m| &m.texts).collect::<Vec<_>>(),
            }));
        }
        std::fs::write(
            dir.join("manifest.json"),
            serde_json::to_vec_pretty(&manifest).unwrap(),
        )
        .unwrap();
    }
    common::stop(relay);
}
