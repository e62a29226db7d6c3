//! C2SP `tlog-proof` (c2sp.org/tlog-proof@v1): an entry's inclusion proof
//! with the checkpoint it proves against, in text.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

/// The first line.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A parsed proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque extra data (not authenticated), if any.
    pub extra: Option<Vec<u8>>,
    /// The entry's index.
    pub index: u64,
    /// The RFC 6962 inclusion proof, leaf's sibling first.
    pub hashes: Vec<[u8; 32]>,
    /// The checkpoint, verbatim (a signed note).
    pub checkpoint: String,
}

/// Why a proof does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tlog-proof: {0}")]
pub struct ProofError(pub String);

impl TlogProof {
    /// The text form.
    pub fn to_text(&self) -> String {
        let mut s = format!("{HEADER}\n");
        if let Some(e) = &self.extra {
            s.push_str(&format!("extra {}\n", B64.encode(e)));
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.hashes {
            s.push_str(&B64.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }

    /// Parses the text form strictly.
    pub fn parse(text: &str) -> Result<TlogProof, ProofError> {
        let bad = |s: &str| ProofError(s.to_owned());
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no empty line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(bad("the first line is not c2sp.org/tlog-proof@v1"));
        }
        let mut line = lines.next().ok_or_else(|| bad("no index line"))?;
        let mut extra = None;
        if let Some(e) = line.strip_prefix("extra ") {
            extra = Some(
                B64.decode(e)
                    .map_err(|_| bad("the extra line is not base64"))?,
            );
            line = lines.next().ok_or_else(|| bad("no index line"))?;
        }
        let n = line
            .strip_prefix("index ")
            .ok_or_else(|| bad("no index line"))?;
        if n.is_empty()
            || (n.len() > 1 && n.starts_with('0'))
            || !n.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad("the index is not a canonical decimal number"));
        }
        let index = n.parse().map_err(|_| bad("the index is out of range"))?;
        let mut hashes = Vec::new();
        for l in lines {
            let h = B64
                .decode(l)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| bad("a proof line is not a base64 SHA-256 hash"))?;
            if hashes.len() == 64 {
                return Err(bad("more than 64 proof hashes"));
            }
            hashes.push(h);
        }
        if checkpoint.is_empty() {
            return Err(bad("no checkpoint"));
        }
        Ok(TlogProof {
            extra,
            index,
            hashes,
            checkpoint: checkpoint.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CP: &str = "example.com/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— example.com/log AAAA\n";

    #[test]
    fn round_trips_and_refuses_bad_text() {
        let p = TlogProof {
            extra: None,
            index: 2,
            hashes: vec![[1; 32], [2; 32]],
            checkpoint: CP.into(),
        };
        let t = p.to_text();
        assert!(t.starts_with("c2sp.org/tlog-proof@v1\nindex 2\nAQEB"));
        assert_eq!(TlogProof::parse(&t).unwrap(), p);
        let with_extra = TlogProof {
            extra: Some(b"x".to_vec()),
            ..p.clone()
        };
        assert_eq!(TlogProof::parse(&with_extra.to_text()).unwrap(), with_extra);
        for bad in [
            t.replace("index 2", "index 02"),
            t.replace("tlog-proof@v1", "tlog-proof@v2"),
            t.replace("index 2\n", ""),
            t.replacen("\n\n", "\n", 1),
            t.replace("AQEB", "AQE"),
        ] {
            assert!(TlogProof::parse(&bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_text_parses_or_errs(s in ".{0,300}") {
            let _ = TlogProof::parse(&s);
        }

        #[test]
        fn proofs_round_trip(index in any::<u64>(), n in 0usize..20, b in any::<u8>()) {
            let p = TlogProof { extra: None, index, hashes: vec![[b; 32]; n], checkpoint: CP.into() };
            prop_assert_eq!(TlogProof::parse(&p.to_text()).unwrap(), p);
        }
    }
}
