//! Who may create channels on this relay (`docs/relay.md` § Admission).
//!
//! A relay reachable from the internet would otherwise register a channel
//! for any two parties that generate keys, each costing storage and a
//! sequencer. The operator lists the parties it serves: their party key ids
//! (or party keys, as `profile.json` gives them) in `relay.toml`'s `admit`,
//! in flags, or one per line in `admit_file`, which is read again at every
//! channel creation, so that admitting a party needs no restart. A charter
//! naming a party not admitted is refused (403, `not-admitted`), saying
//! which party and what to do. With none admitted, every new channel is
//! refused: that is the default. `danger_open_admission` admits everyone,
//! for trials on loopback.
//!
//! Admission gates new channels only: a charter already registered is
//! answered as before (its members re-post it when they join), and a party
//! removed from the list keeps its existing channels.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hotline_core::charter::Charter;
use hotline_core::keys::{KeyId, VerifyingKey};

use crate::problem::Problem;

/// One admitted party, as an operator writes it: a key id (64 lower-case
/// hex digits) or an Ed25519 party key (base64).
pub fn parse_party(s: &str) -> Result<KeyId, String> {
    let s = s.trim();
    if let Ok(id) = KeyId::from_hex(s) {
        return Ok(id);
    }
    VerifyingKey::from_base64(s)
        .map(|k| k.key_id())
        .map_err(|_| {
            format!(
                "{s:?} is neither a party key id (64 lower-case hex digits) nor a party key \
                 (base64 Ed25519), as profile.json's \"party\" gives them"
            )
        })
}

/// Parses an admission file: one party per line, `#` starts a comment,
/// blank lines are skipped. The error names the line.
pub fn parse_file(text: &str) -> Result<BTreeSet<KeyId>, String> {
    let mut out = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        out.insert(parse_party(line).map_err(|e| format!("line {}: {e}", n + 1))?);
    }
    Ok(out)
}

/// The relay's admission rule.
#[derive(Debug, Clone)]
pub struct Admission {
    open: bool,
    listed: BTreeSet<KeyId>,
    file: Option<PathBuf>,
}

impl Admission {
    /// From the settings (already checked by `Config::check`).
    pub fn new(open: bool, listed: &[String], file: Option<&Path>) -> Result<Admission, String> {
        Ok(Admission {
            open,
            listed: listed
                .iter()
                .map(|s| parse_party(s))
                .collect::<Result<_, _>>()?,
            file: file.map(Path::to_path_buf),
        })
    }

    /// Whether every party is admitted (`danger_open_admission`).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The parties admitted now: the listed ones and the file's.
    pub fn admitted(&self) -> Result<BTreeSet<KeyId>, String> {
        let mut all = self.listed.clone();
        if let Some(f) = &self.file {
            let text = std::fs::read_to_string(f)
                .map_err(|e| format!("reading the admission file {}: {e}", f.display()))?;
            all.extend(
                parse_file(&text)
                    .map_err(|e| format!("the admission file {}: {e}", f.display()))?,
            );
        }
        Ok(all)
    }

    /// Whether a new channel of `charter` may be created: every party it
    /// names must be admitted.
    pub fn check(&self, charter: &Charter) -> Result<(), Problem> {
        if self.open {
            return Ok(());
        }
        let admitted = self.admitted().map_err(|e| {
            tracing::error!(error = %e, "the admission list cannot be read");
            Problem::unavailable(
                "this relay's list of admitted parties cannot be read; its operator must fix \
                 it (the relay's log says why); retry later",
            )
        })?;
        let refused: Vec<String> = charter
            .parties
            .iter()
            .filter(|p| !admitted.contains(&p.id))
            .map(|p| format!("{} (party key id {})", p.short, p.id))
            .collect();
        if refused.is_empty() {
            return Ok(());
        }
        Err(Problem::new(
            axum::http::StatusCode::FORBIDDEN,
            "not-admitted",
            "Party not admitted",
            format!(
                "this relay does not admit {}: it creates channels only for parties its operator \
                 admits. Ask the relay's operator to add {} to its admitted parties (relay.toml \
                 `admit` or `admit_file`, docs/relay.md § Admission), then register the charter \
                 again",
                refused.join(" and "),
                if refused.len() == 1 {
                    "that party key id"
                } else {
                    "those party key ids"
                }
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_core::keys::SigningKey;

    #[test]
    fn parties_are_key_ids_or_keys_and_bad_lines_are_named() {
        let k = SigningKey::from_seed(&[3; 32]).verifying_key();
        assert_eq!(parse_party(&k.key_id().to_hex()), Ok(k.key_id()));
        assert_eq!(parse_party(&format!(" {} ", k.to_base64())), Ok(k.key_id()));
        let text = format!(
            "# the parties we serve\n\n{}  # Northland\n{}\n",
            k.key_id(),
            SigningKey::from_seed(&[4; 32]).verifying_key().to_base64()
        );
        assert_eq!(parse_file(&text).unwrap().len(), 2);
        let e = parse_file("# ok\nnorthland\n").unwrap_err();
        assert!(e.starts_with("line 2: \"northland\" is neither"), "{e}");
        assert!(parse_party(&k.key_id().to_hex().to_uppercase()).is_err());
    }
}
