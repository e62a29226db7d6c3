//! The relay's configuration: defaults, then `relay.toml` (in the data folder,
//! or the file `--config` names), then `HOTLINE_RELAY_*` environment
//! variables, then command-line flags (applied by the CLI). `docs/relay.md`
//! lists every setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Every setting, with its default.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The relay's key name and checkpoint origin prefix (a host name):
    /// origins are `<name>/<channel id>`. Fixed when the key is created.
    pub name: String,
    /// PostgreSQL URL; when absent, SQLite in the data folder.
    pub database: Option<String>,
    /// Longest time (ms) between an acknowledged append and a checkpoint covering it.
    pub checkpoint_interval_ms: u64,
    /// Largest request body (bytes) outside blob uploads.
    pub max_body_bytes: usize,
    /// Largest blob (bytes).
    pub max_blob_bytes: usize,
    /// Largest number of envelopes in one request.
    pub max_envelopes_per_request: usize,
    /// Sustained requests per second per key.
    pub rate_per_second: f64,
    /// Burst of requests per key.
    pub rate_burst: f64,
    /// How old (seconds) a request signature's `created` time may be.
    pub signature_max_age_secs: i64,
    /// How far ahead (seconds) a request signature's `created` time may be.
    pub signature_max_skew_secs: i64,
    /// Per-request timeout (seconds).
    pub request_timeout_secs: u64,
    /// Seconds a client may take to send a request's headers before its
    /// connection is closed (slowloris).
    pub header_read_timeout_secs: u64,
    /// Requests served at once; beyond it, 503 with Retry-After.
    pub max_concurrent_requests: usize,
    /// Bytes of request bodies held in flight at once (at least the
    /// largest body); beyond it, 503 with Retry-After.
    pub max_inflight_body_bytes: usize,
    /// TLS certificate chain (PEM); TLS is on when both files are given.
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback address (behind a TLS proxy).
    pub insecure_plain_http: bool,
    /// Parties admitted to create channels: party key ids (hex) or party
    /// keys (base64), as profile.json's `party` gives them.
    pub admit: Vec<String>,
    /// A file of admitted parties, one per line (`#` comments), read again
    /// at every channel creation.
    pub admit_file: Option<PathBuf>,
    /// Admit every party (trials only: anyone who reaches the relay can
    /// make it store channels).
    pub danger_open_admission: bool,
    /// Witness URLs the relay may contact, exactly as charters name them.
    pub allowed_witnesses: Vec<String>,
    /// Contact whatever witness a charter names (trials only: a charter's
    /// authors could make the relay POST to any address it reaches).
    pub danger_any_witness: bool,
    /// Most envelope bytes (stanzas and ciphertext, as the heads declare
    /// them) logged in one channel.
    pub quota_channel_envelope_bytes: u64,
    /// Most envelope bytes one party's members log in one channel.
    pub quota_party_envelope_bytes: u64,
    /// Most blob bytes uploaded to one channel.
    pub quota_channel_blob_bytes: u64,
    /// Most blob bytes one party's members upload to one channel.
    pub quota_party_blob_bytes: u64,
    /// Seconds without requests after which a channel is released from
    /// memory (its sequencer stops; it is loaded again on the next request).
    pub idle_channel_secs: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8440)),
            name: "relay.hotline.local".into(),
            database: None,
            checkpoint_interval_ms: 100,
            max_body_bytes: 8 << 20,
            max_blob_bytes: 64 << 20,
            max_envelopes_per_request: 1024,
            rate_per_second: 2000.0,
            rate_burst: 4000.0,
            signature_max_age_secs: 60,
            signature_max_skew_secs: 10,
            request_timeout_secs: 30,
            header_read_timeout_secs: 10,
            max_concurrent_requests: 1024,
            max_inflight_body_bytes: 256 << 20,
            tls_cert: None,
            tls_key: None,
            insecure_plain_http: false,
            admit: Vec::new(),
            admit_file: None,
            danger_open_admission: false,
            allowed_witnesses: Vec::new(),
            danger_any_witness: false,
            quota_channel_envelope_bytes: 16 << 30,
            quota_party_envelope_bytes: 8 << 30,
            quota_channel_blob_bytes: 16 << 30,
            quota_party_blob_bytes: 8 << 30,
            idle_channel_secs: 600,
        }
    }
}

