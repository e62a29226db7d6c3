//! Writing a message: building the inner message, sealing it to every
//! current member of the addressed parties and of our own party (so that
//! colleagues, and we, can read it later), and posting it to the relay.

use hotline_core::charter::VerifiedCharter;
use hotline_core::dsse::SignedDocument;
use hotline_core::envelope::Envelope;
use hotline_core::ids::{ChannelId, MessageId};
use hotline_core::keys::KeyId;
use hotline_core::message::{AttachmentMeta, InnerHeader, Kind, Message, Norm, Tlp, sha256_hex};

use crate::archive::{Archive, ArchiveError};
use crate::keyring::Keys;
use crate::relay_client::{RelayClient, RelayError};

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// The archive failed.
    #[error("{0}")]
    Archive(#[from] ArchiveError),
    /// The relay refused or could not be reached.
    #[error("{0}")]
    Relay(#[from] RelayError),
    /// The message is not acceptable.
    #[error("{0}")]
    Invalid(String),
}

/// An attachment to send.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Its file name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// What to send.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The kind.
    pub kind: Kind,
    /// The parties addressed (party ids).
    pub to: Vec<KeyId>,
    /// A short title.
    pub title: String,
    /// The body (Markdown).
    pub body: String,
    /// The BCP 47 tag of `body` [default: `en`].
    pub lang: String,
    /// The body in other languages: (BCP 47 tag, Markdown), each sealed as
    /// its own part so that a disclosure can open one and redact another.
    pub other_bodies: Vec<(String, String)>,
    /// The tags of the authentic versions: all of them when they are
    /// equally authentic. Empty for a body in one language; required with
    /// several.
    pub authentic: Vec<String>,
    /// The case it acts on (for a kind that does not open one; for `ping`
    /// and `pong`, [`crate::cases::PING_CASE`]).
    pub case: Option<MessageId>,
    /// Messages it refers to (a `pong` names its `ping`).
    pub refs: Vec<MessageId>,
    /// TLP label [default: the charter's].
    pub tlp: Option<Tlp>,
    /// The norm invoked.
    pub norm: Option<Norm>,
    /// Attached files.
    pub attachments: Vec<Attachment>,
    /// A STIX 2.1 bundle (JSON).
    pub stix: Option<Vec<u8>>,
}

impl Draft {
    /// A draft of `kind` to the parties `to`, with nothing else set: no
    /// case (a case-opening kind opens its own), no references, the
    /// charter's TLP label, no norm, attachments or STIX bundle.
    pub fn new(
        kind: Kind,
        to: Vec<KeyId>,
        title: impl Into<String>,
        body: impl Into<String>,
    ) -> Draft {
        Draft {
            kind,
            to,
            title: title.into(),
            body: body.into(),
            lang: "en".into(),
            other_bodies: vec![],
            authentic: vec![],
            case: None,
            refs: vec![],
            tlp: None,
            norm: None,
            attachments: vec![],
            stix: None,
        }
    }

    /// A reply of `kind` (ack, interim, answer, clarification, close,
    /// reopen) from our `party` on `case`: to every other party of the
    /// case, titled `Re: <title>`, naming the case and referring to it. What
    /// `hotline case ack|interim|…` and the web UI's case forms send; whether
    /// the reply applies is [`crate::cases::Case::replies_for`]'s to say.
    pub fn reply(
        case: &crate::cases::Case,
        party: &KeyId,
        kind: Kind,
        body: impl Into<String>,
    ) -> Draft {
        let to: Vec<KeyId> = std::iter::once(case.opener)
            .chain(case.to.iter().copied())
            .filter(|p| p != party)
            .collect();
        Draft {
            case: Some(case.id),
            refs: vec![case.id],
            ..Draft::new(kind, to, format!("Re: {}", case.title), body)
        }
    }
}

