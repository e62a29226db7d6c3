//! Every string Hotline shows a person comes from the Fluent resources of
//! `locales/LANG/`, one file per part: the web UI's (`ui`, `disclose`,
//! `chrome`, `dash`, `evidence`, `setup`, `bench`) and the CLI's (`cli`).
//! English (`en-US`) and Russian (`ru`) are complete, Arabic (`ar`)
//! partial — the UI's navigation and inbox, to check the layout right to
//! left — with English for the rest. The UI picks the language per request
//! (`docs/ui.md`, "Languages"), the CLI from `--lang` or the environment
//! ([`from_env`], `docs/client.md`). Plurals follow the language's CLDR
//! rules (a variable that is a whole number is passed to Fluent as a
//! number).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The English resources, compiled in (one per part; an id defined twice
/// is a test failure, `no_id_is_defined_twice`).
const EN_US: &[&str] = &[
    include_str!("../locales/en-US/cli.ftl"),
    include_str!("../locales/en-US/cli-setup.ftl"),
    include_str!("../locales/en-US/ui.ftl"),
    include_str!("../locales/en-US/disclose.ftl"),
    include_str!("../locales/en-US/chrome.ftl"),
    include_str!("../locales/en-US/dash.ftl"),
    include_str!("../locales/en-US/evidence.ftl"),
    include_str!("../locales/en-US/setup.ftl"),
    include_str!("../locales/en-US/bench.ftl"),
];

/// The Russian resources: every id of the English ones
/// (`russian_is_complete`).
const RU: &[&str] = &[
    include_str!("../locales/ru/cli.ftl"),
    include_str!("../locales/ru/cli-setup.ftl"),
    include_str!("../locales/ru/ui.ftl"),
    include_str!("../locales/ru/disclose.ftl"),
    include_str!("../locales/ru/chrome.ftl"),
    include_str!("../locales/ru/dash.ftl"),
    include_str!("../locales/ru/evidence.ftl"),
    include_str!("../locales/ru/setup.ftl"),
    include_str!("../locales/ru/bench.ftl"),
];

/// The Arabic resource (partial).
const AR: &[&str] = &[include_str!("../locales/ar/ui.ftl")];

/// The languages spoken: (tag, resources, right to left).
const LANGUAGES: &[(&str, &[&str], bool)] =
    &[("en", EN_US, false), ("ru", RU, false), ("ar", AR, true)];

/// The strings of one language.
pub struct Tr {
    bundle: FluentBundle<FluentResource>,
    lang: &'static str,
    rtl: bool,
}

impl Tr {
    /// The English strings.
    pub fn english() -> Tr {
        Tr::of("en").unwrap_or_else(|| Tr::build("en", &[], false))
    }

    /// The strings of `lang` (`en`, `ru`, `ar`), over English for any id
    /// the language lacks; `None` for a language not spoken.
    pub fn of(lang: &str) -> Option<Tr> {
        let (tag, res, rtl) = LANGUAGES.iter().find(|(t, _, _)| *t == lang)?;
        Some(Tr::build(tag, res, *rtl))
    }

    fn build(tag: &'static str, res: &[&str], rtl: bool) -> Tr {
        // The resources are ours and compiled in; a syntax error in one
        // fails the unit test `every_string_parses`, so the entries that
        // parsed are used as they are.
        let locale = if tag == "en" { "en-US" } else { tag };
        let lang: unic_langid::LanguageIdentifier = locale.parse().unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![lang]);
        // No Unicode isolation marks: the text goes into HTML, escaped.
        bundle.set_use_isolating(false);
        for src in EN_US.iter().chain(res.iter()) {
            let r = FluentResource::try_new((*src).to_owned()).unwrap_or_else(|(r, _)| r);
            bundle.add_resource_overriding(r);
        }
        Tr {
            bundle,
            lang: tag,
            rtl,
        }
    }

    /// The language's tag, for `<html lang>`.
    pub fn lang(&self) -> &'static str {
        self.lang
    }

    /// `rtl` or `ltr`, for `<html dir>`.
    pub fn dir(&self) -> &'static str {
        if self.rtl { "rtl" } else { "ltr" }
    }

    /// The string `id` (its id itself if missing, so a gap shows and a test
    /// catches it).
    pub fn t(&self, id: &str) -> String {
        self.args(id, &[])
    }

    /// The string `id` with its variables; a variable that is a whole
    /// number of at most 15 digits goes in as a number (for plurals).
    /// Longer runs of digits stay text: Fluent keeps numbers as `f64`,
    /// which would round a 16-digit id that happens to be all digits.
    pub fn args(&self, id: &str, vars: &[(&str, String)]) -> String {
        let Some(msg) = self.bundle.get_message(id) else {
            return id.to_owned();
        };
        let Some(pattern) = msg.value() else {
            return id.to_owned();
        };
        let mut args = FluentArgs::new();
        for (k, v) in vars {
            match v.parse::<i64>() {
                // Only a plain whole number (no sign, no leading zero: ids, hours).
                Ok(n)
                    if v.len() <= 15
                        && v.bytes().all(|b| b.is_ascii_digit())
                        && (v == "0" || !v.starts_with('0')) =>
                {
                    args.set(*k, FluentValue::from(n))
                }
                _ => args.set(*k, FluentValue::from(v.clone())),
            }
        }
        let mut errors = vec![];
        self.bundle
            .format_pattern(pattern, Some(&args), &mut errors)
            .into_owned()
    }

    /// A duration for a person: `45 s`, `12 min`, `2 h 14 min`, `3 d 4 h`
    /// (`dur-*`), as the UI and the CLI both show it.
    pub fn duration(&self, secs: u64) -> String {
        let (d, h, m) = (secs / 86_400, secs / 3_600 % 24, secs / 60 % 60);
        let n = |v: u64| v.to_string();
        match secs {
            0..60 => self.args("dur-s", &[("s", n(secs))]),
            60..3_600 => self.args("dur-min", &[("m", n(m))]),
            3_600..86_400 => self.args("dur-h-min", &[("h", n(h)), ("m", n(m))]),
            _ => self.args("dur-d-h", &[("d", n(d)), ("h", n(h))]),
        }
    }

    /// A message kind's name (`kind-…`), its wire name if none.
    pub fn kind(&self, kind: &str) -> String {
        let id = format!("kind-{kind}");
        if self.has(&id) {
            self.t(&id)
        } else {
            kind.to_owned()
        }
    }

    /// Whether the resource defines `id`.
    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }
}

