//! C2SP signed notes (`signed-note.md`), with Ed25519 signers and verifiers
//! (signature type 0x01) and the verifier-key (`vkey`) and Go signing-key
//! string formats.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Largest note we parse (bytes).
pub const MAX_NOTE_LEN: usize = 1 << 20;
/// Most signature lines we accept on one note (the spec requires at least 16).
pub const MAX_SIGNATURES: usize = 100;
/// Signature type byte of Ed25519 note signatures.
pub const ALG_ED25519: u8 = 0x01;
/// Signature type byte of timestamped Ed25519 cosignatures (tlog-cosignature).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// Why a note, key or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note is not well formed.
    #[error("malformed note: {0}")]
    Malformed(String),
    /// A key string is not well formed.
    #[error("malformed key: {0}")]
    BadKey(String),
    /// A signature by a known key failed to verify.
    #[error("the signature by {0} does not verify")]
    BadSignature(String),
    /// No signature by any known key.
    #[error("the note carries no signature by a known key")]
    NoKnownSignature,
}

/// One signature line: `— <name> base64(key id || signature)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The 32-bit key id.
    pub key_id: u32,
    /// The signature bytes after the key id.
    pub sig: Vec<u8>,
}

impl NoteSignature {
    /// The line, with its final newline.
    pub fn to_line(&self) -> String {
        let mut b = self.key_id.to_be_bytes().to_vec();
        b.extend_from_slice(&self.sig);
        format!("\u{2014} {} {}\n", self.name, B64.encode(b))
    }
}

/// A signed note: text (ending in a newline) and signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The text, including its final newline.
    pub text: String,
    /// The signatures, in order.
    pub signatures: Vec<NoteSignature>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

fn check_chars(s: &str) -> Result<(), NoteError> {
    if s.chars().any(|c| (c as u32) < 0x20 && c != '\n') {
        return Err(NoteError::Malformed(
            "control characters are not allowed".into(),
        ));
    }
    Ok(())
}

/// Parses one signature line (without its newline).
pub fn parse_signature_line(line: &str) -> Result<NoteSignature, NoteError> {
    let rest = line.strip_prefix("\u{2014} ").ok_or_else(|| {
        NoteError::Malformed(format!(
            "signature line does not start with an em dash: {line:?}"
        ))
    })?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or_else(|| NoteError::Malformed("signature line has no signature".into()))?;
    if !valid_name(name) {
        return Err(NoteError::Malformed(format!("bad key name {name:?}")));
    }
    let raw = B64
        .decode(b64)
        .map_err(|_| NoteError::Malformed("signature is not base64".into()))?;
    if raw.len() < 5 {
        return Err(NoteError::Malformed("signature too short".into()));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
        sig: raw[4..].to_vec(),
    })
}

impl Note {
    /// A note with no signatures yet. The text must end in a newline.
    pub fn new(text: &str) -> Result<Note, NoteError> {
        if !text.ends_with('\n') || text.len() > MAX_NOTE_LEN {
            return Err(NoteError::Malformed(
                "note text must end with a newline".into(),
            ));
        }
        check_chars(text)?;
        Ok(Note {
            text: text.to_owned(),
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note: text, a blank line, one or more signature lines.
    pub fn parse(msg: &[u8]) -> Result<Note, NoteError> {
        if msg.len() > MAX_NOTE_LEN {
            return Err(NoteError::Malformed("note too large".into()));
        }
        let s = std::str::from_utf8(msg).map_err(|_| NoteError::Malformed("not UTF-8".into()))?;
        check_chars(s)?;
        let split = s
            .rfind("\n\n")
            .ok_or_else(|| NoteError::Malformed("no blank line before the signatures".into()))?;
        let text = &s[..split + 1];
        let sigs = &s[split + 2..];
        if !sigs.ends_with('\n') {
            return Err(NoteError::Malformed(
                "signature lines must end with a newline".into(),
            ));
        }
        let mut signatures = Vec::new();
        for line in sigs[..sigs.len() - 1].split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::Malformed("too many signatures".into()));
            }
            signatures.push(parse_signature_line(line)?);
        }
        if signatures.is_empty() {
            return Err(NoteError::Malformed("no signatures".into()));
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The whole signed note.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.text.clone();
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.to_line());
        }
        out.into_bytes()
    }

    /// Adds a signature, replacing any by the same (name, key id).
    pub fn add_signature(&mut self, sig: NoteSignature) {
        self.signatures
            .retain(|s| !(s.name == sig.name && s.key_id == sig.key_id));
        self.signatures.push(sig);
    }

    /// Verifies with the known verifiers: every signature by a known key must
    /// verify (else the note is refused), and at least one must be present.
    /// Returns the names of the verifiers whose signatures verified.
    pub fn verify(&self, known: &[&dyn Verifier]) -> Result<Vec<String>, NoteError> {
        let mut ok = Vec::new();
        for s in &self.signatures {
            for v in known {
                if v.name() == s.name && v.key_id() == s.key_id {
                    if !v.verify(self.text.as_bytes(), &s.sig) {
                        return Err(NoteError::BadSignature(s.name.clone()));
                    }
                    ok.push(s.name.clone());
                }
            }
        }
        if ok.is_empty() {
            return Err(NoteError::NoKnownSignature);
        }
        Ok(ok)
    }
}

