//! The inner message (DESIGN §4, `docs/format.md` §4): what only the parties see.
//!
//! A [`Message`] becomes a list of salted [`Part`]s: part 0 is the
//! [`InnerHeader`] as JSON, part 1 the Markdown body, then one part per
//! attachment in the order the header lists them, then the STIX bundle if the
//! header says there is one. [`Message::from_parts`] enforces that layout and
//! checks each attachment's size and SHA-256 against the header.

use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::codec::DecodeError;
use crate::commitment::{Part, PartKind};
use crate::ids::{ChannelId, MessageId};
use crate::keys::KeyId;

/// Largest inner header, encoded.
pub const MAX_HEADER_LEN: usize = 64 * 1024;
/// Most attachments on one message.
pub const MAX_ATTACHMENTS: usize = 64;
/// Most references to earlier messages.
pub const MAX_REFS: usize = 64;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = DecodeError;
            fn from_str(s: &str) -> Result<Self, DecodeError> {
                match s {
                    $($s => Ok($name::$variant),)+
                    _ => Err(DecodeError::invalid(stringify!($name), format!("unknown value {s:?}; expected one of: {}",
                        [$($s),+].join(", ")))),
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result { f.write_str(self.as_str()) }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// What a message is (DESIGN §4).
    Kind {
        /// A formal inquiry about malicious ICT activity; opens a case.
        Inquiry => "inquiry",
        /// A request for assistance; opens a case.
        Assistance => "assistance",
        /// A warning of an imminent or ongoing attack; opens a case.
        Warning => "warning",
        /// A de-confliction notice; opens a case.
        Deconfliction => "deconfliction",
        /// A general consultation or matter of concern; opens a case.
        Consultation => "consultation",
        /// Acknowledges receipt (which implies no agreement).
        Ack => "ack",
        /// An interim reply.
        Interim => "interim",
        /// A substantive answer.
        Answer => "answer",
        /// Asks for or gives a clarification.
        Clarification => "clarification",
        /// Closes a case.
        Close => "close",
        /// Reopens a closed case.
        Reopen => "reopen",
        /// A communication check.
        Ping => "ping",
        /// The answer to a communication check.
        Pong => "pong",
        /// Asks the parties to consent to a disclosure.
        DisclosureRequest => "disclosure-request",
        /// Consents to a disclosure request.
        DisclosureConsent => "disclosure-consent",
        /// Refuses a disclosure request.
        DisclosureRefusal => "disclosure-refusal",
    }
}

impl Kind {
    /// Whether this kind opens a new case.
    pub fn opens_case(self) -> bool {
        matches!(
            self,
            Kind::Inquiry
                | Kind::Assistance
                | Kind::Warning
                | Kind::Deconfliction
                | Kind::Consultation
        )
    }
}

string_enum! {
    /// A Traffic Light Protocol 2.0 label (FIRST TLP 2.0).
    Tlp {
        /// TLP:CLEAR — no restriction.
        Clear => "TLP:CLEAR",
        /// TLP:GREEN — community-wide.
        Green => "TLP:GREEN",
        /// TLP:AMBER — recipients' organisations and their clients.
        Amber => "TLP:AMBER",
        /// TLP:AMBER+STRICT — recipients' organisations only.
        AmberStrict => "TLP:AMBER+STRICT",
        /// TLP:RED — named recipients only.
        Red => "TLP:RED",
    }
}

string_enum! {
    /// A norm of responsible state behaviour, UN GGE 2015 report (A/70/174) ¶13(a)–(k).
    Norm {
        /// 13(a) cooperate to increase stability and security.
        A => "13a",
        /// 13(b) consider all relevant information in case of incidents.
        B => "13b",
        /// 13(c) do not knowingly allow territory to be used for wrongful acts.
        C => "13c",
        /// 13(d) cooperate to exchange information and prosecute.
        D => "13d",
        /// 13(e) respect human rights and privacy.
        E => "13e",
        /// 13(f) do not damage critical infrastructure.
        F => "13f",
        /// 13(g) protect critical infrastructure.
        G => "13g",
        /// 13(h) respond to requests for assistance.
        H => "13h",
        /// 13(i) ensure supply-chain integrity.
        I => "13i",
        /// 13(j) report vulnerabilities responsibly.
        J => "13j",
        /// 13(k) do not harm CERTs.
        K => "13k",
    }
}

/// Metadata of one attachment, committed in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentMeta {
    /// The file name as given by the sender (display only).
    pub name: String,
    /// Its media type, e.g. `application/pdf`.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
}

/// The inner header: everything about a message but its body and files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InnerHeader {
    /// Format version; 1.
    pub v: u8,
    /// The channel this message belongs to.
    pub channel: ChannelId,
    /// This message's id (random).
    pub id: MessageId,
    /// The case it belongs to: its own id for a case-opening kind, else the case's.
    pub case: MessageId,
    /// What kind of message this is.
    pub kind: Kind,
    /// The author's signing key id (must equal the envelope's sender).
    pub author: KeyId,
    /// The author's party id (the party key's id).
    pub party: KeyId,
    /// Creation time claimed by the author, RFC 3339 UTC. Deadlines use the
    /// relay's sequencing time instead.
    pub created: String,
    /// Party ids the message is addressed to (all others in the channel see it too).
    pub to: Vec<KeyId>,
    /// Earlier messages this one answers or refers to.
    #[serde(default)]
    pub refs: Vec<MessageId>,
    /// A short title.
    pub title: String,
    /// The TLP 2.0 label of the message.
    pub tlp: Tlp,
    /// The norm invoked, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub norm: Option<Norm>,
    /// BCP 47 language tag of the body, e.g. `en`.
    pub lang: String,
    /// Attachments, in part order.
    #[serde(default)]
    pub attachments: Vec<AttachmentMeta>,
    /// Whether a STIX 2.1 bundle part follows the attachments.
    #[serde(default)]
    pub stix: bool,
    /// 16 random bytes, hex.
    pub nonce: String,
}

