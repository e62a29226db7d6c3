//! The derived cases of each channel, kept between page requests
//! (`docs/ui.md`, "Fast at real sizes").
//!
//! Deriving a channel's cases reads every opened message and its
//! sequencing time, verifies the charter and rebuilds the key directory:
//! about a second at 100,000 messages, far too slow for every page. So the
//! [`ChannelView`] is kept, keyed by the channel's id, its charter as stored
//! and the archive's [`ChannelState`] for it, which every request reads
//! again (three look-ups by key). A view is served only while all three are
//! what they were when it was derived: a message stored by the live sync, a
//! reply sent from a page, a `hotline sync` of another process on the same
//! profile — each changes the state, and the next page derives again. The
//! state is read *before* the messages are, so a message stored while a
//! view is derived can at worst make the view newer than its key (derived
//! again next time), never older.

use std::collections::HashMap;
use std::sync::Mutex;

use hotline_client::archive::{ChannelRecord, ChannelState};
use hotline_core::ids::ChannelId;

use crate::Ui;
use crate::view::{ChannelView, ViewError};

/// A view and what it was derived from.
struct Kept {
    charter: Vec<u8>,
    state: ChannelState,
    view: ChannelView,
}

/// The kept views, by channel.
#[derive(Default)]
pub(crate) struct ViewCache {
    kept: Mutex<HashMap<ChannelId, Kept>>,
}

impl ViewCache {
    /// The view kept for `rec` in `state`, if any.
    fn get(&self, rec: &ChannelRecord, state: &ChannelState) -> Option<ChannelView> {
        let kept = self.kept.lock().ok()?;
        let k = kept.get(&rec.id)?;
        (k.view.id == rec.id && k.charter == rec.charter && k.state == *state)
            .then(|| k.view.clone())
    }

    fn put(&self, rec: &ChannelRecord, state: ChannelState, view: &ChannelView) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.insert(
                rec.id,
                Kept {
                    charter: rec.charter.clone(),
                    state,
                    view: view.clone(),
                },
            );
        }
    }

    /// How many views are kept (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.kept.lock().map(|k| k.len()).unwrap_or(0)
    }
}

/// The view of channel `rec`: the kept one if the archive holds the same
/// for it as when it was derived, else derived now (and kept).
pub(crate) fn channel(ui: &Ui, rec: ChannelRecord) -> Result<ChannelView, ViewError> {
    // First the state, then the messages (see the module's docs).
    let state = ui.archive.state(&rec.id)?;
    if let Some(v) = ui.cache.get(&rec, &state) {
        return Ok(v);
    }
    let view = crate::view::derive(ui, &rec)?;
    ui.cache.put(&rec, state, &view);
    Ok(view)
}
