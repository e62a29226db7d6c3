//! The bodies of `disclosure-request`, `-consent` and `-refusal` messages
//! (`docs/disclosure.md` §1).

use serde::{Deserialize, Serialize};

/// The largest number of cases one request discloses.
pub const MAX_CASES: usize = 64;

/// What a request asks to disclose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// `hotline.disclosure-request`.
    #[serde(rename = "type")]
    pub kind: String,
    /// 1.
    pub v: u8,
    /// Why, in words.
    pub purpose: String,
    /// The case ids (32 hex), distinct.
    pub cases: Vec<String>,
    /// What is shown as stubs.
    pub redact: Vec<String>,
    /// The log size the listing was made at: the cases' messages below it
    /// are disclosed.
    pub as_of: u64,
    /// The log indices of every message of the cases below `as_of`, ascending.
    pub entries: Vec<u64>,
    /// The log indices of every roster entry up to the last of `entries`.
    pub rosters: Vec<u64>,
}

/// A consent to one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// `hotline.disclosure-consent`.
    #[serde(rename = "type")]
    pub kind: String,
    /// 1.
    pub v: u8,
    /// The request's leaf hash, 64 hex.
    pub request: String,
    /// As in the request, from the consenting party's own archive.
    pub entries: Vec<u64>,
    /// As in the request.
    pub rosters: Vec<u64>,
}

/// A refusal of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// `hotline.disclosure-refusal`.
    #[serde(rename = "type")]
    pub kind: String,
    /// 1.
    pub v: u8,
    /// The request's leaf hash, 64 hex.
    pub request: String,
    /// Why, in words.
    pub reason: String,
}

/// A part selector of a request's `redact`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redaction {
    /// Every body part.
    Body,
    /// Every body part in this language (`body:ru`; tags compared without
    /// regard to case).
    Lang(String),
    /// Every attachment part.
    Attachment,
    /// Every STIX part.
    Stix,
    /// Part `.1` of log entry `.0`.
    Part(u64, usize),
}

/// Why terms are not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("disclosure terms: {0}")]
pub struct TermsError(pub String);

fn err(s: impl Into<String>) -> TermsError {
    TermsError(s.into())
}

impl Redaction {
    /// Parses `body`, `body:LANG`, `attachment`, `stix` or `N:P` (P ≥ 1:
    /// the header is never redacted).
    pub fn parse(s: &str) -> Result<Redaction, TermsError> {
        match s {
            "body" => Ok(Redaction::Body),
            "attachment" => Ok(Redaction::Attachment),
            "stix" => Ok(Redaction::Stix),
            _ if s.starts_with("body:") => {
                let lang = &s["body:".len()..];
                if hotline_core::message::is_language_tag(lang) {
                    Ok(Redaction::Lang(lang.into()))
                } else {
                    Err(err(format!(
                        "redaction {s:?}: {lang:?} is not a BCP 47 language tag"
                    )))
                }
            }
            _ => {
                let (n, p) = s.split_once(':').ok_or_else(|| {
                    err(format!(
                        "redaction {s:?}: expected body, body:LANG, attachment, stix or ENTRY:PART"
                    ))
                })?;
                let n = canonical_u64(n)
                    .ok_or_else(|| err(format!("redaction {s:?}: bad entry index")))?;
                let p = canonical_u64(p)
                    .and_then(|p| usize::try_from(p).ok())
                    .ok_or_else(|| err(format!("redaction {s:?}: bad part number")))?;
                if p == 0 {
                    return Err(err(format!(
                        "redaction {s:?}: the header (part 0) is never redacted"
                    )));
                }
                Ok(Redaction::Part(n, p))
            }
        }
    }

    /// Whether it redacts part `part` of entry `index`, a part of kind tag
    /// `tag` and, for a body, of language `lang` (both from the header's
    /// layout).
    pub fn covers(&self, index: u64, part: usize, tag: u8, lang: Option<&str>) -> bool {
        match self {
            Redaction::Body => tag == 2,
            Redaction::Lang(l) => tag == 2 && lang.is_some_and(|x| x.eq_ignore_ascii_case(l)),
            Redaction::Attachment => tag == 3,
            Redaction::Stix => tag == 4,
            Redaction::Part(n, p) => *n == index && *p == part,
        }
    }
}

fn canonical_u64(s: &str) -> Option<u64> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

