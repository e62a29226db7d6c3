//! The outbox (TAXII 2.1 §5.5, Add Objects) and the status resources it
//! answers with (§4.3): the valid STIX 2.1 objects of a posted envelope go,
//! each its JSON text byte for byte, to the channel's draft
//! ([`crate::Config::draft`]); the refused are the status's failures, with
//! the validator's reasons. Each status is kept in the archive.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use hotline_client::archive::{DraftError, check_objects, date_added_text};
use hotline_core::ids::ChannelId;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::http::{Coll, S, archive_err, blocking, channel, collection_id, taxii_bytes};
use crate::{MAX_CONTENT_LENGTH, OUTBOX_SOURCE, TaxiiError};

/// A posted envelope (§3.7): only `objects` is read; each is kept as the
/// text it was posted as.
#[derive(Deserialize)]
struct Posted<'a> {
    #[serde(borrow)]
    objects: Vec<&'a RawValue>,
}

/// Reads the body of a POST to the outbox: a TAXII envelope (§3.7) whose
/// `objects` are returned as the JSON texts they were posted as. Not JSON is
/// 400, JSON that is not an envelope 422, each saying what to post.
pub fn parse_posted(body: &[u8]) -> Result<Vec<&str>, TaxiiError> {
    let posted: Posted<'_> = serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => TaxiiError::unprocessable(format!(
            "the body is JSON but not a TAXII envelope ({e}): post {{\"objects\": [STIX objects]}}"
        )),
        _ => TaxiiError::bad_request(format!(
            "the body is not JSON ({e}): post a TAXII envelope, {{\"objects\": [STIX objects]}}"
        )),
    })?;
    let texts: Vec<&str> = posted.objects.iter().map(|o| o.get()).collect();
    // An object keyed by serde_json's private RawValue token is JSON text
    // that serde_json cannot read as a value (the fuzz target found it).
    if let Some(i) = texts
        .iter()
        .position(|t| serde_json::from_str::<serde_json::Value>(t).is_err())
    {
        return Err(TaxiiError::unprocessable(format!(
            "object {i} of the envelope is not a JSON value we can read: post {{\"objects\": [STIX objects]}}"
        )));
    }
    Ok(texts)
}

/// A status resource (§4.3.1).
#[derive(Serialize)]
struct Status {
    id: String,
    status: &'static str,
    request_timestamp: String,
    total_count: usize,
    success_count: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    successes: Vec<Detail>,
    failure_count: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    failures: Vec<Detail>,
    pending_count: usize,
}

/// A status-details (§4.3.1).
#[derive(Serialize)]
struct Detail {
    id: String,
    version: String,
    message: String,
}

/// Whether a Content-Type is the TAXII 2.1 media type: `application/taxii+json`
/// with `version=2.1` or no version (§1.6.8.1: the latest, 2.1 here).
fn is_taxii(h: &HeaderMap) -> bool {
    let Some(v) = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = v.split(';').map(str::trim);
    if !parts
        .next()
        .is_some_and(|m| m.eq_ignore_ascii_case("application/taxii+json"))
    {
        return false;
    }
    parts.all(|p| match p.split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case("version") => {
            v.trim().trim_matches('"') == "2.1"
        }
        _ => true,
    })
}

/// A new status id: a random (version 4) UUID.
fn status_id() -> Result<String, TaxiiError> {
    use rand_core::RngCore as _;
    let mut b = [0u8; 16];
    rand_core::OsRng
        .try_fill_bytes(&mut b)
        .map_err(TaxiiError::internal)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// Reads the body, at most [`MAX_CONTENT_LENGTH`] bytes: 413 beyond, as
/// soon as the declared length or the bytes read pass it.
async fn read_body(h: &HeaderMap, body: Body) -> Result<axum::body::Bytes, TaxiiError> {
    let too_large = || {
        TaxiiError::too_large(format!(
            "the request body is larger than this API root's max_content_length, \
             {MAX_CONTENT_LENGTH} bytes: post the objects in several envelopes"
        ))
    };
    let declared = h
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_CONTENT_LENGTH as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_CONTENT_LENGTH)
        .await
        .map_err(|e| {
            if e.into_inner()
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                too_large()
            } else {
                TaxiiError::bad_request("the request body could not be read; send it again")
            }
        })
}

