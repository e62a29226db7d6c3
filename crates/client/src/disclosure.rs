//! Consented disclosure from a party's archive (`docs/disclosure.md`):
//! drafting a request, a consent or a refusal, and exporting a bundle that
//! anyone can verify offline with `hotline_disclosure::verify`.

use std::collections::BTreeSet;

use hotline_core::commitment::{Opening, decode_parts};
use hotline_core::entry::Entry;
use hotline_core::ids::{ChannelId, MessageId};
use hotline_core::keys::KeyId;
use hotline_core::message::Kind;
use hotline_disclosure::proof::TlogProof;
use hotline_disclosure::terms::{
    CONSENT_TYPE, Consent, REFUSAL_TYPE, REQUEST_TYPE, Redaction, Refusal, Request,
};
use hotline_disclosure::{BUNDLE_TYPE, Bundle, BundleEntry, WirePart};
use hotline_log::log::Log;
use hotline_log::note::Note;
use hotline_log::storage::LogStore as _;

use crate::archive::{Archive, ArchiveError};
use crate::compose::Draft;
use crate::relay_client::RelayClient;

/// Why a disclosure step is refused.
#[derive(Debug, thiserror::Error)]
pub enum DisclosureError {
    /// The archive failed.
    #[error("{0}")]
    Archive(#[from] ArchiveError),
    /// The request does not make sense here.
    #[error("{0}")]
    Invalid(String),
}

impl From<hotline_store::StoreError> for DisclosureError {
    fn from(e: hotline_store::StoreError) -> Self {
        DisclosureError::Archive(ArchiveError::from(e))
    }
}

fn invalid(s: impl Into<String>) -> DisclosureError {
    DisclosureError::Invalid(s.into())
}

fn is_disclosure(k: Kind) -> bool {
    matches!(
        k,
        Kind::DisclosureRequest | Kind::DisclosureConsent | Kind::DisclosureRefusal
    )
}

/// The log indices of the messages of `cases` below `as_of`, as this
/// archive holds them (disclosure messages excluded).
pub fn case_entries(
    archive: &Archive,
    channel: &ChannelId,
    cases: &BTreeSet<String>,
    as_of: u64,
) -> Result<Vec<u64>, ArchiveError> {
    Ok(entries_of_cases(
        &archive.logged_messages(channel)?,
        cases,
        as_of,
    ))
}

fn entries_of_cases(
    msgs: &[crate::cases::LoggedMessage],
    cases: &BTreeSet<String>,
    as_of: u64,
) -> Vec<u64> {
    msgs.iter()
        .filter(|m| {
            m.index < as_of
                && !is_disclosure(m.header.kind)
                && cases.contains(&m.header.case.to_hex())
        })
        .map(|m| m.index)
        .collect()
}

/// The log indices of the roster entries below `before`.
pub fn roster_entries(
    archive: &Archive,
    channel: &ChannelId,
    before: u64,
) -> Result<Vec<u64>, ArchiveError> {
    let rec = archive.channel(channel)?;
    Ok(crate::channel::roster_docs(archive, &rec.origin, before)?
        .into_iter()
        .map(|(i, _)| i)
        .collect())
}

/// A `disclosure-request` for `cases` (ids), redacting `redact`, for
/// `purpose`, from party `me`. The archive must be synced.
pub fn draft_request(
    archive: &Archive,
    channel: &ChannelId,
    me: &KeyId,
    cases: &[MessageId],
    redact: &[String],
    purpose: &str,
) -> Result<Draft, DisclosureError> {
    if cases.is_empty() {
        return Err(invalid("name at least one case to disclose"));
    }
    if purpose.trim().is_empty() {
        return Err(invalid("say what the disclosure is for (--purpose)"));
    }
    for r in redact {
        Redaction::parse(r).map_err(|e| invalid(e.to_string()))?;
    }
    let rec = archive.channel(channel)?;
    let as_of = archive.log.size(&rec.origin)?;
    let msgs = archive.logged_messages(channel)?;
    let mut parties: BTreeSet<KeyId> = BTreeSet::new();
    for c in cases {
        let open = msgs
            .iter()
            .find(|m| m.header.kind.opens_case() && m.header.id == *c)
            .ok_or_else(|| invalid(format!("no case {} in this channel's archive", c.to_hex())))?;
        parties.insert(open.header.party);
        parties.extend(open.header.to.iter().copied());
    }
    if !parties.contains(me) {
        return Err(invalid(
            "your party is not a party of these cases; only their parties may ask",
        ));
    }
    let names: BTreeSet<String> = cases.iter().map(|c| c.to_hex()).collect();
    let terms = Request {
        kind: REQUEST_TYPE.into(),
        v: 1,
        purpose: purpose.into(),
        cases: cases.iter().map(|c| c.to_hex()).collect(),
        redact: redact.to_vec(),
        as_of,
        entries: entries_of_cases(&msgs, &names, as_of),
        rosters: roster_entries(archive, channel, as_of)?,
    };
    Ok(Draft {
        case: Some(cases[0]),
        refs: cases.to_vec(),
        ..Draft::new(
            Kind::DisclosureRequest,
            parties.into_iter().filter(|p| p != me).collect(),
            format!("Disclosure request: {purpose}"),
            serde_json::to_string(&terms).map_err(|e| invalid(e.to_string()))?,
        )
    })
}

/// A request found in the archive.
pub struct FoundRequest {
    /// Its log index.
    pub index: u64,
    /// Its message id.
    pub id: MessageId,
    /// Its author's party.
    pub party: KeyId,
    /// Its parties (who must consent).
    pub to: Vec<KeyId>,
    /// Its case (the first disclosed).
    pub case: MessageId,
    /// The terms.
    pub terms: Request,
    /// Its leaf hash, hex.
    pub leaf: String,
}

/// Finds the request with message id `id` in the archive.
pub fn find_request(
    archive: &Archive,
    channel: &ChannelId,
    id: &MessageId,
) -> Result<FoundRequest, DisclosureError> {
    let m = archive
        .logged_messages(channel)?
        .into_iter()
        .find(|m| m.header.id == *id && m.header.kind == Kind::DisclosureRequest)
        .ok_or_else(|| {
            invalid(format!(
                "no disclosure request {} in this archive",
                id.to_hex()
            ))
        })?;
    found(archive, channel, &m)
}

fn found(
    archive: &Archive,
    channel: &ChannelId,
    m: &crate::cases::LoggedMessage,
) -> Result<FoundRequest, DisclosureError> {
    let rec = archive.channel(channel)?;
    let body = archive.message_body(channel, m.index)?.unwrap_or_default();
    let terms = Request::parse(body.as_bytes()).map_err(|e| invalid(e.to_string()))?;
    let entry = archive
        .log
        .read_entries(&rec.origin, m.index, m.index + 1)?;
    let leaf = entry
        .first()
        .map(|e| hex::encode(hotline_log::merkle::leaf_hash(e)))
        .ok_or_else(|| invalid("the request's entry is not in the mirror"))?;
    Ok(FoundRequest {
        index: m.index,
        id: m.header.id,
        party: m.header.party,
        to: m.header.to.clone(),
        case: m.header.case,
        terms,
        leaf,
    })
}

/// Every disclosure request of the channel in the archive, in log order
/// (what the UI's Disclosure page lists). A
/// request whose terms do not parse is left out: no consent could bind to
/// it and no bundle of it verifies.
pub fn requests(
    archive: &Archive,
    channel: &ChannelId,
) -> Result<Vec<FoundRequest>, DisclosureError> {
    let mut out = Vec::new();
    for m in archive.logged_messages(channel)? {
        if m.header.kind != Kind::DisclosureRequest {
            continue;
        }
        match found(archive, channel, &m) {
            Ok(r) => out.push(r),
            Err(DisclosureError::Invalid(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// One party's answer to a request, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The answering party.
    pub party: KeyId,
    /// The answer's log index.
    pub index: u64,
    /// `None` for a consent; for a refusal, its reason (maybe empty).
    pub refusal: Option<String>,
}

/// Where a request stands: who must consent, who did, who refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    /// The required consenters (docs/disclosure.md §1): the request's author
    /// (who counts as consenting), then the parties it is addressed to.
    pub required: Vec<KeyId>,
    /// Every consent and refusal bound to the request (its leaf hash) by a
    /// party it is addressed to, in log order.
    pub answers: Vec<Answer>,
}

impl Answers {
    /// Whether `party` consented (the author always has).
    pub fn consented(&self, party: &KeyId) -> bool {
        self.required.first() == Some(party)
            || self
                .answers
                .iter()
                .any(|a| a.party == *party && a.refusal.is_none())
    }

    /// Whether `party` refused.
    pub fn refused(&self, party: &KeyId) -> bool {
        self.answers
            .iter()
            .any(|a| a.party == *party && a.refusal.is_some())
    }

    /// Whether `party` answered (consented or refused).
    pub fn answered(&self, party: &KeyId) -> bool {
        self.answers.iter().any(|a| a.party == *party)
    }

    /// The required parties without a consent.
    pub fn missing(&self) -> Vec<KeyId> {
        self.required
            .iter()
            .filter(|p| !self.consented(p))
            .copied()
            .collect()
    }

    /// Whether the charter's rule (every party of the disclosed cases, the
    /// rule `hotline verify` applies) is met: every required party
    /// consented and none refused. Only then does an export verify as
    /// valid.
    pub fn complete(&self) -> bool {
        self.missing().is_empty() && !self.answers.iter().any(|a| a.refusal.is_some())
    }
}

/// The consents and refusals of request `req` in the archive: those whose
/// terms name its leaf hash, from a party it is addressed to (the bindings
/// [`export`] puts in the bundle and the verifier checks).
pub fn answers(
    archive: &Archive,
    channel: &ChannelId,
    req: &FoundRequest,
) -> Result<Answers, DisclosureError> {
    let mut required = vec![req.party];
    required.extend(req.to.iter().filter(|p| **p != req.party).copied());
    let mut answers = Vec::new();
    for m in archive.logged_messages(channel)? {
        if !matches!(
            m.header.kind,
            Kind::DisclosureConsent | Kind::DisclosureRefusal
        ) || !req.to.contains(&m.header.party)
        {
            continue;
        }
        let body = archive.message_body(channel, m.index)?.unwrap_or_default();
        let body = body.as_bytes();
        let refusal = match m.header.kind {
            Kind::DisclosureConsent => match Consent::parse(body) {
                Ok(c) if c.request == req.leaf => None,
                _ => continue,
            },
            _ => match Refusal::parse(body) {
                Ok(r) if r.request == req.leaf => Some(r.reason),
                _ => continue,
            },
        };
        answers.push(Answer {
            party: m.header.party,
            index: m.index,
            refusal,
        });
    }
    Ok(Answers { required, answers })
}

/// The disclosure requests addressed to party `me` that it has neither
/// consented to nor refused: (request id, requesting party, purpose), in
/// log order (what `hotline inbox` lists).
///
/// The semantics are [`requests`]' and [`answers`]': a request whose terms
/// do not parse is left out — another party cannot break our inbox with
/// one — and our answer counts when it binds to the request's leaf hash, as
/// a bundle's verifier counts it (not when it merely names the request).
pub fn pending_requests(
    archive: &Archive,
    channel: &ChannelId,
    me: &KeyId,
) -> Result<Vec<(MessageId, KeyId, String)>, DisclosureError> {
    let msgs = archive.logged_messages(channel)?;
    // The leaves of the requests our party answered, in one pass.
    let mut answered = BTreeSet::new();
    for m in &msgs {
        if m.header.party != *me {
            continue;
        }
        let kind = m.header.kind;
        if !matches!(kind, Kind::DisclosureConsent | Kind::DisclosureRefusal) {
            continue;
        }
        let body = archive.message_body(channel, m.index)?.unwrap_or_default();
        let leaf = match kind {
            Kind::DisclosureConsent => Consent::parse(body.as_bytes()).ok().map(|c| c.request),
            _ => Refusal::parse(body.as_bytes()).ok().map(|r| r.request),
        };
        answered.extend(leaf);
    }
    let mut out = Vec::new();
    for m in &msgs {
        if m.header.kind != Kind::DisclosureRequest
            || !m.header.to.contains(me)
            || m.header.party == *me
        {
            continue;
        }
        match found(archive, channel, m) {
            Ok(r) if !answered.contains(&r.leaf) => out.push((r.id, r.party, r.terms.purpose)),
            Ok(_) | Err(DisclosureError::Invalid(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// A consent to (or, with `refusal`, a refusal of) the request `req`, from
/// party `me`.
pub fn draft_answer(
    archive: &Archive,
    channel: &ChannelId,
    me: &KeyId,
    req: &FoundRequest,
    refusal: Option<&str>,
) -> Result<Draft, DisclosureError> {
    if !req.to.contains(me) {
        return Err(invalid(
            "this request is not addressed to your party (only the other parties of its cases answer it)",
        ));
    }
    let rec = archive.channel(channel)?;
    let (kind, body, title) = match refusal {
        Some(reason) => (
            Kind::DisclosureRefusal,
            serde_json::to_string(&Refusal {
                kind: REFUSAL_TYPE.into(),
                v: 1,
                request: req.leaf.clone(),
                reason: reason.into(),
            }),
            "Disclosure refused",
        ),
        None => {
            let cases: BTreeSet<String> = req.terms.cases.iter().cloned().collect();
            let size = archive.log.size(&rec.origin)?;
            (
                Kind::DisclosureConsent,
                serde_json::to_string(&Consent {
                    kind: CONSENT_TYPE.into(),
                    v: 1,
                    request: req.leaf.clone(),
                    entries: case_entries(archive, channel, &cases, req.terms.as_of)?,
                    rosters: roster_entries(archive, channel, size)?,
                }),
                "Disclosure consented",
            )
        }
    };
    Ok(Draft {
        case: Some(req.case),
        refs: vec![req.id],
        ..Draft::new(
            kind,
            std::iter::once(req.party)
                .chain(req.to.iter().copied())
                .filter(|p| p != me)
                .collect(),
            title,
            body.map_err(|e| invalid(e.to_string()))?,
        )
    })
}

/// Exports the bundle of the request `req`: every consent and refusal in
/// the archive, the case messages, rosters and charter, each with its
/// inclusion proof under one checkpoint. With `relay`, the checkpoint is
/// the largest the relay serves with the charter's witness quorum (and the
/// parties' receipts) that the archive verified; without, the archive's
/// latest.
pub fn export(
    archive: &Archive,
    relay: Option<&RelayClient>,
    channel: &ChannelId,
    req: &FoundRequest,
) -> Result<Bundle, DisclosureError> {
    let rec = archive.channel(channel)?;
    let msgs = archive.logged_messages(channel)?;
    let mut consents = Vec::new();
    let mut refusals = Vec::new();
    // The rosters the request and the consents list: exactly those go in.
    let mut rosters: BTreeSet<u64> = req.terms.rosters.iter().copied().collect();
    for m in &msgs {
        if !matches!(
            m.header.kind,
            Kind::DisclosureConsent | Kind::DisclosureRefusal
        ) {
            continue;
        }
        let body = archive.message_body(channel, m.index)?.unwrap_or_default();
        let body = body.as_bytes();
        match m.header.kind {
            Kind::DisclosureConsent => {
                if let Ok(c) = Consent::parse(body)
                    && c.request == req.leaf
                {
                    rosters.extend(c.rosters);
                    consents.push(m.index);
                }
            }
            Kind::DisclosureRefusal
                if Refusal::parse(body).is_ok_and(|r| r.request == req.leaf) =>
            {
                refusals.push(m.index)
            }
            _ => {}
        }
    }
    let cases: BTreeSet<String> = req.terms.cases.iter().cloned().collect();
    let case_msgs = entries_of_cases(&msgs, &cases, req.terms.as_of);
    let last = consents
        .iter()
        .chain(&refusals)
        .copied()
        .chain([req.index])
        .max()
        .unwrap_or(req.index);
    let mut wanted: BTreeSet<u64> = BTreeSet::from([0, req.index]);
    wanted.extend(&case_msgs);
    wanted.extend(&rosters);
    wanted.extend(&consents);
    wanted.extend(&refusals);

    // The checkpoint.
    let latest = archive
        .latest_checkpoint(channel)?
        .ok_or_else(|| invalid("the archive holds no verified checkpoint: sync first"))?;
    if latest.size <= last {
        return Err(invalid(
            "the archive's checkpoint does not cover the answers yet: sync first",
        ));
    }
    let log = Log::new(&archive.log, &rec.origin);
    let mut note = latest.note.clone();
    let mut size = latest.size;
    if let Some(relay) = relay {
        // The same checkpoint as served now, with every cosignature collected
        // since; the witnesses are given a few seconds to reach the quorum.
        let charter = hotline_core::charter::VerifiedCharter::verify(
            &hotline_core::dsse::SignedDocument::from_json(&rec.charter)
                .map_err(|e| invalid(e.to_string()))?,
        )
        .map_err(|e| invalid(e.to_string()))?;
        let c = charter.charter();
        let start = std::time::Instant::now();
        loop {
            if let Ok(served) = relay.checkpoint_at(channel, latest.size)
                && let (Ok(a), Ok(b)) = (Note::parse(&served), Note::parse(&latest.note))
                && a.text == b.text
            {
                let witnessed = crate::sync::witness_cosignatures(c, &a);
                note = served;
                size = latest.size;
                if witnessed >= c.witness_quorum as usize {
                    break;
                }
            }
            if start.elapsed() > std::time::Duration::from_secs(10) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    let checkpoint = String::from_utf8(note).map_err(|_| invalid("the checkpoint is not text"))?;

    let rec_entries = |i: u64| archive.log.read_entries(&rec.origin, i, i + 1);
    let redactions = req.terms.redactions();
    let mut entries = Vec::new();
    for i in wanted {
        let bytes = rec_entries(i)?
            .into_iter()
            .next()
            .ok_or_else(|| invalid(format!("entry {i} is not in the mirror")))?;
        let hashes = log
            .inclusion_proof(i, size)
            .map_err(|e| invalid(format!("the inclusion proof of entry {i}: {e}")))?;
        let proof = TlogProof {
            extra: None,
            index: i,
            hashes,
            checkpoint: checkpoint.clone(),
        }
        .to_text();
        let parts = if matches!(Entry::from_bytes(&bytes), Ok(Entry::Head(_))) {
            let blob = archive.message_parts(channel, i)?.ok_or_else(|| {
                invalid(format!(
                    "entry {i} was not opened by this profile: only a party that holds a message's plaintext can disclose it"
                ))
            })?;
            let parts = decode_parts(&blob).map_err(|e| invalid(e.to_string()))?;
            let is_case_msg = case_msgs.contains(&i);
            let header = parts
                .first()
                .and_then(|p| hotline_core::message::parse_header(&p.bytes).ok());
            let lang = |n: usize| header.as_ref().and_then(|h| h.lang_of_part(n));
            let reveal: Vec<usize> = parts
                .iter()
                .enumerate()
                .filter(|(n, p)| {
                    *n == 0
                        || !is_case_msg
                        || !redactions
                            .iter()
                            .any(|r| r.covers(i, *n, p.kind as u8, lang(*n)))
                })
                .map(|(n, _)| n)
                .collect();
            Some(
                Opening::new(&parts, &reveal)
                    .parts
                    .iter()
                    .map(WirePart::from_opened)
                    .collect(),
            )
        } else {
            None
        };
        entries.push(BundleEntry {
            index: i,
            entry: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes),
            proof,
            parts,
        });
    }
    let mut bundle = Bundle {
        kind: BUNDLE_TYPE.into(),
        v: 1,
        created: time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        checkpoint,
        entries,
        request: req.index,
        consents,
        refusals,
        missing_consents: vec![],
    };
    // The bundle says which consents it lacks (every verifier checks it).
    let bytes = serde_json::to_vec(&bundle).map_err(|e| invalid(e.to_string()))?;
    bundle.missing_consents = hotline_disclosure::verify(&bytes).missing_consents;
    Ok(bundle)
}

/// A bundle file, as `hotline disclose export` writes it.
pub struct ExportedFile {
    /// The bundle, pretty JSON.
    pub bytes: Vec<u8>,
    /// How many log entries it holds.
    pub entries: usize,
    /// The verifier's report on these very bytes.
    pub report: hotline_disclosure::Report,
}

/// The bundle of request `req` as `hotline disclose export` writes it
/// (pretty JSON), verified here (the UI offers the file only when it
/// verifies as valid).
pub fn export_file(
    archive: &Archive,
    relay: Option<&RelayClient>,
    channel: &ChannelId,
    req: &FoundRequest,
) -> Result<ExportedFile, DisclosureError> {
    let bundle = export(archive, relay, channel, req)?;
    let bytes = serde_json::to_vec_pretty(&bundle).map_err(|e| invalid(e.to_string()))?;
    let report = hotline_disclosure::verify(&bytes);
    Ok(ExportedFile {
        entries: bundle.entries.len(),
        bytes,
        report,
    })
}

#[cfg(test)]
mod answers_tests {
    use super::*;

    fn answer(party: u8, refusal: Option<&str>) -> Answer {
        Answer {
            party: KeyId([party; 32]),
            index: u64::from(party) + 10,
            refusal: refusal.map(str::to_owned),
        }
    }

    #[test]
    fn a_request_is_complete_only_when_every_party_consented_and_none_refused() {
        let (a, b, c) = (KeyId([1; 32]), KeyId([2; 32]), KeyId([3; 32]));
        let mut s = Answers {
            required: vec![a, b, c],
            answers: vec![],
        };
        assert!(s.consented(&a), "the requester counts as consenting");
        assert_eq!(s.missing(), [b, c]);
        assert!(!s.complete());
        s.answers.push(answer(2, None));
        assert_eq!(s.missing(), [c]);
        assert!(!s.complete() && s.answered(&b) && !s.answered(&c));
        s.answers.push(answer(3, Some("no")));
        assert!(s.refused(&c) && !s.consented(&c));
        assert!(!s.complete(), "a refusal");
        s.answers.push(answer(3, None));
        assert!(s.missing().is_empty());
        assert!(!s.complete(), "a refusal stands even beside a consent");
        s.answers.remove(1);
        assert!(s.complete());
    }
}