/// Every language the UI speaks, built once per process.
fn all() -> &'static [Tr] {
    static ALL: std::sync::OnceLock<Vec<Tr>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| LANGUAGES.iter().filter_map(|(t, _, _)| Tr::of(t)).collect())
}

/// The languages of one UI: every one spoken, and the member's choice.
#[derive(Default)]
pub struct Langs {
    /// The member's choice (`hotline ui --lang`), over the browser's.
    pub chosen: Option<&'static str>,
}

/// The writing direction of a text in language `tag`: `rtl` for the
/// languages written right to left (by primary subtag, or an Arabic or
/// Hebrew script subtag), else `ltr`.
pub fn text_dir(tag: &str) -> &'static str {
    const RTL: &[&str] = &[
        "ar", "arc", "ckb", "dv", "fa", "he", "ku", "ps", "sd", "syr", "ug", "ur", "yi",
    ];
    let mut subtags = tag.split('-');
    let primary = subtags.next().unwrap_or_default();
    let script_rtl = subtags
        .any(|s| ["arab", "hebr", "syrc", "thaa"].contains(&s.to_ascii_lowercase().as_str()));
    if script_rtl || RTL.iter().any(|l| l.eq_ignore_ascii_case(primary)) {
        "rtl"
    } else {
        "ltr"
    }
}

/// The language spoken that best serves the BCP 47 tag or POSIX locale
/// `s` (`ru`, `ru-RU`, `ru_RU.UTF-8`, `ar_EG`), by its primary subtag;
/// `None` if none does (`C`, `POSIX`, `de`).
pub fn spoken(s: &str) -> Option<&'static str> {
    let primary = s
        .split(['-', '_', '.', '@'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    LANGUAGES.iter().map(|(t, _, _)| *t).find(|t| *t == primary)
}

/// The CLI's language: `HOTLINE_LANG`, else the POSIX locale (`LC_ALL`,
/// then `LC_MESSAGES`, then `LANG`, the first set and not empty, as
/// POSIX orders them), if Hotline speaks it; else English.
pub fn from_env() -> &'static str {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let Some(l) = var("HOTLINE_LANG").and_then(|v| spoken(&v)) {
        return l;
    }
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|k| var(k))
        .and_then(|v| spoken(&v))
        .unwrap_or("en")
}

/// The tags spoken.
pub fn languages() -> Vec<&'static str> {
    LANGUAGES.iter().map(|(t, _, _)| *t).collect()
}

impl Langs {
    /// The language for a request: the member's choice, else the first of
    /// `Accept-Language` (RFC 9110 §12.5.4, by weight) the UI speaks, else
    /// English.
    pub fn pick(&self, accept_language: Option<&str>) -> &'static str {
        if let Some(c) = self.chosen {
            return c;
        }
        let mut wanted: Vec<(f32, usize, String)> = accept_language
            .unwrap_or("")
            .split(',')
            .enumerate()
            .filter_map(|(i, item)| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim().to_ascii_lowercase();
                let q = parts
                    .find_map(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.parse::<f32>().ok())
                    })
                    .unwrap_or(1.0);
                (!tag.is_empty() && q > 0.0).then_some((q, i, tag))
            })
            .collect();
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, _, tag) in wanted {
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(t) = LANGUAGES.iter().find(|(t, _, _)| *t == primary) {
                return t.0;
            }
        }
        "en"
    }

    /// The strings of `lang` (English for one not spoken).
    pub fn get(&self, lang: &str) -> &'static Tr {
        strings(lang)
    }
}