/// `POST /{root}/collections/outbox/objects/` (§5.5): 202 and a status
/// resource, every object done (`complete`).
pub(crate) async fn add_objects(
    State(s): State<S>,
    Path((root, coll)): Path<(String, String)>,
    h: HeaderMap,
    body: Body,
) -> Result<Response, TaxiiError> {
    let id = channel(&s, &root).await?;
    if let Coll::Read(c) = collection_id(&coll)? {
        return Err(TaxiiError::forbidden(format!(
            "the collection `{}` is read-only (can_write is false): post to \
             /{root}/collections/outbox/objects/",
            c.as_str()
        )));
    }
    if !is_taxii(&h) {
        return Err(TaxiiError::unsupported_media_type());
    }
    let bytes = read_body(&h, body).await?;
    let sid = status_id()?;
    let s2 = s.clone();
    let json = blocking(move || add(&s2, &id, &sid, &bytes)).await?;
    Ok(taxii_bytes(StatusCode::ACCEPTED, json))
}

/// Adds an envelope's valid objects to the draft, keeps the status, and
/// returns its JSON.
fn add(s: &S, channel: &ChannelId, sid: &str, body: &[u8]) -> Result<String, TaxiiError> {
    let request_timestamp = date_added_text(
        i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
            .unwrap_or(i64::MAX),
    );
    let texts = parse_posted(body)?;
    let (ok, bad) = check_objects(&texts);
    let draft = &s.cfg.draft;
    let mut successes = Vec::with_capacity(ok.len());
    // Objects that differ from the version the draft holds under their id
    // (an object version is immutable): failures, the others still added.
    let mut conflicts: Vec<Detail> = vec![];
    let mut take: Vec<&hotline_client::archive::Checked> = ok.iter().collect();
    let done = loop {
        if take.is_empty() {
            break Default::default();
        }
        let jsons: Vec<&str> = take.iter().map(|c| c.json.as_str()).collect();
        match s
            .archive
            .add_to_draft(channel, draft, &jsons, OUTBOX_SOURCE)
        {
            Ok(done) => break done,
            Err(DraftError::Conflict(refused)) => {
                let at: std::collections::BTreeSet<usize> =
                    refused.iter().map(|r| r.position).collect();
                for r in &refused {
                    let c = take[r.position];
                    conflicts.push(Detail {
                        id: c.id.clone(),
                        version: c.version.clone().unwrap_or_default(),
                        message: format!(
                            "object {} of the envelope was not added: {} (a changed object needs a newer `modified`)",
                            c.position,
                            r.errors.join("; ")
                        ),
                    });
                }
                take = take
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| !at.contains(i))
                    .map(|(_, c)| c)
                    .collect();
            }
            Err(e @ DraftError::TooLarge(_)) => {
                return Err(TaxiiError::too_large(format!(
                    "nothing was added: {e} (`hotline case open --draft {draft}` sends it; \
                     `hotline evidence discard {draft}` empties it)"
                )));
            }
            Err(e) => return Err(TaxiiError::internal(e)),
        }
    };
    {
        // The draft took the objects in order, each either added or
        // already held: walk both lists along.
        let (mut added, mut already) = (done.added.iter().peekable(), done.already.iter());
        for c in &take {
            let key = (c.id.clone(), c.version.clone());
            let message = if added.peek() == Some(&&key) {
                added.next();
                let mut m = format!("added to draft {draft:?}");
                if !c.warnings.is_empty() {
                    m.push_str(&format!(
                        "; it breaks SHOULD rules of STIX 2.1: {}",
                        c.warnings.join("; ")
                    ));
                }
                m
            } else {
                already.next();
                format!("this version was already in draft {draft:?}; left as it was")
            };
            successes.push(Detail {
                id: c.id.clone(),
                version: c
                    .version
                    .clone()
                    .unwrap_or_else(|| request_timestamp.clone()),
                message,
            });
        }
    }
    let mut failures: Vec<Detail> = bad
        .iter()
        .map(|r| {
            let v: Option<serde_json::Value> = serde_json::from_str(texts[r.position]).ok();
            let field = |k: &str| {
                v.as_ref()
                    .and_then(|v| v.get(k))
                    .and_then(|x| x.as_str())
                    .map(str::to_owned)
            };
            Detail {
                id: r.id.clone().unwrap_or_default(),
                version: field("modified")
                    .or_else(|| field("created"))
                    .unwrap_or_default(),
                message: format!(
                    "object {} of the envelope was not added: {}",
                    r.position,
                    r.errors.join("; ")
                ),
            }
        })
        .collect();
    failures.extend(conflicts);
    let status = Status {
        id: sid.to_owned(),
        status: "complete",
        request_timestamp,
        total_count: texts.len(),
        success_count: successes.len(),
        successes,
        failure_count: failures.len(),
        failures,
        pending_count: 0,
    };
    let json = serde_json::to_string(&status).map_err(TaxiiError::internal)?;
    s.archive
        .put_taxii_status(channel, sid, &json)
        .map_err(archive_err)?;
    Ok(json)
}

