//! `hotline channel …`, `hotline roster publish`, `hotline sync`, `hotline alarms`:
//! setting up a channel by file exchange, publishing rosters, and keeping the
//! local archive verified and up to date.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use hotline_client::archive::Archive;
use hotline_client::channel;
use hotline_client::profile::{Profile, ProfileInfo};
use hotline_client::relay_client::RelayClient;
use hotline_client::sync::{SyncError, sync_channel};
use hotline_core::charter::{Suite, VerifiedCharter, parse_unverified};
use hotline_core::dsse::SignedDocument;
use hotline_core::ids::ChannelId;

use crate::tr::{printable, t, ta};
use crate::{Cli, Outcome, out};

#[derive(Debug, clap::Subcommand)]
pub enum ChannelCommand {
    /// Draft a charter from the parties' public profiles (their profile.json files).
    Draft {
        /// What the channel is for.
        #[arg(long)]
        title: String,
        /// A party's public profile (`profile.json`); at least two.
        #[arg(long = "party", value_name = "PROFILE_JSON", required = true)]
        parties: Vec<PathBuf>,
        /// The relay's URL.
        #[arg(long)]
        relay_url: String,
        /// The relay's verifier key (`hotline relay key`).
        #[arg(long)]
        relay_key: String,
        /// A witness, as VKEY=URL (repeatable).
        #[arg(long = "witness", value_name = "VKEY=URL")]
        witnesses: Vec<String>,
        /// Witness cosignatures a checkpoint needs [default: all witnesses].
        #[arg(long)]
        quorum: Option<u32>,
        /// A deadline replacing the default of its kind, as KIND=ACK[/ANSWER]
        /// (e.g. inquiry=24h/7d; units s, m, h, d; ANSWER `-` for none; repeatable).
        #[arg(long = "deadline", value_name = "KIND=ACK[/ANSWER]")]
        deadlines: Vec<String>,
        /// The channel's default TLP label [default: amber].
        #[arg(long)]
        default_tlp: Option<String>,
        /// The cipher suite: hotline-v2-xwing (post-quantum hybrid: X-Wing,
        /// ML-KEM-768 with X25519) or hotline-v1 (X25519 only, for parties
        /// whose software predates the hybrid) [default: hotline-v2-xwing].
        #[arg(long, value_parser = parse_suite)]
        suite: Option<Suite>,
        /// Where to write the draft (DSSE JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Sign a charter with this profile's party key (the file is updated in place).
    Sign {
        /// The charter file.
        file: PathBuf,
    },
    /// Register a charter signed by every party on its relay, and follow the channel.
    Register {
        /// The charter file.
        file: PathBuf,
    },
    /// Follow a channel registered by another party.
    Join {
        /// The charter file.
        file: PathBuf,
    },
    /// List the channels this profile follows.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum RosterCommand {
    /// As a member: write the proof that this profile's member holds its keys
    /// and agrees to be listed by --party in --channel (its signing key
    /// signs), for the party's key holder to pass to `roster update --add`
    /// or `roster publish --member`. Nothing in it is secret.
    Proof {
        /// The channel id.
        #[arg(long)]
        channel: String,
        /// The party that lists the member: its party id, its short name (if
        /// this profile follows the channel), or its public profile
        /// (`profile.json`) [default: this profile's party].
        #[arg(long)]
        party: Option<String>,
        /// The channel's cipher suite (its charter's `suite`:
        /// hotline-v2-xwing or hotline-v1); needed only when this profile
        /// does not follow the channel [default: the followed channel's].
        #[arg(long, value_parser = parse_suite)]
        suite: Option<Suite>,
        /// Where to write the proof (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Publish this party's next roster version listing exactly this
    /// profile's member and the members in --member files (any member left
    /// out is revoked).
    Publish {
        /// The channel id.
        #[arg(long)]
        channel: String,
        /// Another member to list too: the proof it made with `hotline roster proof`.
        #[arg(long = "member", value_name = "MEMBER_PROOF_JSON")]
        members: Vec<PathBuf>,
    },
    /// Publish this party's next roster version: the current members, less
    /// the revoked keys, plus the added members (a rotation does both).
    Update {
        /// The channel id.
        #[arg(long)]
        channel: String,
        /// A member to add: the proof it made with `hotline roster proof`
        /// (repeatable).
        #[arg(long, value_name = "MEMBER_PROOF_JSON")]
        add: Vec<PathBuf>,
        /// A member's signing key id to revoke from the next log index on
        /// (repeatable; `hotline roster show` lists them).
        #[arg(long, value_name = "KEY_ID")]
        revoke: Vec<String>,
    },
    /// Show every party's current roster (after a sync).
    Show {
        /// The channel id.
        #[arg(long)]
        channel: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn read_doc(file: &Path) -> anyhow::Result<SignedDocument> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    SignedDocument::from_json(&bytes)
        .with_context(|| format!("{} is not a DSSE document", file.display()))
}

fn write_doc(file: &Path, doc: &SignedDocument) -> anyhow::Result<()> {
    let tmp = file.with_extension("partial");
    std::fs::write(&tmp, doc.to_json()).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, file).with_context(|| format!("writing {}", file.display()))?;
    Ok(())
}

fn public_profile(file: &Path) -> anyhow::Result<ProfileInfo> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a profile.json", file.display()))
}

pub fn run_channel(cli: &Cli, cmd: &ChannelCommand) -> anyhow::Result<Outcome> {
    match cmd {
        ChannelCommand::Draft {
            title,
            parties,
            relay_url,
            relay_key,
            witnesses,
            quorum,
            deadlines,
            default_tlp,
            suite,
            out: file,
        } => {
            let mut ps = Vec::new();
            for p in parties {
                let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
                ps.push(channel::party_of_profile_json(
                    &p.display().to_string(),
                    &bytes,
                )?);
            }
            let o = channel::DraftOptions {
                title: title.clone(),
                relay_url: relay_url.clone(),
                relay_key: relay_key.clone(),
                witnesses: witnesses
                    .iter()
                    .map(|w| channel::parse_witness(w))
                    .collect::<Result<_, _>>()?,
                witness_quorum: *quorum,
                deadlines: deadlines
                    .iter()
                    .map(|d| channel::parse_deadline(d))
                    .collect::<Result<_, _>>()?,
                default_tlp: default_tlp.as_deref().map(channel::parse_tlp).transpose()?,
                suite: *suite,
            };
            let doc = channel::draft_with(&o, &ps, &mut rand_core::OsRng)?;
            if file.exists() {
                bail!("{} exists; choose another --out", file.display());
            }
            write_doc(file, &doc)?;
            let c = parse_unverified(&doc)?;
            out!(
                "{}",
                ta(
                    "cli-channel-drafted",
                    &[
                        ("channel", doc_channel(&doc)?),
                        ("file", file.display().to_string())
                    ]
                )
            );
            let shorts = c.parties.iter().map(|p| printable(&p.short));
            out!(
                "{}",
                ta(
                    "cli-channel-parties",
                    &[("parties", shorts.collect::<Vec<_>>().join(", "))]
                )
            );
            out!(
                "{}",
                ta(
                    "cli-channel-next-sign",
                    &[("file", file.display().to_string())]
                )
            );
            Ok(Outcome::Ok)
        }
        ChannelCommand::Sign { file } => {
            let p = Profile::open(&cli.profile_dir()?)?;
            let mut doc = read_doc(file)?;
            let party = p
                .info()
                .party
                .clone()
                .context("this profile holds no party key")?;
            if parse_unverified(&doc)?.party(&party.id).is_none() {
                bail!("{} is not a party of this charter", party.short);
            }
            let key = p.unlock_party(&crate::passphrase::existing("party key")?)?;
            let signed = channel::sign_charter(&mut doc, &party, &key)?;
            if signed.already {
                out!(
                    "{}",
                    ta(
                        "cli-channel-signed-already",
                        &[("party", party.short.clone())]
                    )
                );
            } else {
                write_doc(file, &doc)?;
                out!(
                    "{}",
                    ta("cli-channel-signed", &[("party", party.short.clone())])
                );
            }
            if signed.missing.is_empty() {
                out!(
                    "{}",
                    ta(
                        "cli-channel-all-signed",
                        &[("file", file.display().to_string())]
                    )
                );
            } else {
                let missing = signed.missing.iter().map(|m| printable(m));
                out!(
                    "{}",
                    ta(
                        "cli-channel-still-to-sign",
                        &[("parties", missing.collect::<Vec<_>>().join(", "))]
                    )
                );
            }
            Ok(Outcome::Ok)
        }
        ChannelCommand::Register { file } => {
            let p = Profile::open(&cli.profile_dir()?)?;
            let doc = read_doc(file)?;
            VerifiedCharter::verify(&doc)?;
            let key = p.unlock_party(&crate::passphrase::existing("party key")?)?;
            let rec = channel::register(&Archive::open(p.dir())?, &doc, key)?;
            out!(
                "{}",
                ta(
                    "cli-channel-registered",
                    &[
                        ("channel", rec.id.to_hex()),
                        ("relay", printable(&rec.relay_url)),
                        ("origin", printable(&rec.origin))
                    ]
                )
            );
            Ok(Outcome::Ok)
        }
        ChannelCommand::Join { file } => {
            let p = Profile::open(&cli.profile_dir()?)?;
            let rec = channel::join(&Archive::open(p.dir())?, &read_doc(file)?)?;
            out!(
                "{}",
                ta(
                    "cli-channel-following",
                    &[
                        ("channel", rec.id.to_hex()),
                        ("relay", printable(&rec.relay_url))
                    ]
                )
            );
            Ok(Outcome::Ok)
        }
        ChannelCommand::List { json } => {
            let p = Profile::open(&cli.profile_dir()?)?;
            let a = Archive::open(p.dir())?;
            let mut rows = Vec::new();
            for rec in a.channels()? {
                let size = hotline_log::storage::LogStore::size(&a.log, &rec.origin)?;
                if *json {
                    rows.push(serde_json::json!({"channel": rec.id.to_hex(), "origin": rec.origin, "relay": rec.relay_url, "verified_size": size}));
                } else {
                    out!(
                        "{}",
                        ta(
                            "cli-channel-row",
                            &[
                                ("channel", rec.id.to_hex()),
                                ("size", size.to_string()),
                                ("relay", printable(&rec.relay_url))
                            ]
                        )
                    );
                }
            }
            if *json {
                out!("{}", serde_json::to_string_pretty(&rows)?);
            }
            Ok(Outcome::Ok)
        }
    }
}

fn doc_channel(doc: &SignedDocument) -> anyhow::Result<String> {
    // The id depends only on the payload, so it is known before signing.
    Ok(ChannelId::for_charter_payload(&doc.payload).to_hex())
}

pub fn run_roster(cli: &Cli, cmd: &RosterCommand) -> anyhow::Result<Outcome> {
    let p = Profile::open(&cli.profile_dir()?)?;
    match cmd {
        RosterCommand::Proof {
            channel,
            party,
            suite,
            out: file,
        } => {
            let id = channel_id(channel)?;
            let member = p
                .info()
                .member
                .clone()
                .context("this profile holds no member keys; a proof is made by the member itself, in its own profile")?;
            let party = resolve_party(&p, &id, party.as_deref())?;
            // A key belongs to one party: say so before anyone posts it.
            if let Ok(a) = Archive::open(p.dir())
                && a.channel(&id).is_ok()
                && let Some(other) =
                    hotline_client::channel::party_of(&a, &id, &member.signing_key_id)?
                && other != party
            {
                bail!(
                    "this member's signing key is already a key of party {} in channel {}: a key belongs to one party, \
                     so no other party can list it (a member of two parties uses a separate profile for each)",
                    other.short(),
                    id.to_hex()
                );
            }
            let followed = Archive::open(p.dir())
                .ok()
                .and_then(|a| channel::suite_of(&a, &id).ok());
            // A newcomer does not follow the channel yet: new channels are
            // of the default suite, and a proof of the wrong suite is refused
            // by the party's `roster publish` with the reason.
            let suite_flag = *suite;
            let suite = match (suite, followed) {
                (Some(s), Some(f)) if *s != f => bail!(
                    "channel {} is of suite {f} (its charter says so), not {s}; leave out --suite",
                    id.to_hex()
                ),
                (Some(s), _) => *s,
                (None, Some(f)) => f,
                (None, None) => Suite::DEFAULT,
            };
            let keys = p.unlock_member(&crate::passphrase::existing("member keys")?)?;
            let proof =
                hotline_client::channel::MemberProof::new(suite, &id, &party, &member.name, &keys)?;
            let tmp = file.with_extension("partial");
            std::fs::write(&tmp, serde_json::to_vec_pretty(&proof)?)
                .with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, file).with_context(|| format!("writing {}", file.display()))?;
            out!(
                "{}",
                ta(
                    "cli-roster-proof-written",
                    &[
                        ("member", member.name.clone()),
                        ("key", member.signing_key_id.to_string()),
                        ("party", party.short()),
                        ("channel", id.to_hex()),
                        ("file", file.display().to_string())
                    ]
                )
            );
            if followed.is_none() && suite_flag.is_none() {
                out!(
                    "{}",
                    ta("cli-roster-proof-suite", &[("suite", suite.to_string())])
                );
            }
            out!(
                "{}",
                ta(
                    "cli-roster-proof-next",
                    &[
                        ("channel", id.to_hex()),
                        ("file", file.display().to_string())
                    ]
                )
            );
            Ok(Outcome::Ok)
        }
        RosterCommand::Publish { channel, members } => {
            let id = channel_id(channel)?;
            let proofs = members
                .iter()
                .map(|f| Ok((f.display().to_string(), member_proof_of(f)?)))
                .collect::<anyhow::Result<Vec<_>>>()?;
            if proofs.is_empty() && p.info().member.is_none() {
                bail!(
                    "no member to list: this profile has none; pass --member MEMBER_PROOF_JSON (made by the member with `hotline roster proof`)"
                );
            }
            let pass = crate::passphrase::existing("party key")?;
            let party = p.info().party.clone().context(
                "this profile holds no party key; the party's key holder publishes rosters",
            )?;
            let key = p.unlock_party(&pass)?;
            let own = match &p.info().member {
                Some(m) => Some((m.name.clone(), p.unlock_keyring(&pass)?)),
                None => None,
            };
            let a = Archive::open(p.dir())?;
            let r = channel::publish_members(
                &a,
                &party,
                &key,
                own.as_ref().map(|(n, k)| (n.as_str(), k)),
                &id,
                &proofs,
            )?;
            published(&party.short, &r)?;
            Ok(Outcome::Ok)
        }
        RosterCommand::Update {
            channel,
            add,
            revoke,
        } => {
            let id = channel_id(channel)?;
            let proofs = add
                .iter()
                .map(|f| member_proof_of(f))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let revoke = revoke
                .iter()
                .map(|k| {
                    hotline_core::keys::KeyId::from_hex(k).map_err(|_| {
                        anyhow::anyhow!("{k:?} is not a key id (`hotline roster show` lists them)")
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let pass = crate::passphrase::existing("party key")?;
            publish_roster(&p, &pass, &id, |a, party| {
                let mut ms = Vec::new();
                for (f, proof) in add.iter().zip(&proofs) {
                    ms.push(proof.check(&id, party).map_err(|e| {
                        channel::RosterUpdateError::Invalid(format!("{}: {e}", f.display()))
                    })?);
                }
                Ok(channel::updated_roster(a, &id, party, &ms, &revoke)?)
            })?;
            Ok(Outcome::Ok)
        }
        RosterCommand::Show { channel, json } => {
            let id = channel_id(channel)?;
            let a = Archive::open(p.dir())?;
            let rec = a.channel(&id)?;
            // The current rosters: sync first when this profile can.
            let synced = match p.unlock_keyring(&crate::passphrase::existing("member keys")?) {
                Ok(me) => RelayClient::new(&rec.relay_url, me.current.signing.clone())
                    .map_err(|e| e.to_string())
                    .and_then(|relay| {
                        sync_channel(&a, &relay, &id, &me, &|_, _| {}).map_err(|e| e.to_string())
                    }),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = &synced {
                eprintln!(
                    "{}",
                    ta("cli-roster-not-synced", &[("error", printable(e))])
                );
            }
            let charter = VerifiedCharter::verify(&SignedDocument::from_json(&rec.charter)?)?;
            let mut rows = Vec::new();
            for party in &charter.charter().parties {
                let latest = hotline_client::channel::latest_roster(&a, &id, &party.id)?;
                let members: Vec<serde_json::Value> = latest
                    .as_ref()
                    .and_then(|(r, _)| r.parsed_members().ok())
                    .unwrap_or_default()
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "name": m.name,
                            "signing_key_id": m.signing_key.key_id().to_hex(),
                            "encryption_key_id": m.encryption_key.key_id().to_hex(),
                        })
                    })
                    .collect();
                let version = latest.as_ref().map(|(r, _)| r.version);
                if !*json {
                    let who = [
                        ("party", printable(&party.short)),
                        ("name", printable(&party.name)),
                    ];
                    out!(
                        "{}",
                        match version {
                            Some(v) => ta(
                                "cli-roster-party",
                                &[who[0].clone(), who[1].clone(), ("version", v.to_string())]
                            ),
                            None => ta("cli-roster-party-none", &who),
                        }
                    );
                    for m in &members {
                        let field = |k: &str| printable(m[k].as_str().unwrap_or_default());
                        out!(
                            "  {}",
                            ta(
                                "cli-roster-member",
                                &[
                                    ("name", field("name")),
                                    ("signing", field("signing_key_id")),
                                    ("encryption", field("encryption_key_id"))
                                ]
                            )
                        );
                    }
                }
                rows.push(serde_json::json!({"party": party.short, "party_id": party.id.to_hex(), "version": version, "members": members}));
            }
            if *json {
                out!("{}", serde_json::to_string_pretty(&rows)?);
            }
            Ok(Outcome::Ok)
        }
    }
}

fn channel_id(s: &str) -> anyhow::Result<ChannelId> {
    ChannelId::from_hex(s).map_err(|_| anyhow::anyhow!("{s:?} is not a channel id"))
}

/// A member proof file (`hotline roster proof`); a profile.json in its
/// place is refused with what to do instead.
fn member_proof_of(f: &Path) -> anyhow::Result<channel::MemberProof> {
    let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
    Ok(channel::member_proof_of_json(
        &f.display().to_string(),
        &bytes,
    )?)
}

/// The party a member proof is for: `--party` as an id, a short name in the
/// followed channel's charter, or a profile.json; else this profile's party.
fn resolve_party(
    p: &Profile,
    id: &ChannelId,
    party: Option<&str>,
) -> anyhow::Result<hotline_core::keys::KeyId> {
    let Some(s) = party else {
        return p.info().party.as_ref().map(|x| x.id).context(
            "this profile names no party: pass --party with the party's id, short name or profile.json",
        );
    };
    if let Ok(k) = hotline_core::keys::KeyId::from_hex(s) {
        return Ok(k);
    }
    let path = Path::new(s);
    if path.is_file() {
        return public_profile(path)?
            .party
            .map(|x| x.id)
            .with_context(|| format!("{} holds no party", path.display()));
    }
    let rec = Archive::open(p.dir())?.channel(id).with_context(|| {
        format!("--party {s:?} is not a party id or a file, and this profile does not follow the channel to look the name up")
    })?;
    let charter = VerifiedCharter::verify(&SignedDocument::from_json(&rec.charter)?)?;
    charter
        .charter()
        .party_by_short(s)
        .map(|x| x.id)
        .with_context(|| format!("the channel's charter names no party {s:?}"))
}

/// Syncs, builds this party's next roster with `build` (from the synced
/// mirror), signs it with the party key, posts it, and waits until a signed
/// checkpoint holds it ([`channel::publish_roster`]). Returns its version
/// and log index.
pub(crate) fn publish_roster(
    p: &Profile,
    pass: &hotline_client::profile::Passphrase,
    id: &ChannelId,
    build: impl FnOnce(
        &Archive,
        &hotline_core::keys::KeyId,
    ) -> Result<hotline_core::roster::Roster, channel::SetupError>,
) -> anyhow::Result<(u64, u64)> {
    let party = p
        .info()
        .party
        .clone()
        .context("this profile holds no party key; the party's key holder publishes rosters")?;
    let key = p.unlock_party(pass)?;
    let a = Archive::open(p.dir())?;
    let me = p.unlock_keyring(pass).ok();
    let r = channel::publish_roster(&a, &party, &key, me.as_ref(), id, build)?;
    published(&party.short, &r)?;
    Ok((r.version, r.index))
}

fn published(party: &str, r: &channel::Published) -> anyhow::Result<()> {
    out!(
        "{}",
        ta(
            "cli-roster-published",
            &[
                ("version", r.version.to_string()),
                ("party", party.to_owned()),
                ("members", r.members.to_string()),
                ("index", r.index.to_string())
            ]
        )
    );
    Ok(())
}

/// `hotline sync`.
pub fn run_sync(cli: &Cli, channel: Option<&str>, json: bool) -> anyhow::Result<Outcome> {
    let p = Profile::open(&cli.profile_dir()?)?;
    let me = p.unlock_keyring(&crate::passphrase::existing("member keys")?)?;
    let a = Archive::open(p.dir())?;
    let mut results = Vec::new();
    let mut alarmed = false;
    for rec in a.channels()? {
        if channel.is_some_and(|c| c != rec.id.to_hex()) {
            continue;
        }
        let relay = RelayClient::new(&rec.relay_url, me.current.signing.clone())?;
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} entries")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(format!("syncing {}", &rec.id.to_hex()[..8]));
        let r = sync_channel(&a, &relay, &rec.id, &me, &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        });
        bar.finish_and_clear();
        match r {
            Ok(o) => {
                if !json {
                    out!(
                        "{}",
                        ta(
                            if o.cosigned {
                                "cli-synced-cosigned"
                            } else {
                                "cli-synced"
                            },
                            &[
                                ("channel", rec.id.to_hex()),
                                ("size", o.size.to_string()),
                                ("new", o.new_entries.to_string()),
                                ("opened", o.opened.to_string()),
                            ]
                        )
                    );
                }
                results.push(
                    serde_json::json!({"channel": rec.id.to_hex(), "ok": true, "outcome": o}),
                );
            }
            Err(SyncError::Alarm(alarm)) => {
                alarmed = true;
                if !json {
                    out!(
                        "{}",
                        ta(
                            "cli-sync-alarm",
                            &[
                                ("channel", rec.id.to_hex()),
                                ("kind", alarm.kind.to_string()),
                                ("detail", printable(&alarm.detail)),
                            ]
                        )
                    );
                }
                results.push(
                    serde_json::json!({"channel": rec.id.to_hex(), "ok": false, "alarm": alarm}),
                );
            }
            Err(e @ SyncError::Incomplete { .. }) => {
                let SyncError::Incomplete { outcome, .. } = &e else {
                    unreachable!("matched just above")
                };
                if !json {
                    out!("{}: {e}", rec.id.to_hex());
                }
                results.push(serde_json::json!({"channel": rec.id.to_hex(), "ok": false, "incomplete": true, "error": e.to_string(), "outcome": outcome}));
                alarmed = true;
            }
            Err(e) => {
                if !json {
                    out!(
                        "{}",
                        ta(
                            "cli-sync-failed",
                            &[
                                ("channel", rec.id.to_hex()),
                                ("error", printable(&e.to_string()))
                            ]
                        )
                    );
                }
                results.push(serde_json::json!({"channel": rec.id.to_hex(), "ok": false, "error": e.to_string()}));
                alarmed = true;
            }
        }
    }
    if json {
        out!("{}", serde_json::to_string_pretty(&results)?);
    }
    let standing = a.alarms()?.len();
    if standing > 0 && !json {
        out!(
            "{}",
            ta("cli-alarms-standing", &[("alarms", standing.to_string())])
        );
    }
    Ok(if alarmed || standing > 0 {
        Outcome::CheckFailed
    } else {
        Outcome::Ok
    })
}