impl Draft {
    /// Sets the body from its language versions, `(BCP 47 tag, Markdown)`,
    /// the first becoming part 1; `authentic` names the authentic versions
    /// by tag, or is `["all"]` when they are all equally authentic. One
    /// version needs no `authentic` (it is the text); several need it, so
    /// that no reader has to guess which text binds its author.
    pub fn set_texts(
        &mut self,
        texts: Vec<(String, String)>,
        authentic: &[String],
    ) -> Result<(), ComposeError> {
        let bad = |s: String| Err(ComposeError::Invalid(s));
        let mut texts = texts.into_iter();
        let Some((lang, body)) = texts.next() else {
            return bad("a message needs a body".into());
        };
        let others: Vec<(String, String)> = texts.collect();
        let langs: Vec<&str> = std::iter::once(lang.as_str())
            .chain(others.iter().map(|(l, _)| l.as_str()))
            .collect();
        for (i, l) in langs.iter().enumerate() {
            if !hotline_core::message::is_language_tag(l) {
                return bad(format!(
                    "{l:?} is not a BCP 47 language tag (for example en, ru, fr-CA, zh-Hant)"
                ));
            }
            if langs[..i].iter().any(|e| e.eq_ignore_ascii_case(l)) {
                return bad(format!("the body is given twice in {l}"));
            }
        }
        let all = authentic.iter().any(|a| a == "all");
        if all && authentic.len() > 1 {
            return bad("say `all` or name the authentic languages, not both".into());
        }
        let authentic: Vec<String> = if all {
            langs.iter().map(|l| l.to_string()).collect()
        } else {
            for a in authentic {
                if !langs.iter().any(|l| l.eq_ignore_ascii_case(a)) {
                    return bad(format!(
                        "{a:?} is marked authentic but the body is not given in it (it is in {})",
                        langs.join(", ")
                    ));
                }
            }
            let mut named: Vec<String> = Vec::new();
            for a in authentic {
                if !named.iter().any(|n| n.eq_ignore_ascii_case(a)) {
                    named.push(a.clone());
                }
            }
            named
        };
        if langs.len() > 1 && authentic.is_empty() {
            return bad(format!(
                "the body is in {}: say which text is authentic (one or more of them, or all)",
                langs.join(", ")
            ));
        }
        self.authentic = if langs.len() > 1 { authentic } else { vec![] };
        self.lang = lang;
        self.body = body;
        self.other_bodies = others;
        Ok(())
    }
}

/// A case opened by [`open_case`].
#[derive(Debug, Clone)]
pub struct Opened {
    /// Its log index.
    pub index: u64,
    /// Its id (the case id).
    pub id: MessageId,
    /// With `--draft` semantics: how many objects of the draft were sent,
    /// and how many (added meanwhile) are left in it.
    pub from_draft: Option<(usize, u64)>,
}

/// Opens a case as `hotline case open` does: sends `d` (a case-opening
/// kind); with `draft`, the STIX objects of that archive draft of `channel`
/// are its bundle (checked as [`send`] checks any bundle, replacing
/// `d.stix`), and once the case is confirmed they leave the draft (objects
/// added meanwhile stay).
pub fn open_case(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    keys: &dyn Keys,
    mut d: Draft,
    draft: Option<&str>,
) -> Result<Opened, ComposeError> {
    let bundle = match draft {
        Some(name) => {
            let b = archive.draft_bundle(channel, name).map_err(|e| {
                ComposeError::Invalid(format!("the draft {name:?} cannot be sent: {e}"))
            })?;
            check_stix(&b.bytes)?;
            d.stix = Some(b.bytes.clone());
            Some((name, b))
        }
        None => None,
    };
    let (index, id) = send(archive, relay, channel, keys, &d)?;
    let from_draft = match bundle {
        Some((name, b)) => {
            let left = archive.remove_sent(channel, name, &b).map_err(|e| {
                ComposeError::Invalid(format!(
                    "the case was opened, but its objects could not be removed from the draft {name:?}: {e}"
                ))
            })?;
            Some((b.objects, left))
        }
        None => None,
    };
    Ok(Opened {
        index,
        id,
        from_draft,
    })
}