/// A configuration that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The file is not valid.
    #[error("{0}: {1} (see docs/relay.md for the settings)")]
    Parse(PathBuf, String),
    /// An environment variable is not valid.
    #[error("environment variable {0}: {1}")]
    Env(String, String),
    /// The settings contradict each other.
    #[error("{0}")]
    Invalid(String),
}

/// The configuration file's name inside the data folder.
pub const FILE: &str = "relay.toml";

impl Config {
    /// Loads defaults, then `file` (or `DATA/relay.toml` if present), then
    /// the environment (`vars`, normally `std::env::vars()`).
    pub fn load(
        data: &Path,
        file: Option<&Path>,
        vars: impl Iterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let default_file = data.join(FILE);
        let path = match file {
            Some(p) => Some(p.to_path_buf()),
            None => default_file.exists().then_some(default_file),
        };
        let mut cfg = match path {
            Some(p) => {
                let text =
                    std::fs::read_to_string(&p).map_err(|e| ConfigError::Read(p.clone(), e))?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse(p, e.to_string()))?
            }
            None => Config::default(),
        };
        for (k, v) in vars {
            let Some(name) = k.strip_prefix("HOTLINE_RELAY_") else {
                continue;
            };
            let bad = |e: String| ConfigError::Env(k.clone(), e);
            let num = |v: &str| v.parse::<u64>().map_err(|e| bad(e.to_string()));
            match name {
                "LISTEN" => {
                    cfg.listen = v
                        .parse()
                        .map_err(|e: std::net::AddrParseError| bad(e.to_string()))?
                }
                "NAME" => cfg.name = v,
                "DATABASE" => cfg.database = (!v.is_empty()).then_some(v),
                "CHECKPOINT_INTERVAL_MS" => cfg.checkpoint_interval_ms = num(&v)?,
                "MAX_BODY_BYTES" => cfg.max_body_bytes = num(&v)? as usize,
                "MAX_BLOB_BYTES" => cfg.max_blob_bytes = num(&v)? as usize,
                "MAX_CONCURRENT_REQUESTS" => cfg.max_concurrent_requests = num(&v)? as usize,
                "MAX_INFLIGHT_BODY_BYTES" => cfg.max_inflight_body_bytes = num(&v)? as usize,
                "REQUEST_TIMEOUT_SECS" => cfg.request_timeout_secs = num(&v)?,
                "HEADER_READ_TIMEOUT_SECS" => cfg.header_read_timeout_secs = num(&v)?,
                "QUOTA_CHANNEL_ENVELOPE_BYTES" => cfg.quota_channel_envelope_bytes = num(&v)?,
                "QUOTA_PARTY_ENVELOPE_BYTES" => cfg.quota_party_envelope_bytes = num(&v)?,
                "QUOTA_CHANNEL_BLOB_BYTES" => cfg.quota_channel_blob_bytes = num(&v)?,
                "QUOTA_PARTY_BLOB_BYTES" => cfg.quota_party_blob_bytes = num(&v)?,
                "IDLE_CHANNEL_SECS" => cfg.idle_channel_secs = num(&v)?,
                "RATE_PER_SECOND" => {
                    cfg.rate_per_second = v
                        .parse()
                        .map_err(|e: std::num::ParseFloatError| bad(e.to_string()))?
                }
                "RATE_BURST" => {
                    cfg.rate_burst = v
                        .parse()
                        .map_err(|e: std::num::ParseFloatError| bad(e.to_string()))?
                }
                "TLS_CERT" => cfg.tls_cert = Some(v.into()),
                "TLS_KEY" => cfg.tls_key = Some(v.into()),
                "INSECURE_PLAIN_HTTP" => {
                    cfg.insecure_plain_http = matches!(v.as_str(), "1" | "true" | "yes")
                }
                "ADMIT_FILE" => cfg.admit_file = (!v.is_empty()).then(|| v.into()),
                "DANGER_ANY_WITNESS" => {
                    cfg.danger_any_witness = matches!(v.as_str(), "1" | "true" | "yes")
                }
                "DANGER_OPEN_ADMISSION" => {
                    cfg.danger_open_admission = matches!(v.as_str(), "1" | "true" | "yes")
                }
                // Other HOTLINE_RELAY_* names are not settings (e.g. a test's).
                _ => {}
            }
        }
        cfg.check()?;
        Ok(cfg)
    }

    /// Checks the settings for contradictions and out-of-range values.
    pub fn check(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.checkpoint_interval_ms == 0 || self.checkpoint_interval_ms > 60_000 {
            return bad("checkpoint_interval_ms must be between 1 and 60000");
        }
        if self.max_body_bytes < 4096 || self.max_blob_bytes < 4096 {
            return bad("max_body_bytes and max_blob_bytes must be at least 4096");
        }
        if self.max_concurrent_requests == 0 {
            return bad("max_concurrent_requests must be at least 1");
        }
        if self.max_inflight_body_bytes < self.max_body_bytes.max(self.max_blob_bytes) {
            return bad(
                "max_inflight_body_bytes must be at least max_body_bytes and max_blob_bytes",
            );
        }
        if self.header_read_timeout_secs == 0 {
            return bad("header_read_timeout_secs must be at least 1");
        }
        if self.idle_channel_secs == 0 {
            return bad("idle_channel_secs must be at least 1");
        }
        if self.quota_party_envelope_bytes > self.quota_channel_envelope_bytes
            || self.quota_party_blob_bytes > self.quota_channel_blob_bytes
        {
            return bad(
                "a party's quota (quota_party_*) cannot exceed its channel's (quota_channel_*)",
            );
        }
        if self.request_timeout_secs == 0 {
            return bad("request_timeout_secs must be at least 1");
        }
        if self.max_envelopes_per_request == 0 {
            return bad("max_envelopes_per_request must be at least 1");
        }
        if self.rate_per_second <= 0.0 || self.rate_burst < 1.0 {
            return bad("rate_per_second must be positive and rate_burst at least 1");
        }
        if self.signature_max_age_secs <= 0 || self.signature_max_skew_secs < 0 {
            return bad(
                "signature_max_age_secs must be positive, signature_max_skew_secs not negative",
            );
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return bad("give both tls_cert and tls_key, or neither");
        }
        if self.name.is_empty()
            || self.name.contains(['+', ' ', '\n', '\t'])
            || self.name.len() > 200
        {
            return bad("name must be a host name without spaces or '+'");
        }
        if self.danger_open_admission && (!self.admit.is_empty() || self.admit_file.is_some()) {
            return bad(
                "danger_open_admission admits every party: give it, or admit/admit_file, not both",
            );
        }
        self.admission()?.admitted().map_err(ConfigError::Invalid)?;
        for w in &self.allowed_witnesses {
            crate::witnesses::egress_allowed(w)
                .map_err(|e| ConfigError::Invalid(format!("allowed_witnesses: {e}")))?;
        }
        if self.danger_any_witness && !self.allowed_witnesses.is_empty() {
            return bad(
                "danger_any_witness contacts every witness: give it, or allowed_witnesses, not both",
            );
        }
        if !self.listen.ip().is_loopback() && self.tls_cert.is_none() && !self.insecure_plain_http {
            return bad(&format!(
                "refusing to serve plain HTTP on the non-loopback address {}: give a TLS certificate \
                 (tls_cert, tls_key), listen on 127.0.0.1, or set insecure_plain_http behind a TLS proxy",
                self.listen
            ));
        }
        Ok(())
    }
}

