//! HTTP Message Signatures (RFC 9421) with Ed25519, and `Content-Digest`
//! (RFC 9530) with SHA-256, independent of any HTTP library.
//!
//! A request is described by [`Message`]; [`sign`] produces the
//! `Signature-Input` and `Signature` field values, [`verify`] checks them
//! against a [`Policy`] (required components, a creation-time window) and a
//! key found by the `keyid` parameter. The signature base is built exactly as
//! RFC 9421 §2.5 gives it; `tests/rfc9421.rs` checks it against the RFC's
//! Ed25519 example (Appendix B.2.6).
//!
//! Supported components: the derived `@method`, `@authority`, `@scheme`,
//! `@path`, `@query`, and header fields by (lower-case) name. Component
//! parameters (`;sf`, `;key`, `;bs`, `;req`, `;tr`) are refused.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod sf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hotline_core::keys::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use sf::{BareItem, Item, Member, Params};

/// Why a signature or digest was refused. Messages never contain key
/// material, only what was wrong with the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field could not be parsed.
    #[error("malformed signature field: {0}")]
    Malformed(String),
    /// The request carries no signature (or none with the wanted label).
    #[error("the request is not signed (Signature-Input and Signature are required)")]
    Missing,
    /// A component the policy requires is not covered.
    #[error("the signature must cover {0}")]
    NotCovered(String),
    /// A covered component is absent from the message, or unsupported.
    #[error("component {0}: {1}")]
    Component(String, String),
    /// The creation time is outside the accepted window.
    #[error("the signature was created {0} seconds from now, outside the accepted window")]
    Stale(i64),
    /// The signature has expired.
    #[error("the signature has expired")]
    Expired,
    /// The `keyid` is unknown (or not allowed here).
    #[error("unknown key {0}")]
    UnknownKey(String),
    /// The signature does not verify.
    #[error("the signature does not verify")]
    BadSignature,
    /// `Content-Digest` is missing, unsupported or wrong.
    #[error("content digest: {0}")]
    Digest(String),
}

/// The parts of an HTTP request a signature can cover.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The authority (host and optional port).
    pub authority: &'a str,
    /// The absolute path (empty means `/`).
    pub path: &'a str,
    /// The query without its `?`, if there is one.
    pub query: Option<&'a str>,
    /// Header fields; names are compared case-insensitively.
    pub headers: &'a [(String, String)],
}

impl Message<'_> {
    fn component(&self, name: &str) -> Result<String, Error> {
        let missing = || Error::Component(name.to_owned(), "not present in the request".into());
        match name {
            "@method" => Ok(self.method.to_owned()),
            "@authority" => Ok(self.authority.to_ascii_lowercase()),
            "@scheme" => Ok(self.scheme.to_ascii_lowercase()),
            "@path" => Ok(if self.path.is_empty() {
                "/".into()
            } else {
                self.path.to_owned()
            }),
            "@query" => Ok(format!("?{}", self.query.unwrap_or(""))),
            n if n.starts_with('@') => Err(Error::Component(
                n.to_owned(),
                "this derived component is not supported".into(),
            )),
            n => {
                let values: Vec<&str> = self
                    .headers
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(n))
                    .map(|(_, v)| v.trim_matches([' ', '\t']))
                    .collect();
                if values.is_empty() {
                    return Err(missing());
                }
                let v = values.join(", ");
                if v.bytes().any(|b| b == b'\n' || b == b'\r') {
                    return Err(Error::Component(n.to_owned(), "a line break".into()));
                }
                Ok(v)
            }
        }
    }
}

/// A signature's covered components and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    /// Covered component identifiers, in order (lower-case).
    pub components: Vec<String>,
    /// The parameters, in order (`created`, `keyid`, `nonce`, …).
    pub params: Params,
}

impl SignatureParams {
    /// Parameters for our requests: the given components, `created`, `nonce`,
    /// `keyid` and `alg="ed25519"`.
    pub fn new(components: &[&str], created: i64, key_id: &str, nonce: &str) -> SignatureParams {
        SignatureParams {
            components: components.iter().map(|c| (*c).to_owned()).collect(),
            params: vec![
                ("created".into(), BareItem::Integer(created)),
                ("keyid".into(), BareItem::String(key_id.to_owned())),
                ("nonce".into(), BareItem::String(nonce.to_owned())),
                ("alg".into(), BareItem::String("ed25519".into())),
            ],
        }
    }

    fn param(&self, k: &str) -> Option<&BareItem> {
        self.params.iter().find(|(pk, _)| pk == k).map(|(_, v)| v)
    }

    fn param_int(&self, k: &str) -> Result<Option<i64>, Error> {
        match self.param(k) {
            None => Ok(None),
            Some(BareItem::Integer(i)) => Ok(Some(*i)),
            Some(_) => Err(Error::Malformed(format!("{k} must be an integer"))),
        }
    }

    fn param_str(&self, k: &str) -> Result<Option<&str>, Error> {
        match self.param(k) {
            None => Ok(None),
            Some(BareItem::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::Malformed(format!("{k} must be a string"))),
        }
    }

    /// The serialised inner list, as in `Signature-Input` and the base.
    pub fn serialize(&self) -> String {
        let items: Vec<Item> = self
            .components
            .iter()
            .map(|c| Item {
                bare: BareItem::String(c.clone()),
                params: Vec::new(),
            })
            .collect();
        sf::serialize_inner_list(&items, &self.params)
    }
}

