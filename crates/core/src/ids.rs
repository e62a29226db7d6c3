//! Identifiers: channels, messages (and serde for [`KeyId`]).

use core::fmt;

use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::codec::DecodeError;
use crate::keys::KeyId;

macro_rules! id16 {
    ($(#[$m:meta])* $name:ident, $what:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// Lower-case hex, 32 characters.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// Parses 32 lower-case hex characters.
            pub fn from_hex(s: &str) -> Result<Self, DecodeError> {
                let mut out = [0u8; 16];
                if s.len() != 32 || s.bytes().any(|b| b.is_ascii_uppercase()) {
                    return Err(DecodeError::invalid($what, "expected 32 lower-case hex digits"));
                }
                hex::decode_to_slice(s, &mut out)
                    .map_err(|_| DecodeError::invalid($what, "expected 32 lower-case hex digits"))?;
                Ok($name(out))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_hex())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl core::str::FromStr for $name {
            type Err = DecodeError;
            fn from_str(s: &str) -> Result<Self, DecodeError> {
                Self::from_hex(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::from_hex(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

id16!(
    /// A channel's id: the first 16 bytes of
    /// `SHA-256("hotline/channel/v1" || 0x00 || charter payload)`.
    ChannelId,
    "channel id"
);

id16!(
    /// A message's id: 16 random bytes chosen by its author.
    MessageId,
    "message id"
);

impl ChannelId {
    /// The id of the channel whose charter payload is `payload`.
    pub fn for_charter_payload(payload: &[u8]) -> ChannelId {
        let mut h = Sha256::new();
        h.update(b"hotline/channel/v1\0");
        h.update(payload);
        let d: [u8; 32] = h.finalize().into();
        let mut out = [0u8; 16];
        out.copy_from_slice(&d[..16]);
        ChannelId(out)
    }
}

impl MessageId {
    /// A fresh random id.
    pub fn random(rng: &mut impl CryptoRngCore) -> MessageId {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        MessageId(b)
    }
}

impl Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        KeyId::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

impl core::str::FromStr for KeyId {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self, DecodeError> {
        KeyId::from_hex(s)
    }
}