impl Config {
    /// The admission rule these settings give.
    pub fn admission(&self) -> Result<crate::admission::Admission, ConfigError> {
        crate::admission::Admission::new(
            self.danger_open_admission,
            &self.admit,
            self.admit_file.as_deref(),
        )
        .map_err(|e| ConfigError::Invalid(format!("admit: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join(FILE),
            "name = \"relay.example\"\ncheckpoint_interval_ms = 50\n",
        )
        .unwrap();
        let env = vec![
            (
                "HOTLINE_RELAY_CHECKPOINT_INTERVAL_MS".to_owned(),
                "20".to_owned(),
            ),
            ("PATH".to_owned(), "/bin".to_owned()),
        ];
        let c = Config::load(d.path(), None, env.into_iter()).unwrap();
        assert_eq!(c.name, "relay.example");
        assert_eq!(c.checkpoint_interval_ms, 20);
        assert_eq!(c.max_blob_bytes, Config::default().max_blob_bytes);
    }

    #[test]
    fn rejects_bad_settings() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(FILE), "nmae = 1\n").unwrap();
        assert!(matches!(
            Config::load(d.path(), None, std::iter::empty()),
            Err(ConfigError::Parse(..))
        ));
        let env = vec![("HOTLINE_RELAY_LISTEN".to_owned(), "0.0.0.0:80".to_owned())];
        let e = tempfile::tempdir().unwrap();
        assert!(matches!(
            Config::load(e.path(), None, env.into_iter()),
            Err(ConfigError::Invalid(_))
        ));
    }
}