/// The signature base (RFC 9421 §2.5).
pub fn signature_base(msg: &Message<'_>, sp: &SignatureParams) -> Result<String, Error> {
    let mut out = String::new();
    for (i, c) in sp.components.iter().enumerate() {
        if sp.components[..i].contains(c) {
            return Err(Error::Malformed(format!("component {c} is covered twice")));
        }
        if c == "@signature-params" || c.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(Error::Component(c.clone(), "not a valid identifier".into()));
        }
        let v = msg.component(c)?;
        out.push_str(&format!("\"{c}\": {v}\n"));
    }
    out.push_str(&format!("\"@signature-params\": {}", sp.serialize()));
    Ok(out)
}

/// Signs `msg` under `label`, returning the `Signature-Input` and
/// `Signature` field values.
pub fn sign(
    msg: &Message<'_>,
    label: &str,
    sp: &SignatureParams,
    key: &SigningKey,
) -> Result<(String, String), Error> {
    let base = signature_base(msg, sp)?;
    let sig = key.sign(base.as_bytes());
    Ok((
        format!("{label}={}", sp.serialize()),
        format!("{label}=:{}:", STANDARD.encode(sig.0)),
    ))
}

/// What a verifier requires of a signature.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Components that must be covered.
    pub required: Vec<String>,
    /// How old (seconds) a `created` time may be.
    pub max_age: i64,
    /// How far in the future (seconds) a `created` time may be (clock skew).
    pub max_skew: i64,
}

/// A signature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The label it was found under.
    pub label: String,
    /// Its `keyid` parameter.
    pub key_id: String,
    /// Its `created` time.
    pub created: i64,
    /// Its `nonce`, if any.
    pub nonce: Option<String>,
    /// The covered components.
    pub components: Vec<String>,
}

/// Verifies the first signature of `msg` (the one listed first in
/// `Signature-Input`) at time `now` (Unix seconds) against `policy`, with the
/// key `lookup` returns for its `keyid`.
pub fn verify(
    msg: &Message<'_>,
    signature_input: Option<&str>,
    signature: Option<&str>,
    policy: &Policy,
    now: i64,
    lookup: impl FnOnce(&str) -> Option<VerifyingKey>,
) -> Result<Verified, Error> {
    let (Some(si), Some(sg)) = (signature_input, signature) else {
        return Err(Error::Missing);
    };
    let inputs = sf::parse_dictionary(si)?;
    let sigs = sf::parse_dictionary(sg)?;
    let (label, member) = inputs.first().ok_or(Error::Missing)?;
    let Member::InnerList(items, params) = member else {
        return Err(Error::Malformed(
            "a Signature-Input member must be an inner list".into(),
        ));
    };
    let mut components = Vec::with_capacity(items.len());
    for it in items {
        match (&it.bare, it.params.is_empty()) {
            (BareItem::String(s), true) => components.push(s.clone()),
            (BareItem::String(s), false) => {
                return Err(Error::Component(
                    s.clone(),
                    "component parameters are not supported".into(),
                ));
            }
            _ => {
                return Err(Error::Malformed(
                    "component identifiers must be strings".into(),
                ));
            }
        }
    }
    let sp = SignatureParams {
        components,
        params: params.clone(),
    };
    for r in &policy.required {
        if !sp.components.contains(r) {
            return Err(Error::NotCovered(r.clone()));
        }
    }
    let created = sp
        .param_int("created")?
        .ok_or_else(|| Error::NotCovered("the created parameter".into()))?;
    let age = now - created;
    if age > policy.max_age || -age > policy.max_skew {
        return Err(Error::Stale(-age));
    }
    if let Some(exp) = sp.param_int("expires")?
        && exp < now
    {
        return Err(Error::Expired);
    }
    if let Some(alg) = sp.param_str("alg")?
        && alg != "ed25519"
    {
        return Err(Error::Malformed(format!(
            "algorithm {alg:?} is not ed25519"
        )));
    }
    let key_id = sp
        .param_str("keyid")?
        .ok_or_else(|| Error::NotCovered("the keyid parameter".into()))?
        .to_owned();
    let nonce = sp.param_str("nonce")?.map(str::to_owned);
    let sig_bytes = match sigs.iter().find(|(l, _)| l == label) {
        Some((
            _,
            Member::Item(Item {
                bare: BareItem::Bytes(b),
                ..
            }),
        )) => b,
        Some(_) => {
            return Err(Error::Malformed(
                "a Signature member must be a byte sequence".into(),
            ));
        }
        None => return Err(Error::Missing),
    };
    let sig: [u8; 64] = sig_bytes
        .as_slice()
        .try_into()
        .map_err(|_| Error::BadSignature)?;
    let key = lookup(&key_id).ok_or_else(|| Error::UnknownKey(key_id.clone()))?;
    let base = signature_base(msg, &sp)?;
    key.verify(base.as_bytes(), &Signature(sig))
        .map_err(|_| Error::BadSignature)?;
    Ok(Verified {
        label: label.clone(),
        key_id,
        created,
        nonce,
        components: sp.components,
    })
}

/// The `Content-Digest` field value for `body`: `sha-256=:…:`.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

/// Checks a `Content-Digest` field against `body`: a `sha-256` member must be
/// present and match. Other algorithms are ignored.
pub fn check_content_digest(field: Option<&str>, body: &[u8]) -> Result<(), Error> {
    let field = field.ok_or_else(|| Error::Digest("the Content-Digest field is missing".into()))?;
    let d = sf::parse_dictionary(field).map_err(|e| Error::Digest(e.to_string()))?;
    match d.iter().find(|(k, _)| k == "sha-256") {
        Some((
            _,
            Member::Item(Item {
                bare: BareItem::Bytes(b),
                ..
            }),
        )) => {
            if b.as_slice() == Sha256::digest(body).as_slice() {
                Ok(())
            } else {
                Err(Error::Digest("sha-256 does not match the body".into()))
            }
        }
        _ => Err(Error::Digest("a sha-256 member is required".into())),
    }
}
