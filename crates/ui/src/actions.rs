//! The actions a page's forms take (POST, behind the Origin and CSRF checks
//! of [`crate::security`]). Each calls the client library the way the
//! matching `hotline case …` command does: [`Draft::reply`] builds the
//! message, [`send`] sends it, and [`Case::replies_for`] decides whether it
//! applies.
//!
//! [`Case::replies_for`]: hotline_client::cases::Case::replies_for

use hotline_client::compose::{ComposeError, Draft, send};
use hotline_client::relay_client::RelayClient;
use hotline_core::message::Kind;

use crate::Ui;
use crate::view::{self, ViewError};

/// Why an action was not taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ActionError {
    /// No such case.
    #[error("no such case")]
    NoCase,
    /// The reply does not apply to our party and the case's state.
    #[error("not applicable")]
    NotOwed,
    /// The form is not acceptable (an empty body where one is needed).
    #[error("invalid input")]
    Invalid,
    /// Gathering the case failed.
    #[error(transparent)]
    View(#[from] ViewError),
    /// Sending failed (the relay refused or could not be reached).
    #[error(transparent)]
    Send(#[from] ComposeError),
}

/// The largest reply body taken from the form.
pub(crate) const MAX_BODY: usize = 16 * 1024;

/// A reply form of the case page: the path segment after `/case/{id}/`
/// (its Fluent strings are `action-{path}-…`) and the kind it sends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReplyAction {
    pub path: &'static str,
    pub kind: Kind,
}

/// Every reply the case page offers, in [`hotline_client::cases::REPLY_KINDS`]
/// order, named as the `hotline case` subcommands are.
pub(crate) const REPLIES: [ReplyAction; 6] = [
    ReplyAction {
        path: "ack",
        kind: Kind::Ack,
    },
    ReplyAction {
        path: "interim",
        kind: Kind::Interim,
    },
    ReplyAction {
        path: "answer",
        kind: Kind::Answer,
    },
    ReplyAction {
        path: "clarify",
        kind: Kind::Clarification,
    },
    ReplyAction {
        path: "close",
        kind: Kind::Close,
    },
    ReplyAction {
        path: "reopen",
        kind: Kind::Reopen,
    },
];

/// The reply named `path` (`ack`, `answer`, …), if any.
pub(crate) fn by_path(path: &str) -> Option<ReplyAction> {
    REPLIES.iter().copied().find(|a| a.path == path)
}

/// Sends `kind` on case `id` with `body` (for an acknowledgement, the
/// default text if empty; for any other kind a body is required), as
/// `hotline case ack|interim|answer|clarify|close|reopen` does: to every
/// other party of the case, `Re: title`. Nothing is sent unless
/// [`hotline_client::cases::Case::replies_for`] allows it.
pub(crate) fn reply(ui: &Ui, id: &str, kind: Kind, body: &str) -> Result<u64, ActionError> {
    let chans = view::channels(ui)?;
    let (ch, case) = chans
        .iter()
        .find_map(|ch| {
            ch.cases
                .iter()
                .find(|c| c.id.to_hex() == id)
                .map(|c| (ch, c))
        })
        .ok_or(ActionError::NoCase)?;
    let mine = ch.me.ok_or(ActionError::NotOwed)?;
    if !case.replies_for(&mine).contains(&kind) {
        return Err(ActionError::NotOwed);
    }
    let body = match body.trim() {
        "" if kind == Kind::Ack => ui.tr().t("action-ack-default"),
        "" => return Err(ActionError::Invalid),
        b => b.to_owned(),
    };
    let d = Draft::reply(case, &mine, kind, body);
    let rec = ui.archive.channel(&ch.id).map_err(ViewError::from)?;
    let relay = RelayClient::new(&rec.relay_url, ui.keys.current.signing.clone())
        .map_err(ComposeError::from)?;
    let (index, _) = send(&ui.archive, &relay, &ch.id, &*ui.keys, &d)?;
    Ok(index)
}
