//! The attachments of a stored message, checked before they are handed out
//! (`docs/ui.md`, "Attachment downloads"): the stored parts must still hash
//! to the commitment of the signed head in the log mirror (what sync
//! verified when it opened the envelope), and the attachment's bytes must
//! match the size and SHA-256 its header lists. An archive altered after
//! the sync gives an error, never the altered bytes.

use hotline_core::commitment::{commit, decode_parts};
use hotline_core::entry::Entry;
use hotline_core::ids::ChannelId;
use hotline_core::message::Message;

use super::{Archive, ArchiveError};

/// One attachment of a stored message, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    /// Its file name as the sender gave it (untrusted: escape it, never
    /// use it as a path).
    pub name: String,
    /// Its media type as the sender gave it (untrusted).
    pub media_type: String,
    /// Its hex SHA-256, as committed in the header.
    pub sha256: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Why an attachment cannot be handed out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttachmentError {
    /// The archive failed.
    #[error("{0}")]
    Archive(#[from] ArchiveError),
    /// This archive opened no such message, or it has no such attachment.
    #[error("no such attachment in this archive")]
    NotFound,
    /// The stored message no longer matches what was verified at sync.
    #[error(
        "the stored message {0} was altered: {1}; run `hotline verify` and do not trust this archive"
    )]
    Tampered(u64, String),
}

/// Attachment `n` of the message whose logged entry is `entry` and whose
/// stored parts are `parts`, checked against the entry's commitment and the
/// header's size and SHA-256. `index` names the message in errors.
pub fn checked_attachment(
    index: u64,
    entry: &[u8],
    parts: &[u8],
    n: usize,
) -> Result<StoredAttachment, AttachmentError> {
    let bad = |why: String| AttachmentError::Tampered(index, why);
    let Ok(Entry::Head(head)) = Entry::from_bytes(entry) else {
        return Err(bad("its log entry is not an envelope head".into()));
    };
    let parts = decode_parts(parts).map_err(|e| bad(format!("its parts: {e}")))?;
    if commit(&parts) != head.head.header.commitment {
        return Err(bad("its parts do not hash to the signed commitment".into()));
    }
    // Checks every attachment's size and SHA-256 against the header.
    let msg = Message::from_parts(&parts).map_err(|e| bad(e.to_string()))?;
    let (Some(meta), Some(bytes)) = (msg.header.attachments.get(n), msg.attachments.get(n)) else {
        return Err(AttachmentError::NotFound);
    };
    Ok(StoredAttachment {
        name: meta.name.clone(),
        media_type: meta.media_type.clone(),
        sha256: meta.sha256.clone(),
        bytes: bytes.clone(),
    })
}

impl Archive {
    /// Attachment `n` (from 0, in the header's order) of the message at log
    /// `index` of channel `id`, checked by [`checked_attachment`] against
    /// the mirrored log entry.
    pub fn message_attachment(
        &self,
        id: &ChannelId,
        index: u64,
        n: usize,
    ) -> Result<StoredAttachment, AttachmentError> {
        let Some(parts) = self.message_parts(id, index)? else {
            return Err(AttachmentError::NotFound);
        };
        let origin = self.channel(id)?.origin;
        let entry = hotline_log::storage::LogStore::read_entries(
            &self.log,
            &origin,
            index,
            index.saturating_add(1),
        )
        .map_err(ArchiveError::from)?
        .into_iter()
        .next()
        .ok_or_else(|| AttachmentError::Tampered(index, "its log entry is missing".into()))?;
        checked_attachment(index, &entry, &parts, n)
    }
}
