//! Standard base64 (RFC 4648 §4, with padding), strict.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::codec::DecodeError;

/// Encodes with the standard alphabet and padding.
pub fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes strictly (canonical padding, no whitespace), at most `limit` bytes.
pub fn decode(s: &str, what: &'static str, limit: usize) -> Result<Vec<u8>, DecodeError> {
    if s.len() / 4 * 3 > limit + 3 {
        return Err(DecodeError::TooLarge {
            what,
            value: (s.len() / 4 * 3) as u64,
            limit: limit as u64,
        });
    }
    let v = STANDARD
        .decode(s)
        .map_err(|_| DecodeError::invalid(what, "not canonical base64"))?;
    if v.len() > limit {
        return Err(DecodeError::TooLarge {
            what,
            value: v.len() as u64,
            limit: limit as u64,
        });
    }
    Ok(v)
}

/// Decodes exactly `N` bytes.
pub fn decode_array<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], DecodeError> {
    let v = decode(s, what, N)?;
    v.try_into()
        .map_err(|_| DecodeError::invalid(what, format!("expected {N} bytes")))
}