fn strictly_ascending(v: &[u64]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

/// The type of a request.
pub const REQUEST_TYPE: &str = "hotline.disclosure-request";
/// The type of a consent.
pub const CONSENT_TYPE: &str = "hotline.disclosure-consent";
/// The type of a refusal.
pub const REFUSAL_TYPE: &str = "hotline.disclosure-refusal";

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Request {
    /// Parses and checks a request body.
    pub fn parse(bytes: &[u8]) -> Result<Request, TermsError> {
        let r: Request =
            serde_json::from_slice(bytes).map_err(|e| err(format!("not a request: {e}")))?;
        if r.kind != REQUEST_TYPE || r.v != 1 {
            return Err(err(format!(
                "type {:?} version {}, expected {REQUEST_TYPE} version 1",
                r.kind, r.v
            )));
        }
        if r.cases.is_empty() || r.cases.len() > MAX_CASES {
            return Err(err(format!(
                "{} cases; 1 to {MAX_CASES} are allowed",
                r.cases.len()
            )));
        }
        if r.cases.iter().any(|c| !is_hex(c, 32)) {
            return Err(err("a case id is not 32 lower-case hex digits"));
        }
        let mut sorted = r.cases.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != r.cases.len() {
            return Err(err("a case is named twice"));
        }
        for s in &r.redact {
            Redaction::parse(s)?;
        }
        if !strictly_ascending(&r.entries) || !strictly_ascending(&r.rosters) {
            return Err(err("entry and roster indices must ascend without repeats"));
        }
        Ok(r)
    }

    /// The parsed redactions.
    pub fn redactions(&self) -> Vec<Redaction> {
        self.redact
            .iter()
            .filter_map(|s| Redaction::parse(s).ok())
            .collect()
    }
}

impl Consent {
    /// Parses and checks a consent body.
    pub fn parse(bytes: &[u8]) -> Result<Consent, TermsError> {
        let c: Consent =
            serde_json::from_slice(bytes).map_err(|e| err(format!("not a consent: {e}")))?;
        if c.kind != CONSENT_TYPE || c.v != 1 {
            return Err(err(format!(
                "type {:?} version {}, expected {CONSENT_TYPE} version 1",
                c.kind, c.v
            )));
        }
        if !is_hex(&c.request, 64) {
            return Err(err("the request is not named by 64 lower-case hex digits"));
        }
        if !strictly_ascending(&c.entries) || !strictly_ascending(&c.rosters) {
            return Err(err("entry and roster indices must ascend without repeats"));
        }
        Ok(c)
    }
}

impl Refusal {
    /// Parses and checks a refusal body.
    pub fn parse(bytes: &[u8]) -> Result<Refusal, TermsError> {
        let r: Refusal =
            serde_json::from_slice(bytes).map_err(|e| err(format!("not a refusal: {e}")))?;
        if r.kind != REFUSAL_TYPE || r.v != 1 {
            return Err(err(format!(
                "type {:?} version {}, expected {REFUSAL_TYPE} version 1",
                r.kind, r.v
            )));
        }
        if !is_hex(&r.request, 64) {
            return Err(err("the request is not named by 64 lower-case hex digits"));
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes_parse_or_err(b in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Request::parse(&b);
            let _ = Consent::parse(&b);
            let _ = Refusal::parse(&b);
        }

        #[test]
        fn any_selector_parses_or_errs(s in ".{0,24}") {
            if let Ok(Redaction::Part(_, p)) = Redaction::parse(&s) {
                prop_assert!(p > 0);
            }
        }

        #[test]
        fn arbitrary_json_is_never_a_valid_bundle(s in "\\{.{0,300}\\}") {
            let r = crate::verify(s.as_bytes());
            prop_assert_ne!(r.verdict, crate::Verdict::Valid);
        }
    }

    #[test]
    fn redactions_parse_strictly() {
        assert_eq!(Redaction::parse("stix").unwrap(), Redaction::Stix);
        assert_eq!(Redaction::parse("17:2").unwrap(), Redaction::Part(17, 2));
        for bad in ["17:0", "017:2", "17:", ":2", "x", "17:2:3", "-1:2", "Body"] {
            assert!(Redaction::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Redaction::parse("body:ru").unwrap(),
            Redaction::Lang("ru".into())
        );
        for bad in ["body:", "body:r", "body:ru-", "body:ру", "body: ru"] {
            assert!(Redaction::parse(bad).is_err(), "{bad}");
        }
        assert!(Redaction::Attachment.covers(9, 4, 3, None));
        assert!(!Redaction::Attachment.covers(9, 4, 4, None));
        assert!(Redaction::Part(9, 4).covers(9, 4, 4, None));
        assert!(!Redaction::Part(9, 4).covers(8, 4, 4, None));
        let ru = Redaction::Lang("ru".into());
        assert!(ru.covers(9, 2, 2, Some("RU")));
        assert!(!ru.covers(9, 1, 2, Some("en")));
        assert!(!ru.covers(9, 2, 3, Some("ru")), "only a body part");
        assert!(!ru.covers(9, 2, 2, None));
    }

    #[test]
    fn terms_are_checked() {
        let ok = br#"{"type":"hotline.disclosure-request","v":1,"purpose":"p","cases":["00112233445566778899aabbccddeeff"],"redact":["stix"],"as_of":6,"entries":[3,5],"rosters":[1,2]}"#;
        assert_eq!(
            Request::parse(ok).unwrap().redactions(),
            vec![Redaction::Stix]
        );
        let s = std::str::from_utf8(ok).unwrap();
        for bad in [
            s.replace("[3,5]", "[5,3]"),
            s.replace("\"stix\"", "\"0:0\""),
            s.replace(
                "00112233445566778899aabbccddeeff",
                "00112233445566778899AABBCCDDEEFF",
            ),
            s.replace("\"v\":1", "\"v\":2"),
            s.replace("\"purpose\"", "\"extra\":1,\"purpose\""),
            s.replace("[\"00112233445566778899aabbccddeeff\"]", "[]"),
        ] {
            assert!(Request::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        let c = format!(
            r#"{{"type":"hotline.disclosure-consent","v":1,"request":"{}","entries":[3],"rosters":[]}}"#,
            "ab".repeat(32)
        );
        assert!(Consent::parse(c.as_bytes()).is_ok());
        assert!(Consent::parse(c.replace("ab", "AB").as_bytes()).is_err());
        assert!(Refusal::parse(c.as_bytes()).is_err());
    }
}
