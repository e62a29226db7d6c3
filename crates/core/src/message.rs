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
/// Most language versions of one body (the UN has six official languages).
pub const MAX_LANGS: usize = 16;
/// Longest language tag accepted (RFC 5646 §4.4.1's minimum buffer).
pub const MAX_LANG_TAG: usize = 35;

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
    /// BCP 47 language tag of the body (part 1), e.g. `en`.
    pub lang: String,
    /// BCP 47 tags of the body's versions in other languages: parts 2, 3, …
    /// in this order, after the first body and before the attachments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_langs: Vec<String>,
    /// Which versions are authentic, by tag, as in treaty practice: every
    /// tag when all are equally authentic, one when the others are
    /// translations. Empty for a body in one language (it is authentic);
    /// required when there are several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authentic: Vec<String>,
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
    /// Markdown body, in the header's `lang`.
    pub body: String,
    /// The body in the header's `other_langs`, in their order.
    pub other_bodies: Vec<String>,
    /// Attachment contents, in the header's order.
    pub attachments: Vec<Vec<u8>>,
    /// The STIX 2.1 bundle, JSON bytes, if any.
    pub stix: Option<Vec<u8>>,
}

/// One language version of a message's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text<'a> {
    /// Its BCP 47 tag.
    pub lang: &'a str,
    /// Whether its author marked it authentic.
    pub authentic: bool,
    /// The text, Markdown.
    pub body: &'a str,
}

/// Whether `s` is a language tag in the syntax this format accepts: RFC 5646
/// §2.1 `langtag` restricted to letters, digits and hyphens — a primary
/// language subtag of 2–3 letters (ISO 639), then subtags of 1–8 letters or
/// digits — at most 35 characters. Both verifiers apply the same rule.
pub fn is_language_tag(s: &str) -> bool {
    let mut subtags = s.split('-');
    let primary = subtags.next().unwrap_or_default();
    s.len() <= MAX_LANG_TAG
        && (2..=3).contains(&primary.len())
        && primary.bytes().all(|c| c.is_ascii_alphabetic())
        && subtags
            .all(|t| (1..=8).contains(&t.len()) && t.bytes().all(|c| c.is_ascii_alphanumeric()))
}

