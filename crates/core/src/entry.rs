//! Log entries (`docs/format.md` §7): what one leaf of a channel's log holds.
//!
//! Every entry starts with a four-byte magic that names its kind, so a reader
//! never has to guess:
//!
//! * `HLC\x01` + DSSE JSON: the charter (entry 0, and only entry 0);
//! * `HLR\x01` + DSSE JSON: a roster version;
//! * `HLE\x01…`: an envelope's signed head (the magic is the head's own);
//! * `HLT\x01` + a signed note: a time attestation, logged by the relay — a
//!   checkpoint it signed, with its own timestamp cosignature and the
//!   charter's witnesses' cosignatures (C2SP tlog-cosignature), which dates
//!   every entry below that checkpoint's size not dated by an earlier one.
//!   The note's signatures are checked by whoever reads the log (the client's
//!   sync), not here.

use crate::codec::DecodeError;
use crate::dsse::SignedDocument;
use crate::envelope::{SIGNED_HEAD_LEN, SignedHead};

/// The magic of a charter entry.
pub const CHARTER_MAGIC: [u8; 4] = *b"HLC\x01";
/// The magic of a roster entry.
pub const ROSTER_MAGIC: [u8; 4] = *b"HLR\x01";
/// The magic of a time attestation entry.
pub const TIME_MAGIC: [u8; 4] = *b"HLT\x01";
/// The magic of an envelope head entry (the head's own first bytes).
pub const HEAD_MAGIC: [u8; 4] = crate::envelope::MAGIC;
/// The largest entry a log accepts (a C2SP entry bundle's limit).
pub const MAX_ENTRY_LEN: usize = 65_535;

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// The channel's charter, signed by every party.
    Charter(SignedDocument),
    /// A roster version, signed by its party.
    Roster(SignedDocument),
    /// An envelope's signed head.
    Head(SignedHead),
    /// A time attestation: a signed checkpoint note with its timestamp
    /// cosignatures (UTF-8 text, checked by the reader of the log).
    Time(String),
}

impl Entry {
    /// The entry's bytes, as logged. Errors if a document is too large to log.
    pub fn to_bytes(&self) -> Result<Vec<u8>, DecodeError> {
        let out = match self {
            Entry::Charter(d) => [&CHARTER_MAGIC[..], &d.to_json()].concat(),
            Entry::Roster(d) => [&ROSTER_MAGIC[..], &d.to_json()].concat(),
            Entry::Head(h) => h.to_bytes().to_vec(),
            Entry::Time(note) => [&TIME_MAGIC[..], note.as_bytes()].concat(),
        };
        if out.len() > MAX_ENTRY_LEN {
            return Err(DecodeError::TooLarge {
                what: "log entry",
                value: out.len() as u64,
                limit: MAX_ENTRY_LEN as u64,
            });
        }
        Ok(out)
    }

    /// Parses an entry strictly (unknown magic, trailing bytes and oversize
    /// entries are errors). Signatures are not checked here.
    pub fn from_bytes(bytes: &[u8]) -> Result<Entry, DecodeError> {
        if bytes.len() > MAX_ENTRY_LEN {
            return Err(DecodeError::TooLarge {
                what: "log entry",
                value: bytes.len() as u64,
                limit: MAX_ENTRY_LEN as u64,
            });
        }
        let magic: [u8; 4] =
            bytes
                .get(..4)
                .and_then(|m| m.try_into().ok())
                .ok_or(DecodeError::Truncated {
                    what: "log entry",
                    needed: 4usize.saturating_sub(bytes.len()),
                })?;
        match magic {
            CHARTER_MAGIC => Ok(Entry::Charter(canonical_document(&bytes[4..])?)),
            ROSTER_MAGIC => Ok(Entry::Roster(canonical_document(&bytes[4..])?)),
            HEAD_MAGIC => {
                if bytes.len() != SIGNED_HEAD_LEN {
                    return Err(DecodeError::invalid(
                        "log entry",
                        format!(
                            "an envelope head entry is {SIGNED_HEAD_LEN} bytes, not {}",
                            bytes.len()
                        ),
                    ));
                }
                Ok(Entry::Head(SignedHead::from_bytes(bytes)?))
            }
            TIME_MAGIC => {
                let note = std::str::from_utf8(&bytes[4..]).map_err(|_| {
                    DecodeError::invalid("log entry", "a time attestation is not UTF-8 text")
                })?;
                if note.is_empty() || !note.ends_with('\n') {
                    return Err(DecodeError::invalid(
                        "log entry",
                        "a time attestation is a signed note, which ends with a newline",
                    ));
                }
                Ok(Entry::Time(note.to_owned()))
            }
            _ => Err(DecodeError::invalid(
                "log entry",
                "unknown magic (expected HLC, HLR, HLE or HLT version 1)",
            )),
        }
    }

