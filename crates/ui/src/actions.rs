//! The actions a page's forms take (POST, behind the Origin and CSRF checks
//! of [`crate::security`]). Each calls the client library the way the
//! matching `hotline case …` command does.

use hotline_client::compose::{ComposeError, Draft, send};
use hotline_client::relay_client::RelayClient;
use hotline_core::keys::KeyId;
use hotline_core::message::Kind;

use crate::Ui;
use crate::view::{self, ViewError};

/// Why an action was not taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ActionError {
    /// No such case.
    #[error("no such case")]
    NoCase,
    /// Our party owes no such step.
    #[error("not owed")]
    NotOwed,
    /// Gathering the case failed.
    #[error(transparent)]
    View(#[from] ViewError),
    /// Sending failed (the relay refused or could not be reached).
    #[error(transparent)]
    Send(#[from] ComposeError),
}

/// The largest acknowledgement body taken from the form.
pub(crate) const MAX_BODY: usize = 16 * 1024;

/// Acknowledges case `id` with `body` (the default text if empty), as
/// `hotline case ack` does: to every other party of the case, `Re: title`.
pub(crate) fn acknowledge(ui: &Ui, id: &str, body: &str) -> Result<u64, ActionError> {
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
    if case.owed_by(&mine).map(|(k, _)| k) != Some(Kind::Ack) {
        return Err(ActionError::NotOwed);
    }
    let to: Vec<KeyId> = std::iter::once(case.opener)
        .chain(case.to.iter().copied())
        .filter(|p| *p != mine)
        .collect();
    let body = match body.trim() {
        "" => ui.tr.t("action-ack-default"),
        b => b.to_owned(),
    };
    let d = Draft {
        case: Some(case.id),
        refs: vec![case.id],
        ..Draft::new(Kind::Ack, to, format!("Re: {}", case.title), body)
    };
    let rec = ui.archive.channel(&ch.id).map_err(ViewError::from)?;
    let relay = RelayClient::new(&rec.relay_url, ui.keys.current.signing.clone())
        .map_err(ComposeError::from)?;
    let (index, _) = send(&ui.archive, &relay, &ch.id, &*ui.keys, &d)?;
    Ok(index)
}