/// The strings of `lang`, built once per process (English for a language
/// not spoken).
pub fn strings(lang: &str) -> &'static Tr {
    let all = all();
    all.iter()
        .find(|t| t.lang == lang)
        .or_else(|| all.first())
        .expect("English is always built")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_and_tags_map_to_the_languages_spoken() {
        assert_eq!(spoken("ru_RU.UTF-8"), Some("ru"));
        assert_eq!(spoken("ru-RU"), Some("ru"));
        assert_eq!(spoken("RU"), Some("ru"));
        assert_eq!(spoken("ar_EG@latin"), Some("ar"));
        assert_eq!(spoken("en_GB.UTF-8"), Some("en"));
        assert_eq!(spoken("C"), None);
        assert_eq!(spoken("POSIX"), None);
        assert_eq!(spoken("de_DE"), None);
        assert_eq!(spoken(""), None);
    }

    #[test]
    fn every_string_parses() {
        for src in EN_US {
            assert!(FluentResource::try_new((*src).to_owned()).is_ok());
        }
    }

    #[test]
    fn no_id_is_defined_twice() {
        let lang: unic_langid::LanguageIdentifier = "en-US".parse().unwrap();
        let mut bundle = FluentBundle::new_concurrent(vec![lang]);
        for src in EN_US {
            let res = FluentResource::try_new((*src).to_owned()).unwrap();
            assert!(bundle.add_resource(res).is_ok(), "an id is defined twice");
        }
    }

    #[test]
    fn every_language_parses_and_russian_is_complete() {
        for (_, res, _) in LANGUAGES {
            for src in *res {
                assert!(FluentResource::try_new((*src).to_owned()).is_ok());
            }
        }
        let ids = |res: &[&str]| -> std::collections::BTreeSet<String> {
            res.iter()
                .flat_map(|s| s.lines())
                .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
                .filter_map(|l| l.split_once(" =").map(|(k, _)| k.to_owned()))
                .collect()
        };
        let (en, ru) = (ids(EN_US), ids(RU));
        assert_eq!(
            en.difference(&ru).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "missing in ru"
        );
        assert_eq!(
            ru.difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "not in en-US"
        );
        assert!(ids(AR).is_subset(&en));
    }

    #[test]
    fn russian_plurals_follow_cldr() {
        let t = Tr::of("ru").unwrap();
        let days = |n: &str| t.args("setup-review-days", &[("days", n.into())]);
        assert_eq!(days("1"), "1 день");
        assert_eq!(days("3"), "3 дня");
        assert_eq!(days("5"), "5 дней");
        assert_eq!(days("21"), "21 день");
        assert_eq!(days("12"), "12 дней");
        assert_eq!(days("22"), "22 дня");
        let shown = t.args(
            "inbox-shown",
            &[("shown", "50".into()), ("total", "101".into())],
        );
        assert!(shown.contains("из 101 дела"), "{shown}");
        // English keeps its text; Arabic falls back to English where it has none.
        let ar = Tr::of("ar").unwrap();
        assert_eq!(ar.t("nav-inbox"), "البريد الوارد");
        assert_eq!(ar.t("case-title"), "Case");
        assert_eq!(ar.dir(), "rtl");
        assert_eq!(Tr::english().dir(), "ltr");
    }

    #[test]
    fn the_browser_s_language_is_chosen_by_weight_unless_the_member_chose() {
        let mut l = Langs::default();
        assert_eq!(l.pick(None), "en");
        assert_eq!(l.pick(Some("ru-RU,ru;q=0.9,en;q=0.8")), "ru");
        assert_eq!(l.pick(Some("de-DE, en;q=0.5, ru;q=0.7")), "ru");
        assert_eq!(l.pick(Some("fr, de")), "en");
        assert_eq!(l.pick(Some("ar-EG")), "ar");
        assert_eq!(l.pick(Some("ru;q=0, en")), "en");
        assert_eq!(l.pick(Some(";;,=q,")), "en");
        l.chosen = Some("ru");
        assert_eq!(l.pick(Some("en-US")), "ru");
        assert_eq!(l.get("ru").t("nav-inbox"), "Входящие");
        assert_eq!(l.get("xx").t("nav-inbox"), "Inbox");
    }

    #[test]
    fn a_long_run_of_digits_is_never_rounded() {
        let t = Tr::english();
        let id = "9007199254740993123"; // beyond f64's exact integers
        assert_eq!(
            t.args("cli-inbox-ping", &[("id", id.into())]),
            format!("ping {id}")
        );
        let id = "9007199254740993";
        assert_eq!(
            t.args("cli-inbox-ping", &[("id", id.into())]),
            format!("ping {id}")
        );
        assert_eq!(
            t.args("cli-alarms-standing", &[("alarms", "3".into())]),
            "3 alarm(s) on record: `hotline alarms` shows them with their evidence"
        );
    }

    #[test]
    fn variables_are_filled() {
        let t = Tr::english();
        assert_eq!(
            t.args("notice-unreachable", &[("minutes", "7".into())]),
            "relay unreachable: read-only, last verified checkpoint 7 min ago"
        );
    }
}
