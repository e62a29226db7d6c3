//! Salted per-part commitments and selective openings (`docs/format.md` §4).
//!
//! A message is a list of [`Part`]s. Each part is salted with 32 random bytes
//! and hashed as an RFC 6962 leaf:
//! `leaf = SHA-256(0x00 || kind || salt || bytes)`.
//! The commitment is the RFC 6962 Merkle tree hash of the leaves (interior
//! nodes `SHA-256(0x01 || left || right)`). The salt hides a part's content
//! from anyone who sees only its hash, so a disclosure can redact a part by
//! showing just its leaf hash (a stub) while still proving the rest.

use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};

use crate::codec::{DecodeError, Reader, put_bytes_u32};

/// Most parts in one message (header, body, attachments, STIX bundle).
pub const MAX_PARTS: usize = 256;
/// Largest single part, in bytes (64 MiB).
pub const MAX_PART_LEN: u32 = 64 * 1024 * 1024;

/// What a part holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PartKind {
    /// The inner header (JSON).
    Header = 1,
    /// The Markdown body.
    Body = 2,
    /// One attachment's bytes.
    Attachment = 3,
    /// A STIX 2.1 bundle (JSON).
    Stix = 4,
}

impl PartKind {
    /// Parses the one-byte tag.
    pub fn from_u8(b: u8) -> Result<PartKind, DecodeError> {
        Ok(match b {
            1 => PartKind::Header,
            2 => PartKind::Body,
            3 => PartKind::Attachment,
            4 => PartKind::Stix,
            other => {
                return Err(DecodeError::invalid(
                    "part kind",
                    format!("unknown tag {other}"),
                ));
            }
        })
    }

    /// The name used in JSON (`header`, `body`, `attachment`, `stix`).
    pub fn name(self) -> &'static str {
        match self {
            PartKind::Header => "header",
            PartKind::Body => "body",
            PartKind::Attachment => "attachment",
            PartKind::Stix => "stix",
        }
    }

    /// Parses the JSON name.
    pub fn from_name(s: &str) -> Option<PartKind> {
        Some(match s {
            "header" => PartKind::Header,
            "body" => PartKind::Body,
            "attachment" => PartKind::Attachment,
            "stix" => PartKind::Stix,
            _ => return None,
        })
    }
}

/// One salted part of a message.
#[derive(Clone, PartialEq, Eq)]
pub struct Part {
    /// What it holds.
    pub kind: PartKind,
    /// 32 random bytes.
    pub salt: [u8; 32],
    /// The content.
    pub bytes: Vec<u8>,
}

impl core::fmt::Debug for Part {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Part({:?}, {} bytes)", self.kind, self.bytes.len())
    }
}

/// A 32-byte hash (SHA-256).
pub type Digest32 = [u8; 32];

impl Part {
    /// A part with a fresh random salt.
    pub fn new(kind: PartKind, bytes: Vec<u8>, rng: &mut impl CryptoRngCore) -> Part {
        let mut salt = [0u8; 32];
        rng.fill_bytes(&mut salt);
        Part { kind, salt, bytes }
    }

    /// `SHA-256(0x00 || kind || salt || bytes)`.
    pub fn leaf_hash(&self) -> Digest32 {
        let mut h = Sha256::new();
        h.update([0u8, self.kind as u8]);
        h.update(self.salt);
        h.update(&self.bytes);
        h.finalize().into()
    }
}

/// The RFC 6962 Merkle tree hash of a list of leaf hashes (empty list: SHA-256 of nothing).
pub fn merkle_root(leaves: &[Digest32]) -> Digest32 {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            // k is the largest power of two smaller than n.
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(merkle_root(&leaves[..k]));
            h.update(merkle_root(&leaves[k..]));
            h.finalize().into()
        }
    }
}

/// The commitment to a list of parts.
pub fn commit(parts: &[Part]) -> Digest32 {
    let leaves: Vec<Digest32> = parts.iter().map(Part::leaf_hash).collect();
    merkle_root(&leaves)
}

/// Encodes parts as the envelope plaintext:
/// `u16 count || (kind u8 || salt[32] || u32 len || bytes)*`.
pub fn encode_parts(parts: &[Part]) -> Vec<u8> {
    let total: usize = parts.iter().map(|p| 37 + p.bytes.len()).sum();
    let mut out = Vec::with_capacity(2 + total);
    let count = u16::try_from(parts.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&count.to_be_bytes());
    for p in parts {
        out.push(p.kind as u8);
        out.extend_from_slice(&p.salt);
        put_bytes_u32(&mut out, &p.bytes);
    }
    out
}

