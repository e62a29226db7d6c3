//! The two transports: e-mail over SMTP (the `lettre` crate; STARTTLS
//! required by default) and webhooks (a JSON POST signed per Standard
//! Webhooks, <https://www.standardwebhooks.com/>: `webhook-id`,
//! `webhook-timestamp`, `webhook-signature: v1,BASE64(HMAC-SHA256(secret,
//! "id.timestamp.body"))`).

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use hotline_core::keys::KeyId;
use hotline_core::message::Tlp;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::Alert;

/// The longest a delivery may take by default.
const DEFAULT_TIMEOUT: u64 = 10;
/// The most of a webhook's answer read (and thrown away).
const MAX_ANSWER: u64 = 64 * 1024;

/// A secret read from a file or the environment: never printed.
#[derive(Clone)]
struct Secret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Reads a secret named by `file` (relative to `dir`) or `env`; exactly one.
fn secret(
    file: &Option<String>,
    env: &Option<String>,
    what: &str,
    dir: &Path,
) -> Result<Option<Secret>, String> {
    match (file, env) {
        (Some(_), Some(_)) => Err(format!("set {what}_file or {what}_env, not both")),
        (None, None) => Ok(None),
        (Some(f), None) => {
            let p = dir.join(f);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let meta = std::fs::metadata(&p)
                    .map_err(|e| format!("{what}_file {}: {e}", p.display()))?;
                if meta.permissions().mode() & 0o077 != 0 {
                    return Err(format!(
                        "{what}_file {} is readable by others than its owner: `chmod 600` it",
                        p.display()
                    ));
                }
            }
            let text = Zeroizing::new(
                std::fs::read_to_string(&p)
                    .map_err(|e| format!("{what}_file {}: {e}", p.display()))?,
            );
            Ok(Some(Secret(Zeroizing::new(
                text.trim_end().as_bytes().to_vec(),
            ))))
        }
        (None, Some(v)) => {
            let text =
                Zeroizing::new(std::env::var(v).map_err(|_| {
                    format!("{what}_env names {v}, which is not set (or not UTF-8)")
                })?);
            Ok(Some(Secret(Zeroizing::new(
                text.trim_end().as_bytes().to_vec(),
            ))))
        }
    }
}

