//! Every user-visible string comes from the Fluent resources of
//! `locales/en-US/` (one file per part of the UI); English only for now.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The English resources, compiled in (one per part of the UI; an id
/// defined twice is a test failure, `no_id_is_defined_twice`).
const EN_US: &[&str] = &[
    include_str!("../locales/en-US/ui.ftl"),
    include_str!("../locales/en-US/disclose.ftl"),
    include_str!("../locales/en-US/chrome.ftl"),
    include_str!("../locales/en-US/dash.ftl"),
    include_str!("../locales/en-US/evidence.ftl"),
    include_str!("../locales/en-US/setup.ftl"),
    include_str!("../locales/en-US/bench.ftl"),
];

/// The strings of one language.
pub struct Tr {
    bundle: FluentBundle<FluentResource>,
}

impl Tr {
    /// The English strings.
    pub fn english() -> Tr {
        // The resource is ours and compiled in; a syntax error in it fails
        // the unit test `every_string_parses`, so the entries that parsed
        // are used as they are.
        let lang: unic_langid::LanguageIdentifier = "en-US".parse().unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![lang]);
        // No Unicode isolation marks: the text goes into HTML, escaped.
        bundle.set_use_isolating(false);
        for src in EN_US {
            let res = FluentResource::try_new((*src).to_owned()).unwrap_or_else(|(r, _)| r);
            let _ = bundle.add_resource(res);
        }
        Tr { bundle }
    }

    /// The string `id` (its id itself if missing, so a gap shows and a test
    /// catches it).
    pub fn t(&self, id: &str) -> String {
        self.args(id, &[])
    }

    /// The string `id` with its variables.
    pub fn args(&self, id: &str, vars: &[(&str, String)]) -> String {
        let Some(msg) = self.bundle.get_message(id) else {
            return id.to_owned();
        };
        let Some(pattern) = msg.value() else {
            return id.to_owned();
        };
        let mut args = FluentArgs::new();
        for (k, v) in vars {
            args.set(*k, FluentValue::from(v.clone()));
        }
        let mut errors = vec![];
        self.bundle
            .format_pattern(pattern, Some(&args), &mut errors)
            .into_owned()
    }

    /// Whether the resource defines `id`.
    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn variables_are_filled() {
        let t = Tr::english();
        assert_eq!(
            t.args("notice-unreachable", &[("minutes", "7".into())]),
            "relay unreachable: read-only, last verified checkpoint 7 min ago"
        );
    }
}