/// The STIX 2.1 evidence `bundle` checked as [`send`] checks it: its
/// warnings (SHOULD rules) when valid, or every broken MUST rule, one per
/// line, naming the object and the property (`docs/stix.md`).
pub fn check_stix(bundle: &[u8]) -> Result<Vec<String>, ComposeError> {
    let r = hotline_stix::validate_bundle(bundle);
    if r.is_valid() {
        return Ok(r.warnings.iter().map(ToString::to_string).collect());
    }
    let shown: Vec<String> = r.errors.iter().take(20).map(|e| format!("  {e}")).collect();
    Err(ComposeError::Invalid(format!(
        "the STIX evidence is not valid STIX 2.1 ({} error(s)):\n{}{}",
        r.errors.len(),
        shown.join("\n"),
        if r.errors.len() > shown.len() {
            format!("\n  … and {} more", r.errors.len() - shown.len())
        } else {
            String::new()
        }
    )))
}

/// Seals and posts a message; returns its log index and id once a signed
/// checkpoint covers it and, within [`DATED_WITHIN`], a time attestation
/// dates it (`docs/client.md`, "Sequencing times"; when none does yet,
/// `archive.sequenced_at` says `None` and its deadlines wait for it). The
/// archive must be synced (its rosters are the recipients).
pub fn send(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    me: &dyn Keys,
    d: &Draft,
) -> Result<(u64, MessageId), ComposeError> {
    if crate::airgap::is_air_gapped(archive.profile_dir()) {
        return Err(ComposeError::Invalid(
            "this profile is air-gapped: it posts nothing to the relay. Send with the command line \
             (`hotline case open|ack|answer …`), which queues the message for the courier \
             (docs/airgap.md)"
                .into(),
        ));
    }
    let (env, id) = seal(archive, channel, me, d)?;
    let leaf = hotline_log::merkle::leaf_hash(&env.signed_head().to_bytes());
    let posted_at = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
    let acc = relay.post_envelopes(channel, &[env])?;
    let a = acc
        .first()
        .ok_or_else(|| ComposeError::Invalid("the relay answered no outcome".into()))?;
    confirm(archive, relay, channel, me, a.index, &leaf)?;
    await_dated(
        archive,
        relay,
        channel,
        me,
        (a.index, posted_at),
        DATED_WITHIN,
    )?;
    Ok((a.index, id))
}

