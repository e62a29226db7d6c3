//! Disclosure bundles (`docs/disclosure.md`): the terms of requests,
//! consents and refusals, the bundle format, C2SP `tlog-proof`, and the
//! offline verifier behind `hotline verify` (and, in JavaScript, behind
//! `verify.html`). No I/O: a bundle's bytes in, a plain-language report out.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod proof;
pub mod terms;
mod verify;

pub use verify::{Check, MessageSummary, PartySummary, Report, TextSummary, Verdict, verify};

use serde::{Deserialize, Serialize};

/// The bundle's `type`.
pub const BUNDLE_TYPE: &str = "hotline.disclosure-bundle";

/// A disclosure bundle (`docs/disclosure.md` §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// [`BUNDLE_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// 1.
    pub v: u8,
    /// When exported, RFC 3339 (not evidence).
    pub created: String,
    /// The checkpoint: a signed note with its cosignatures.
    pub checkpoint: String,
    /// The entries, ascending by index.
    pub entries: Vec<BundleEntry>,
    /// The index of the request.
    pub request: u64,
    /// The indices of the consents.
    pub consents: Vec<u64>,
    /// The indices of the refusals.
    pub refusals: Vec<u64>,
    /// The exporter's statement of the parties whose consent it lacks (short
    /// names, in charter order): empty for a fully consented bundle. Every
    /// verifier checks it against what it finds.
    pub missing_consents: Vec<String>,
}

/// One log entry of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleEntry {
    /// Its log index.
    pub index: u64,
    /// The entry bytes, base64.
    pub entry: String,
    /// Its inclusion proof, C2SP tlog-proof text.
    pub proof: String,
    /// For an envelope: the selective opening of its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<Vec<WirePart>>,
}

/// A field that may be absent but, when present, is a string: `null` is
/// refused (`docs/disclosure.md` §2), as the JavaScript verifier refuses it.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

/// One part of a selective opening: open (`salt`, `content`) or a stub
/// (`redacted`). A stub's kind is the one the opened header's layout gives
/// its position; its `tag` must agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WirePart {
    /// The part's kind tag (1 header, 2 body, 3 attachment, 4 STIX).
    pub tag: u8,
    /// Its salt, base64 (open parts).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub salt: Option<String>,
    /// Its content, base64 (open parts).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub content: Option<String>,
    /// Its leaf hash, base64 (redacted parts).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub redacted: Option<String>,
}

impl WirePart {
    /// The wire form of an opened or redacted part.
    pub fn from_opened(p: &hotline_core::commitment::OpenedPart) -> WirePart {
        use base64::Engine as _;
        use base64::engine::general_purpose::STANDARD as B64;
        use hotline_core::commitment::OpenedPart;
        match p {
            OpenedPart::Open(p) => WirePart {
                tag: p.kind as u8,
                salt: Some(B64.encode(p.salt)),
                content: Some(B64.encode(&p.bytes)),
                redacted: None,
            },
            OpenedPart::Redacted { kind, leaf_hash } => WirePart {
                tag: *kind as u8,
                salt: None,
                content: None,
                redacted: Some(B64.encode(leaf_hash)),
            },
        }
    }
}