    /// A short name of the entry's kind, for messages and JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Charter(_) => "charter",
            Entry::Roster(_) => "roster",
            Entry::Head(_) => "envelope",
            Entry::Time(_) => "time",
        }
    }
}

/// A DSSE document in its canonical encoding only, so that an entry has
/// exactly one byte representation.
fn canonical_document(json: &[u8]) -> Result<SignedDocument, DecodeError> {
    let d = SignedDocument::from_json(json)?;
    if d.to_json() != json {
        return Err(DecodeError::invalid(
            "log entry",
            "a logged document must be in canonical DSSE JSON (no whitespace, fields in order)",
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_and_short() {
        assert!(Entry::from_bytes(b"").is_err());
        assert!(Entry::from_bytes(b"HL").is_err());
        assert!(Entry::from_bytes(b"XXXX{}").is_err());
        assert!(Entry::from_bytes(b"HLE\x01short").is_err());
        assert!(Entry::from_bytes(b"HLC\x01{not json").is_err());
        // Valid JSON, but not canonical.
        assert!(
            Entry::from_bytes(
                b"HLR\x01{ \"payloadType\":\"a\",\"payload\":\"\",\"signatures\":[]}"
            )
            .is_err()
        );
        assert!(Entry::from_bytes(&vec![b'H'; MAX_ENTRY_LEN + 1]).is_err());
        // A time attestation is UTF-8 text ending with a newline.
        assert!(Entry::from_bytes(b"HLT\x01").is_err());
        assert!(Entry::from_bytes(b"HLT\x01no newline").is_err());
        assert!(Entry::from_bytes(b"HLT\x01\xff\xfe\n").is_err());
    }

    proptest::proptest! {
        /// Nothing panics, and what parses is exactly its own encoding.
        #[test]
        fn any_bytes_parse_to_their_own_encoding_or_not_at_all(
            magic in proptest::sample::select(vec![*b"HLC\x01", *b"HLR\x01", *b"HLE\x01", *b"HLT\x01", *b"XXXX"]),
            rest in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
        ) {
            let bytes = [&magic[..], &rest].concat();
            if let Ok(e) = Entry::from_bytes(&bytes) {
                proptest::prop_assert_eq!(e.to_bytes().unwrap(), bytes);
            }
        }

        /// Any text ending with a newline is a time attestation entry (its
        /// signatures are the reader's to check), and round-trips.
        #[test]
        fn time_attestation_text_round_trips(text in "[^\r]{0,200}") {
            let e = Entry::Time(format!("{text}\n"));
            let b = e.to_bytes().unwrap();
            proptest::prop_assert_eq!(Entry::from_bytes(&b).unwrap(), e);
        }
    }

    #[test]
    fn time_attestations_round_trip() {
        let e = Entry::Time("origin\n1\nroot\n\n\u{2014} relay sig\n".into());
        let b = e.to_bytes().unwrap();
        assert_eq!(&b[..4], b"HLT\x01");
        assert_eq!(Entry::from_bytes(&b).unwrap(), e);
        assert_eq!(e.kind(), "time");
    }

    #[test]
    fn documents_round_trip() {
        let mut d = SignedDocument::new("application/x-test", b"{}".to_vec());
        d.signatures.clear();
        for e in [Entry::Charter(d.clone()), Entry::Roster(d)] {
            let b = e.to_bytes().unwrap();
            assert_eq!(Entry::from_bytes(&b).unwrap(), e);
        }
    }
}
