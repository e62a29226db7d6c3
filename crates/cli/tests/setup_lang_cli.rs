//! The set-up commands speak the user's language: with HOTLINE_LANG=ru
//! `key show`, `channel list`, `roster show`, `alerts check` and
//! `evidence check` print Russian, English stays as it was, and `--json`
//! is the same in both languages.

mod common;

use std::path::Path;
use std::process::Command;

use common::cli::{PASS, hotline, north_and_south, ok};

/// `hotline ARGS` in `lang`; its stdout if it exited with `status`.
fn in_lang(lang: &str, profile: &Path, args: &[&str], status: i32) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--profile")
        .arg(profile)
        .args(args)
        .env("HOTLINE_PASSPHRASE", PASS)
        .env("HOTLINE_INSECURE_KDF_LOG_N", "10")
        .env("HOTLINE_LANG", lang)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(status),
        "{args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn ru(profile: &Path, args: &[&str]) -> String {
    in_lang("ru", profile, args, 0)
}

#[test]
fn set_up_commands_speak_russian_and_json_does_not_change() {
    let d = tempfile::tempdir().unwrap();
    let relay = common::start(&d.path().join("relay"), &common::unique("setup-lang"), None);
    let (dirs, id) = north_and_south(d.path(), &relay);
    let north = &dirs[0];

    let en = ok(hotline(north, &["key", "show"]));
    assert!(en.starts_with("Profile "), "{en}");
    assert!(en.contains("Party   Northland CERT (northland)\n"), "{en}");
    assert!(en.contains("\n  signing id     "), "{en}");
    let shown = ru(north, &["key", "show"]);
    assert!(shown.starts_with("Профиль  "), "{shown}");
    assert!(
        shown.contains("Сторона  Northland CERT (northland)\n"),
        "{shown}"
    );
    assert!(shown.contains("\n  id подписи        "), "{shown}");
    assert!(shown.contains("\n  ключ шифрования   "), "{shown}");
    assert_eq!(
        ru(north, &["key", "show", "--json"]),
        ok(hotline(north, &["key", "show", "--json"]))
    );

    let list = ru(north, &["channel", "list"]);
    assert!(
        list.contains(&format!("{id}  проверено записей: ")),
        "{list}"
    );
    assert_eq!(
        ru(north, &["channel", "list", "--json"]),
        ok(hotline(north, &["channel", "list", "--json"]))
    );

    let rosters = ru(north, &["roster", "show", "--channel", &id]);
    assert!(
        rosters.contains("southland (Southland CERT): версия реестра 1\n"),
        "{rosters}"
    );
    assert!(rosters.contains("  Duty officer  подпись "), "{rosters}");

    std::fs::write(
        north.join("alerts.toml"),
        "link = \"http://127.0.0.1:8080\"\n",
    )
    .unwrap();
    let check = ru(north, &["alerts", "check"]);
    assert!(check.contains("alerts.toml: без ошибок\n"), "{check}");
    assert!(
        check.contains("  нет получателя: добавьте раздел [[email]] или [[webhook]]\n"),
        "{check}"
    );
    let en = ok(hotline(north, &["alerts", "check"]));
    assert!(
        en.contains("  no target: add an [[email]] or a [[webhook]] section\n"),
        "{en}"
    );
    assert_eq!(
        ru(north, &["alerts", "check", "--json"]),
        ok(hotline(north, &["alerts", "check", "--json"]))
    );
    assert_eq!(ru(north, &["alerts", "list"]), "оповещений в архиве нет\n");

    let bundle = d.path().join("bundle.json");
    std::fs::write(&bundle, "{\"type\": \"bundle\"}").unwrap();
    let b = bundle.to_str().unwrap();
    let checked = in_lang("ru", north, &["evidence", "check", b], 1);
    assert!(
        checked.contains(": НЕ соответствует STIX 2.1 (ошибок: "),
        "{checked}"
    );
    let en = in_lang("en", north, &["evidence", "check", b], 1);
    assert!(en.contains(": NOT valid STIX 2.1 ("), "{en}");
    assert_eq!(
        in_lang("ru", north, &["evidence", "check", b, "--json"], 1),
        in_lang("en", north, &["evidence", "check", b, "--json"], 1)
    );
}