/// Something that checks note signatures of one key.
pub trait Verifier {
    /// The key name.
    fn name(&self) -> &str;
    /// The key id.
    fn key_id(&self) -> u32;
    /// Whether `sig` (after the key id) is valid over `text`.
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool;
}

/// The key id of `(name, type, public key)`: `SHA-256(name || 0x0A || type || key)[:4]`.
pub fn key_id(name: &str, alg: u8, public: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', alg]);
    h.update(public);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// A parsed verifier key `name+hex(id)+base64(type || key)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    /// Key name.
    pub name: String,
    /// Key id.
    pub key_id: u32,
    /// Signature type byte.
    pub alg: u8,
    /// The Ed25519 public key.
    pub key: VerifyingKey,
}

impl VerifierKey {
    /// Parses a vkey of an Ed25519 type (0x01 or 0x04), checking its key id.
    pub fn parse(s: &str) -> Result<VerifierKey, NoteError> {
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(hex_id), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NoteError::BadKey("expected name+id+key".into()));
        };
        if !valid_name(name)
            || hex_id.len() != 8
            || !hex_id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(NoteError::BadKey("bad name or key id".into()));
        }
        let key_id =
            u32::from_str_radix(hex_id, 16).map_err(|_| NoteError::BadKey("bad key id".into()))?;
        let raw = B64
            .decode(b64)
            .map_err(|_| NoteError::BadKey("key is not base64".into()))?;
        let [alg, key @ ..] = raw.as_slice() else {
            return Err(NoteError::BadKey("empty key".into()));
        };
        if *alg != ALG_ED25519 && *alg != ALG_COSIGNATURE_V1 {
            return Err(NoteError::BadKey(format!(
                "unsupported signature type {alg:#04x}"
            )));
        }
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| NoteError::BadKey("an Ed25519 key is 32 bytes".into()))?;
        if key_id != self::key_id(name, *alg, &key) {
            return Err(NoteError::BadKey(
                "the key id does not match the key".into(),
            ));
        }
        Ok(VerifierKey {
            name: name.to_owned(),
            key_id,
            alg: *alg,
            key: VerifyingKey::from_bytes(&key)
                .ok()
                // One encoding per key (RFC 8032 §5.1.3): ed25519-dalek also
                // takes y ≥ p, which the JavaScript verifier refuses.
                .filter(|k| k.to_edwards().compress().to_bytes() == key)
                .ok_or_else(|| {
                    NoteError::BadKey("not the canonical encoding of an Ed25519 point".into())
                })?,
        })
    }

    /// Formats `name+hex(id)+base64(type || key)`.
    pub fn to_vkey(&self) -> String {
        format_vkey(&self.name, self.alg, self.key.as_bytes())
    }
}

/// Formats a verifier key.
pub fn format_vkey(name: &str, alg: u8, public: &[u8; 32]) -> String {
    let mut raw = vec![alg];
    raw.extend_from_slice(public);
    format!(
        "{name}+{:08x}+{}",
        key_id(name, alg, public),
        B64.encode(raw)
    )
}

/// Verifies Ed25519 note signatures (type 0x01).
#[derive(Debug, Clone)]
pub struct Ed25519Verifier(VerifierKey);

impl Ed25519Verifier {
    /// From a vkey string, which must be of type 0x01.
    pub fn from_vkey(s: &str) -> Result<Ed25519Verifier, NoteError> {
        let k = VerifierKey::parse(s)?;
        if k.alg != ALG_ED25519 {
            return Err(NoteError::BadKey(
                "not an Ed25519 note key (type 0x01)".into(),
            ));
        }
        Ok(Ed25519Verifier(k))
    }

    /// The parsed key.
    pub fn key(&self) -> &VerifierKey {
        &self.0
    }
}

