//! Bounded binary reading and writing (big-endian, length-checked).
//!
//! Every binary parser in this crate reads through [`Reader`], which never
//! panics, never reads past its input, and refuses trailing bytes when the
//! caller says the input is complete (`finish`).

/// Why a binary structure could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the structure did.
    #[error("{what}: input truncated (needed {needed} more bytes)")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// How many more bytes were needed.
        needed: usize,
    },
    /// Bytes remained after the structure ended.
    #[error("{what}: {extra} unexpected trailing bytes")]
    TrailingData {
        /// The structure being read.
        what: &'static str,
        /// How many bytes remained.
        extra: usize,
    },
    /// A field held a value this version does not accept.
    #[error("{what}: invalid value: {detail}")]
    Invalid {
        /// The field being read.
        what: &'static str,
        /// A short description of the problem.
        detail: String,
    },
    /// A length or count exceeded the format's limit.
    #[error("{what}: {value} exceeds the limit of {limit}")]
    TooLarge {
        /// The field being read.
        what: &'static str,
        /// The value found.
        value: u64,
        /// The limit.
        limit: u64,
    },
}

impl DecodeError {
    pub(crate) fn invalid(what: &'static str, detail: impl Into<String>) -> Self {
        DecodeError::Invalid {
            what,
            detail: detail.into(),
        }
    }
}

/// A cursor over a byte slice that returns errors instead of panicking.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Starts reading `buf`; `what` names the structure in errors.
    pub fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, what }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Takes exactly `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() < n {
            return Err(DecodeError::Truncated {
                what: self.what,
                needed: n - self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Takes a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    /// Reads a big-endian u16.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian u32.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian u64.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Reads a u32 length (at most `limit`) followed by that many bytes.
    pub fn bytes_u32(&mut self, limit: u32) -> Result<&'a [u8], DecodeError> {
        let len = self.u32()?;
        if len > limit {
            return Err(DecodeError::TooLarge {
                what: self.what,
                value: len.into(),
                limit: limit.into(),
            });
        }
        // u32 always fits in usize on the platforms we support (>= 32-bit).
        self.take(len as usize)
    }

    /// Succeeds only if every byte was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingData {
                what: self.what,
                extra: self.buf.len(),
            })
        }
    }
}

/// Appends a u32 length prefix and the bytes.
///
/// Callers guarantee `bytes.len() <= u32::MAX` (all our limits are far lower).
pub(crate) fn put_bytes_u32(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_rejects_truncation_and_trailing_data() {
        let mut r = Reader::new(&[0, 0, 0, 5, 1, 2], "t");
        assert!(matches!(
            r.bytes_u32(10),
            Err(DecodeError::Truncated { needed: 3, .. })
        ));
        let mut r = Reader::new(&[0, 0, 0, 1, 9, 7], "t");
        assert_eq!(r.bytes_u32(10).unwrap(), &[9]);
        assert_eq!(
            r.finish(),
            Err(DecodeError::TrailingData {
                what: "t",
                extra: 1
            })
        );
        let mut r = Reader::new(&[0, 0, 0, 11], "t");
        assert!(matches!(r.bytes_u32(10), Err(DecodeError::TooLarge { .. })));
    }
}
