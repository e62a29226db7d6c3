//! The offline verifier (`docs/disclosure.md` §3).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hotline_core::charter::VerifiedCharter;
use hotline_core::commitment::{OpenedPart, Opening, Part, PartKind};
use hotline_core::entry::Entry;
use hotline_core::envelope::SignedHead;
use hotline_core::keys::KeyId;
use hotline_core::message::{InnerHeader, Kind};
use hotline_core::roster::Directory;
use hotline_log::checkpoint::Checkpoint;
use hotline_log::cosignature::CosignatureVerifier;
use hotline_log::merkle::{leaf_hash, verify_inclusion};
use hotline_log::note::{Ed25519Verifier, Note, Verifier};
use serde::Serialize;

use crate::proof::TlogProof;
use crate::terms::{Consent, Refusal, Request};
use crate::{BUNDLE_TYPE, Bundle, WirePart};

/// The verdict on a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every check holds and every required party consented.
    Valid,
    /// Every check holds, but consents are missing or a party refused.
    NotConsented,
    /// A check failed.
    Invalid,
}

/// One check, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked.
    pub what: String,
    /// Whether it held.
    pub ok: bool,
    /// Details (what failed, or what was found).
    pub detail: String,
}

/// A party of the channel, as the bundle shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartySummary {
    /// Its short name.
    pub short: String,
    /// Its name.
    pub name: String,
    /// Whether its consent is required (a party of a disclosed case).
    pub required: bool,
    /// Whether it consented (the requester's party consents by asking).
    pub consented: bool,
    /// Whether it refused.
    pub refused: bool,
    /// Whether one of its members cosigned the checkpoint (a receipt).
    pub receipt: bool,
}

/// A disclosed message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageSummary {
    /// Its log index.
    pub index: u64,
    /// Its kind.
    pub kind: String,
    /// Its case (hex).
    pub case: String,
    /// The author's party (short name).
    pub party: String,
    /// Its title.
    pub title: String,
    /// Its body (part 1), if open.
    pub body: Option<String>,
    /// Its body in every language it was written in, part 1's first.
    pub texts: Vec<TextSummary>,
    /// How many of its parts are redacted.
    pub redacted_parts: usize,
}

/// One language version of a disclosed message's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextSummary {
    /// Its BCP 47 tag.
    pub lang: String,
    /// Whether its author marked it authentic.
    pub authentic: bool,
    /// The text, if open (`None`: redacted).
    pub body: Option<String>,
}

/// What the verifier found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// Every check made, in order.
    pub checks: Vec<Check>,
    /// The channel's title, if the charter verified.
    pub channel: Option<String>,
    /// The checkpoint's origin and size, if it parsed.
    pub checkpoint: Option<(String, u64)>,
    /// The request's purpose, if it verified.
    pub purpose: Option<String>,
    /// The parties.
    pub parties: Vec<PartySummary>,
    /// The disclosed messages of the cases.
    pub messages: Vec<MessageSummary>,
    /// Short names of required parties that have not consented.
    pub missing_consents: Vec<String>,
}

struct Checks(Vec<Check>);

impl Checks {
    fn add(&mut self, what: &str, result: Result<String, String>) -> bool {
        let ok = result.is_ok();
        let detail = result.unwrap_or_else(|e| e);
        self.0.push(Check {
            what: what.into(),
            ok,
            detail,
        });
        ok
    }
    fn all_ok(&self) -> bool {
        self.0.iter().all(|c| c.ok)
    }
}

struct Msg {
    index: u64,
    header: InnerHeader,
    parts: Vec<OpenedPart>,
}

impl Msg {
    fn body(&self) -> Option<&[u8]> {
        match self.parts.get(1) {
            Some(OpenedPart::Open(p)) if p.kind == PartKind::Body => Some(&p.bytes),
            _ => None,
        }
    }
}

