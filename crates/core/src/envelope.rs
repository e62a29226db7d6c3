//! Sealed and signed envelopes (DESIGN §4–§5, `docs/format.md` §5).
//!
//! ```text
//! envelope    = signed_head || stanza_block || ciphertext
//! signed_head = head || ed25519_signature[64]              (241 bytes)
//! head        = header || u32 recipient_count || stanzas_sha256[32]
//!               || u64 ciphertext_len || ciphertext_sha256[32]   (177 bytes)
//! header      = "HLE" 0x01 || suite[1] || channel[16] || sender_key_id[32]
//!               || envelope_nonce[16] || commitment[32]          (101 bytes)
//! hotline-v1:
//! stanza_block = stanza * recipient_count     stanzas_sha256 = SHA-256(stanza_block)
//! stanza       = recipient_key_id[32] || hpke_enc[32] || wrapped_key[48]     (112 bytes)
//! hotline-v2-xwing:
//! stanza_block = index_entry * recipient_count || sealed * recipient_count
//! index_entry  = recipient_key_id[32] || SHA-256(sealed)[32]
//! sealed       = hpke_enc[1120] || wrapped_key[48]                          (1,168 bytes)
//!                                             stanzas_sha256 = SHA-256(index)
//! ```
//!
//! The suite byte is 1 for `hotline-v1` (X25519) and 2 for
//! `hotline-v2-xwing` (X-Wing); see [`Suite`]. In `hotline-v2-xwing` the
//! head's hash covers an index of recipients and sealed-key hashes, so that
//! a recipient checks the 64-byte index entries of the others and hashes
//! only its own 1,168-byte sealed key ([`Envelope::from_bytes_for_opening`]);
//! the relay checks every one ([`stanzas_match`]).
//!
//! The content (the encoded parts, see [`crate::commitment`]) is encrypted
//! once under a fresh 32-byte key with STREAM (64 KiB chunks,
//! ChaCha20-Poly1305, nonce = 11-byte big-endian counter || last-chunk flag,
//! as in age), every chunk with the header as associated data. The key is
//! wrapped to every recipient with HPKE base mode (RFC 9180, the suite's KEM
//! / HKDF-SHA256 / ChaCha20-Poly1305), info [`Suite::hpke_info`]
//! (`"hotline/v1 content key"` in `hotline-v1`), the header as associated
//! data. The sender
//! signs `pae("application/vnd.hotline.envelope-head.v1", head)`.
//!
//! The signed head is the channel log's entry: small and fixed-size, it binds
//! the recipients and the ciphertext by hash and size while they travel
//! beside it. Opening checks the signature, the hashes, unwraps, decrypts
//! and checks the parts against the commitment, so an envelope that
//! decrypts to anything else for some recipient is rejected.

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::codec::{DecodeError, Reader};
use crate::commitment::{self, Digest32, Part};
use crate::dsse::pae;
pub use crate::hpke_suite::Suite;
use crate::hpke_suite::{self, Opener};
use crate::ids::ChannelId;
use crate::keys::{
    CryptoError, EncryptionPublicKey, EncryptionSecretKey, KeyId, Signature, SigningKey,
    VerifyingKey,
};
use crate::message::Message;

/// The magic and version at the start of every envelope.
pub const MAGIC: [u8; 4] = *b"HLE\x01";
/// The suite byte of `hotline-v1` (see the module docs and [`Suite::id`]).
pub const SUITE_V1: u8 = 1;
/// DSSE payload type of the signed head.
pub const HEAD_PAYLOAD_TYPE: &str = "application/vnd.hotline.envelope-head.v1";
/// HPKE `info` for wrapping the content key in `hotline-v1`
/// ([`Suite::hpke_info`] for every suite).
pub const HPKE_INFO: &[u8] = Suite::V1.hpke_info();
/// Length of the header.
pub const HEADER_LEN: usize = 101;
/// Length of the head.
pub const HEAD_LEN: usize = HEADER_LEN + 4 + 32 + 8 + 32;
/// Length of the signed head (the log entry).
pub const SIGNED_HEAD_LEN: usize = HEAD_LEN + 64;
/// Most recipients of one envelope.
pub const MAX_RECIPIENTS: u32 = 10_000;
/// Largest ciphertext (256 MiB).
pub const MAX_CIPHERTEXT_LEN: u64 = 256 * 1024 * 1024;
/// STREAM plaintext chunk size.
pub const CHUNK_LEN: usize = 64 * 1024;
const TAG_LEN: usize = 16;

