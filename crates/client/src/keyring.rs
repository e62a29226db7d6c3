//! A member's keys over time: the current pair, which signs and receives,
//! and the retired pairs left by rotations (`hotline key rotate`), which
//! still open what was sealed to them before every sender saw the new
//! roster. Sync opens an envelope with whichever of our keys it names.

use hotline_core::keys::{KeyId, MemberKeys};

/// The keys a client acts with.
pub trait Keys {
    /// The current pair: signs our entries, cosignatures and requests.
    fn current(&self) -> &MemberKeys;
    /// Pairs retired by rotations, newest first (none by default).
    fn retired(&self) -> &[MemberKeys] {
        &[]
    }
    /// Our pair whose encryption key has id `recipient`, if any.
    fn opener(&self, recipient: &KeyId) -> Option<&MemberKeys> {
        std::iter::once(self.current())
            .chain(self.retired())
            .find(|k| k.encryption.public_key().key_id() == *recipient)
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
        let ring = Keyring {
            current: a.clone(),
            retired: vec![b.clone()],
        };
        assert_eq!(ring.opener(&id(&a)).map(&id), Some(id(&a)));
        assert_eq!(ring.opener(&id(&b)).map(&id), Some(id(&b)));
        assert!(ring.opener(&id(&c)).is_none());
        assert!(
            a.opener(&id(&b)).is_none(),
            "a bare pair has no retired keys"
        );
        assert_eq!(a.opener(&id(&a)).map(&id), Some(id(&a)));
    }
}
