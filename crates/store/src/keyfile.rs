//! Secrets at rest: small files encrypted with a passphrase in the age
//! format (C2SP `age.md`), ASCII-armored, with one scrypt stanza. Used for
//! member and party keys (`docs/profiles.md`) and for relay and witness keys.

use std::io::{Read as _, Write as _};
use std::path::Path;

use age::secrecy::{ExposeSecret as _, SecretString};
use zeroize::Zeroizing;

use crate::files;

/// The environment variable that supplies the passphrase non-interactively.
pub const PASSPHRASE_ENV: &str = "HOTLINE_PASSPHRASE";
/// Shortest passphrase accepted when creating a key file.
pub const MIN_PASSPHRASE_LEN: usize = 8;
/// The highest scrypt work factor (log2 N) we will try when decrypting.
pub const MAX_LOG_N: u8 = 22;

/// Why a key file could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file exists already; nothing was overwritten.
    #[error("{0} already exists; refusing to overwrite a key")]
    Exists(std::path::PathBuf),
    /// Wrong passphrase or damaged file (deliberately not told apart).
    #[error("cannot decrypt {0}: wrong passphrase or damaged key file")]
    Unlock(std::path::PathBuf),
    /// Not an age passphrase file.
    #[error("{0} is not a passphrase-encrypted key file")]
    NotAKeyFile(std::path::PathBuf),
    /// The passphrase is too short to protect a key.
    #[error("the passphrase must be at least {MIN_PASSPHRASE_LEN} characters")]
    WeakPassphrase,
    /// Reading or writing failed.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// A passphrase; zeroized on drop, never printed.
#[derive(Clone)]
pub struct Passphrase(SecretString);

impl Passphrase {
    /// Wraps a passphrase.
    pub fn new(s: String) -> Passphrase {
        Passphrase(SecretString::from(s))
    }

    /// The passphrase from [`PASSPHRASE_ENV`], if set.
    pub fn from_env() -> Option<Passphrase> {
        std::env::var(PASSPHRASE_ENV).ok().map(Passphrase::new)
    }

    /// Its length in characters.
    pub fn len(&self) -> usize {
        self.0.expose_secret().chars().count()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }
}

impl core::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Passphrase(redacted)")
    }
}

/// How hard the key-file KDF works.
#[derive(Debug, Clone, Copy, Default)]
pub struct KdfStrength {
    /// scrypt log2(N); `None` lets age choose (about one second on the writing machine).
    pub log_n: Option<u8>,
}

impl KdfStrength {
    /// From `HOTLINE_INSECURE_KDF_LOG_N` if set (tests and demos only: a low
    /// value makes keys easy to brute-force), else the default.
    pub fn from_env() -> KdfStrength {
        KdfStrength {
            log_n: std::env::var("HOTLINE_INSECURE_KDF_LOG_N")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|n| (1..=MAX_LOG_N).contains(n)),
        }
    }
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> KeyFileError {
    move |source| KeyFileError::Io { context, source }
}

/// Encrypts `plaintext` and writes it to `path` (atomically, mode 0600,
/// never overwriting).
pub fn write(
    path: &Path,
    plaintext: &[u8],
    pass: &Passphrase,
    kdf: KdfStrength,
) -> Result<(), KeyFileError> {
    if pass.len() < MIN_PASSPHRASE_LEN {
        return Err(KeyFileError::WeakPassphrase);
    }
    if path.exists() {
        return Err(KeyFileError::Exists(path.to_owned()));
    }
    let ctx = || format!("encrypting {}", path.display());
    let mut recipient = age::scrypt::Recipient::new(pass.0.clone());
    if let Some(n) = kdf.log_n {
        recipient.set_work_factor(n);
    }
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| KeyFileError::Io {
                context: ctx(),
                source: std::io::Error::other(e.to_string()),
            })?;
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(io(ctx()))?;
    let mut w = encryptor.wrap_output(armor).map_err(io(ctx()))?;
    w.write_all(plaintext).map_err(io(ctx()))?;
    w.finish().and_then(|a| a.finish()).map_err(io(ctx()))?;
    files::write_atomic(path, &out, true, true).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => KeyFileError::Exists(path.to_owned()),
        _ => KeyFileError::Io {
            context: format!("writing {}", path.display()),
            source: e,
        },
    })
}

/// Reads and decrypts the key file at `path`.
pub fn read(path: &Path, pass: &Passphrase) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
    let bytes = std::fs::read(path).map_err(io(format!("reading {}", path.display())))?;
    let decryptor = age::Decryptor::new(age::armor::ArmoredReader::new(&bytes[..]))
        .map_err(|_| KeyFileError::NotAKeyFile(path.to_owned()))?;
    if !decryptor.is_scrypt() {
        return Err(KeyFileError::NotAKeyFile(path.to_owned()));
    }
    let mut identity = age::scrypt::Identity::new(pass.0.clone());
    identity.set_max_work_factor(MAX_LOG_N);
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|_| KeyFileError::Unlock(path.to_owned()))?;
    let mut plaintext = Zeroizing::new(Vec::new());
    reader
        .read_to_end(&mut plaintext)
        .map_err(|_| KeyFileError::Unlock(path.to_owned()))?;
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_wrong_passphrase_and_no_overwrite() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k.key");
        let pass = Passphrase::new("long enough".into());
        let fast = KdfStrength { log_n: Some(10) };
        write(&p, b"secret bytes", &pass, fast).unwrap();
        assert_eq!(&*read(&p, &pass).unwrap(), b"secret bytes");
        assert!(matches!(
            read(&p, &Passphrase::new("other pass".into())),
            Err(KeyFileError::Unlock(_))
        ));
        assert!(matches!(
            write(&p, b"x", &pass, fast),
            Err(KeyFileError::Exists(_))
        ));
        assert!(matches!(
            write(
                &d.path().join("w"),
                b"x",
                &Passphrase::new("short".into()),
                fast
            ),
            Err(KeyFileError::WeakPassphrase)
        ));
        assert!(
            !std::fs::read_to_string(&p)
                .unwrap()
                .contains("secret bytes")
        );
    }
}