/// Why an envelope could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The bytes are not a well-formed envelope.
    #[error("malformed envelope: {0}")]
    Malformed(#[from] DecodeError),
    /// The recipient stanzas or ciphertext do not match the hashes and sizes in the signed head.
    #[error("the envelope's recipients or ciphertext do not match its signed head")]
    BodyMismatch,
    /// The sender's signature over the head does not verify.
    #[error("the sender's signature does not verify")]
    BadSignature,
    /// The sender key supplied is not the one named in the head.
    #[error("the envelope names sender {named}, not the key supplied")]
    WrongSender {
        /// The sender key id in the head.
        named: KeyId,
    },
    /// None of the stanzas is addressed to our key.
    #[error("this envelope is not addressed to key {0}")]
    NotARecipient(KeyId),
    /// Unwrapping or decryption failed (opaque on purpose).
    #[error("decryption failed: {0}")]
    Crypto(#[from] CryptoError),
    /// The decrypted parts do not hash to the signed commitment.
    #[error("the decrypted content does not match the signed commitment")]
    CommitmentMismatch,
    /// The decrypted message contradicts the head (channel or author).
    #[error("the decrypted message contradicts its envelope: {0}")]
    Inconsistent(&'static str),
    /// Sealing was asked for something the format cannot carry.
    #[error("cannot seal: {0}")]
    Unsealable(String),
}

/// The header: bound into every HPKE wrap and every content chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The cipher suite (the channel's).
    pub suite: Suite,
    /// The channel.
    pub channel: ChannelId,
    /// The sender's signing key id.
    pub sender: KeyId,
    /// 16 random bytes making every envelope distinct.
    pub nonce: [u8; 16],
    /// The commitment to the parts.
    pub commitment: Digest32,
}

impl Header {
    /// The 101 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..4].copy_from_slice(&MAGIC);
        out[4] = self.suite.id();
        out[5..21].copy_from_slice(&self.channel.0);
        out[21..53].copy_from_slice(&self.sender.0);
        out[53..69].copy_from_slice(&self.nonce);
        out[69..101].copy_from_slice(&self.commitment);
        out
    }

    fn read(r: &mut Reader<'_>) -> Result<Header, DecodeError> {
        let magic: [u8; 4] = r.array()?;
        if magic != MAGIC {
            return Err(DecodeError::invalid(
                "envelope",
                "not a Hotline v1 envelope (bad magic)",
            ));
        }
        let suite = r.u8()?;
        let suite = Suite::from_id(suite).ok_or_else(|| {
            DecodeError::invalid("envelope", format!("unknown cipher suite {suite}"))
        })?;
        Ok(Header {
            suite,
            channel: ChannelId(r.array()?),
            sender: KeyId(r.array()?),
            nonce: r.array()?,
            commitment: r.array()?,
        })
    }
}

/// The head: the header plus hashes and sizes of the bulky parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The header.
    pub header: Header,
    /// How many recipient stanzas follow.
    pub recipient_count: u32,
    /// SHA-256 of all stanzas concatenated.
    pub stanzas_sha256: Digest32,
    /// Ciphertext length in bytes.
    pub ciphertext_len: u64,
    /// SHA-256 of the ciphertext.
    pub ciphertext_sha256: Digest32,
}

impl Head {
    /// The 177 head bytes.
    pub fn to_bytes(&self) -> [u8; HEAD_LEN] {
        let mut out = [0u8; HEAD_LEN];
        out[..HEADER_LEN].copy_from_slice(&self.header.to_bytes());
        let mut o = HEADER_LEN;
        out[o..o + 4].copy_from_slice(&self.recipient_count.to_be_bytes());
        o += 4;
        out[o..o + 32].copy_from_slice(&self.stanzas_sha256);
        o += 32;
        out[o..o + 8].copy_from_slice(&self.ciphertext_len.to_be_bytes());
        o += 8;
        out[o..o + 32].copy_from_slice(&self.ciphertext_sha256);
        out
    }

    /// Length of the stanzas this head announces (its suite's stanza length
    /// times the recipient count).
    pub fn stanzas_len(&self) -> u64 {
        u64::from(self.recipient_count) * self.header.suite.stanza_len() as u64
    }

    /// What the sender signs: `pae(HEAD_PAYLOAD_TYPE, head)`.
    pub fn signing_input(&self) -> Vec<u8> {
        pae(HEAD_PAYLOAD_TYPE, &self.to_bytes())
    }
}

/// A head and the sender's signature: the log entry of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedHead {
    /// The head.
    pub head: Head,
    /// Ed25519 over [`Head::signing_input`].
    pub signature: Signature,
}

impl SignedHead {
    /// The 241 bytes.
    pub fn to_bytes(&self) -> [u8; SIGNED_HEAD_LEN] {
        let mut out = [0u8; SIGNED_HEAD_LEN];
        out[..HEAD_LEN].copy_from_slice(&self.head.to_bytes());
        out[HEAD_LEN..].copy_from_slice(&self.signature.0);
        out
    }

    /// Parses exactly one signed head.
    pub fn from_bytes(bytes: &[u8]) -> Result<SignedHead, DecodeError> {
        let mut r = Reader::new(bytes, "signed head");
        let sh = Self::read(&mut r)?;
        r.finish()?;
        Ok(sh)
    }

    fn read(r: &mut Reader<'_>) -> Result<SignedHead, DecodeError> {
        let header = Header::read(r)?;
        let recipient_count = r.u32()?;
        if recipient_count == 0 || recipient_count > MAX_RECIPIENTS {
            return Err(DecodeError::invalid(
                "signed head",
                format!("recipient count {recipient_count} out of range 1..={MAX_RECIPIENTS}"),
            ));
        }
        let stanzas_sha256 = r.array()?;
        let ciphertext_len = r.u64()?;
        if ciphertext_len > MAX_CIPHERTEXT_LEN || ciphertext_len < TAG_LEN as u64 {
            return Err(DecodeError::invalid(
                "signed head",
                format!("ciphertext length {ciphertext_len} out of range"),
            ));
        }
        let ciphertext_sha256 = r.array()?;
        let signature = Signature(r.array()?);
        Ok(SignedHead {
            head: Head {
                header,
                recipient_count,
                stanzas_sha256,
                ciphertext_len,
                ciphertext_sha256,
            },
            signature,
        })
    }

    /// Verifies the signature as [`SignedHead::verify`] does and returns the
    /// proof of it, for [`Envelope::open_verified`].
    pub fn verified(&self, sender: &VerifyingKey) -> Result<VerifiedHead, EnvelopeError> {
        self.verify(sender)?;
        Ok(VerifiedHead {
            head: *self,
            sender: *sender,
        })
    }

    /// Verifies the signature with the sender's key, which must be the one named.
    pub fn verify(&self, sender: &VerifyingKey) -> Result<(), EnvelopeError> {
        if sender.key_id() != self.head.header.sender {
            return Err(EnvelopeError::WrongSender {
                named: self.head.header.sender,
            });
        }
        sender
            .verify(&self.head.signing_input(), &self.signature)
            .map_err(|_| EnvelopeError::BadSignature)
    }
}

