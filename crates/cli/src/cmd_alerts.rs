//! `hotline alerts`: check the profile's alert configuration, send a test
//! alert, list the deliveries on record, make a webhook secret. The alerts
//! themselves are raised and delivered by `hotline watch` and `hotline ui`
//! (`hotline_client::alerts`, `docs/alerts.md`).

use clap::Subcommand;
use hotline_client::alerts::{self, Config, Target};
use hotline_client::archive::Archive;
use hotline_client::profile::Profile;

use crate::tr::{printable, t, ta};
use crate::{Cli, Outcome, out};

/// What `hotline alerts --help` shows after the commands: the file.
pub const FILE_HELP: &str = r#"The file: PROFILE/alerts.toml (no file, no alerts). Example:

  # Where links in alerts point: the UI's address as the duty officer reaches it.
  link = "http://127.0.0.1:8080"
  # What alerts. Default: warning, deconfliction, deadline, alarm. Also: inquiry,
  # assistance, consultation (a new case of that kind from another party).
  events = ["warning", "deconfliction", "deadline", "alarm"]
  # A case this party owes an acknowledgement or answer on alerts this long
  # before its deadline (seconds, or 30m, 4h, 2d). Default 4h.
  before_deadline = "4h"
  # The highest TLP whose message titles an alert may carry. Default TLP:CLEAR:
  # an alert says what it is, the channel, case, deadline and a link, nothing more.
  content_up_to = "TLP:CLEAR"
  # A delivery is retried (5 s, doubling, at most 10 min apart) for this long. Default 1d.
  give_up_after = "1d"

  [[email]]
  server = "smtp.cert.example"     # STARTTLS required (tls = "starttls", port 587)
  # tls = "tls"                    # TLS from the start (port 465); "none": localhost only
  # ca_file = "mail-ca.pem"        # trust only these CAs (PEM), relative to the profile
  from = "Hotline <hotline@cert.example>"
  to = ["duty-officer@cert.example"]
  username = "hotline"
  password_file = "smtp-password"  # mode 600; or password_env = "VARIABLE"

  [[webhook]]
  url = "https://alerts.cert.example/hotline"   # https, or http to this machine only
  secret_file = "webhook-secret"   # whsec_… (`hotline alerts new-secret`); or secret_env