/// Seals a message to the addressed parties' and our own party's current
/// members, as the archive's mirror knows them, without posting it: what
/// [`send`] posts, and what an air-gapped profile queues for its courier
/// ([`queue`]).
pub fn seal(
    archive: &Archive,
    channel: &ChannelId,
    me: &dyn Keys,
    d: &Draft,
) -> Result<(Envelope, MessageId), ComposeError> {
    if let Some(bundle) = &d.stix {
        check_stix(bundle)?;
    }
    let rec = archive.channel(channel)?;
    let doc = SignedDocument::from_json(&rec.charter)
        .map_err(|e| ComposeError::Invalid(e.to_string()))?;
    let charter =
        VerifiedCharter::verify(&doc).map_err(|e| ComposeError::Invalid(e.to_string()))?;
    let size = hotline_log::storage::LogStore::size(&archive.log, &rec.origin)
        .map_err(ArchiveError::from)?;
    let dir = crate::sync::directory(archive, &rec.origin, size, &charter)?;
    let me_id = me.current().signing.key_id();
    let my_party = dir
        .signer_at(&me_id, size)
        .map(|s| s.party)
        .ok_or_else(|| {
            ComposeError::Invalid(
                "this member is not in its party's current roster in this channel: publish the roster \
                 (`hotline roster publish`) and sync first"
                    .into(),
            )
        })?;
    for p in &d.to {
        if charter.charter().party(p).is_none() {
            return Err(ComposeError::Invalid(format!(
                "{} is not a party of this channel",
                p.short()
            )));
        }
    }
    let members = dir.current_members();
    let mut recipients = Vec::new();
    for (party, m) in &members {
        if (*party == my_party || d.to.contains(party)) && !recipients.contains(&m.encryption_key) {
            recipients.push(m.encryption_key.clone());
        }
    }
    if let Some(p) = d.to.iter().find(|p| !members.iter().any(|(q, _)| q == *p)) {
        let short = charter
            .charter()
            .party(p)
            .map_or_else(|| p.to_hex(), |x| x.short.clone());
        return Err(ComposeError::Invalid(format!(
            "{short} has no roster in this archive yet, so no member of it could read the \
             message: wait until it publishes one and a sync brings it, then send again"
        )));
    }
    let mut rng = rand_core::OsRng;
    let id = MessageId::random(&mut rng);
    let mut nonce = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rng, &mut nonce);
    let header = InnerHeader {
        v: 1,
        channel: *channel,
        id,
        case: if d.kind.opens_case() {
            id
        } else {
            d.case.unwrap_or(crate::cases::PING_CASE)
        },
        kind: d.kind,
        author: me_id,
        party: my_party,
        created: time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        to: d.to.clone(),
        refs: d.refs.clone(),
        title: d.title.clone(),
        tlp: d.tlp.unwrap_or(charter.charter().default_tlp),
        norm: d.norm,
        lang: d.lang.clone(),
        other_langs: d.other_bodies.iter().map(|(l, _)| l.clone()).collect(),
        authentic: d.authentic.clone(),
        attachments: d
            .attachments
            .iter()
            .map(|a| AttachmentMeta {
                name: a.name.clone(),
                media_type: a.media_type.clone(),
                size: a.bytes.len() as u64,
                sha256: sha256_hex(&a.bytes),
            })
            .collect(),
        stix: d.stix.is_some(),
        nonce: hex::encode(nonce),
    };
    let msg = Message {
        header,
        body: d.body.clone(),
        other_bodies: d.other_bodies.iter().map(|(_, b)| b.clone()).collect(),
        attachments: d.attachments.iter().map(|a| a.bytes.clone()).collect(),
        stix: d.stix.clone(),
    };
    let (env, _) = Envelope::seal_message(&msg, &me.current().signing, &recipients, &mut rng)
        .map_err(|e| ComposeError::Invalid(e.to_string()))?;
    Ok((env, id))
}

/// Seals a message and queues it for the courier (an air-gapped profile,
/// `docs/airgap.md`): it goes out in the next outbox, and is in the log
/// once the courier posted it and an import brought the log back.
pub fn queue(
    archive: &Archive,
    channel: &ChannelId,
    me: &dyn Keys,
    d: &Draft,
) -> Result<MessageId, ComposeError> {
    let (env, id) = seal(archive, channel, me, d)?;
    archive.queue_outgoing(channel, &env.to_bytes())?;
    Ok(id)
}

/// How long [`send`] waits for the relay to log a time attestation dating
/// the message (with the charter's witnesses' cosignatures, when it names a
/// quorum) before it returns without one.
pub const DATED_WITHIN: std::time::Duration = std::time::Duration::from_secs(15);