/// A signed head whose signature verified under its sender's key: made
/// only by [`SignedHead::verified`], so holding one is the proof that
/// [`Envelope::open_verified`] need not verify it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedHead {
    head: SignedHead,
    sender: VerifyingKey,
}

impl VerifiedHead {
    /// The verified signed head.
    pub fn signed_head(&self) -> &SignedHead {
        &self.head
    }

    /// The key it verified under.
    pub fn sender(&self) -> &VerifyingKey {
        &self.sender
    }
}

/// A recipient's private key with its key id, derived once: opening finds
/// the recipient's stanza by that id, and deriving it costs a scalar
/// multiplication (or an ML-KEM key generation) per envelope otherwise.
#[derive(Clone)]
pub struct Recipient {
    key: Opener,
    suite: Suite,
    id: KeyId,
}

impl core::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Recipient({}, {}, secret redacted)",
            self.suite,
            self.id.short()
        )
    }
}

impl Recipient {
    /// The recipient holding `key` (its 32 secret bytes parsed for the
    /// suite's KEM, which takes any 32 bytes: the error is not expected).
    pub fn new(key: &EncryptionSecretKey) -> Result<Recipient, CryptoError> {
        let opener = Opener::new(key)?;
        Ok(Recipient {
            id: opener.public_key()?.key_id(),
            suite: key.suite(),
            key: opener,
        })
    }

    /// Its suite.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// Its key id (of the public key).
    pub fn id(&self) -> KeyId {
        self.id
    }
}

/// One recipient's wrapped content key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    /// The recipient's encryption key id.
    pub recipient: KeyId,
    /// The HPKE encapsulated key ([`Suite::enc_len`] bytes).
    pub enc: Vec<u8>,
    /// The content key sealed by HPKE (32 bytes + 16-byte tag).
    pub wrapped: [u8; 48],
}

impl Stanza {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.recipient.0);
        out.extend_from_slice(&self.enc);
        out.extend_from_slice(&self.wrapped);
    }

    fn write_sealed(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.enc);
        out.extend_from_slice(&self.wrapped);
    }

    /// SHA-256 of its sealed key (`enc || wrapped_key`): its hash in a
    /// `hotline-v2-xwing` stanza index.
    pub fn sealed_sha256(&self) -> Digest32 {
        let mut h = Sha256::new();
        h.update(&self.enc);
        h.update(self.wrapped);
        h.finalize().into()
    }
}

/// A suite's stanza block for `stanzas` in order (`docs/format.md` §5.1),
/// with each sealed key's hash as given in `digests` (indexed suites; one per
/// stanza) and the head's `stanzas_sha256` of it.
fn encode_block(suite: Suite, stanzas: &[Stanza], digests: &[Digest32]) -> (Vec<u8>, Digest32) {
    let mut out = Vec::with_capacity(stanzas.len() * suite.stanza_len());
    if !suite.indexed() {
        for s in stanzas {
            s.write(&mut out);
        }
        let d = sha256(&out);
        return (out, d);
    }
    for (s, d) in stanzas.iter().zip(digests) {
        out.extend_from_slice(&s.recipient.0);
        out.extend_from_slice(d);
    }
    let d = sha256(&out);
    for s in stanzas {
        s.write_sealed(&mut out);
    }
    (out, d)
}

/// The stanza block of `stanzas` in `suite` and the head's `stanzas_sha256`
/// of it: what a sender (or a test playing a dishonest one) signs.
pub fn stanza_block(suite: Suite, stanzas: &[Stanza]) -> (Vec<u8>, Digest32) {
    let digests: Vec<Digest32> = if suite.indexed() {
        stanzas.iter().map(Stanza::sealed_sha256).collect()
    } else {
        Vec::new()
    };
    encode_block(suite, stanzas, &digests)
}

/// Whether a stanza block carried beside `head` is the one it signs: its
/// length, and every hash (in `hotline-v2-xwing`, the index's and every
/// sealed key's). What the relay checks before it accepts an envelope.
pub fn stanzas_match(head: &Head, block: &[u8]) -> bool {
    // `Malformed` comes only after every hash matched (a recipient listed
    // twice, which the sender signed): the block is the signed one, and
    // refusing it is the recipients' business, not the relay's.
    matches!(
        parse_block(head, block, Check::Every),
        Ok(_) | Err(EnvelopeError::Malformed(_))
    ) && block.len() as u64 == head.stanzas_len()
}

/// How much of a stanza block to check against its head.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Every hash.
    Every,
    /// The head's hash; in an indexed suite, each sealed key's own hash is
    /// left to [`Envelope::open_verified`] for the one it opens.
    WhenOpened,
}

