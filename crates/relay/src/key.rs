//! The relay key: an Ed25519 signed-note key that signs every channel's
//! checkpoints. Created on first start, kept encrypted with the passphrase
//! (`DATA/relay.key`, age format), its public half beside it as a C2SP
//! verifier key (`DATA/relay.vkey`) so that `hotline relay key` needs no
//! passphrase.

use std::path::Path;

use hotline_log::cosignature::Cosigner;
use hotline_log::note::{Ed25519Signer, Ed25519Verifier};
use hotline_store::files;
use hotline_store::keyfile::{self, KdfStrength, Passphrase};
use rand_core::RngCore as _;
use zeroize::Zeroizing;

/// The encrypted key file's name.
pub const KEY_FILE: &str = "relay.key";
/// The verifier key file's name.
pub const VKEY_FILE: &str = "relay.vkey";

/// Why the relay key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(String),
    /// The key file could not be decrypted or is not a relay key.
    #[error("{0}")]
    Key(String),
}

/// The relay key in both its roles: the log key that signs checkpoints
/// (signed-note type 0x01) and the timestamper that cosigns each of them
/// with the time (`tlog-cosignature/v1`, type 0x04, same Ed25519 key and key
/// name): "as of this time, this is the largest tree head" — which bounds
/// every entry's sequencing time (`docs/relay.md`).
pub struct RelayKeys {
    /// Signs checkpoints.
    pub signer: Ed25519Signer,
    /// Cosigns them with the time.
    pub timestamper: Cosigner,
}

/// The verifier key of the relay's timestamp cosignatures, derived from its
/// log verifier key (same name and public key, type 0x04).
pub fn timestamp_vkey(relay_vkey: &str) -> Result<String, KeyError> {
    let v = Ed25519Verifier::from_vkey(relay_vkey).map_err(|e| KeyError::Key(e.to_string()))?;
    let k = v.key();
    Ok(hotline_log::note::format_vkey(
        &k.name,
        0x04,
        &k.key.to_bytes(),
    ))
}

/// [`load_or_create`], with the timestamper.
pub fn load_keys(
    data: &Path,
    name: &str,
    pass: &Passphrase,
) -> Result<(RelayKeys, bool), KeyError> {
    let (signer, seed, created) = load_inner(data, name, pass)?;
    let timestamper =
        Cosigner::new(signer.name(), &seed).map_err(|e| KeyError::Key(e.to_string()))?;
    Ok((
        RelayKeys {
            signer,
            timestamper,
        },
        created,
    ))
}

/// Loads the relay key from `data`, creating it (named `name`) if the folder
/// has none. Returns the signer and whether it was created now.
pub fn load_or_create(
    data: &Path,
    name: &str,
    pass: &Passphrase,
) -> Result<(Ed25519Signer, bool), KeyError> {
    let (signer, _, created) = load_inner(data, name, pass)?;
    Ok((signer, created))
}

fn load_inner(
    data: &Path,
    name: &str,
    pass: &Passphrase,
) -> Result<(Ed25519Signer, Zeroizing<[u8; 32]>, bool), KeyError> {
    let path = data.join(KEY_FILE);
    if path.exists() {
        // The plaintext is the 32-byte seed followed by the key name.
        let bytes = keyfile::read(&path, pass).map_err(|e| KeyError::Key(e.to_string()))?;
        let not_ours = || KeyError::Key(format!("{} is not a relay key", path.display()));
        let (seed, stored_name) = bytes.split_at_checked(32).ok_or_else(not_ours)?;
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(seed.try_into().map_err(|_| not_ours())?);
        let stored_name = std::str::from_utf8(stored_name).map_err(|_| not_ours())?;
        let signer = Ed25519Signer::new(stored_name, &seed).map_err(|_| not_ours())?;
        return Ok((signer, seed, false));
    }
    files::create_private_dir(data)
        .map_err(|e| KeyError::Io(format!("creating {}: {e}", data.display())))?;
    let mut seed = Zeroizing::new([0u8; 32]);
    rand_core::OsRng.fill_bytes(&mut seed[..]);
    let signer = Ed25519Signer::new(name, &seed).map_err(|e| KeyError::Key(e.to_string()))?;
    let mut plain = Zeroizing::new(seed.to_vec());
    plain.extend_from_slice(name.as_bytes());
    keyfile::write(&path, &plain, pass, KdfStrength::from_env())
        .map_err(|e| KeyError::Key(e.to_string()))?;
    files::write_atomic(
        &data.join(VKEY_FILE),
        format!("{}\n", signer.vkey()).as_bytes(),
        false,
        false,
    )
    .map_err(|e| KeyError::Io(format!("writing {}: {e}", data.join(VKEY_FILE).display())))?;
    Ok((signer, seed, true))
}

/// The relay's verifier key, read from `DATA/relay.vkey` (no passphrase).
pub fn vkey(data: &Path) -> Result<String, KeyError> {
    let p = data.join(VKEY_FILE);
    std::fs::read_to_string(&p)
        .map(|s| s.trim().to_owned())
        .map_err(|e| {
            KeyError::Io(format!(
                "reading {}: {e} (a relay creates its key on first start: run hotline relay serve --data {})",
                p.display(),
                data.display()
            ))
        })
}
