//! The UI's language per request: the strings are `hotline_i18n`'s (the
//! Fluent resources the CLI prints through too); the member's choice
//! (`hotline ui --lang`) or else the browser's (`Accept-Language`)
//! (`docs/ui.md`, "Languages").

pub use hotline_i18n::{Langs, Tr, languages, text_dir};

tokio::task_local! {
    /// The language of the request being answered (set by the router's
    /// language layer).
    pub(crate) static LANG: &'static str;
}

/// The language of the request being answered, English outside one.
pub(crate) fn current() -> &'static str {
    LANG.try_with(|l| *l).unwrap_or("en")
}

/// `spawn_blocking` in the request's language: pages rendered on the
/// blocking pool speak it too.
pub(crate) fn blocking<F, R>(f: F) -> tokio::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let lang = current();
    tokio::task::spawn_blocking(move || LANG.sync_scope(lang, f))
}

/// The strings of the request's language, for code that has no `Ui` at
/// hand (durations).
pub(crate) fn strings() -> &'static Tr {
    hotline_i18n::strings(current())
}