/// The stanzas of a block, with their sealed-key hashes from the index
/// (indexed suites; else empty). `BodyMismatch` when a hash checked or the
/// length is not the head's; `Malformed` for a recipient listed twice (the
/// ids are covered by the head's hash: that is the sender's doing).
fn parse_block(
    head: &Head,
    block: &[u8],
    check: Check,
) -> Result<(Vec<Stanza>, Vec<Digest32>), EnvelopeError> {
    let suite = head.header.suite;
    let n = head.recipient_count as usize;
    if block.len() as u64 != head.stanzas_len() {
        return Err(EnvelopeError::BodyMismatch);
    }
    let mut stanzas = Vec::with_capacity(n);
    let mut digests = Vec::new();
    if suite.indexed() {
        let (index, sealed) = block.split_at(n * hpke_suite::INDEX_ENTRY_LEN);
        if sha256(index) != head.stanzas_sha256 {
            return Err(EnvelopeError::BodyMismatch);
        }
        digests.reserve_exact(n);
        let (mut ri, mut rs) = (
            Reader::new(index, "stanza index"),
            Reader::new(sealed, "sealed keys"),
        );
        for _ in 0..n {
            let recipient = KeyId(ri.array()?);
            let digest: Digest32 = ri.array()?;
            let s = Stanza {
                recipient,
                enc: rs.take(suite.enc_len())?.to_vec(),
                wrapped: rs.array()?,
            };
            if check == Check::Every && s.sealed_sha256() != digest {
                return Err(EnvelopeError::BodyMismatch);
            }
            stanzas.push(s);
            digests.push(digest);
        }
        ri.finish()?;
        rs.finish()?;
    } else {
        if sha256(block) != head.stanzas_sha256 {
            return Err(EnvelopeError::BodyMismatch);
        }
        let mut r = Reader::new(block, "recipient stanzas");
        for _ in 0..n {
            stanzas.push(Stanza::read(&mut r, suite)?);
        }
        r.finish()?;
    }
    // A set, not a scan of the stanzas read so far: with 10,000
    // recipients a scan is 50 million comparisons per envelope, which
    // any sender could make every recipient pay.
    let mut seen = std::collections::HashSet::with_capacity(n);
    if !stanzas.iter().all(|s| seen.insert(s.recipient)) {
        return Err(
            DecodeError::invalid("recipient stanzas", "a recipient is listed twice").into(),
        );
    }
    Ok((stanzas, digests))
}

impl Stanza {
    fn read(r: &mut Reader<'_>, suite: Suite) -> Result<Stanza, DecodeError> {
        Ok(Stanza {
            recipient: KeyId(r.array()?),
            enc: r.take(suite.enc_len())?.to_vec(),
            wrapped: r.array()?,
        })
    }
}

/// A whole envelope: the signed head, the stanzas and the ciphertext, with
/// the head's hashes and sizes checked against the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    signed_head: SignedHead,
    stanzas: Vec<Stanza>,
    /// In an indexed suite, each stanza's sealed-key hash as the index
    /// gives it (checked against the stanza unless parsed for opening);
    /// else empty.
    digests: Vec<Digest32>,
    ciphertext: Vec<u8>,
}

/// What opening an envelope yields.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The verified signed head.
    pub head: SignedHead,
    /// The salted parts, as committed (kept for later selective disclosure).
    pub parts: Vec<Part>,
    /// The message they form.
    pub message: Message,
}

fn stream_nonce(counter: u64, last: bool) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[3..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    n
}

pub(crate) fn stream_encrypt(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = ChaCha20Poly1305::new(key.into());
    let chunks: Vec<&[u8]> = if plaintext.is_empty() {
        vec![&[][..]]
    } else {
        plaintext.chunks(CHUNK_LEN).collect()
    };
    let mut out = Vec::with_capacity(plaintext.len() + chunks.len() * TAG_LEN);
    let last_index = chunks.len() - 1;
    for (i, chunk) in chunks.into_iter().enumerate() {
        let nonce = stream_nonce(i as u64, i == last_index);
        // Encryption of in-memory data with a valid key cannot fail.
        let ct = cipher
            .encrypt((&nonce).into(), Payload { msg: chunk, aad })
            .unwrap_or_default();
        out.extend_from_slice(&ct);
    }
    out
}

fn stream_decrypt(
    key: &[u8; 32],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let cipher = ChaCha20Poly1305::new(key.into());
    let chunks: Vec<&[u8]> = ciphertext.chunks(CHUNK_LEN + TAG_LEN).collect();
    let mut out = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    let last_index = chunks.len().checked_sub(1).ok_or(CryptoError)?;
    for (i, chunk) in chunks.into_iter().enumerate() {
        let last = i == last_index;
        let nonce = stream_nonce(i as u64, last);
        let pt = cipher
            .decrypt((&nonce).into(), Payload { msg: chunk, aad })
            .map_err(|_| CryptoError)?;
        // A last chunk may be empty only if it is the only chunk (age STREAM rule).
        if last && pt.is_empty() && i > 0 {
            return Err(CryptoError);
        }
        out.extend_from_slice(&pt);
    }
    Ok(out)
}

pub(crate) fn sha256(b: &[u8]) -> Digest32 {
    Sha256::digest(b).into()
}

impl Envelope {
    /// Seals `parts` from `sender` to `recipients` in `channel`, in the
    /// suite of the recipients' keys (all of one suite, the channel's).
    ///
    /// Recipients must be distinct; include the sender's own devices to keep a copy.
    pub fn seal(
        channel: ChannelId,
        sender: &SigningKey,
        recipients: &[EncryptionPublicKey],
        parts: &[Part],
        rng: &mut impl CryptoRngCore,
    ) -> Result<Envelope, EnvelopeError> {
        if recipients.is_empty() || recipients.len() > MAX_RECIPIENTS as usize {
            return Err(EnvelopeError::Unsealable(format!(
                "{} recipients; between 1 and {MAX_RECIPIENTS} are allowed",
                recipients.len()
            )));
        }
        let suite = recipients[0].suite();
        if recipients.iter().any(|r| r.suite() != suite) {
            return Err(EnvelopeError::Unsealable(
                "the recipients' keys are of different suites; a channel has one".into(),
            ));
        }
        let mut ids: Vec<KeyId> = recipients.iter().map(EncryptionPublicKey::key_id).collect();
        ids.sort();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(EnvelopeError::Unsealable(
                "a recipient is listed twice".into(),
            ));
        }
        if parts.is_empty() || parts.len() > commitment::MAX_PARTS {
            return Err(EnvelopeError::Unsealable("part count out of range".into()));
        }
        let plaintext = Zeroizing::new(commitment::encode_parts(parts));
        if plaintext.len() as u64 + ((plaintext.len() / CHUNK_LEN + 1) * TAG_LEN) as u64
            > MAX_CIPHERTEXT_LEN
        {
            return Err(EnvelopeError::Unsealable("content too large".into()));
        }
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        let header = Header {
            suite,
            channel,
            sender: sender.key_id(),
            nonce,
            commitment: commitment::commit(parts),
        };
        let aad = header.to_bytes();
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        let ciphertext = stream_encrypt(&key, &aad, &plaintext);