impl Verifier for Ed25519Verifier {
    fn name(&self) -> &str {
        &self.0.name
    }
    fn key_id(&self) -> u32 {
        self.0.key_id
    }
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(sig) else {
            return false;
        };
        self.0
            .key
            .verify_strict(text, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok()
    }
}

/// Signs notes with an Ed25519 key (type 0x01).
#[derive(Clone)]
pub struct Ed25519Signer {
    name: String,
    key: SigningKey,
}

impl core::fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Ed25519Signer({}, secret redacted)", self.name)
    }
}

impl Ed25519Signer {
    /// A signer named `name` with the 32-byte seed.
    pub fn new(name: &str, seed: &[u8; 32]) -> Result<Ed25519Signer, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::BadKey(format!("bad key name {name:?}")));
        }
        Ok(Ed25519Signer {
            name: name.to_owned(),
            key: SigningKey::from_bytes(seed),
        })
    }

    /// Parses Go's signing-key string `PRIVATE+KEY+name+hex(id)+base64(0x01 || seed)`.
    pub fn from_skey(s: &str) -> Result<Ed25519Signer, NoteError> {
        let rest = s
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| NoteError::BadKey("expected PRIVATE+KEY+…".into()))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hex_id), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NoteError::BadKey("expected name+id+key".into()));
        };
        let raw = B64
            .decode(b64)
            .map_err(|_| NoteError::BadKey("key is not base64".into()))?;
        let [ALG_ED25519, seed @ ..] = raw.as_slice() else {
            return Err(NoteError::BadKey("not an Ed25519 key".into()));
        };
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| NoteError::BadKey("a seed is 32 bytes".into()))?;
        let signer = Ed25519Signer::new(name, &seed)?;
        if format!("{:08x}", signer.key_id()) != hex_id {
            return Err(NoteError::BadKey(
                "the key id does not match the key".into(),
            ));
        }
        Ok(signer)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        key_id(&self.name, ALG_ED25519, self.key.verifying_key().as_bytes())
    }

    /// The verifier key string.
    pub fn vkey(&self) -> String {
        format_vkey(&self.name, ALG_ED25519, self.key.verifying_key().as_bytes())
    }

    /// The signature line over `text`.
    pub fn sign(&self, text: &str) -> NoteSignature {
        NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id(),
            sig: self.key.sign(text.as_bytes()).to_bytes().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_canonical_key_is_no_verifier_key() {
        // y = p (2^255 - 19): decodes to the point with y = 0, which
        // ed25519-dalek takes; RFC 8032 §5.1.3 refuses y >= p.
        let mut b = [0xffu8; 32];
        b[0] = 0xed;
        b[31] = 0x7f;
        assert!(VerifyingKey::from_bytes(&b).is_ok(), "dalek takes it");
        let vkey = format_vkey("example.com/log", 0x01, &b);
        assert!(matches!(
            Ed25519Verifier::from_vkey(&vkey),
            Err(NoteError::BadKey(_))
        ));
    }

    #[test]
    fn sign_parse_verify_roundtrip() {
        let s = Ed25519Signer::new("example.com/log", &[3; 32]).unwrap();
        let v = Ed25519Verifier::from_vkey(&s.vkey()).unwrap();
        let mut n = Note::new("hello\nworld\n").unwrap();
        n.add_signature(s.sign(&n.text));
        let bytes = n.to_bytes();
        let p = Note::parse(&bytes).unwrap();
        assert_eq!(p, n);
        assert_eq!(
            p.verify(&[&v]).unwrap(),
            vec!["example.com/log".to_string()]
        );
        let mut t = bytes.clone();
        t[0] ^= 1;
        assert!(Note::parse(&t).unwrap().verify(&[&v]).is_err());
        let other = Ed25519Signer::new("example.com/other", &[4; 32]).unwrap();
        let ov = Ed25519Verifier::from_vkey(&other.vkey()).unwrap();
        assert_eq!(p.verify(&[&ov]), Err(NoteError::NoKnownSignature));
    }

    #[test]
    fn malformed_notes_are_refused() {
        for bad in [
            &b"no signatures\n\n"[..],
            b"text\n\n\xe2\x80\x94 name AAAA\n",
            b"text\n\nnot a signature\n",
            b"text\n\n\xe2\x80\x94 name AAAAAA==",
            b"te\x01xt\n\n\xe2\x80\x94 n AAAAAAA=\n",
            b"\xff\n\n\xe2\x80\x94 n AAAAAAA=\n",
        ] {
            assert!(Note::parse(bad).is_err(), "{bad:?}");
        }
    }
}