Webhooks are signed per Standard Webhooks (webhook-id, webhook-timestamp,
webhook-signature: v1,HMAC-SHA256). Every attempt is recorded in the archive:
`hotline alerts list` shows them. See docs/alerts.md."#;

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Read alerts.toml and say what it configures, or what is wrong in it (exit status 2).
    Check {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send a test alert to every target now and say whether each arrived.
    Test {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The deliveries on record, newest first (reads the archive only).
    List {
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a new webhook secret (whsec_ and 32 random bytes, base64) to put in a file.
    NewSecret,
}

fn load(cli: &Cli) -> anyhow::Result<(Profile, Config)> {
    let p = Profile::open(&cli.profile_dir()?)?;
    let c = Config::load(p.dir())?.ok_or_else(|| {
        anyhow::anyhow!(
            "{} does not exist: no alerts are configured (`hotline alerts --help` shows the file)",
            p.dir().join(alerts::FILE).display()
        )
    })?;
    Ok((p, c))
}

fn describe(t: &Target) -> serde_json::Value {
    match t {
        Target::Email(e) => serde_json::json!({
            "target": t.name(), "server": e.server, "port": e.port,
            "tls": format!("{:?}", e.tls).to_lowercase(),
        }),
        Target::Webhook(w) => serde_json::json!({"target": t.name(), "url": w.url}),
    }
}

pub fn run(cli: &Cli, c: &AlertsCommand) -> anyhow::Result<Outcome> {
    match c {
        AlertsCommand::NewSecret => {
            let mut k = [0u8; 32];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut k);
            use base64::Engine;
            out!(
                "whsec_{}",
                base64::engine::general_purpose::STANDARD.encode(k)
            );
            Ok(Outcome::Ok)
        }
        AlertsCommand::Check { json } => {
            let (p, cfg) = load(cli)?;
            let events: Vec<String> = cfg.events.iter().map(|e| format!("{e:?}")).collect();
            if *json {
                out!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "file": p.dir().join(alerts::FILE),
                        "link": cfg.link,
                        "events": events,
                        "before_deadline_secs": cfg.before_deadline,
                        "content_up_to": cfg.content_up_to.as_str(),
                        "give_up_after_secs": cfg.give_up_after,
                        "targets": cfg.targets.iter().map(describe).collect::<Vec<_>>(),
                    }))?
                );
            } else {
                let file = p.dir().join(alerts::FILE).display().to_string();
                out!("{}", ta("cli-alerts-valid", &[("file", file)]));
                out!(
                    "  {}",
                    ta("cli-alerts-events", &[("events", events.join(", "))])
                );
                out!(
                    "  {}",
                    ta(
                        "cli-alerts-timing",
                        &[
                            ("before", cfg.before_deadline.to_string()),
                            ("tlp", cfg.content_up_to.as_str().to_owned()),
                            ("retry", cfg.give_up_after.to_string())
                        ]
                    )
                );
                if cfg.targets.is_empty() {
                    out!("  {}", t("cli-alerts-no-target"));
                }
                for target in &cfg.targets {
                    out!(
                        "  {}",
                        ta("cli-alerts-target", &[("target", target.name())])
                    );
                }
            }
            Ok(Outcome::Ok)
        }
        AlertsCommand::Test { json } => {
            let (p, cfg) = load(cli)?;
            let me = p
                .info()
                .member
                .as_ref()
                .map(|m| m.signing_key_id)
                .ok_or_else(|| {
                    anyhow::anyhow!("this profile holds no member keys: alerts are a member's")
                })?;
            let alert = alerts::test_alert(&cfg, alerts::now());
            let mut failed = false;
            let mut rows = Vec::new();
            for t in &cfg.targets {
                let r = alerts::send_now(t, &cfg, &me, &alert);
                failed |= r.is_err();
                if *json {
                    rows.push(serde_json::json!({"target": t.name(), "delivered": r.is_ok(), "error": r.err()}));
                } else {
                    match r {
                        Ok(()) => out!("{}", ta("cli-alerts-delivered", &[("target", t.name())])),
                        Err(e) => out!(
                            "{}",
                            ta(
                                "cli-alerts-failed",
                                &[("target", t.name()), ("error", printable(&e.to_string()))]
                            )
                        ),
                    }
                }
            }
            if *json {
                out!("{}", serde_json::to_string_pretty(&rows)?);
            } else if cfg.targets.is_empty() {
                out!("{}", t("cli-alerts-no-target-configured"));
            }
            Ok(if failed || cfg.targets.is_empty() {
                Outcome::CheckFailed
            } else {
                Outcome::Ok
            })
        }
        AlertsCommand::List { limit, json } => {
            let p = Profile::open(&cli.profile_dir()?)?;
            let a = Archive::open(p.dir())?;
            let ds = a.deliveries(*limit)?;
            if *json {
                out!("{}", serde_json::to_string_pretty(&ds)?);
                return Ok(Outcome::Ok);
            }
            if ds.is_empty() {
                out!("{}", t("cli-alerts-none"));
            }
            for d in ds {
                let vars = [
                    ("attempts", d.attempts.to_string()),
                    ("error", printable(&d.last_error.unwrap_or_default())),
                ];
                let state = match d.state.as_str() {
                    "delivered" => ta("cli-alerts-state-delivered", &vars),
                    "failed" => ta("cli-alerts-state-gave-up", &vars),
                    _ if d.attempts == 0 => t("cli-alerts-state-pending"),
                    _ => ta("cli-alerts-state-retrying", &vars),
                };
                out!(
                    "{}",
                    ta(
                        "cli-alerts-row",
                        &[
                            ("alert", d.alert.to_string()),
                            ("key", d.key),
                            ("target", d.target),
                            ("state", state)
                        ]
                    )
                );
            }
            Ok(Outcome::Ok)
        }
    }
}