        let mut stanzas = Vec::with_capacity(recipients.len());
        for r in recipients {
            let (enc, wrapped) =
                hpke_suite::seal_base(r, suite.hpke_info(), &aad, key.as_ref(), rng).map_err(
                    |_| {
                        EnvelopeError::Unsealable(format!(
                            "recipient key {} is not a valid {suite} key",
                            r.key_id().short()
                        ))
                    },
                )?;
            let wrapped: [u8; 48] = wrapped
                .try_into()
                .map_err(|_| EnvelopeError::Unsealable("unexpected HPKE output length".into()))?;
            stanzas.push(Stanza {
                recipient: r.key_id(),
                enc,
                wrapped,
            });
        }
        let digests: Vec<Digest32> = if suite.indexed() {
            stanzas.iter().map(Stanza::sealed_sha256).collect()
        } else {
            Vec::new()
        };
        let (_, stanzas_sha256) = encode_block(suite, &stanzas, &digests);
        let head = Head {
            header,
            // Bounded by MAX_RECIPIENTS above.
            recipient_count: stanzas.len() as u32,
            stanzas_sha256,
            ciphertext_len: ciphertext.len() as u64,
            ciphertext_sha256: sha256(&ciphertext),
        };
        let signature = sender.sign(&head.signing_input());
        Ok(Envelope {
            signed_head: SignedHead { head, signature },
            stanzas,
            digests,
            ciphertext,
        })
    }

    /// Seals a message: splits it into freshly salted parts and seals them.
    /// Returns the parts too (the sender keeps them for its archive).
    pub fn seal_message(
        message: &Message,
        sender: &SigningKey,
        recipients: &[EncryptionPublicKey],
        rng: &mut impl CryptoRngCore,
    ) -> Result<(Envelope, Vec<Part>), EnvelopeError> {
        if message.header.author != sender.key_id() {
            return Err(EnvelopeError::Unsealable(
                "the message's author is not the signing key".into(),
            ));
        }
        let parts = message.to_parts(rng)?;
        let env = Envelope::seal(message.header.channel, sender, recipients, &parts, rng)?;
        Ok((env, parts))
    }

    /// The signed head (the log entry).
    pub fn signed_head(&self) -> &SignedHead {
        &self.signed_head
    }

    /// The recipient stanzas.
    pub fn stanzas(&self) -> &[Stanza] {
        &self.stanzas
    }

    fn stanzas_len(&self) -> usize {
        self.stanzas.len() * self.signed_head.head.header.suite.stanza_len()
    }

    /// The encoded stanza block (the head's `stanzas_sha256` covers it).
    pub fn stanza_bytes(&self) -> Vec<u8> {
        encode_block(
            self.signed_head.head.header.suite,
            &self.stanzas,
            &self.digests,
        )
        .0
    }

    /// The ciphertext.
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// The whole envelope's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(SIGNED_HEAD_LEN + self.stanzas_len() + self.ciphertext.len());
        out.extend_from_slice(&self.signed_head.to_bytes());
        out.extend_from_slice(&self.stanza_bytes());
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Parses an envelope and checks its whole body against the head's
    /// hashes and sizes (it does not check the signature: see
    /// [`Envelope::open`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        Self::read(bytes, Check::Every)
    }

    /// As [`Envelope::from_bytes`], for a reader that opens its own stanza
    /// and no other: in `hotline-v2-xwing` the other recipients' sealed
    /// keys are not hashed (their index entries, which the head covers,
    /// are), and [`Envelope::open_verified`] checks the one it opens, so a
    /// sealed key altered after signing is still [`EnvelopeError::BodyMismatch`]
    /// (not the sender's fault) for the recipient it was for. The same as
    /// `from_bytes` in `hotline-v1`, whose block is hashed whole.
    pub fn from_bytes_for_opening(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        Self::read(bytes, Check::WhenOpened)
    }

    fn read(bytes: &[u8], check: Check) -> Result<Envelope, EnvelopeError> {
        let mut r = Reader::new(bytes, "envelope");
        let signed_head = SignedHead::read(&mut r)?;
        // At most MAX_RECIPIENTS × 1,232 bytes, which fits in usize.
        let stanza_bytes = r.take(signed_head.head.stanzas_len() as usize)?;
        // ciphertext_len is bounded by MAX_CIPHERTEXT_LEN, which fits in usize.
        let ciphertext = r.take(signed_head.head.ciphertext_len as usize)?.to_vec();
        r.finish()?;
        Self::assemble(signed_head, stanza_bytes, ciphertext, check)
    }

    /// Reassembles an envelope from a signed head and its separately carried
    /// stanzas and ciphertext, checking hashes and sizes.
    pub fn from_parts(
        signed_head: SignedHead,
        stanza_bytes: &[u8],
        ciphertext: Vec<u8>,
    ) -> Result<Envelope, EnvelopeError> {
        Self::assemble(signed_head, stanza_bytes, ciphertext, Check::Every)
    }

    fn assemble(
        signed_head: SignedHead,
        stanza_bytes: &[u8],
        ciphertext: Vec<u8>,
        check: Check,
    ) -> Result<Envelope, EnvelopeError> {
        let head = &signed_head.head;
        if stanza_bytes.len() as u64 != head.stanzas_len()
            || ciphertext.len() as u64 != head.ciphertext_len
            || sha256(&ciphertext) != head.ciphertext_sha256
        {
            return Err(EnvelopeError::BodyMismatch);
        }
        let (stanzas, digests) = parse_block(head, stanza_bytes, check)?;
        Ok(Envelope {
            signed_head,
            stanzas,
            digests,
            ciphertext,
        })
    }

    /// Verifies, unwraps, decrypts and checks the content against the commitment.
    pub fn open(
        &self,
        sender: &VerifyingKey,
        recipient: &EncryptionSecretKey,
    ) -> Result<Opened, EnvelopeError> {
        let head = self.signed_head.verified(sender)?;
        self.open_verified(&head, &Recipient::new(recipient)?)
    }

    /// As [`Envelope::open`], with the head's signature already verified:
    /// `head` must be this envelope's head (else
    /// [`EnvelopeError::Inconsistent`]); its signature is not checked again.
    pub fn open_verified(
        &self,
        head: &VerifiedHead,
        recipient: &Recipient,
    ) -> Result<Opened, EnvelopeError> {
        if head.head != self.signed_head {
            return Err(EnvelopeError::Inconsistent(
                "the verified head is not this envelope's head",
            ));
        }
        let header = self.signed_head.head.header;
        if recipient.suite != header.suite {
            return Err(EnvelopeError::Inconsistent(
                "the envelope's suite is not the recipient key's",
            ));
        }
        let my_id = recipient.id;
        let at = self
            .stanzas
            .iter()
            .position(|s| s.recipient == my_id)
            .ok_or(EnvelopeError::NotARecipient(my_id))?;
        let stanza = &self.stanzas[at];
        // The index entry, which the signed head covers, names this sealed
        // key's hash: another one was put there after signing.
        if let Some(d) = self.digests.get(at)
            && stanza.sealed_sha256() != *d
        {
            return Err(EnvelopeError::BodyMismatch);
        }
        let aad = header.to_bytes();
        let key = Zeroizing::new(recipient.key.open(
            &stanza.enc,
            header.suite.hpke_info(),
            &aad,
            &stanza.wrapped,
        )?);
        let key: &[u8; 32] = key.as_slice().try_into().map_err(|_| CryptoError)?;
        let plaintext = stream_decrypt(key, &aad, &self.ciphertext)?;
        let parts =
            commitment::decode_parts(&plaintext).map_err(|_| EnvelopeError::CommitmentMismatch)?;
        if commitment::commit(&parts) != header.commitment {
            return Err(EnvelopeError::CommitmentMismatch);
        }
        let message = Message::from_parts(&parts)?;
        if message.header.channel != header.channel {
            return Err(EnvelopeError::Inconsistent("channel differs"));
        }
        if message.header.author != header.sender {
            return Err(EnvelopeError::Inconsistent(
                "author differs from the signing sender",
            ));
        }
        Ok(Opened {
            head: self.signed_head,
            parts,
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MessageId;
    use crate::keys::MemberKeys;
    use crate::message::{AttachmentMeta, InnerHeader, Kind, Tlp, sha256_hex};
    use rand_core::OsRng;

    fn message(author: &SigningKey, channel: ChannelId, attachment: Vec<u8>) -> Message {
        let id = MessageId::random(&mut OsRng);
        Message {
            header: InnerHeader {
                v: 1,
                channel,
                id,
                case: id,
                kind: Kind::Inquiry,
                author: author.key_id(),
                party: KeyId([5; 32]),
                created: "2026-11-22T10:00:00Z".into(),
                to: vec![KeyId([6; 32])],
                refs: vec![],
                title: "Intrusions".into(),
                tlp: Tlp::Amber,
                norm: None,
                lang: "en".into(),
                other_langs: vec![],
                authentic: vec![],
                attachments: vec![AttachmentMeta {
                    name: "a.bin".into(),
                    media_type: "application/octet-stream".into(),
                    size: attachment.len() as u64,
                    sha256: sha256_hex(&attachment),
                }],
                stix: false,
                nonce: "00112233445566778899aabbccddeeff".into(),
            },
            body: "Body".into(),
            other_bodies: vec![],
            attachments: vec![attachment],
            stix: None,
        }
    }

    #[test]
    fn seal_open_roundtrip_many_recipients_and_chunk_sizes() {
        let alice = MemberKeys::generate(&mut OsRng);
        let recips: Vec<MemberKeys> = (0..3).map(|_| MemberKeys::generate(&mut OsRng)).collect();
        for suite in Suite::ALL {
            let key = |k: &MemberKeys| k.encryption_for(suite).unwrap().clone();
            let pks: Vec<_> = recips.iter().map(|k| key(k).public_key()).collect();
            for size in [0usize, 1, CHUNK_LEN - 300, CHUNK_LEN * 2 + 5] {
                let m = message(&alice.signing, ChannelId([1; 16]), vec![7u8; size]);
                let (env, parts) =
                    Envelope::seal_message(&m, &alice.signing, &pks, &mut OsRng).unwrap();
                let bytes = env.to_bytes();
                assert_eq!(bytes[4], suite.id());
                assert_eq!(
                    bytes.len(),
                    SIGNED_HEAD_LEN + 3 * suite.stanza_len() + env.ciphertext().len()
                );
                let env2 = Envelope::from_bytes(&bytes).unwrap();
                for r in &recips {
                    let o = env2.open(&alice.signing.verifying_key(), &key(r)).unwrap();
                    assert_eq!(o.message, m);
                    assert_eq!(o.parts, parts);
                }
                // The same member's key of the other suite opens nothing.
                let other = Suite::ALL.into_iter().find(|s| *s != suite).unwrap();
                assert!(matches!(
                    env2.open(
                        &alice.signing.verifying_key(),
                        recips[0].encryption_for(other).unwrap()
                    ),
                    Err(EnvelopeError::Inconsistent(_))
                ));
            }
        }
    }

    #[test]
    fn one_envelope_has_one_suite() {
        let alice = MemberKeys::generate(&mut OsRng);
        let bob = MemberKeys::generate(&mut OsRng);
        let mixed = [
            bob.encryption.public_key(),
            bob.xwing.as_ref().unwrap().public_key(),
        ];
        let m = message(&alice.signing, ChannelId([1; 16]), vec![1]);
        assert!(matches!(
            Envelope::seal_message(&m, &alice.signing, &mixed, &mut OsRng),
            Err(EnvelopeError::Unsealable(_))
        ));
        // A head whose suite byte says X-Wing over v1 stanzas: the stanza
        // lengths no longer add up, so it is malformed, not misread.
        let (env, _) = Envelope::seal_message(&m, &alice.signing, &mixed[..1], &mut OsRng).unwrap();
        let mut bytes = env.to_bytes();
        bytes[4] = Suite::XWing.id();
        assert!(Envelope::from_bytes(&bytes).is_err());
        bytes[4] = 3;
        assert!(matches!(
            Envelope::from_bytes(&bytes),
            Err(EnvelopeError::Malformed(_))
        ));
    }

    #[test]
    fn open_verified_takes_only_a_proof_of_its_own_head() {
        let alice = MemberKeys::generate(&mut OsRng);
        let bob = MemberKeys::generate(&mut OsRng);
        let to = [bob.encryption.public_key()];
        let seal = || {
            let m = message(&alice.signing, ChannelId([1; 16]), vec![1]);
            Envelope::seal_message(&m, &alice.signing, &to, &mut OsRng)
                .unwrap()
                .0
        };
        let (env, other) = (seal(), seal());
        let vk = alice.signing.verifying_key();
        let proof = env.signed_head().verified(&vk).unwrap();
        assert_eq!(
            env.open_verified(&proof, &Recipient::new(&bob.encryption).unwrap())
                .unwrap()
                .message,
            env.open(&vk, &bob.encryption).unwrap().message
        );
        assert!(matches!(
            other.open_verified(&proof, &Recipient::new(&bob.encryption).unwrap()),
            Err(EnvelopeError::Inconsistent(_))
        ));
        // No proof for a signature that does not verify.
        let mut forged = *env.signed_head();
        forged.signature.0[0] ^= 1;
        assert!(matches!(
            forged.verified(&vk),
            Err(EnvelopeError::BadSignature)
        ));
        assert!(matches!(
            env.signed_head().verified(&bob.signing.verifying_key()),
            Err(EnvelopeError::WrongSender { .. })
        ));
    }

    #[test]
    fn wrong_recipient_wrong_sender_and_tamper_are_rejected() {
        let alice = MemberKeys::generate(&mut OsRng);
        let bob = MemberKeys::generate(&mut OsRng);
        let eve = MemberKeys::generate(&mut OsRng);
        let m = message(&alice.signing, ChannelId([1; 16]), vec![1, 2, 3]);
        let (env, _) = Envelope::seal_message(
            &m,
            &alice.signing,
            &[bob.encryption.public_key()],
            &mut OsRng,
        )
        .unwrap();
        assert!(matches!(
            env.open(&alice.signing.verifying_key(), &eve.encryption),
            Err(EnvelopeError::NotARecipient(_))
        ));
        assert!(matches!(
            env.open(&eve.signing.verifying_key(), &bob.encryption),
            Err(EnvelopeError::WrongSender { .. })
        ));
        let bytes = env.to_bytes();
        for i in [0, 10, 60, 150, 200, SIGNED_HEAD_LEN + 3, bytes.len() - 1] {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            let r = Envelope::from_bytes(&b)
                .and_then(|e| e.open(&alice.signing.verifying_key(), &bob.encryption));
            assert!(r.is_err(), "flipping byte {i} was not caught");
        }
    }

    /// A dishonest sender wraps a different content key for one recipient,
    /// or signs a commitment to other content: both must be refused.
    #[test]
    fn content_that_differs_from_the_commitment_is_rejected() {
        let alice = MemberKeys::generate(&mut OsRng);
        let bob = MemberKeys::generate(&mut OsRng);
        let carol = MemberKeys::generate(&mut OsRng);
        let m = message(&alice.signing, ChannelId([1; 16]), vec![1, 2, 3]);
        let honest = m.to_parts(&mut OsRng).unwrap();
        let mut other = m.clone();
        other.body = "Something else".into();
        let other_parts = other.to_parts(&mut OsRng).unwrap();

        // Commitment to `honest`, content `other_parts`, properly signed.
        let header = Header {
            suite: Suite::V1,
            channel: ChannelId([1; 16]),
            sender: alice.signing.key_id(),
            nonce: [3; 16],
            commitment: commitment::commit(&honest),
        };
        let aad = header.to_bytes();
        let key = [9u8; 32];
        let ciphertext = stream_encrypt(&key, &aad, &commitment::encode_parts(&other_parts));
        let mut stanzas = Vec::new();
        for (r, k) in [(&bob, key), (&carol, [8u8; 32])] {
            let (enc, wrapped) =
                hpke_suite::seal_base(&r.encryption.public_key(), HPKE_INFO, &aad, &k, &mut OsRng)
                    .unwrap();
            let s = Stanza {
                recipient: r.encryption.key_id(),
                enc,
                wrapped: wrapped.try_into().unwrap(),
            };
            s.write(&mut stanzas);
        }
        let head = Head {
            header,
            recipient_count: 2,
            stanzas_sha256: sha256(&stanzas),
            ciphertext_len: ciphertext.len() as u64,
            ciphertext_sha256: sha256(&ciphertext),
        };
        let sh = SignedHead {
            head,
            signature: alice.signing.sign(&head.signing_input()),
        };
        let env = Envelope::from_parts(sh, &stanzas, ciphertext).unwrap();
        assert_eq!(
            env.open(&alice.signing.verifying_key(), &bob.encryption)
                .unwrap_err(),
            EnvelopeError::CommitmentMismatch
        );
        assert!(matches!(
            env.open(&alice.signing.verifying_key(), &carol.encryption)
                .unwrap_err(),
            EnvelopeError::Crypto(_)
        ));
    }

    #[test]
    fn signed_head_is_compact_and_roundtrips() {
        let alice = MemberKeys::generate(&mut OsRng);
        let m = message(&alice.signing, ChannelId([1; 16]), vec![0; 100_000]);
        let (env, _) = Envelope::seal_message(
            &m,
            &alice.signing,
            &[alice.encryption.public_key()],
            &mut OsRng,
        )
        .unwrap();
        let sh = env.signed_head().to_bytes();
        assert_eq!(sh.len(), 241);
        assert_eq!(SignedHead::from_bytes(&sh).unwrap(), *env.signed_head());
        env.signed_head()
            .verify(&alice.signing.verifying_key())
            .unwrap();
    }

    /// A hotline-v2-xwing envelope to three, sealed keys of 1,168 bytes
    /// after a 64-byte index entry each, and its recipients' keys.
    fn xwing_to_three() -> (Vec<u8>, VerifyingKey, Vec<EncryptionSecretKey>) {
        let alice = MemberKeys::generate(&mut OsRng);
        let to: Vec<EncryptionSecretKey> = (0..3)
            .map(|_| {
                MemberKeys::generate(&mut OsRng)
                    .encryption_for(Suite::XWing)
                    .unwrap()
                    .clone()
            })
            .collect();
        let pks: Vec<_> = to.iter().map(EncryptionSecretKey::public_key).collect();
        let m = message(&alice.signing, ChannelId([2; 16]), vec![7; 10]);
        let (env, _) = Envelope::seal_message(&m, &alice.signing, &pks, &mut OsRng).unwrap();
        (env.to_bytes(), alice.signing.verifying_key(), to)
    }

    #[test]
    fn a_sealed_key_altered_after_signing_is_the_relays_doing_for_its_recipient_only() {
        let (good, vk, to) = xwing_to_three();
        let sealed_at = SIGNED_HEAD_LEN + 3 * hpke_suite::INDEX_ENTRY_LEN;
        let mut bad = good.clone();
        // The second recipient's encapsulation.
        bad[sealed_at + Suite::XWing.sealed_len() + 100] ^= 0x80;
        // The relay's full check and `from_bytes` refuse it.
        let sh = SignedHead::from_bytes(&bad[..SIGNED_HEAD_LEN]).unwrap();
        assert!(stanzas_match(
            &sh.head,
            &good[SIGNED_HEAD_LEN..SIGNED_HEAD_LEN + 3 * 1232]
        ));
        assert!(!stanzas_match(
            &sh.head,
            &bad[SIGNED_HEAD_LEN..SIGNED_HEAD_LEN + 3 * 1232]
        ));
        assert_eq!(Envelope::from_bytes(&bad), Err(EnvelopeError::BodyMismatch));
        // A recipient's reading: the others open it; the one whose sealed
        // key it was sees a body mismatch (the relay), not a key that does
        // not open (which would be the sender's).
        let env = Envelope::from_bytes_for_opening(&bad).unwrap();
        for (i, k) in to.iter().enumerate() {
            let r = env.open(&vk, k);
            if i == 1 {
                assert_eq!(r.unwrap_err(), EnvelopeError::BodyMismatch);
            } else {
                assert_eq!(r.unwrap().message.body, "Body");
            }
        }
    }

    #[test]
    fn a_recipient_renamed_in_the_index_is_caught_by_every_reader() {
        // Renaming a recipient would hide the envelope from it ("not ours")
        // if the ids were not covered by the head's hash.
        let (good, vk, to) = xwing_to_three();
        let mut bad = good.clone();
        bad[SIGNED_HEAD_LEN + hpke_suite::INDEX_ENTRY_LEN] ^= 0x01;
        assert_eq!(Envelope::from_bytes(&bad), Err(EnvelopeError::BodyMismatch));
        assert_eq!(
            Envelope::from_bytes_for_opening(&bad),
            Err(EnvelopeError::BodyMismatch)
        );
        let env = Envelope::from_bytes_for_opening(&good).unwrap();
        assert!(env.open(&vk, &to[1]).is_ok());
        // Read for opening and written back, an envelope is the bytes
        // served, another recipient's altered sealed key included.
        let mut other = good.clone();
        other[SIGNED_HEAD_LEN + 3 * 64 + 5] ^= 0x01;
        let env = Envelope::from_bytes_for_opening(&other).unwrap();
        assert_eq!(env.to_bytes(), other);
        assert!(env.open(&vk, &to[1]).is_ok());
    }

    #[test]
    fn the_xwing_block_is_an_index_then_the_sealed_keys() {
        let (good, _, to) = xwing_to_three();
        let env = Envelope::from_bytes(&good).unwrap();
        let block = env.stanza_bytes();
        assert_eq!(block.len(), 3 * 1232);
        assert_eq!(
            sha256(&block[..3 * 64]),
            env.signed_head().head.stanzas_sha256
        );
        for (i, s) in env.stanzas().iter().enumerate() {
            assert_eq!(s.recipient, to[i].key_id());
            assert_eq!(&block[i * 64..i * 64 + 32], &s.recipient.0);
            let sealed = &block[3 * 64 + i * 1168..3 * 64 + (i + 1) * 1168];
            assert_eq!(&block[i * 64 + 32..i * 64 + 64], &sha256(sealed));
            assert_eq!(&sealed[..1120], &s.enc[..]);
        }
    }
}
