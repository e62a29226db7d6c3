//! Profiles: a folder holding a party's and/or a member's keys (`docs/profiles.md`).
//!
//! ```text
//! DIR/profile.json   public: names, public keys and key ids (not secret)
//! DIR/party.key      the party's Ed25519 key, age-encrypted with the passphrase
//! DIR/member.key     the member's Ed25519 + X25519 keys, age-encrypted
//! DIR/retired/       member keys replaced by `hotline key rotate`, kept
//!                    (encrypted) to open what was sealed to them
//! ```
//!
//! Key files are age files (C2SP `age.md`) with a single scrypt
//! passphrase stanza: scrypt is memory-hard, and any age implementation can
//! decrypt them for recovery. The plaintext is a small JSON object. Files are
//! written atomically with mode 0600, and nothing existing is ever
//! overwritten.

use std::path::{Path, PathBuf};

use hotline_core::charter::Suite;
use hotline_core::keys::{
    EncryptionPublicKey, EncryptionSecretKey, KeyId, MemberKeys, SigningKey, VerifyingKey,
};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keyring::Keyring;
use hotline_store::files;
use hotline_store::keyfile::{self, KeyFileError};
pub use hotline_store::keyfile::{KdfStrength, MIN_PASSPHRASE_LEN, PASSPHRASE_ENV, Passphrase};

/// Why a profile operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// No profile in that folder.
    #[error("no Hotline profile in {0}: create one with `hotline init --profile {0}`")]
    NotFound(PathBuf),
    /// A profile (or one of its key files) exists already.
    #[error("{0} already exists; refusing to overwrite keys (choose another --profile folder)")]
    Exists(PathBuf),
    /// The profile has no key of that kind.
    #[error("this profile has no {0} key")]
    NoSuchKey(&'static str),
    /// Wrong passphrase, or a damaged key file (deliberately not told apart).
    #[error("cannot decrypt {0}: wrong passphrase or damaged key file")]
    Unlock(PathBuf),
    /// A file is not in the expected format.
    #[error("{path} is damaged or not a Hotline file: {detail}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The passphrase is too weak to protect keys.
    #[error("the passphrase must be at least {MIN_PASSPHRASE_LEN} characters")]
    WeakPassphrase,
    /// The request itself is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing failed.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl From<KeyFileError> for ProfileError {
    fn from(e: KeyFileError) -> Self {
        match e {
            KeyFileError::Exists(p) => ProfileError::Exists(p),
            KeyFileError::Unlock(p) => ProfileError::Unlock(p),
            KeyFileError::NotAKeyFile(p) => ProfileError::Corrupt {
                path: p,
                detail: "not a passphrase-encrypted key file".into(),
            },
            KeyFileError::WeakPassphrase => ProfileError::WeakPassphrase,
            KeyFileError::Io { context, source } => ProfileError::Io { context, source },
            other => ProfileError::Invalid(other.to_string()),
        }
    }
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ProfileError {
    let context = context.into();
    move |source| ProfileError::Io { context, source }
}

/// Public facts about a party, as stored in `profile.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyInfo {
    /// Display name.
    pub name: String,
    /// Short handle.
    pub short: String,
    /// Party id (key id of the party key).
    pub id: KeyId,
    /// Party public key, base64.
    pub key: String,
}

/// Public facts about a member, as stored in `profile.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberInfo {
    /// Display name.
    pub name: String,
    /// Signing key id.
    pub signing_key_id: KeyId,
    /// Signing public key, base64.
    pub signing_key: String,
    /// Encryption key id (X25519, for `hotline-v1` channels).
    pub encryption_key_id: KeyId,
    /// Encryption public key (X25519), base64.
    pub encryption_key: String,
    /// X-Wing encryption key id, for `hotline-v2-xwing` channels; absent in
    /// a profile made before that suite, until its keys are rotated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xwing_key_id: Option<KeyId>,
    /// X-Wing encryption public key (1,216 bytes), base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xwing_key: Option<String>,
}

/// The public half of a profile (`profile.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInfo {
    /// Format version; 1.
    pub v: u8,
    /// When created, RFC 3339.
    pub created: String,
    /// The party, if this profile holds a party key (or belongs to a party).
    pub party: Option<PartyInfo>,
    /// The member, if this profile holds member keys.
    pub member: Option<MemberInfo>,
}

/// What to create.
#[derive(Debug, Clone, Default)]
pub struct NewProfile {
    /// Create a party key: (display name, short handle).
    pub party: Option<(String, String)>,
    /// Create member keys with this display name.
    pub member: Option<String>,
}