fn decode_parts(wire: &[WirePart]) -> Result<Vec<OpenedPart>, String> {
    wire.iter()
        .enumerate()
        .map(|(i, w)| {
            let kind = PartKind::from_u8(w.tag).map_err(|_| format!("part {i}: unknown tag {}", w.tag))?;
            match (&w.salt, &w.content, &w.redacted) {
                (Some(s), Some(c), None) => {
                    let salt = B64
                        .decode(s)
                        .ok()
                        .and_then(|b| <[u8; 32]>::try_from(b).ok())
                        .ok_or_else(|| format!("part {i}: the salt is not 32 bytes of base64"))?;
                    let bytes = B64
                        .decode(c)
                        .map_err(|_| format!("part {i}: the content is not base64"))?;
                    Ok(OpenedPart::Open(Part { kind, salt, bytes }))
                }
                (None, None, Some(h)) => {
                    let leaf_hash = B64
                        .decode(h)
                        .ok()
                        .and_then(|b| <[u8; 32]>::try_from(b).ok())
                        .ok_or_else(|| format!("part {i}: the redacted hash is not 32 bytes of base64"))?;
                    Ok(OpenedPart::Redacted { kind, leaf_hash })
                }
                _ => Err(format!(
                    "part {i}: give salt and content (open) or redacted (a stub), not both or neither"
                )),
            }
        })
        .collect()
}

