//! What `hotline` prints for a person, in the user's language: the strings
//! are the Fluent resources the web UI speaks through (`hotline_i18n`,
//! `locales/LANG/cli.ftl` and, for message kinds, case states and
//! durations, the UI's own), chosen by `HOTLINE_LANG` or the POSIX locale
//! ([`hotline_i18n::from_env`], `docs/client.md`, "Languages"). `--json`
//! output is for scripts and stays as it is in every language.

use hotline_i18n::Tr;

/// The strings of the user's language, chosen once per process.
pub(crate) fn tr() -> &'static Tr {
    static LANG: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    hotline_i18n::strings(LANG.get_or_init(hotline_i18n::from_env))
}

/// The string `id`.
pub(crate) fn t(id: &str) -> String {
    tr().t(id)
}

/// The string `id` with its variables.
pub(crate) fn ta(id: &str, vars: &[(&str, String)]) -> String {
    tr().args(id, vars)
}

/// A message kind as the user reads it: in English its wire name, the one
/// typed after `--kind`; in another language the UI's name for it.
pub(crate) fn kind(k: &str) -> String {
    if tr().lang() == "en" {
        k.to_owned()
    } else {
        tr().kind(k)
    }
}

/// A case's state as the user reads it (`Open`, `Acknowledged`, …; the
/// UI's words in another language).
pub(crate) fn state(s: hotline_client::cases::State) -> String {
    use hotline_client::cases::State;
    let id = match s {
        State::Open => "open",
        State::Acknowledged => "acknowledged",
        State::Answered => "answered",
        State::Closed => "closed",
    };
    if tr().lang() == "en" {
        format!("{s:?}")
    } else {
        tr().t(&format!("state-{id}"))
    }
}

/// A duration for a person: `45 s`, `12 min`, `2 h 14 min`, `3 d 4 h`
/// (the UI's `dur-*` strings, through [`Tr::duration`]).
pub(crate) fn duration(secs: u64) -> String {
    tr().duration(secs)
}

/// Another party's text (a title, a line of a body) made safe to print on
/// a terminal: every control character but the tab becomes U+FFFD, so no
/// escape sequence reaches the terminal and no line break forges a line.
pub(crate) fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `cli-…` id the CLI's code names is in the English resources
    /// and the Russian ones (a missing id would print as itself).
    #[test]
    fn every_id_the_cli_prints_is_defined() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let en = hotline_i18n::strings("en");
        let ru = hotline_i18n::strings("ru");
        let mut seen = 0;
        for f in std::fs::read_dir(dir).unwrap() {
            let src = std::fs::read_to_string(f.unwrap().path()).unwrap();
            for (i, _) in src.match_indices("\"cli-") {
                let id: String = src[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                    .collect();
                // `cli-owed-{}`: one per owed kind; this test's own `"cli-`.
                let ids: Vec<String> = if id == "cli-" {
                    continue;
                } else if id == "cli-owed-" {
                    ["ack", "answer"]
                        .iter()
                        .map(|k| format!("{id}{k}"))
                        .collect()
                } else {
                    vec![id]
                };
                for id in ids {
                    assert!(en.has(&id), "{id} is not in locales/en-US/cli.ftl");
                    assert!(ru.has(&id), "{id} is not in locales/ru/cli.ftl");
                    seen += 1;
                }
            }
        }
        assert!(seen > 40, "only {seen} ids found");
    }

    #[test]
    fn russian_reads_russian() {
        let ru = hotline_i18n::strings("ru");
        let alarms = |n: &str| {
            ru.args(
                "cli-fresh-alarms",
                &[("channel", "ab".into()), ("alarms", n.into())],
            )
        };
        assert!(alarms("1").contains("1 тревога"), "{}", alarms("1"));
        assert!(alarms("3").contains("3 тревоги"));
        assert!(alarms("11").contains("11 тревог"));
        assert_eq!(
            ru.args("cli-text-authentic", &[("lang", "en".into())]),
            "[en, аутентичный текст]"
        );
        let en = hotline_i18n::strings("en");
        assert_eq!(
            en.args(
                "cli-inbox-row-overdue",
                &[
                    ("owed", "ack".into()),
                    ("due", "t".into()),
                    ("item", "inquiry case 00".into()),
                    ("from", "southland".into()),
                    ("title", "x".into())
                ]
            ),
            "OVERDUE ack due t — inquiry case 00 from southland: x"
        );
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(printable("a\u{1b}[2Jb\nc\td"), "a\u{FFFD}[2Jb\u{FFFD}c\td");
        assert_eq!(printable("\u{9b}31m"), "\u{FFFD}31m");
    }
}