/// A whole inner message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The header.
    pub header: InnerHeader,
    /// Markdown body.
    pub body: String,
    /// Attachment contents, in the header's order.
    pub attachments: Vec<Vec<u8>>,
    /// The STIX 2.1 bundle, JSON bytes, if any.
    pub stix: Option<Vec<u8>>,
}

/// SHA-256 in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Message {
    /// Checks the header's own invariants (limits, case rules, attachment list).
    pub fn check(&self) -> Result<(), DecodeError> {
        let h = &self.header;
        if h.v != 1 {
            return Err(DecodeError::invalid(
                "inner header",
                format!("unsupported version {}", h.v),
            ));
        }
        if h.kind.opens_case() != (h.case == h.id) {
            return Err(DecodeError::invalid(
                "inner header",
                "a case-opening message must have case == id, and only such a message may",
            ));
        }
        if h.attachments.len() > MAX_ATTACHMENTS || h.refs.len() > MAX_REFS {
            return Err(DecodeError::invalid(
                "inner header",
                "too many attachments or references",
            ));
        }
        if h.attachments.len() != self.attachments.len() || h.stix != self.stix.is_some() {
            return Err(DecodeError::invalid(
                "inner header",
                "attachment list or STIX flag does not match the parts",
            ));
        }
        for (meta, data) in h.attachments.iter().zip(&self.attachments) {
            if meta.size != data.len() as u64 || meta.sha256 != sha256_hex(data) {
                return Err(DecodeError::invalid(
                    "attachment",
                    format!("{:?}: size or SHA-256 does not match the header", meta.name),
                ));
            }
        }
        if h.nonce.len() != 32 || hex::decode(&h.nonce).is_err() {
            return Err(DecodeError::invalid(
                "inner header",
                "nonce must be 32 hex digits",
            ));
        }
        time::OffsetDateTime::parse(&h.created, &time::format_description::well_known::Rfc3339)
            .map_err(|_| DecodeError::invalid("inner header", "created is not an RFC 3339 time"))?;
        Ok(())
    }

    /// Splits the message into freshly salted parts.
    pub fn to_parts(&self, rng: &mut impl CryptoRngCore) -> Result<Vec<Part>, DecodeError> {
        self.check()?;
        // Serialising a struct of strings, numbers and vectors cannot fail.
        let header = serde_json::to_vec(&self.header).unwrap_or_default();
        let mut parts = vec![
            Part::new(PartKind::Header, header, rng),
            Part::new(PartKind::Body, self.body.as_bytes().to_vec(), rng),
        ];
        for a in &self.attachments {
            parts.push(Part::new(PartKind::Attachment, a.clone(), rng));
        }
        if let Some(s) = &self.stix {
            parts.push(Part::new(PartKind::Stix, s.clone(), rng));
        }
        Ok(parts)
    }

    /// Rebuilds a message from its parts, enforcing the layout.
    pub fn from_parts(parts: &[Part]) -> Result<Message, DecodeError> {
        let [head, body, rest @ ..] = parts else {
            return Err(DecodeError::invalid(
                "message",
                "needs at least a header and a body part",
            ));
        };
        if head.kind != PartKind::Header || body.kind != PartKind::Body {
            return Err(DecodeError::invalid(
                "message",
                "parts 0 and 1 must be header and body",
            ));
        }
        let header = parse_header(&head.bytes)?;
        let body = String::from_utf8(body.bytes.clone())
            .map_err(|_| DecodeError::invalid("message body", "not UTF-8"))?;
        let n = header.attachments.len();
        let expected = n + usize::from(header.stix);
        if rest.len() != expected {
            return Err(DecodeError::invalid(
                "message",
                format!(
                    "expected {expected} parts after the body, found {}",
                    rest.len()
                ),
            ));
        }
        let (atts, stix) = rest.split_at(n);
        if atts.iter().any(|p| p.kind != PartKind::Attachment)
            || stix.iter().any(|p| p.kind != PartKind::Stix)
        {
            return Err(DecodeError::invalid("message", "parts out of order"));
        }
        let m = Message {
            header,
            body,
            attachments: atts.iter().map(|p| p.bytes.clone()).collect(),
            stix: stix.first().map(|p| p.bytes.clone()),
        };
        m.check()?;
        Ok(m)
    }
}

/// Parses an inner header (strict: unknown fields are refused).
pub fn parse_header(bytes: &[u8]) -> Result<InnerHeader, DecodeError> {
    if bytes.len() > MAX_HEADER_LEN {
        return Err(DecodeError::TooLarge {
            what: "inner header",
            value: bytes.len() as u64,
            limit: MAX_HEADER_LEN as u64,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| DecodeError::invalid("inner header", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_roundtrip() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), *k);
        }
        assert_eq!("TLP:AMBER+STRICT".parse::<Tlp>().unwrap(), Tlp::AmberStrict);
        assert!("TLP:BLUE".parse::<Tlp>().is_err());
        assert_eq!(serde_json::to_string(&Norm::H).unwrap(), "\"13h\"");
    }
}
