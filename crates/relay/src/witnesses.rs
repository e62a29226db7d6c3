//! Forwarding checkpoints to a channel's witnesses (C2SP `tlog-witness`):
//! after each checkpoint it signs, the relay sends `add-checkpoint` with a
//! consistency proof from the size the witness last cosigned to every
//! witness the charter names, verifies the cosignature that comes back with
//! the witness key from the charter, and attaches it to that checkpoint.
//!
//! A witness that is down or slow never holds up sequencing: each
//! (channel, witness) pair has at most one request in flight, and a later
//! checkpoint supersedes one that could not be delivered.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use hotline_core::charter::WitnessInfo;
use hotline_log::cosignature::CosignatureVerifier;
use hotline_log::log::Log;
use hotline_log::note::{self, Note};
use hotline_store::relaydata::RelayData;

/// Per-request timeout towards a witness.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Which witnesses the operator lets the relay contact (`relay.toml`'s
/// `allowed_witnesses`; `docs/relay.md` § Witnesses): a charter is written
/// by its parties, so without this list a charter could make the relay
/// POST to any address its network reaches.
#[derive(Debug, Clone, Default)]
pub struct Allowed {
    any: bool,
    urls: Vec<String>,
}

impl Allowed {
    /// The operator's list (URLs exactly as charters name them; a trailing
    /// `/` does not count), or every witness (`danger_any_witness`).
    pub fn new(any: bool, urls: &[String]) -> Allowed {
        Allowed {
            any,
            urls: urls
                .iter()
                .map(|u| u.trim().trim_end_matches('/').to_owned())
                .collect(),
        }
    }

    /// Whether the relay may contact the witness at `url`.
    pub fn allows(&self, url: &str) -> bool {
        self.any || self.urls.iter().any(|u| u == url.trim_end_matches('/'))
    }

    /// Refuses a witness the operator did not allow, saying what to do.
    pub fn check(&self, url: &str) -> Result<(), String> {
        if self.allows(url) {
            return Ok(());
        }
        Err(format!(
            "this relay does not contact the witness at {url}: its operator allows only the \
             witnesses listed in relay.toml's allowed_witnesses (docs/relay.md, Witnesses)"
        ))
    }
}

/// The witnesses' state as this relay process knows it.
pub struct Witnesses {
    allowed: Allowed,
    agent: ureq::Agent,
    /// (origin, witness url) -> the size the witness last cosigned, as it said.
    known: Mutex<HashMap<(String, String), u64>>,
    /// Pairs with a request in flight, and whether a newer checkpoint
    /// arrived meanwhile (then the sender goes on with the latest).
    busy: Mutex<HashMap<(String, String), bool>>,
}

impl Witnesses {
    /// A relay's witness client, contacting the `allowed` witnesses only.
    pub fn new(allowed: Allowed) -> Witnesses {
        Witnesses {
            allowed,
            // No redirect is followed: a charter's witness URL is its
            // authors' choice, and a redirect could send the relay to any
            // address its network reaches (a 303 turns the POST into a GET).
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(TIMEOUT))
                .max_redirects(0)
                .build()
                .into(),
            known: Mutex::default(),
            busy: Mutex::default(),
        }
    }
}

/// What one witness did with a checkpoint.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It cosigned the checkpoint of this size (the one sent, or a later
    /// one that superseded it); the cosignature is attached.
    Cosigned(u64),
    /// Another request to it is in flight; this checkpoint was skipped.
    Busy,
}

impl Witnesses {
    /// The operator's allow-list.
    pub fn allowed(&self) -> &Allowed {
        &self.allowed
    }

    /// Sends the checkpoint of `size` (the relay's signed note) to `w` and
    /// attaches its verified cosignature. Blocking.
    pub fn forward(
        &self,
        store: &dyn RelayData,
        origin: &str,
        w: &WitnessInfo,
        size: u64,
        note_bytes: &[u8],
    ) -> Result<Outcome, String> {
        let k = (origin.to_owned(), w.url.clone());
        {
            let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(newer) = busy.get_mut(&k) {
                *newer = true;
                return Ok(Outcome::Busy);
            }
            busy.insert(k.clone(), false);
        }
        let mut cur = (size, note_bytes.to_vec());
        loop {
            let r = self.forward_inner(store, origin, w, cur.0, &cur.1, &k);
            let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
            let newer = busy.get(&k).copied().unwrap_or(false);
            let latest = if r.is_ok() && newer {
                store
                    .checkpoint(origin)
                    .ok()
                    .flatten()
                    .filter(|(s, _)| *s > cur.0)
            } else {
                None
            };
            match latest {
                Some(l) => {
                    busy.insert(k.clone(), false);
                    cur = l;
                }
                None => {
                    busy.remove(&k);
                    return r;
                }
            }
        }
    }