/// Verifies a bundle's bytes. Never panics; every failure is a check.
pub fn verify(bytes: &[u8]) -> Report {
    let mut c = Checks(Vec::new());
    let mut report = Report {
        verdict: Verdict::Invalid,
        checks: Vec::new(),
        channel: None,
        checkpoint: None,
        purpose: None,
        parties: Vec::new(),
        messages: Vec::new(),
        missing_consents: Vec::new(),
    };
    let finish = |c: Checks, mut r: Report| {
        r.verdict = if !c.all_ok() {
            Verdict::Invalid
        } else if r.missing_consents.is_empty() && !r.parties.iter().any(|p| p.refused) {
            Verdict::Valid
        } else {
            Verdict::NotConsented
        };
        r.checks = c.0;
        r
    };

    // 1. The bundle parses.
    let bundle: Bundle = match serde_json::from_slice(bytes) {
        Ok(b) => b,
        Err(e) => {
            c.add(
                "the bundle is a disclosure bundle",
                Err(format!("it does not parse: {e}")),
            );
            return finish(c, report);
        }
    };
    if !c.add(
        "the bundle is a disclosure bundle",
        if bundle.kind == BUNDLE_TYPE && bundle.v == 1 {
            Ok(format!(
                "{} entries, exported {}",
                bundle.entries.len(),
                bundle.created
            ))
        } else {
            Err(format!("type {:?} version {}", bundle.kind, bundle.v))
        },
    ) {
        return finish(c, report);
    }
    let note = match Note::parse(bundle.checkpoint.as_bytes())
        .map_err(|e| e.to_string())
        .and_then(|n| {
            Checkpoint::parse(&n.text)
                .map(|cp| (n, cp))
                .map_err(|e| e.to_string())
        }) {
        Ok(x) => x,
        Err(e) => {
            c.add("the checkpoint parses", Err(e));
            return finish(c, report);
        }
    };
    let (note, cp) = note;
    report.checkpoint = Some((cp.origin.clone(), cp.size));
    let mut entries: BTreeMap<u64, (Vec<u8>, &crate::BundleEntry)> = BTreeMap::new();
    let mut order_ok = Ok(format!(
        "indices ascend, all below the checkpoint's size {}",
        cp.size
    ));
    let mut last = None;
    for e in &bundle.entries {
        if last.is_some_and(|l| e.index <= l) || e.index >= cp.size {
            order_ok = Err(format!(
                "entry {} is out of order, repeated, or beyond the checkpoint's size {}",
                e.index, cp.size
            ));
        }
        last = Some(e.index);
        match B64.decode(&e.entry) {
            Ok(b) => {
                entries.insert(e.index, (b, e));
            }
            Err(_) => order_ok = Err(format!("entry {} is not base64", e.index)),
        }
    }
    c.add("the entries are in order", order_ok);

    // 2. The charter.
    let charter = match entries.get(&0).map(|(b, _)| Entry::from_bytes(b)) {
        Some(Ok(Entry::Charter(doc))) => VerifiedCharter::verify(&doc).map_err(|e| e.to_string()),
        Some(_) => Err("entry 0 is not a charter".into()),
        None => Err("entry 0 (the charter) is missing".into()),
    };
    let charter = match charter {
        Ok(v) => {
            c.add(
                "the charter is signed by every party",
                Ok(format!(
                    "{} ({} parties)",
                    v.charter().title,
                    v.charter().parties.len()
                )),
            );
            v
        }
        Err(e) => {
            c.add("the charter is signed by every party", Err(e));
            return finish(c, report);
        }
    };
    let ch = charter.charter();
    report.channel = Some(ch.title.clone());
    let short = |id: &KeyId| {
        ch.party(id)
            .map(|p| p.short.clone())
            .unwrap_or_else(|| id.short())
    };

    // 3. The checkpoint's signatures.
    let relay = Ed25519Verifier::from_vkey(&ch.relay.key);
    let expected_origin = format!(
        "{}/{}",
        ch.relay.key.split('+').next().unwrap_or_default(),
        charter.channel().to_hex()
    );
    c.add(
        "the checkpoint is the relay's, for this channel",
        match relay {
            Ok(v)
                if note.verify(&[&v as &dyn Verifier]).is_ok() && cp.origin == expected_origin =>
            {
                Ok(format!("size {}, origin {}", cp.size, cp.origin))
            }
            Ok(_) if cp.origin != expected_origin => Err(format!(
                "its origin is {:?}, not this channel's {:?}",
                cp.origin, expected_origin
            )),
            Ok(_) => Err("it is not signed by the relay key the charter names".into()),
            Err(e) => Err(format!("the charter's relay key: {e}")),
        },
    );
    let cosigned_by = |vkey: &str| {
        CosignatureVerifier::from_vkey(vkey).is_ok_and(|v| {
            note.signatures
                .iter()
                .any(|s| matches!(v.verify(&note.text, s), Ok(Some(_))))
        })
    };
    let witnesses = ch.witnesses.iter().filter(|w| cosigned_by(&w.key)).count();
    c.add(
        "the charter's witnesses cosigned the checkpoint",
        if witnesses >= ch.witness_quorum as usize {
            Ok(format!(
                "{witnesses} of {} witnesses (quorum {})",
                ch.witnesses.len(),
                ch.witness_quorum
            ))
        } else {
            Err(format!(
                "only {witnesses} of the {} witness cosignatures the charter requires",
                ch.witness_quorum
            ))
        },
    );

    // 4. Inclusion proofs.
    let mut bad_proofs = Vec::new();
    for (index, (bytes, e)) in &entries {
        let ok = TlogProof::parse(&e.proof)
            .map_err(|e| e.to_string())
            .and_then(|p| {
                if p.index != *index {
                    return Err(format!("it names index {}", p.index));
                }
                if p.checkpoint != bundle.checkpoint {
                    return Err("it carries another checkpoint than the bundle's".into());
                }
                verify_inclusion(*index, cp.size, &leaf_hash(bytes), &p.hashes, &cp.root)
                    .map_err(|e| e.to_string())
            });
        if let Err(why) = ok {
            bad_proofs.push(format!("entry {index}: {why}"));
        }
    }
    c.add(
        "every entry is in the log (inclusion proofs)",
        if bad_proofs.is_empty() {
            Ok(format!(
                "{} proofs verified against the checkpoint",
                entries.len()
            ))
        } else {
            Err(bad_proofs.join("; "))
        },
    );

    // 5 and 6. Rosters, signatures, openings.
    let mut dir = Directory::new(charter.clone());
    let mut roster_indices = Vec::new();
    let mut msgs: BTreeMap<u64, Msg> = BTreeMap::new();
    let mut bad = Vec::new();
    for (index, (bytes, e)) in &entries {
        if *index == 0 {
            continue;
        }
        match Entry::from_bytes(bytes) {
            Ok(Entry::Roster(doc)) => {
                roster_indices.push(*index);
                if let Err(err) = dir.apply(*index, &doc) {
                    bad.push(format!("roster at {index} does not apply: {err}"));
                }
            }
            Ok(Entry::Head(h)) => {
                match check_message(&dir, &charter, *index, &h, e.parts.as_deref()) {
                    Ok(m) => {
                        msgs.insert(*index, m);
                    }
                    Err(why) => bad.push(format!("entry {index}: {why}")),
                }
            }
            Ok(Entry::Charter(_)) => bad.push(format!("entry {index}: a second charter")),
            Ok(Entry::Time(_)) => bad.push(format!(
                "entry {index}: a time attestation, which a bundle does not disclose"
            )),
            Err(err) => bad.push(format!("entry {index}: {err}")),
        }
    }
    c.add(
        "every message is signed by a member of its party and matches its commitment",
        if bad.is_empty() {
            Ok(format!(
                "{} rosters applied, {} messages verified",
                roster_indices.len(),
                msgs.len()
            ))
        } else {
            Err(bad.join("; "))
        },
    );

    // The relay deduplicates re-posts: the same entry, or the same message,
    // logged twice is history replayed (docs/disclosure.md §3).
    let mut bad = Vec::new();
    let mut leaves: BTreeMap<[u8; 32], u64> = BTreeMap::new();
    for (index, (bytes, _)) in &entries {
        if let Some(first) = leaves.get(&leaf_hash(bytes)) {
            bad.push(format!("entry {index} repeats entry {first}"));
        } else {
            leaves.insert(leaf_hash(bytes), *index);
        }
    }
    let mut ids: BTreeMap<String, u64> = BTreeMap::new();
    for m in msgs.values() {
        let id = m.header.id.to_hex();
        if let Some(first) = ids.get(&id) {
            bad.push(format!(
                "entry {} repeats the message {id} of entry {first}",
                m.index
            ));
        } else {
            ids.insert(id, m.index);
        }
    }
    c.add(
        "no entry or message is logged twice (no replayed history)",
        if bad.is_empty() {
            Ok(format!(
                "{} distinct entries, {} distinct messages",
                leaves.len(),
                ids.len()
            ))
        } else {
            Err(bad.join("; "))
        },
    );

    // A signature on the checkpoint by a key the bundle names (a witness, the
    // relay's timestamp, a member of any roster version) that does not
    // verify is a forgery.
    let mut known: Vec<String> = ch.witnesses.iter().map(|w| w.key.clone()).collect();
    if let Ok(v) = Ed25519Verifier::from_vkey(&ch.relay.key) {
        // The relay's timestamp cosignature (docs/relay.md).
        known.push(hotline_log::note::format_vkey(
            &v.key().name,
            0x04,
            &v.key().key.to_bytes(),
        ));
    }
    for p in &ch.parties {
        for v in dir.history(&p.id) {
            for m in &v.members {
                known.push(hotline_log::note::format_vkey(
                    &m.signing_key.key_id().to_hex(),
                    0x04,
                    &m.signing_key.to_bytes(),
                ));
            }
        }
    }
    let forged: Vec<String> = note
        .signatures
        .iter()
        .filter(|s| {
            known.iter().any(|k| {
                CosignatureVerifier::from_vkey(k).is_ok_and(|v| v.verify(&note.text, s).is_err())
            })
        })
        .map(|s| s.name.clone())
        .collect();
    c.add(
        "every cosignature on the checkpoint by a known key verifies",
        if forged.is_empty() {
            Ok(format!("{} signature line(s)", note.signatures.len()))
        } else {
            Err(format!(
                "the signature of {} does not verify",
                forged.join(", ")
            ))
        },
    );

    // Receipts: a member of the party (as of the checkpoint) cosigned it.
    let receipt = |party: &KeyId| {
        dir.current_members().iter().any(|(p, m)| {
            p == party && {
                let k = m.signing_key.key_id();
                cosigned_by(&hotline_log::note::format_vkey(
                    &k.to_hex(),
                    0x04,
                    &m.signing_key.to_bytes(),
                ))
            }
        })
    };

    // 7. The request, consents and refusals.
    let request = msgs.get(&bundle.request).ok_or_else(|| {
        format!(
            "the request (entry {}) is not a verified message of the bundle",
            bundle.request
        )
    });
    let request = request.and_then(|m| {
        if m.header.kind != Kind::DisclosureRequest {
            return Err(format!(
                "entry {} is a {}, not a disclosure request",
                m.index,
                m.header.kind.as_str()
            ));
        }
        let body = m.body().ok_or("the request's body is redacted")?;
        Request::parse(body)
            .map(|r| (m, r))
            .map_err(|e| e.to_string())
    });
    let (req_msg, terms) = match request {
        Ok(x) => {
            c.add(
                "the disclosure request",
                Ok(format!("{} case(s): {}", x.1.cases.len(), x.1.purpose)),
            );
            x
        }
        Err(e) => {
            c.add("the disclosure request", Err(e));
            return finish(c, report);
        }
    };
    report.purpose = Some(terms.purpose.clone());
    let request_leaf = hex::encode(leaf_hash(&entries[&bundle.request].0));
    let cases: BTreeSet<&str> = terms.cases.iter().map(String::as_str).collect();
    let mut required: BTreeSet<KeyId> = BTreeSet::new();
    let mut missing_openers = Vec::new();
    for case in &cases {
        match msgs
            .values()
            .find(|m| m.header.kind.opens_case() && m.header.id.to_hex() == *case)
        {
            Some(m) => {
                required.insert(m.header.party);
                required.extend(m.header.to.iter().copied());
            }
            None => missing_openers.push(case.to_string()),
        }
    }
    c.add(
        "every disclosed case's opening message is present",
        if missing_openers.is_empty() {
            Ok(format!("{} case(s)", cases.len()))
        } else {
            Err(format!(
                "missing the opening of case(s) {}",
                missing_openers.join(", ")
            ))
        },
    );
    let mut consented: BTreeSet<KeyId> = BTreeSet::from([req_msg.header.party]);
    let mut refused: BTreeSet<KeyId> = BTreeSet::new();
    let mut listings: Vec<(String, Vec<u64>, Vec<u64>)> = vec![(
        format!("{}'s request", short(&req_msg.header.party)),
        terms.entries.clone(),
        terms.rosters.clone(),
    )];
    let mut bad = Vec::new();
    for (list, kind) in [
        (&bundle.consents, Kind::DisclosureConsent),
        (&bundle.refusals, Kind::DisclosureRefusal),
    ] {
        for i in list {
            let Some(m) = msgs.get(i) else {
                bad.push(format!("entry {i} is not a verified message of the bundle"));
                continue;
            };
            if m.header.kind != kind {
                bad.push(format!(
                    "entry {i} is a {}, not a {}",
                    m.header.kind.as_str(),
                    kind.as_str()
                ));
                continue;
            }
            let Some(body) = m.body() else {
                bad.push(format!("entry {i}: its body is redacted"));
                continue;
            };
            let (req, listing) = if kind == Kind::DisclosureConsent {
                match Consent::parse(body) {
                    Ok(t) => (t.request.clone(), Some((t.entries, t.rosters))),
                    Err(e) => {
                        bad.push(format!("entry {i}: {e}"));
                        continue;
                    }
                }
            } else {
                match Refusal::parse(body) {
                    Ok(t) => (t.request, None),
                    Err(e) => {
                        bad.push(format!("entry {i}: {e}"));
                        continue;
                    }
                }
            };
            if req != request_leaf {
                bad.push(format!(
                    "entry {i}: it answers another request than this bundle's"
                ));
                continue;
            }
            if !required.contains(&m.header.party) {
                bad.push(format!(
                    "entry {i}: {} is not a party of the disclosed cases",
                    short(&m.header.party)
                ));
                continue;
            }
            match listing {
                Some((e, r)) => {
                    consented.insert(m.header.party);
                    listings.push((format!("{}'s consent", short(&m.header.party)), e, r));
                }
                None => {
                    refused.insert(m.header.party);
                }
            }
        }
    }
    c.add(
        "the consents and refusals answer this request",
        if bad.is_empty() {
            Ok(format!(
                "{} consent(s), {} refusal(s)",
                bundle.consents.len(),
                bundle.refusals.len()
            ))
        } else {
            Err(bad.join("; "))
        },
    );

    // 8. Completeness.
    let disclosure_kind = |k: Kind| {
        matches!(
            k,
            Kind::DisclosureRequest | Kind::DisclosureConsent | Kind::DisclosureRefusal
        )
    };
    let case_msgs: Vec<&Msg> = msgs
        .values()
        .filter(|m| {
            !disclosure_kind(m.header.kind) && cases.contains(m.header.case.to_hex().as_str())
        })
        .collect();
    let present: Vec<u64> = case_msgs.iter().map(|m| m.index).collect();
    let mut bad = Vec::new();
    if terms.as_of > bundle.request {
        bad.push(format!(
            "the request lists the log as of size {}, after the request itself",
            terms.as_of
        ));
    }
    for i in present.iter().filter(|i| **i >= terms.as_of) {
        bad.push(format!(
            "entry {i} was logged after the request's listing (as of size {}), which it does not cover",
            terms.as_of
        ));
    }
    let mut listed_rosters: BTreeSet<u64> = BTreeSet::new();
    for (who, listed, rosters) in &listings {
        for i in listed.iter().filter(|i| !present.contains(i)) {
            bad.push(format!("entry {i}, listed in {who}, is not in the bundle"));
        }
        for i in present.iter().filter(|i| !listed.contains(i)) {
            bad.push(format!(
                "entry {i} is in the bundle but not listed in {who}"
            ));
        }
        for i in rosters.iter().filter(|i| !roster_indices.contains(i)) {
            bad.push(format!(
                "the roster at entry {i}, listed in {who}, is not in the bundle"
            ));
        }
        listed_rosters.extend(rosters.iter().copied());
    }
    for i in roster_indices
        .iter()
        .filter(|i| !listed_rosters.contains(i))
    {
        bad.push(format!(
            "the roster at entry {i} is in the bundle but listed by no party"
        ));
    }
    c.add(
        "no entry of the cases is omitted (completeness)",
        if bad.is_empty() {
            Ok(format!(
                "{} messages, as listed by {} part(ies)",
                present.len(),
                listings.len()
            ))
        } else {
            Err(bad.join("; "))
        },
    );

    // 9. Redactions.
    let redactions = terms.redactions();
    let mut bad = Vec::new();
    for m in &case_msgs {
        for (i, p) in m.parts.iter().enumerate() {
            let (tag, is_stub) = match p {
                OpenedPart::Open(p) => (p.kind as u8, false),
                OpenedPart::Redacted { kind, .. } => (*kind as u8, true),
            };
            let lang = m.header.lang_of_part(i);
            let agreed = redactions.iter().any(|r| r.covers(m.index, i, tag, lang));
            if agreed && !is_stub {
                bad.push(format!(
                    "entry {} part {i} is shown though the terms redact it",
                    m.index
                ));
            } else if is_stub && !agreed {
                bad.push(format!(
                    "entry {} part {i} is redacted beyond the terms",
                    m.index
                ));
            }
        }
    }
    c.add(
        "exactly the agreed parts are redacted",
        if bad.is_empty() {
            Ok(if terms.redact.is_empty() {
                "nothing redacted".into()
            } else {
                format!("redacted: {}", terms.redact.join(", "))
            })
        } else {
            Err(bad.join("; "))
        },
    );

    report.messages = case_msgs
        .iter()
        .map(|m| MessageSummary {
            index: m.index,
            kind: m.header.kind.as_str().into(),
            case: m.header.case.to_hex(),
            party: short(&m.header.party),
            title: m.header.title.clone(),
            body: m.body().map(|b| String::from_utf8_lossy(b).into_owned()),
            texts: m
                .header
                .langs()
                .enumerate()
                .map(|(k, lang)| TextSummary {
                    lang: lang.into(),
                    authentic: m.header.is_authentic(lang),
                    body: match m.parts.get(k + 1) {
                        Some(OpenedPart::Open(p)) => {
                            Some(String::from_utf8_lossy(&p.bytes).into_owned())
                        }
                        _ => None,
                    },
                })
                .collect(),
            redacted_parts: m
                .parts
                .iter()
                .filter(|p| matches!(p, OpenedPart::Redacted { .. }))
                .count(),
        })
        .collect();
    report.parties = ch
        .parties
        .iter()
        .map(|p| PartySummary {
            short: p.short.clone(),
            name: p.name.clone(),
            required: required.contains(&p.id),
            consented: consented.contains(&p.id),
            refused: refused.contains(&p.id),
            receipt: receipt(&p.id),
        })
        .collect();
    report.missing_consents = ch
        .parties
        .iter()
        .filter(|p| required.contains(&p.id) && !consented.contains(&p.id))
        .map(|p| p.short.clone())
        .collect();
    c.add(
        "the bundle states the missing consents truthfully",
        if bundle.missing_consents == report.missing_consents {
            Ok(if bundle.missing_consents.is_empty() {
                "it claims every consent, and has them".into()
            } else {
                format!(
                    "it says consents are missing: {}",
                    bundle.missing_consents.join(", ")
                )
            })
        } else {
            Err(format!(
                "it states {:?} missing, but {:?} are",
                bundle.missing_consents, report.missing_consents
            ))
        },
    );
    finish(c, report)
}