fn timeout(t: Option<u64>) -> Result<Duration, String> {
    match t.unwrap_or(DEFAULT_TIMEOUT) {
        0 => Err("timeout_secs must be at least 1".into()),
        n if n > 300 => Err("timeout_secs must be at most 300".into()),
        n => Ok(Duration::from_secs(n)),
    }
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// STARTTLS, required (port 587 by default): the default.
    Starttls,
    /// TLS from the first byte (port 465 by default).
    Tls,
    /// None: only to a mail server on this machine (port 25 by default).
    None,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEmail {
    server: String,
    port: Option<u16>,
    tls: Option<SmtpTls>,
    ca_file: Option<String>,
    from: String,
    to: Vec<String>,
    username: Option<String>,
    password_file: Option<String>,
    password_env: Option<String>,
    timeout_secs: Option<u64>,
}

/// An e-mail target.
#[derive(Debug, Clone)]
pub struct EmailTarget {
    /// The mail server's host name or address.
    pub server: String,
    /// Its port.
    pub port: u16,
    /// How the connection is protected.
    pub tls: SmtpTls,
    roots: Option<Vec<u8>>,
    from: Mailbox,
    to: Vec<Mailbox>,
    login: Option<(String, Secret)>,
    timeout: Duration,
}

pub(super) fn email(r: &RawEmail, dir: &Path) -> Result<EmailTarget, String> {
    let tls = r.tls.unwrap_or(SmtpTls::Starttls);
    let server = r.server.trim().to_owned();
    if server.is_empty() {
        return Err("server is empty".into());
    }
    if tls == SmtpTls::None && !hotline_core::net::is_loopback_authority(&server) {
        return Err(format!(
            "tls = \"none\" sends mail to {server} unprotected: allowed only to a mail server on this machine (localhost); use \"starttls\" or \"tls\""
        ));
    }
    let port = r.port.unwrap_or(match tls {
        SmtpTls::Starttls => 587,
        SmtpTls::Tls => 465,
        SmtpTls::None => 25,
    });
    let roots = match &r.ca_file {
        None => None,
        Some(f) => {
            let p = dir.join(f);
            let pem = std::fs::read(&p).map_err(|e| format!("ca_file {}: {e}", p.display()))?;
            Certificate::from_pem(&pem).map_err(|e| format!("ca_file {}: {e}", p.display()))?;
            Some(pem)
        }
    };
    let from: Mailbox = r
        .from
        .parse()
        .map_err(|e| format!("from = {:?}: {e}", r.from))?;
    if r.to.is_empty() {
        return Err("to is empty: name at least one address".into());
    }
    let to =
        r.to.iter()
            .map(|t| t.parse::<Mailbox>().map_err(|e| format!("to {t:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
    let password = secret(&r.password_file, &r.password_env, "password", dir)?;
    let login = match (&r.username, password) {
        (Some(u), Some(p)) => Some((u.clone(), p)),
        (None, None) => None,
        (Some(_), None) => {
            return Err("username is set without password_file or password_env".into());
        }
        (None, Some(_)) => return Err("a password is set without username".into()),
    };
    Ok(EmailTarget {
        server,
        port,
        tls,
        roots,
        from,
        to,
        login,
        timeout: timeout(r.timeout_secs)?,
    })
}

impl EmailTarget {
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(super) fn name(&self) -> String {
        let to: Vec<String> = self.to.iter().map(|m| m.email.to_string()).collect();
        format!("email:{}:{}:{}", self.server, self.port, to.join(","))
    }

    /// Sends `alert` as one message to every address of the target.
    pub(super) fn send(&self, alert: &Alert, content_up_to: Tlp) -> Result<(), String> {
        let mut m = lettre::Message::builder()
            .from(self.from.clone())
            .subject(alert.subject())
            .header(ContentType::TEXT_PLAIN);
        for t in &self.to {
            m = m.to(t.clone());
        }
        let m = m
            .body(alert.text(content_up_to))
            .map_err(|e| format!("building the message: {e}"))?;
        let params = || -> Result<TlsParameters, String> {
            let mut b = TlsParameters::builder(self.server.clone());
            if let Some(pem) = &self.roots {
                b = b
                    .certificate_store(lettre::transport::smtp::client::CertificateStore::None)
                    .add_root_certificate(Certificate::from_pem(pem).map_err(|e| e.to_string())?);
            }
            b.build_rustls().map_err(|e| format!("TLS: {e}"))
        };
        let tls = match self.tls {
            SmtpTls::Starttls => Tls::Required(params()?),
            SmtpTls::Tls => Tls::Wrapper(params()?),
            SmtpTls::None => Tls::None,
        };
        let mut t = SmtpTransport::builder_dangerous(self.server.clone())
            .port(self.port)
            .tls(tls)
            .timeout(Some(self.timeout));
        if let Some((u, p)) = &self.login {
            let p = String::from_utf8(p.0.to_vec()).map_err(|_| "the password is not UTF-8")?;
            t = t.credentials(Credentials::new(u.clone(), p));
        }
        t.build()
            .send(&m)
            .map(|_| ())
            .map_err(|e| format!("{}:{}: {e}", self.server, self.port))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    url: String,
    secret_file: Option<String>,
    secret_env: Option<String>,
    timeout_secs: Option<u64>,
}

/// A webhook target.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// Where alerts are POSTed.
    pub url: String,
    key: Secret,
    timeout: Duration,
}

pub(super) fn webhook(r: &RawWebhook, dir: &Path) -> Result<WebhookTarget, String> {
    let url = r.url.trim().to_owned();
    let Some(auth) = hotline_core::net::authority(&url) else {
        return Err(format!("url = {url:?}: expected an https:// URL"));
    };
    if url.starts_with("http://") && !hotline_core::net::is_loopback_authority(auth) {
        return Err(format!(
            "url = {url:?}: plain http would send alerts unprotected; use https:// (plain http only to this machine)"
        ));
    }
    let s = secret(&r.secret_file, &r.secret_env, "secret", dir)?.ok_or(
        "no secret: set secret_file (or secret_env) to a Standard Webhooks secret, whsec_ and base64; `hotline alerts new-secret` makes one",
    )?;
    let text = std::str::from_utf8(&s.0).map_err(|_| "the secret is not UTF-8")?;
    let key = text
        .strip_prefix("whsec_")
        .and_then(|b| B64.decode(b).ok())
        .filter(|k| (24..=64).contains(&k.len()))
        .ok_or(
            "the secret is not a Standard Webhooks secret (whsec_ and the base64 of 24 to 64 random bytes); `hotline alerts new-secret` makes one",
        )?;
    Ok(WebhookTarget {
        url,
        key: Secret(Zeroizing::new(key)),
        timeout: timeout(r.timeout_secs)?,
    })
}

/// The `webhook-signature` value of `body` sent with `id` at `timestamp`
/// (POSIX seconds) under the secret's key bytes: `v1,` and the base64 of
/// HMAC-SHA256 over `id.timestamp.body`.
pub fn sign_webhook(key: &[u8], id: &str, timestamp: u64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// A webhook message id, the same on every retry of one alert for one
/// member (so a receiver can drop duplicates), different between members.
pub(super) fn webhook_id(member: &KeyId, key: &str) -> String {
    let h = Sha256::new()
        .chain_update(member.to_hex().as_bytes())
        .chain_update(b"\n")
        .chain_update(key.as_bytes())
        .finalize();
    format!("msg_{}", &hex::encode(h)[..32])
}

impl WebhookTarget {
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs `body` once; any 2xx is delivered. Redirects are not followed.
    pub(super) fn send(&self, id: &str, body: &str, now: u64) -> Result<(), String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(self.timeout))
            .build()
            .into();
        let mut r = agent
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", now.to_string())
            .header(
                "webhook-signature",
                sign_webhook(&self.key.0, id, now, body),
            )
            .send(body)
            .map_err(|e| format!("{}: {e}", self.url))?;
        let status = r.status().as_u16();
        // Read a little of the answer so that the connection ends cleanly.
        let _ = r.body_mut().with_config().limit(MAX_ANSWER).read_to_vec();
        match status {
            200..=299 => Ok(()),
            300..=399 => Err(format!(
                "{} answered {status}: redirects are not followed; configure the final URL",
                self.url
            )),
            _ => Err(format!("{} answered {status}", self.url)),
        }
    }
}