    fn forward_inner(
        &self,
        store: &dyn RelayData,
        origin: &str,
        w: &WitnessInfo,
        size: u64,
        note_bytes: &[u8],
        k: &(String, String),
    ) -> Result<Outcome, String> {
        let verifier = CosignatureVerifier::from_vkey(&w.key)
            .map_err(|e| format!("the charter's witness key {:?}: {e}", w.key))?;
        self.allowed.check(&w.url)?;
        egress_allowed(&w.url)?;
        let url = format!("{}/add-checkpoint", w.url.trim_end_matches('/'));
        let note = Note::parse(note_bytes).map_err(|e| e.to_string())?;
        let mut old = self
            .known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(k)
            .copied()
            .unwrap_or(0);
        // At most two tries: the second after the witness told us its size.
        for _ in 0..2 {
            if old > size {
                // The witness has seen a larger checkpoint; nothing to do.
                return Ok(Outcome::Cosigned(old));
            }
            let proof = if old == 0 {
                Vec::new()
            } else {
                Log::new(store, origin)
                    .consistency_proof(old, size)
                    .map_err(|e| e.to_string())?
            };
            let body = hotline_witness::request_body(old, &proof, note_bytes);
            let mut resp = self
                .agent
                .post(&url)
                .header("content-type", "text/plain; charset=utf-8")
                .send(&body[..])
                .map_err(|e| format!("{url}: {e}"))?;
            let status = resp.status().as_u16();
            let text = resp
                .body_mut()
                .with_config()
                .limit(64 * 1024)
                .read_to_string()
                .map_err(|e| format!("{url}: reading the answer: {e}"))?;
            match status {
                200 => {
                    let mut attached = false;
                    for line in text.lines().filter(|l| !l.is_empty()) {
                        let sig = note::parse_signature_line(line)
                            .map_err(|e| format!("{url} answered a malformed cosignature: {e}"))?;
                        if let Ok(Some(_)) = verifier.verify(&note.text, &sig) {
                            store
                                .add_cosignature(origin, size, &sig.name, line)
                                .map_err(|e| e.to_string())?;
                            attached = true;
                        }
                    }
                    if !attached {
                        return Err(format!(
                            "{url} answered no cosignature that verifies with the charter's key"
                        ));
                    }
                    self.known
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(k.clone(), size);
                    return Ok(Outcome::Cosigned(size));
                }
                409 => {
                    // The witness's latest cosigned size, per tlog-witness.
                    old = text
                        .trim()
                        .parse()
                        .map_err(|_| format!("{url} answered 409 without a size"))?;
                    self.known
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(k.clone(), old);
                }
                s => {
                    return Err(format!(
                        "{url} refused the checkpoint of size {size} ({s}): {}",
                        text.trim().chars().take(200).collect::<String>()
                    ));
                }
            }
        }
        Err(format!("{url} kept answering 409"))
    }
}

/// Whether the relay may send to the witness at `url`: https, or plain
/// http to this machine only (a checkpoint and its proof are public, but a
/// cosignature that comes back over plain HTTP across a network could be
/// swapped, and plain HTTP to a charter's choice of host is a request
/// forgery aid).
pub fn egress_allowed(url: &str) -> Result<(), String> {
    let a = hotline_core::net::authority(url)
        .ok_or_else(|| format!("the witness URL {url:?} is not an http(s) URL"))?;
    if url.starts_with("http://") && !hotline_core::net::is_loopback_authority(a) {
        return Err(format!(
            "refusing plain HTTP to the witness at {a}: use https (plain HTTP only on loopback)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_operators_witnesses_are_contacted() {
        let a = super::Allowed::new(false, &["https://w.example/log/".into()]);
        assert!(a.allows("https://w.example/log") && a.allows("https://w.example/log/"));
        assert!(!a.allows("https://w.example/log/other"));
        assert!(!a.allows("https://w.example"));
        assert!(!a.allows("http://127.0.0.1:9"));
        assert!(
            a.check("http://10.0.0.1/")
                .unwrap_err()
                .contains("allowed_witnesses")
        );
        assert!(!super::Allowed::default().allows("https://w.example/log"));
        assert!(super::Allowed::new(true, &[]).allows("http://127.0.0.1:9"));
    }

    #[test]
    fn witness_urls_over_https_or_on_loopback_only() {
        use super::egress_allowed as ok;
        assert!(ok("https://witness.example/").is_ok());
        assert!(ok("http://127.0.0.1:9300").is_ok());
        assert!(ok("http://[::1]:9300/").is_ok());
        assert!(ok("http://169.254.169.254/latest/meta-data").is_err());
        assert!(ok("http://witness.example").is_err());
        assert!(ok("file:///etc/passwd").is_err());
        assert!(ok("https://user@witness.example/").is_err());
    }
}