/// An opened profile folder (keys still locked).
#[derive(Debug, Clone)]
pub struct Profile {
    dir: PathBuf,
    info: ProfileInfo,
}

/// A key file's plaintext, decoded: its strings hold the secrets (base64),
/// so they are wiped when it is dropped.
#[derive(Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: String,
    v: u8,
    signing_seed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encryption_secret: Option<String>,
    /// The X-Wing seed (member keys made since the X-Wing suite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    xwing_secret: Option<String>,
}

const PARTY_KEY_TYPE: &str = "hotline.party-key";
const MEMBER_KEY_TYPE: &str = "hotline.member-key";

fn valid_short(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Profile {
    /// The default profile folder: `<user data dir>/hotline/default`.
    pub fn default_dir() -> Option<PathBuf> {
        dirs::data_dir().map(|d| d.join("hotline").join("default"))
    }

    /// Creates keys in `dir` (created if missing) and writes them encrypted.
    pub fn create(
        dir: &Path,
        what: &NewProfile,
        pass: &Passphrase,
        kdf: KdfStrength,
    ) -> Result<Profile, ProfileError> {
        if what.party.is_none() && what.member.is_none() {
            return Err(ProfileError::Invalid(
                "nothing to create: ask for a party key (--party-name), member keys (--member-name), or both".into(),
            ));
        }
        if pass.len() < MIN_PASSPHRASE_LEN {
            return Err(ProfileError::WeakPassphrase);
        }
        if let Some((name, short)) = &what.party {
            if name.trim().is_empty() {
                return Err(ProfileError::Invalid("the party name is empty".into()));
            }
            if !valid_short(short) {
                return Err(ProfileError::Invalid(format!(
                    "party short name {short:?}: use 1-32 lower-case letters, digits and '-'"
                )));
            }
        }
        if what.member.as_ref().is_some_and(|m| m.trim().is_empty()) {
            return Err(ProfileError::Invalid("the member name is empty".into()));
        }
        let info_path = dir.join("profile.json");
        if info_path.exists() {
            return Err(ProfileError::Exists(info_path));
        }
        files::create_private_dir(dir).map_err(io_err(format!("creating {}", dir.display())))?;

        let mut info = ProfileInfo {
            v: 1,
            created: now_rfc3339(),
            party: None,
            member: None,
        };
        if let Some((name, short)) = &what.party {
            let key = SigningKey::generate(&mut OsRng);
            let file = KeyFile {
                kind: PARTY_KEY_TYPE.into(),
                v: 1,
                signing_seed: hotline_core::b64::encode(key.seed().as_ref()),
                encryption_secret: None,
                xwing_secret: None,
            };
            write_key_file(&dir.join("party.key"), &file, pass, kdf)?;
            let vk = key.verifying_key();
            info.party = Some(PartyInfo {
                name: name.clone(),
                short: short.clone(),
                id: vk.key_id(),
                key: vk.to_base64(),
            });
        }
        if let Some(name) = &what.member {
            let keys = MemberKeys::generate(&mut OsRng);
            write_key_file(&dir.join("member.key"), &member_key_file(&keys), pass, kdf)?;
            info.member = Some(member_info(name, &keys));
        }
        let json =
            serde_json::to_vec_pretty(&info).map_err(|e| ProfileError::Invalid(e.to_string()))?;
        files::write_atomic(&info_path, &json, false, true).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => ProfileError::Exists(info_path.clone()),
            _ => ProfileError::Io {
                context: format!("writing {}", info_path.display()),
                source: e,
            },
        })?;
        Ok(Profile {
            dir: dir.to_owned(),
            info,
        })
    }

    /// Opens the profile in `dir`.
    pub fn open(dir: &Path) -> Result<Profile, ProfileError> {
        let path = dir.join("profile.json");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ProfileError::NotFound(dir.to_owned()));
            }
            Err(e) => return Err(io_err(format!("reading {}", path.display()))(e)),
        };
        let info: ProfileInfo =
            serde_json::from_slice(&bytes).map_err(|e| ProfileError::Corrupt {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        if info.v != 1 {
            return Err(ProfileError::Corrupt {
                path,
                detail: format!("unsupported version {}", info.v),
            });
        }
        Ok(Profile {
            dir: dir.to_owned(),
            info,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The public information.
    pub fn info(&self) -> &ProfileInfo {
        &self.info
    }

    /// Decrypts the party key and checks it matches `profile.json`.
    pub fn unlock_party(&self, pass: &Passphrase) -> Result<SigningKey, ProfileError> {
        let party = self
            .info
            .party
            .as_ref()
            .ok_or(ProfileError::NoSuchKey("party"))?;
        let path = self.dir.join("party.key");
        let file = read_key_file(&path, pass, PARTY_KEY_TYPE)?;
        let key = SigningKey::from_seed(&*decode32(&path, &file.signing_seed)?);
        if key.key_id() != party.id {
            return Err(corrupt(&path, "the key does not match profile.json"));
        }
        Ok(key)
    }

    /// Decrypts the member keys and checks they match `profile.json`.
    pub fn unlock_member(&self, pass: &Passphrase) -> Result<MemberKeys, ProfileError> {
        let member = self
            .info
            .member
            .as_ref()
            .ok_or(ProfileError::NoSuchKey("member"))?;
        // A rotation that committed (profile.json names the new keys) but
        // stopped before moving its key file into place.
        let next = self.dir.join(NEXT_MEMBER_KEY);
        if next.exists()
            && let Ok(f) = read_key_file(&next, pass, MEMBER_KEY_TYPE)
            && let Ok(seed) = decode32(&next, &f.signing_seed)
            && SigningKey::from_seed(&seed).key_id() == member.signing_key_id
        {
            self.move_next_into_place()?;
        }
        let path = self.dir.join("member.key");
        let keys = read_member_keys(&path, pass)?;
        if keys.signing.key_id() != member.signing_key_id
            || keys.encryption.key_id() != member.encryption_key_id
            || keys.xwing.as_ref().map(EncryptionSecretKey::key_id) != member.xwing_key_id
        {
            return Err(corrupt(&path, "the keys do not match profile.json"));
        }
        Ok(keys)
    }
}

impl Profile {
    /// Replaces the member keys with fresh ones (`hotline key rotate`) and
    /// returns the public records of the old and the new pair. The old pair
    /// is kept, encrypted as before, in `retired/` so that what was sealed
    /// to it can still be opened; the new one is written with `pass`.
    ///
    /// The step that commits the rotation is the atomic rewrite of
    /// `profile.json`: before it, the profile is unchanged; after it, the
    /// new key file is moved into place (again by [`Profile::unlock_member`]
    /// if a crash came between the two).
    pub fn rotate_member(
        &mut self,
        pass: &Passphrase,
        kdf: KdfStrength,
    ) -> Result<(MemberInfo, MemberInfo), ProfileError> {
        let old_info = self
            .info
            .member
            .clone()
            .ok_or(ProfileError::NoSuchKey("member"))?;
        // The passphrase must open the current keys: one passphrase per profile.
        self.unlock_member(pass)?;
        let current = self.dir.join("member.key");
        let retired_dir = self.dir.join(RETIRED_DIR);
        files::create_private_dir(&retired_dir)
            .map_err(io_err(format!("creating {}", retired_dir.display())))?;
        let retired = retired_dir.join(format!("member-{}.key", old_info.signing_key_id));
        let bytes =
            std::fs::read(&current).map_err(io_err(format!("reading {}", current.display())))?;
        if !retired.exists() {
            files::write_atomic(&retired, &bytes, true, true)
                .map_err(io_err(format!("writing {}", retired.display())))?;
        }

        let keys = MemberKeys::generate(&mut OsRng);
        let next = self.dir.join(NEXT_MEMBER_KEY);
        if next.exists() {
            // Left by a rotation that did not commit.
            std::fs::remove_file(&next).map_err(io_err(format!("removing {}", next.display())))?;
        }
        write_key_file(&next, &member_key_file(&keys), pass, kdf)?;

        let mut info = self.info.clone();
        let new_info = member_info(&old_info.name, &keys);
        info.member = Some(new_info.clone());
        let json =
            serde_json::to_vec_pretty(&info).map_err(|e| ProfileError::Invalid(e.to_string()))?;
        let path = self.dir.join("profile.json");
        files::write_atomic(&path, &json, false, false)
            .map_err(io_err(format!("writing {}", path.display())))?;
        self.info = info;
        self.move_next_into_place()?;
        Ok((old_info, new_info))
    }

    /// Moves the new key file of a committed rotation into place.
    fn move_next_into_place(&self) -> Result<(), ProfileError> {
        let next = self.dir.join(NEXT_MEMBER_KEY);
        let current = self.dir.join("member.key");
        std::fs::rename(&next, &current)
            .map_err(io_err(format!("moving {} into place", next.display())))?;
        files::sync_dir(&self.dir).map_err(io_err(format!("syncing {}", self.dir.display())))
    }

    /// The member pairs retired by rotations, newest first.
    pub fn unlock_retired(&self, pass: &Passphrase) -> Result<Vec<MemberKeys>, ProfileError> {
        let dir = self.dir.join(RETIRED_DIR);
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(io_err(format!("reading {}", dir.display()))(e)),
        };
        let mut paths = Vec::new();
        for e in entries {
            let e = e.map_err(io_err(format!("reading {}", dir.display())))?;
            let path = e.path();
            if path.extension().is_some_and(|x| x == "key") {
                let modified = e.metadata().and_then(|m| m.modified()).ok();
                paths.push((modified, path));
            }
        }
        paths.sort();
        for (_, path) in paths.into_iter().rev() {
            out.push(read_member_keys(&path, pass)?);
        }
        Ok(out)
    }

    /// The current member pair and the retired ones.
    pub fn unlock_keyring(&self, pass: &Passphrase) -> Result<Keyring, ProfileError> {
        Ok(Keyring {
            current: self.unlock_member(pass)?,
            retired: self.unlock_retired(pass)?,
        })
    }
}

/// Where retired member key files are kept.
pub const RETIRED_DIR: &str = "retired";
const NEXT_MEMBER_KEY: &str = "member.key.next";

/// The public record of member keys.
pub fn member_info(name: &str, keys: &MemberKeys) -> MemberInfo {
    let pk: EncryptionPublicKey = keys.encryption.public_key();
    let vk: VerifyingKey = keys.signing.verifying_key();
    let xwing = keys.xwing.as_ref().map(EncryptionSecretKey::public_key);
    MemberInfo {
        name: name.to_owned(),
        signing_key_id: vk.key_id(),
        signing_key: vk.to_base64(),
        encryption_key_id: pk.key_id(),
        encryption_key: pk.to_base64(),
        xwing_key_id: xwing.as_ref().map(EncryptionPublicKey::key_id),
        xwing_key: xwing.as_ref().map(EncryptionPublicKey::to_base64),
    }
}

fn corrupt(path: &Path, detail: &str) -> ProfileError {
    ProfileError::Corrupt {
        path: path.to_owned(),
        detail: detail.to_owned(),
    }
}

fn decode32(path: &Path, s: &str) -> Result<Zeroizing<[u8; 32]>, ProfileError> {
    hotline_core::b64::decode_array::<32>(s, "key")
        .map(Zeroizing::new)
        .map_err(|_| corrupt(path, "a key is not 32 bytes of base64"))
}

fn write_key_file(
    path: &Path,
    file: &KeyFile,
    pass: &Passphrase,
    kdf: KdfStrength,
) -> Result<(), ProfileError> {
    let plaintext =
        Zeroizing::new(serde_json::to_vec(file).map_err(|e| ProfileError::Invalid(e.to_string()))?);
    Ok(keyfile::write(path, &plaintext, pass, kdf)?)
}

/// The key file of a member pair.
fn member_key_file(keys: &MemberKeys) -> KeyFile {
    KeyFile {
        kind: MEMBER_KEY_TYPE.into(),
        v: 1,
        signing_seed: hotline_core::b64::encode(keys.signing.seed().as_ref()),
        encryption_secret: Some(hotline_core::b64::encode(
            keys.encryption.to_bytes().as_ref(),
        )),
        xwing_secret: keys
            .xwing
            .as_ref()
            .map(|k| hotline_core::b64::encode(k.to_bytes().as_ref())),
    }
}

/// Decrypts and decodes a member key file (current or retired).
fn read_member_keys(path: &Path, pass: &Passphrase) -> Result<MemberKeys, ProfileError> {
    let file = read_key_file(path, pass, MEMBER_KEY_TYPE)?;
    let enc = file
        .encryption_secret
        .as_deref()
        .ok_or_else(|| corrupt(path, "no encryption key"))?;
    let xwing = match file.xwing_secret.as_deref() {
        Some(s) => Some(EncryptionSecretKey::from_suite_bytes(
            Suite::XWing,
            &*decode32(path, s)?,
        )),
        None => None,
    };
    Ok(MemberKeys {
        signing: SigningKey::from_seed(&*decode32(path, &file.signing_seed)?),
        encryption: EncryptionSecretKey::from_bytes(&*decode32(path, enc)?),
        xwing,
    })
}

fn read_key_file(path: &Path, pass: &Passphrase, kind: &str) -> Result<KeyFile, ProfileError> {
    let plaintext = keyfile::read(path, pass)?;
    let file: KeyFile = serde_json::from_slice(&plaintext)
        .map_err(|_| corrupt(path, "unexpected key file contents"))?;
    if file.kind != kind || file.v != 1 {
        return Err(corrupt(path, &format!("expected a {kind} version 1")));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: KdfStrength = KdfStrength { log_n: Some(10) };

    /// The decoded plaintext of a key file is wiped on drop (a type-level
    /// check: removing the derive fails to compile this test).
    #[test]
    fn key_file_contents_are_wiped_on_drop() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<KeyFile>();
    }

    fn both() -> NewProfile {
        NewProfile {
            party: Some(("Northland CERT".into(), "northland".into())),
            member: Some("Duty officer".into()),
        }
    }

    #[test]
    fn rotation_keeps_the_old_keys_and_survives_a_crash_after_commit() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("p");
        let pass = Passphrase::new("a long enough passphrase".into());
        let mut p = Profile::create(&dir, &both(), &pass, FAST).unwrap();
        let first = p.unlock_member(&pass).unwrap();
        // The wrong passphrase rotates nothing.
        assert!(
            p.rotate_member(&Passphrase::new("another long passphrase".into()), FAST)
                .is_err()
        );
        assert!(!dir.join(RETIRED_DIR).exists());
        let (old, new) = p.rotate_member(&pass, FAST).unwrap();
        assert_eq!(old.signing_key_id, first.signing.key_id());
        assert_ne!(new.signing_key_id, old.signing_key_id);
        // Reopened from disk: the new pair is current, the old one retired.
        let p = Profile::open(&dir).unwrap();
        let ring = p.unlock_keyring(&pass).unwrap();
        assert_eq!(ring.current.signing.key_id(), new.signing_key_id);
        assert_eq!(ring.retired.len(), 1);
        assert_eq!(ring.retired[0].signing.key_id(), old.signing_key_id);
        assert_eq!(
            p.info().member.as_ref().unwrap().signing_key_id,
            new.signing_key_id
        );

        // A crash after profile.json was written, before the key file moved:
        // simulate by putting the new file back aside and the old in place.
        std::fs::rename(dir.join("member.key"), dir.join(NEXT_MEMBER_KEY)).unwrap();
        std::fs::copy(
            dir.join(RETIRED_DIR)
                .join(format!("member-{}.key", old.signing_key_id)),
            dir.join("member.key"),
        )
        .unwrap();
        let p = Profile::open(&dir).unwrap();
        assert_eq!(
            p.unlock_member(&pass).unwrap().signing.key_id(),
            new.signing_key_id,
            "the committed rotation is completed on unlock"
        );
        assert!(!dir.join(NEXT_MEMBER_KEY).exists());

        // A rotation that did not commit leaves a stray file that is ignored.
        std::fs::copy(
            dir.join(RETIRED_DIR)
                .join(format!("member-{}.key", old.signing_key_id)),
            dir.join(NEXT_MEMBER_KEY),
        )
        .unwrap();
        assert_eq!(
            p.unlock_member(&pass).unwrap().signing.key_id(),
            new.signing_key_id
        );
        let mut p = p;
        p.rotate_member(&pass, FAST).unwrap();
        assert_eq!(p.unlock_retired(&pass).unwrap().len(), 2);
    }

    /// A profile made before the X-Wing suite (its key file and
    /// profile.json have no X-Wing key) still unlocks, is told to rotate
    /// when a hybrid channel needs its key, and rotation adds one.
    #[test]
    fn a_profile_from_before_xwing_is_told_to_rotate_and_rotation_adds_the_key() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("p");
        let pass = Passphrase::new("a long enough passphrase".into());
        Profile::create(&dir, &both(), &pass, FAST).unwrap();
        // Rewrite it as an older version wrote it.
        let old = MemberKeys::generate_v1(&mut OsRng);
        assert!(old.xwing.is_none());
        std::fs::remove_file(dir.join("member.key")).unwrap();
        write_key_file(&dir.join("member.key"), &member_key_file(&old), &pass, FAST).unwrap();
        let mut info: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("profile.json")).unwrap()).unwrap();
        info["member"] = serde_json::to_value(member_info("Duty officer", &old)).unwrap();
        assert!(info["member"].get("xwing_key").is_none());
        std::fs::write(dir.join("profile.json"), serde_json::to_vec(&info).unwrap()).unwrap();

        let mut p = Profile::open(&dir).unwrap();
        assert!(p.info().member.as_ref().unwrap().xwing_key.is_none());
        let keys = p.unlock_member(&pass).unwrap();
        assert_eq!(keys.signing.key_id(), old.signing.key_id());
        let party = p.info().party.as_ref().unwrap().id;
        let channel = hotline_core::ids::ChannelId([7; 16]);
        // A v1 channel takes these keys; a hybrid one says what to do.
        crate::channel::MemberProof::new(Suite::V1, &channel, &party, "Duty officer", &keys)
            .unwrap();
        let e =
            crate::channel::MemberProof::new(Suite::XWing, &channel, &party, "Duty officer", &keys)
                .unwrap_err()
                .to_string();
        assert!(e.contains("hotline key rotate"), "{e}");

        let (_, new) = p.rotate_member(&pass, FAST).unwrap();
        assert!(new.xwing_key.is_some());
        let ring = Profile::open(&dir).unwrap().unlock_keyring(&pass).unwrap();
        crate::channel::MemberProof::new(
            Suite::XWing,
            &channel,
            &party,
            "Duty officer",
            &ring.current,
        )
        .unwrap();
        // The retired pre-X-Wing keys still open what was sealed to them.
        assert_eq!(ring.retired.len(), 1);
        assert!(ring.retired[0].xwing.is_none());
        assert_eq!(ring.retired[0].encryption.key_id(), old.encryption.key_id());
    }

    #[test]
    fn create_open_unlock() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("p");
        let pass = Passphrase::new("a long passphrase".into());
        let p = Profile::create(&dir, &both(), &pass, FAST).unwrap();
        let p2 = Profile::open(&dir).unwrap();
        assert_eq!(p.info(), p2.info());
        let party = p2.unlock_party(&pass).unwrap();
        assert_eq!(party.key_id(), p.info().party.as_ref().unwrap().id);
        let m = p2.unlock_member(&pass).unwrap();
        assert_eq!(
            m.signing.key_id(),
            p.info().member.as_ref().unwrap().signing_key_id
        );
        // Key files contain no key material in the clear.
        let raw = std::fs::read_to_string(dir.join("member.key")).unwrap();
        assert!(raw.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        assert!(!raw.contains(&hotline_core::b64::encode(m.signing.seed().as_ref())));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("member.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn wrong_passphrase_and_refusals() {
        let d = tempfile::tempdir().unwrap();
        let pass = Passphrase::new("a long passphrase".into());
        let p = Profile::create(d.path(), &both(), &pass, FAST).unwrap();
        let bad = Passphrase::new("another passphrase".into());
        assert!(matches!(
            p.unlock_member(&bad),
            Err(ProfileError::Unlock(_))
        ));
        assert!(matches!(
            Profile::create(d.path(), &both(), &pass, FAST),
            Err(ProfileError::Exists(_))
        ));
        let e = tempfile::tempdir().unwrap();
        assert!(matches!(
            Profile::create(e.path(), &both(), &Passphrase::new("short".into()), FAST),
            Err(ProfileError::WeakPassphrase)
        ));
        assert!(matches!(
            Profile::create(e.path(), &NewProfile::default(), &pass, FAST),
            Err(ProfileError::Invalid(_))
        ));
        assert!(matches!(
            Profile::open(e.path()),
            Err(ProfileError::NotFound(_))
        ));
        // A member-only profile has no party key.
        let m = Profile::create(
            e.path(),
            &NewProfile {
                party: None,
                member: Some("x".into()),
            },
            &pass,
            FAST,
        )
        .unwrap();
        assert!(matches!(
            m.unlock_party(&pass),
            Err(ProfileError::NoSuchKey("party"))
        ));
    }

    #[test]
    fn swapped_key_file_is_detected() {
        let d = tempfile::tempdir().unwrap();
        let pass = Passphrase::new("a long passphrase".into());
        let a = Profile::create(&d.path().join("a"), &both(), &pass, FAST).unwrap();
        let b = Profile::create(&d.path().join("b"), &both(), &pass, FAST).unwrap();
        std::fs::copy(b.dir().join("member.key"), a.dir().join("member.key")).unwrap();
        assert!(matches!(
            a.unlock_member(&pass),
            Err(ProfileError::Corrupt { .. })
        ));
    }
}