fn check_message(
    dir: &Directory,
    charter: &VerifiedCharter,
    index: u64,
    h: &SignedHead,
    wire: Option<&[WirePart]>,
) -> Result<Msg, String> {
    let hd = &h.head.header;
    if hd.channel != charter.channel() {
        return Err("an envelope of another channel".into());
    }
    if charter.suite() != hd.suite {
        return Err(format!(
            "an envelope of suite {}, not the channel's ({})",
            hd.suite,
            charter.charter().suite
        ));
    }
    let signer = dir
        .signer_at(&hd.sender, index)
        .ok_or("its sender was not a member of a party's roster at that index")?;
    h.verify(&signer.member.signing_key)
        .map_err(|e| format!("its signature: {e}"))?;
    let wire = wire.ok_or("its message parts are missing")?;
    let parts = decode_parts(wire)?;
    Opening {
        parts: parts.clone(),
    }
    .verify(&hd.commitment)
    .map_err(|_| "the parts do not match the signed commitment".to_string())?;
    let header = match parts.first() {
        Some(OpenedPart::Open(p)) if p.kind == PartKind::Header => {
            hotline_core::message::parse_header(&p.bytes).map_err(|e| format!("its header: {e}"))?
        }
        _ => return Err("its header part is not open".into()),
    };
    if header.channel != hd.channel || header.author != hd.sender || header.party != signer.party {
        return Err("its inner header names another channel, author or party".into());
    }
    header
        .check_langs()
        .map_err(|e| format!("its header: {e}"))?;
    // Each part's kind is the one the header's layout gives its position
    // (header, the body in each language, the attachments it lists, the
    // STIX bundle if it says so), never a stub's own tag: a stub's tag is
    // not in its leaf hash.
    let layout = header.layout();
    if parts.len() != layout.len() {
        return Err(format!(
            "it has {} parts where its header's layout has {}",
            parts.len(),
            layout.len()
        ));
    }
    for (i, (p, want)) in parts.iter().zip(&layout).enumerate() {
        let (kind, what) = match p {
            OpenedPart::Open(p) => (p.kind, "an open part"),
            OpenedPart::Redacted { kind, .. } => (*kind, "a stub"),
        };
        if kind != *want {
            return Err(format!(
                "part {i} is {what} tagged {} where its header's layout has the {}",
                kind.name(),
                want.name()
            ));
        }
    }
    // Open attachments must be the ones the header describes.
    for (p, meta) in parts[1 + header.body_parts()..]
        .iter()
        .zip(&header.attachments)
    {
        if let OpenedPart::Open(p) = p
            && (meta.sha256 != hotline_core::message::sha256_hex(&p.bytes)
                || meta.size != p.bytes.len() as u64)
        {
            return Err(format!(
                "attachment {:?} does not match its description",
                meta.name
            ));
        }
    }
    Ok(Msg {
        index,
        header,
        parts,
    })
}
