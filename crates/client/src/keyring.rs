//! A member's keys over time: the current pair, which signs and receives,
//! and the retired pairs left by rotations (`hotline key rotate`), which
//! still open what was sealed to them before every sender saw the new
//! roster. Sync opens an envelope with whichever of our keys it names.

use hotline_core::keys::{EncryptionSecretKey, KeyId, MemberKeys};

/// The keys a client acts with.
pub trait Keys {
    /// The current pair: signs our entries, cosignatures and requests.
    fn current(&self) -> &MemberKeys;
    /// Pairs retired by rotations, newest first (none by default).
    fn retired(&self) -> &[MemberKeys] {
        &[]
    }
    /// Our encryption key (of any suite, current or retired) with id
    /// `recipient`, if any.
    fn opener(&self, recipient: &KeyId) -> Option<&EncryptionSecretKey> {
        std::iter::once(self.current())
            .chain(self.retired())
            .flat_map(MemberKeys::encryption_keys)
            .find(|k| k.key_id() == *recipient)
    }
}

impl Keys for MemberKeys {
    fn current(&self) -> &MemberKeys {
        self
    }
}

/// The current pair and the retired ones.
#[derive(Clone, Debug)]
pub struct Keyring {
    /// The current pair.
    pub current: MemberKeys,
    /// Retired pairs, newest first.
    pub retired: Vec<MemberKeys>,
}

impl Keys for Keyring {
    fn current(&self) -> &MemberKeys {
        &self.current
    }
    fn retired(&self) -> &[MemberKeys] {
        &self.retired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_with_current_or_retired_keys_only() {
        let (a, b, c) = (
            MemberKeys::generate(&mut rand_core::OsRng),
            MemberKeys::generate(&mut rand_core::OsRng),
            MemberKeys::generate(&mut rand_core::OsRng),
        );
        let id = |k: &MemberKeys| k.encryption.public_key().key_id();
        let xid = |k: &MemberKeys| k.xwing.as_ref().unwrap().key_id();
        let key_id = |k: &EncryptionSecretKey| k.key_id();
        let ring = Keyring {
            current: a.clone(),
            retired: vec![b.clone()],
        };
        assert_eq!(ring.opener(&id(&a)).map(key_id), Some(id(&a)));
        assert_eq!(ring.opener(&id(&b)).map(key_id), Some(id(&b)));
        // Keys of either suite.
        assert_eq!(ring.opener(&xid(&a)).map(key_id), Some(xid(&a)));
        assert_eq!(ring.opener(&xid(&b)).map(key_id), Some(xid(&b)));
        assert!(ring.opener(&id(&c)).is_none());
        assert!(ring.opener(&xid(&c)).is_none());
        assert!(
            a.opener(&id(&b)).is_none(),
            "a bare pair has no retired keys"
        );
        assert_eq!(a.opener(&id(&a)).map(key_id), Some(id(&a)));
    }
}