/// `GET /{root}/status/{id}/` (§4.3): a status the outbox answered with.
pub(crate) async fn status(
    State(s): State<S>,
    Path((root, sid)): Path<(String, String)>,
) -> Result<Response, TaxiiError> {
    let id = channel(&s, &root).await?;
    let s2 = s.clone();
    let sid2 = sid.clone();
    let json = blocking(move || s2.archive.taxii_status(&id, &sid2).map_err(archive_err)).await?;
    match json {
        Some(j) => Ok(taxii_bytes(StatusCode::OK, j)),
        None => Err(TaxiiError::not_found(format!(
            "no status {sid:?} in this API root: a status is kept for each of the newest {} \
             posts to the outbox",
            hotline_client::archive::MAX_TAXII_STATUSES
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// The fuzz target's find: an object keyed by serde_json's private
    /// RawValue token, which serde_json cannot read as a value; refused.
    #[test]
    fn an_object_keyed_by_serde_jsons_raw_value_token_is_refused() {
        let body = br#"{"more":true,"next":"abc","objects":[{"$serde_json::private::RawValue":"indicatob","spec11111111111111?_version":"2.0","id":"indicator--","valid_from":"2026-11-20T08:00:00Z"}, { "type" : "ipv4-addr", "sppa_version":"2.1", "id":"ipv3-addr--ff26c055-6336-5bc5-b226742=d", "value":"198.51.100.3" }]}"#;
        let e = parse_posted(body).unwrap_err();
        assert_eq!(e.status, 422, "{e}");
        let ok = br#"{"objects":[{"type":"indicator"}]}"#;
        assert_eq!(parse_posted(ok).unwrap(), vec![r#"{"type":"indicator"}"#]);
    }

    #[test]
    fn content_type_is_taxii_2_1() {
        let ct = |v: Option<&str>| {
            let mut h = HeaderMap::new();
            if let Some(v) = v {
                h.insert(header::CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
            }
            is_taxii(&h)
        };
        for ok in [
            "application/taxii+json;version=2.1",
            "application/taxii+json; version=\"2.1\"",
            "Application/TAXII+json",
            "application/taxii+json;version=2.1; charset=utf-8",
        ] {
            assert!(ct(Some(ok)), "{ok}");
        }
        for bad in [
            None,
            Some("application/json"),
            Some("application/stix+json;version=2.1"),
            Some("application/taxii+json;version=2.0"),
            Some("application/taxii+jsonx"),
        ] {
            assert!(!ct(bad), "{bad:?}");
        }
    }

    #[test]
    fn status_ids_are_uuid_v4() {
        let (a, b) = (status_id().unwrap(), status_id().unwrap());
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{a}");
        assert!("89ab".contains(&parts[3][..1]), "{a}");
    }

    proptest::proptest! {
        /// The outbox takes each posted object as the very text posted,
        /// whatever its spacing; unknown envelope members are ignored.
        #[test]
        fn posted_objects_are_kept_verbatim(
            values in proptest::collection::vec("[ -~]{0,12}", 0..6),
            ws in "[ \\t\\n]{0,3}",
        ) {
            let objects: Vec<String> = values
                .iter()
                .map(|v| format!("{{{ws}\"value\"{ws}:{ws}{}{ws}}}", serde_json::Value::String(v.clone())))
                .collect();
            let body = format!("{{\"x_other\":{{}},{ws}\"objects\":[{}]}}", objects.join(&format!(",{ws}")));
            let got = parse_posted(body.as_bytes()).unwrap();
            proptest::prop_assert_eq!(got, objects.iter().map(String::as_str).collect::<Vec<_>>());
        }

        /// Anything else is 400 (not JSON) or 422 (not an envelope).
        #[test]
        fn anything_else_is_400_or_422(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..48)) {
            if let Err(e) = parse_posted(&bytes) {
                proptest::prop_assert!(e.status == 400 || e.status == 422, "{}", e);
            }
        }
    }
}