/// Decodes the envelope plaintext (the inverse of [`encode_parts`]).
pub fn decode_parts(bytes: &[u8]) -> Result<Vec<Part>, DecodeError> {
    let mut r = Reader::new(bytes, "message parts");
    let count = usize::from(r.u16()?);
    if count == 0 || count > MAX_PARTS {
        return Err(DecodeError::invalid(
            "message parts",
            format!("part count {count} out of range 1..={MAX_PARTS}"),
        ));
    }
    let mut parts = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = PartKind::from_u8(r.u8()?)?;
        let salt = r.array()?;
        let bytes = r.bytes_u32(MAX_PART_LEN)?.to_vec();
        parts.push(Part { kind, salt, bytes });
    }
    r.finish()?;
    Ok(parts)
}

/// A part in a selective opening: either revealed, or only its leaf hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenedPart {
    /// Kind, salt and content are revealed.
    Open(Part),
    /// Redacted: only the kind and leaf hash are shown.
    Redacted {
        /// What the hidden part held (not hidden: a verifier sees there was an attachment).
        kind: PartKind,
        /// Its leaf hash.
        leaf_hash: Digest32,
    },
}

impl OpenedPart {
    /// The leaf hash, recomputed for an open part.
    pub fn leaf_hash(&self) -> Digest32 {
        match self {
            OpenedPart::Open(p) => p.leaf_hash(),
            OpenedPart::Redacted { leaf_hash, .. } => *leaf_hash,
        }
    }
}

/// A selective opening of a commitment: every part, some revealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    /// All parts of the message in order.
    pub parts: Vec<OpenedPart>,
}

/// A selective opening did not match its commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the opened parts do not match the commitment")]
pub struct OpeningMismatch;

impl Opening {
    /// Opens the parts whose indexes are in `reveal`, redacting the rest.
    pub fn new(parts: &[Part], reveal: &[usize]) -> Opening {
        Opening {
            parts: parts
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    if reveal.contains(&i) {
                        OpenedPart::Open(p.clone())
                    } else {
                        OpenedPart::Redacted {
                            kind: p.kind,
                            leaf_hash: p.leaf_hash(),
                        }
                    }
                })
                .collect(),
        }
    }

    /// Checks the opening against `commitment`.
    pub fn verify(&self, commitment: &Digest32) -> Result<(), OpeningMismatch> {
        if self.parts.is_empty() || self.parts.len() > MAX_PARTS {
            return Err(OpeningMismatch);
        }
        let leaves: Vec<Digest32> = self.parts.iter().map(OpenedPart::leaf_hash).collect();
        if &merkle_root(&leaves) == commitment {
            Ok(())
        } else {
            Err(OpeningMismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> Vec<Part> {
        (0..5u8)
            .map(|i| Part {
                kind: if i == 0 {
                    PartKind::Header
                } else {
                    PartKind::Attachment
                },
                salt: [i; 32],
                bytes: vec![i; i as usize * 3],
            })
            .collect()
    }

    #[test]
    fn merkle_root_matches_rfc6962_shape() {
        let l: Vec<Digest32> = (0..3u8).map(|i| [i; 32]).collect();
        let node = |a: Digest32, b: Digest32| -> Digest32 {
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(a);
            h.update(b);
            h.finalize().into()
        };
        assert_eq!(merkle_root(&l), node(node(l[0], l[1]), l[2]));
    }

    #[test]
    fn parts_roundtrip_and_selective_opening() {
        let ps = parts();
        let c = commit(&ps);
        assert_eq!(decode_parts(&encode_parts(&ps)).unwrap(), ps);
        let o = Opening::new(&ps, &[0, 2]);
        o.verify(&c).unwrap();
        let mut swapped = o.clone();
        if let OpenedPart::Open(p) = &mut swapped.parts[2] {
            p.bytes.push(0);
        }
        assert_eq!(swapped.verify(&c), Err(OpeningMismatch));
        let mut reordered = o.clone();
        reordered.parts.swap(1, 3);
        assert_eq!(reordered.verify(&c), Err(OpeningMismatch));
        let mut dropped = o;
        dropped.parts.pop();
        assert_eq!(dropped.verify(&c), Err(OpeningMismatch));
    }

    #[test]
    fn decode_rejects_bad_counts() {
        assert!(decode_parts(&[0, 0]).is_err());
        assert!(decode_parts(&[]).is_err());
        let mut b = encode_parts(&parts());
        b.push(0);
        assert!(decode_parts(&b).is_err());
    }
}