impl InnerHeader {
    /// The body's language tags, part 1's first.
    pub fn langs(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.lang.as_str()).chain(self.other_langs.iter().map(String::as_str))
    }

    /// Whether the version in `lang` is marked authentic (compared without
    /// regard to case, as BCP 47 says). A body in one language is.
    pub fn is_authentic(&self, lang: &str) -> bool {
        if self.other_langs.is_empty() && self.authentic.is_empty() {
            return self.lang.eq_ignore_ascii_case(lang);
        }
        self.authentic.iter().any(|a| a.eq_ignore_ascii_case(lang))
    }

    /// How many body parts the message has (1 + its other languages).
    pub fn body_parts(&self) -> usize {
        1 + self.other_langs.len()
    }

    /// The language of part `n` if it is a body part.
    pub fn lang_of_part(&self, n: usize) -> Option<&str> {
        self.langs().nth(n.checked_sub(1)?)
    }

    /// The kind of every part the header describes, in order: the header,
    /// the body in each language, the attachments it lists, the STIX
    /// bundle if it says there is one.
    pub fn layout(&self) -> Vec<PartKind> {
        std::iter::once(PartKind::Header)
            .chain((0..self.body_parts()).map(|_| PartKind::Body))
            .chain(self.attachments.iter().map(|_| PartKind::Attachment))
            .chain(self.stix.then_some(PartKind::Stix))
            .collect()
    }

    /// Checks the language fields: well-formed tags, none twice (in any
    /// case), at most [`MAX_LANGS`], and an `authentic` list of its own tags
    /// that is empty for one language and not for several.
    pub fn check_langs(&self) -> Result<(), DecodeError> {
        let bad = |why: String| Err(DecodeError::invalid("inner header", why));
        let langs: Vec<&str> = self.langs().collect();
        if langs.len() > MAX_LANGS {
            return bad(format!("more than {MAX_LANGS} languages"));
        }
        for (i, l) in langs.iter().enumerate() {
            if !is_language_tag(l) {
                return bad(format!("{l:?} is not a BCP 47 language tag"));
            }
            if langs[..i].iter().any(|e| e.eq_ignore_ascii_case(l)) {
                return bad(format!("language {l:?} is given twice"));
            }
        }
        for (i, a) in self.authentic.iter().enumerate() {
            if !langs.iter().any(|l| l.eq_ignore_ascii_case(a)) {
                return bad(format!(
                    "authentic names {a:?}, which is not one of the body's languages"
                ));
            }
            if self.authentic[..i]
                .iter()
                .any(|e| e.eq_ignore_ascii_case(a))
            {
                return bad(format!("authentic names {a:?} twice"));
            }
        }
        if langs.len() > 1 && self.authentic.is_empty() {
            return bad("a body in several languages must say which are authentic".into());
        }
        Ok(())
    }
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
        h.check_langs()?;
        if h.other_langs.len() != self.other_bodies.len() {
            return Err(DecodeError::invalid(
                "inner header",
                "its other languages do not match the body parts",
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

    /// The body in every language, part 1's first.
    pub fn texts(&self) -> Vec<Text<'_>> {
        let h = &self.header;
        h.langs()
            .zip(std::iter::once(&self.body).chain(&self.other_bodies))
            .map(|(lang, body)| Text {
                lang,
                authentic: h.is_authentic(lang),
                body,
            })
            .collect()
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
        for b in &self.other_bodies {
            parts.push(Part::new(PartKind::Body, b.as_bytes().to_vec(), rng));
        }
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
        let text = |p: &Part| {
            String::from_utf8(p.bytes.clone())
                .map_err(|_| DecodeError::invalid("message body", "not UTF-8"))
        };
        let body = text(body)?;
        let layout = header.layout();
        if parts.len() != layout.len() {
            return Err(DecodeError::invalid(
                "message",
                format!(
                    "expected {} parts after the body, found {}",
                    layout.len() - 2,
                    rest.len()
                ),
            ));
        }
        if parts.iter().zip(&layout).any(|(p, k)| p.kind != *k) {
            return Err(DecodeError::invalid("message", "parts out of order"));
        }
        let (others, rest) = rest.split_at(header.other_langs.len());
        let (atts, stix) = rest.split_at(header.attachments.len());
        let m = Message {
            header,
            body,
            other_bodies: others.iter().map(text).collect::<Result<_, _>>()?,
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

    fn bilingual() -> Message {
        let id = MessageId([4; 16]);
        Message {
            header: InnerHeader {
                v: 1,
                channel: ChannelId([1; 16]),
                id,
                case: id,
                kind: Kind::Inquiry,
                author: KeyId([2; 32]),
                party: KeyId([3; 32]),
                created: "2026-12-04T10:00:00Z".into(),
                to: vec![KeyId([5; 32])],
                refs: vec![],
                title: "t".into(),
                tlp: Tlp::Amber,
                norm: None,
                lang: "en".into(),
                other_langs: vec!["ru".into()],
                authentic: vec!["en".into()],
                attachments: vec![AttachmentMeta {
                    name: "a".into(),
                    media_type: "text/plain".into(),
                    size: 1,
                    sha256: sha256_hex(b"x"),
                }],
                stix: true,
                nonce: "00".repeat(16),
            },
            body: "Note".into(),
            other_bodies: vec!["Нота".into()],
            attachments: vec![b"x".to_vec()],
            stix: Some(b"{}".to_vec()),
        }
    }

    #[test]
    fn a_body_in_several_languages_is_one_part_each() {
        let m = bilingual();
        let parts = m.to_parts(&mut rand_core::OsRng).unwrap();
        let kinds: Vec<PartKind> = parts.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, m.header.layout());
        assert_eq!(
            kinds,
            [
                PartKind::Header,
                PartKind::Body,
                PartKind::Body,
                PartKind::Attachment,
                PartKind::Stix
            ]
        );
        assert_eq!(parts[2].bytes, "Нота".as_bytes());
        assert_eq!(Message::from_parts(&parts).unwrap(), m);
        let texts = m.texts();
        assert_eq!(
            texts
                .iter()
                .map(|t| (t.lang, t.authentic, t.body))
                .collect::<Vec<_>>(),
            [("en", true, "Note"), ("ru", false, "Нота")]
        );
        assert_eq!(m.header.lang_of_part(2), Some("ru"));
        assert_eq!(m.header.lang_of_part(3), None);
        assert_eq!(m.header.lang_of_part(0), None);
        // A header without the new fields encodes as before.
        let mut one = m.clone();
        one.header.other_langs.clear();
        one.header.authentic.clear();
        one.other_bodies.clear();
        let json = serde_json::to_string(&one.header).unwrap();
        assert!(
            !json.contains("other_langs") && !json.contains("authentic"),
            "{json}"
        );
        assert!(one.header.is_authentic("EN"));
        one.check().unwrap();
    }

    #[test]
    fn language_fields_are_checked() {
        type Change = Box<dyn Fn(&mut Message)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "not a BCP 47",
                Box::new(|m| m.header.other_langs = vec!["русский".into()]),
            ),
            ("not a BCP 47", Box::new(|m| m.header.lang = "e".into())),
            (
                "twice",
                Box::new(|m| m.header.other_langs = vec!["EN".into()]),
            ),
            (
                "twice",
                Box::new(|m| m.header.authentic = vec!["en".into(), "En".into()]),
            ),
            (
                "not one of",
                Box::new(|m| m.header.authentic = vec!["fr".into()]),
            ),
            ("must say which", Box::new(|m| m.header.authentic.clear())),
            ("do not match", Box::new(|m| m.other_bodies.clear())),
            (
                "more than",
                Box::new(|m| {
                    m.header.other_langs = (0..16).map(|i| format!("x{i:02}")).collect();
                    m.other_bodies = vec![String::new(); 16];
                }),
            ),
        ];
        for (want, change) in cases {
            let mut m = bilingual();
            change(&mut m);
            let e = m.check().unwrap_err().to_string();
            assert!(e.contains(want), "{want}: {e}");
        }
        for ok in [
            "en",
            "ru",
            "fr-CA",
            "zh-Hant-TW",
            "sr-Latn",
            "de-CH-1996",
            "ast",
        ] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in [
            "",
            "e",
            "english",
            "en_",
            "en-",
            "en--GB",
            "en-toolongsubtag",
            "ру",
        ] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn parts_must_follow_the_header_layout() {
        let m = bilingual();
        let mut parts = m.to_parts(&mut rand_core::OsRng).unwrap();
        // The second body dropped: the attachment would stand in its place.
        let mut short = parts.clone();
        short.remove(2);
        assert!(Message::from_parts(&short).is_err());
        // A body where the attachment belongs.
        parts[3].kind = PartKind::Body;
        let e = Message::from_parts(&parts).unwrap_err().to_string();
        assert!(e.contains("out of order"), "{e}");
    }

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