/// Syncs until a time attestation dates our entry at `index`, which we
/// posted at `posted_at` (POSIX seconds, this machine's clock), for at most
/// `within`; returns its sequencing time, or `None` if none dates it yet.
/// A time more than [`crate::sync::MAX_CLOCK_SKEW`] before we posted it is
/// a backdated entry: a `bad-time` alarm, the attestation as evidence.
pub fn await_dated(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    me: &dyn Keys,
    (index, posted_at): (u64, u64),
    within: std::time::Duration,
) -> Result<Option<u64>, ComposeError> {
    let start = std::time::Instant::now();
    loop {
        if let Some(t) = archive.sequenced_at(channel, index)? {
            if t.saturating_add(crate::sync::MAX_CLOCK_SKEW) < posted_at {
                let evidence = archive.attestation_of(channel, index)?;
                let a = archive.raise(
                    channel,
                    "bad-time",
                    &format!(
                        "the relay's time attestation dates our entry at index {index} at {t}, \
                         {} s before we posted it ({posted_at}): it was backdated",
                        posted_at - t
                    ),
                    &evidence.iter().map(Vec::as_slice).collect::<Vec<_>>(),
                )?;
                return Err(ComposeError::Invalid(format!(
                    "ALARM ({}): {}",
                    a.kind, a.detail
                )));
            }
            return Ok(Some(t));
        }
        if start.elapsed() > within {
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        sync_for_our_entry(archive, relay, channel, me)?;
    }
}

/// A sync after we posted: an alarm or a relay or archive error fails the
/// command; envelopes still to fetch do not (the log is mirrored, and they
/// do not hide our entry).
fn sync_for_our_entry(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    me: &dyn Keys,
) -> Result<(), ComposeError> {
    match crate::sync::sync_channel(archive, relay, channel, me, &|_, _| {}) {
        Ok(_) | Err(crate::sync::SyncError::Incomplete { .. }) => Ok(()),
        Err(crate::sync::SyncError::Alarm(a)) => Err(ComposeError::Invalid(format!(
            "ALARM ({}): {}",
            a.kind, a.detail
        ))),
        Err(crate::sync::SyncError::Relay(e)) => Err(e.into()),
        Err(crate::sync::SyncError::Archive(e)) => Err(e.into()),
    }
}

/// How long the relay may take to put an acknowledged entry in a signed
/// checkpoint before its absence is an alarm.
pub const CONFIRM_WITHIN: std::time::Duration = std::time::Duration::from_secs(30);

/// Waits until a signed checkpoint covers the entry the relay acknowledged
/// at `index`, syncs, and checks that the log holds exactly our entry
/// there; raises a `missing-entry` alarm otherwise.
pub fn confirm(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    me: &dyn Keys,
    index: u64,
    leaf: &[u8; 32],
) -> Result<(), ComposeError> {
    confirm_within(archive, relay, channel, me, index, leaf, CONFIRM_WITHIN)
}

/// [`confirm`] with another bound than [`CONFIRM_WITHIN`].
pub fn confirm_within(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    me: &dyn Keys,
    index: u64,
    leaf: &[u8; 32],
    within: std::time::Duration,
) -> Result<(), ComposeError> {
    await_covering(archive, relay, channel, index, within)?;
    sync_for_our_entry(archive, relay, channel, me)?;
    let rec = archive.channel(channel)?;
    let logged = hotline_log::storage::LogStore::read_hashes(
        &archive.log,
        &rec.origin,
        &[hotline_log::merkle::stored_index(0, index)],
    )
    .map_err(ArchiveError::from)?;
    if logged.first() != Some(leaf) {
        let a = archive.raise(
            channel,
            "missing-entry",
            &format!("the relay acknowledged our entry at index {index} but the log holds another entry there"),
            &[],
        )?;
        return Err(ComposeError::Invalid(format!(
            "ALARM ({}): {}",
            a.kind, a.detail
        )));
    }
    Ok(())
}

/// Waits until the relay serves a checkpoint of size greater than `index`
/// (its note); after `within`, raises a `missing-entry` alarm.
fn await_covering(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    index: u64,
    within: std::time::Duration,
) -> Result<Vec<u8>, ComposeError> {
    let start = std::time::Instant::now();
    loop {
        let note = relay.checkpoint(channel)?;
        let covered = hotline_log::note::Note::parse(&note)
            .ok()
            .and_then(|n| hotline_log::checkpoint::Checkpoint::parse(&n.text).ok())
            .is_some_and(|c| c.size > index);
        if covered {
            return Ok(note);
        }
        if start.elapsed() > within {
            let a = archive.raise(
                channel,
                "missing-entry",
                &format!(
                    "the relay acknowledged our entry at index {index} but signed no checkpoint covering it within {} s",
                    within.as_secs()
                ),
                &[&note],
            )?;
            return Err(ComposeError::Invalid(format!(
                "ALARM ({}): {}",
                a.kind, a.detail
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// [`confirm_within`] for a profile with no member key the relay would
/// answer (one that holds only the party key, or whose member a roster just
/// revoked): waits for a checkpoint covering `index`, checks it is signed by
/// the charter's relay key and consistent with the last one this archive
/// verified, and proves from the log's public tiles that its leaf `index`
/// is `leaf`. Raises `missing-entry` (or `fork`) and fails otherwise.
pub fn confirm_public_within(
    archive: &Archive,
    relay: &RelayClient,
    channel: &ChannelId,
    index: u64,
    leaf: &[u8; 32],
    within: std::time::Duration,
) -> Result<(), ComposeError> {
    use hotline_log::merkle;
    use hotline_log::note::{Ed25519Verifier, Note, Verifier};
    let rec = archive.channel(channel)?;
    let note_bytes = await_covering(archive, relay, channel, index, within)?;
    let alarm = |kind: &str, detail: String, evidence: &[&[u8]]| -> ComposeError {
        match archive.raise(channel, kind, &detail, evidence) {
            Ok(a) => ComposeError::Invalid(format!("ALARM ({}): {}", a.kind, a.detail)),
            Err(e) => e.into(),
        }
    };
    let verifier = Ed25519Verifier::from_vkey(&rec.relay_vkey)
        .map_err(|e| ComposeError::Invalid(format!("the charter's relay key: {e}")))?;
    let cp = Note::parse(&note_bytes)
        .ok()
        .filter(|n| n.verify(&[&verifier as &dyn Verifier]).is_ok())
        .and_then(|n| hotline_log::checkpoint::Checkpoint::parse(&n.text).ok())
        .filter(|c| c.origin == rec.origin)
        .ok_or_else(|| {
            alarm(
                "bad-checkpoint",
                "the relay's checkpoint is not a checkpoint of this channel signed by the relay key in the charter".into(),
                &[&note_bytes],
            )
        })?;
    let mut fetch = |t: &hotline_log::tiles::Tile| -> Result<Vec<u8>, String> {
        relay.tile(channel, &t.path()).map_err(|e| e.to_string())
    };
    // The same log as the one we verified before.
    if let Some(l) = archive.latest_checkpoint(channel)? {
        if l.size > cp.size {
            return Err(alarm(
                "stale-checkpoint",
                format!(
                    "the relay served a checkpoint of size {} after one of size {}",
                    cp.size, l.size
                ),
                &[&l.note, &note_bytes],
            ));
        }
        let consistent = l.size == 0
            || hotline_log::tiles::consistency_proof_from_tiles(l.size, cp.size, &mut fetch)
                .ok()
                .is_some_and(|p| {
                    merkle::verify_consistency(l.size, cp.size, &l.root, &cp.root, &p).is_ok()
                });
        if !consistent {
            return Err(alarm(
                "fork",
                format!(
                    "the relay's checkpoint of size {} is not consistent with the one of size {} verified before",
                    cp.size, l.size
                ),
                &[&l.note, &note_bytes],
            ));
        }
    }
    let included = hotline_log::tiles::inclusion_proof_from_tiles(index, cp.size, &mut fetch)
        .ok()
        .is_some_and(|p| merkle::verify_inclusion(index, cp.size, leaf, &p, &cp.root).is_ok());
    if !included {
        return Err(alarm(
            "missing-entry",
            format!(
                "the relay acknowledged our entry at index {index} but its signed checkpoint of size {} holds another entry there (or its tiles do not prove it)",
                cp.size
            ),
            &[&note_bytes],
        ));
    }
    Ok(())
}