/// `hotline alarms`.
pub fn run_alarms(cli: &Cli, json: bool) -> anyhow::Result<Outcome> {
    let p = Profile::open(&cli.profile_dir()?)?;
    let a = Archive::open(p.dir())?;
    let alarms = a.alarms()?;
    if json {
        out!("{}", serde_json::to_string_pretty(&alarms)?);
    } else if alarms.is_empty() {
        out!("{}", t("cli-alarms-none"));
    } else {
        for al in &alarms {
            out!(
                "{}",
                ta(
                    "cli-alarm",
                    &[
                        ("id", al.id.to_string()),
                        ("raised", al.raised_at.clone()),
                        ("channel", al.channel.clone()),
                        ("kind", al.kind.to_string()),
                        ("detail", printable(&al.detail)),
                    ]
                )
            );
            out!(
                "   {}",
                ta(
                    "cli-alarm-evidence",
                    &[("items", al.evidence.len().to_string())]
                )
            );
        }
    }
    Ok(if alarms.is_empty() {
        Outcome::Ok
    } else {
        Outcome::CheckFailed
    })
}

/// A cipher suite named on the command line.
pub(crate) fn parse_suite(s: &str) -> Result<Suite, String> {
    Suite::from_name(s).ok_or_else(|| {
        format!(
            "unknown suite {s:?}; choose {}",
            Suite::ALL.map(Suite::name).join(" or ")
        )
    })
}
