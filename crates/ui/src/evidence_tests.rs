//! Files and evidence: multipart Compose behind the checks and bounded,
//! hostile file names, the kept files, the graph, tampered attachments.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::tests::{HOST, HOSTILE, csrf, login, send, text, ui, with_cookie};

const BOUNDARY: &str = "XyZzyBoundary0123";

/// A multipart body: text fields, then files (field, file name, bytes).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, name, bytes) in files {
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn post(cookie: &str, origin: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut r = Request::post("/compose").header(header::HOST, HOST).header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if let Some(o) = origin {
        r = r.header(header::ORIGIN, o);
    }
    with_cookie(r.body(Body::from(body)).unwrap(), cookie)
}

const OURS: Option<&str> = Some("http://127.0.0.1:9200");

#[tokio::test]
async fn a_multipart_compose_needs_the_csrf_field_and_our_origin() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let token = csrf(&ui, &cookie).await;
    let file: &[(&str, &str, &[u8])] = &[("files", "a.txt", b"hello")];
    // No token, a wrong token, a token in a file part, no Origin: 403.
    for (fields, origin) in [
        (vec![("step", "check")], OURS),
        (vec![("csrf", "00"), ("step", "check")], OURS),
        (vec![("csrf", token.as_str()), ("step", "check")], None),
    ] {
        let r = send(&ui, post(&cookie, origin, multipart(&fields, file))).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{fields:?}");
    }
    let r = send(
        &ui,
        post(
            &cookie,
            OURS,
            multipart(&[("step", "check")], &[("csrf", "t", token.as_bytes())]),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a token in a file part");
    // With it: past the checks (an empty archive has no channel).
    let r = send(
        &ui,
        post(
            &cookie,
            OURS,
            multipart(&[("csrf", &token), ("step", "check")], file),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    // An unknown field: 400, nothing done.
    let r = send(
        &ui,
        post(
            &cookie,
            OURS,
            multipart(&[("csrf", &token), ("evil", "1")], &[]),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn uploads_beyond_the_limits_are_413_with_the_limits_named() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let token = csrf(&ui, &cookie).await;
    let fields = [("csrf", token.as_str()), ("step", "check")];
    let big = vec![b'a'; crate::uploads::MAX_UPLOAD_FILE + 1];
    let two = vec![b'a'; crate::uploads::MAX_UPLOAD_FILE];
    let one: &[u8] = b"x";
    let many: Vec<(&str, &str, &[u8])> = (0..=crate::uploads::MAX_UPLOAD_FILES)
        .map(|_| ("files", "f", one))
        .collect();
    let cases: Vec<Vec<(&str, &str, &[u8])>> = vec![
        vec![("files", "big.bin", &big)],
        vec![("stix_file", "big.json", &big)],
        vec![("files", "a", &two), ("files", "b", &two)],
        many,
    ];
    for files in cases {
        let r = send(&ui, post(&cookie, OURS, multipart(&fields, &files))).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let page = text(r).await;
        assert!(page.contains("at most 3 MiB a file"), "{page}");
    }
    // At the limit: taken.
    let r = send(
        &ui,
        post(&cookie, OURS, multipart(&fields, &[("files", "a", &two)])),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    // A body beyond the request limit: 413 before any parsing.
    let huge = vec![b'a'; crate::security::MAX_COMPOSE + 1];
    let r = send(
        &ui,
        post(&cookie, OURS, multipart(&fields, &[("files", "h", &huge)])),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[test]
fn a_hostile_file_name_is_cleaned_never_a_path_and_escaped() {
    use crate::uploads::clean_name;
    assert_eq!(clean_name("../../etc/passwd"), "passwd");
    assert_eq!(clean_name(r"C:\Users\x\report.pdf"), "report.pdf");
    assert_eq!(clean_name(".."), "attachment");
    assert_eq!(clean_name("a\u{0}b\nc\u{202e}fdp.exe"), "abcfdp.exe");
    assert_eq!(clean_name(&"x".repeat(500)).chars().count(), 200);
    // In the Content-Disposition: no quote, semicolon or path.
    let d = crate::evidence::disposition("../\"a;b\".txt\r\nX: y");
    assert_eq!(
        d,
        "attachment; filename=\"_a_b_.txtX_ y\"; filename*=UTF-8''%22a%3Bb%22.txtX%3A%20y"
    );
    let d = crate::evidence::disposition("résumé.pdf");
    assert!(d.ends_with("filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"), "{d}");
}

#[tokio::test]
async fn a_hostile_file_name_is_shown_escaped_and_the_files_are_kept_for_the_session() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let token = csrf(&ui, &cookie).await;
    // Parsed: the name cleaned, shown escaped in the list.
    let (form, files) = crate::uploads::parse(
        BOUNDARY.into(),
        multipart(
            &[("csrf", &token), ("title", "t")],
            &[("files", "../x/<img src=x onerror=alert(2)>.txt", b"data")],
        )
        .into(),
    )
    .await
    .unwrap();
    assert_eq!(form.title, "t");
    assert_eq!(files.attachments.len(), 1);
    assert_eq!(
        files.attachments[0].name,
        "<img src=x onerror=alert(2)>.txt"
    );
    assert_eq!(files.attachments[0].media_type, "text/plain");
    // The name has a '/' so it lost its path; the one shown is escaped.
    let id = ui.uploads.keep("s1", "", files.clone());
    assert_eq!(id.len(), 64);
    let fields = [
        ("csrf", token.as_str()),
        ("step", "check"),
        ("staged", id.as_str()),
    ];
    // Another session's id is not ours: it is gone for us.
    let r = send(&ui, post(&cookie, OURS, multipart(&fields, &[]))).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Our own: kept under the form token of our session.
    let id = ui.uploads.keep(&token, "", files);
    let fields = [
        ("csrf", token.as_str()),
        ("step", "check"),
        ("staged", id.as_str()),
    ];
    let tr = crate::i18n::Tr::english();
    let kept = ui.uploads.get(&token, &id).unwrap();
    let rows = kept.rows(&tr);
    let page = crate::compose::ComposePage {
        chrome: crate::view::Chrome {
            csrf: "c".into(),
            alarms: vec![],
            notices: vec![],
        },
        tr: &tr,
        title: "Compose".into(),
        channels: vec![crate::compose::Choice {
            value: "c".into(),
            label: "c".into(),
            on: true,
        }],
        kinds: vec![],
        parties: vec![],
        norms: vec![],
        tlps: vec![],
        drafts: vec![],
        authentics: vec![],
        form: crate::compose::Form {
            staged: id.clone(),
            files: vec![crate::uploads::FileRow {
                name: HOSTILE.into(),
                ..rows[0].clone()
            }],
            ..Default::default()
        },
        errors: vec![],
        stix: vec![],
        preview: None,
    };
    let html = askama::Template::render(&page).unwrap();
    crate::tests::assert_escaped(&html);
    assert!(html.contains(r#"enctype="multipart/form-data""#), "{html}");
    assert!(html.contains(r#"<input type="file" id="c-files" name="files" multiple>"#));
    assert!(html.contains(r#"id="c-stix-file" name="stix_file""#));
    assert!(html.contains(&format!(r#"name="staged" value="{id}""#)));
    assert!(html.contains(r#"id="c-drop-files""#));
    // Through the router: the page lists nothing (no channel), but the
    // request with our id passes.
    let r = send(&ui, post(&cookie, OURS, multipart(&fields, &[]))).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[test]
fn kept_files_expire_are_bounded_and_belong_to_one_session() {
    use crate::uploads::{Files, KEEP, Store, Upload};
    use std::time::{Duration, Instant};
    let s = Store::default();
    let f = |n: usize| Files {
        attachments: vec![Upload {
            name: "a".into(),
            media_type: "text/plain".into(),
            bytes: vec![0; n],
        }],
        stix: None,
    };
    let t = Instant::now();
    let id = s.keep_at("me", "", f(1), t);
    assert!(s.get_at("me", &id, t).is_some());
    assert!(s.get_at("other", &id, t).is_none(), "another session");
    assert!(s.get_at("me", &"0".repeat(64), t).is_none());
    assert!(
        s.get_at("me", &id, t + KEEP + Duration::from_secs(1))
            .is_none(),
        "expired"
    );
    // Replacing rotates the id; at most three sets per session.
    let a = s.keep_at("me", "", f(1), t);
    let b = s.keep_at("me", &a, f(2), t);
    assert!(s.get_at("me", &a, t).is_none() && s.get_at("me", &b, t).is_some());
    let ids: Vec<String> = (0..4).map(|_| s.keep_at("me", "", f(1), t)).collect();
    assert!(s.get_at("me", &ids[0], t).is_none(), "the oldest went");
    assert!(ids[1..].iter().all(|i| s.get_at("me", i, t).is_some()));
    s.remove("me", &ids[3]);
    assert!(s.get_at("me", &ids[3], t).is_none());
}

const HOSTILE_STIX: &str = r#"<script>alert(1)</script> "><img src=x onerror=alert(2)>"#;

fn bundle(objects: &[serde_json::Value]) -> Vec<u8> {
    serde_json::to_vec(
        &serde_json::json!({"type": "bundle", "id": "bundle--1", "objects": objects}),
    )
    .unwrap()
}

#[test]
fn the_graph_has_a_node_per_object_and_an_edge_per_relation_escaped() {
    use serde_json::json;
    let objects = [
        json!({"type": "threat-actor", "id": "threat-actor--1", "name": HOSTILE_STIX}),
        json!({"type": "malware", "id": "malware--1", "name": "Evil", "created_by_ref": "identity--1"}),
        json!({"type": "identity", "id": "identity--1", "name": "Us"}),
        json!({"type": "indicator", "id": "indicator--1", "pattern": "[ipv4-addr:value = '198.51.100.1']"}),
        json!({"type": "relationship", "id": "relationship--1", "source_ref": "threat-actor--1", "target_ref": "malware--1", "relationship_type": HOSTILE_STIX}),
        json!({"type": "relationship", "id": "relationship--2", "source_ref": "indicator--1", "target_ref": "malware--1", "relationship_type": "indicates"}),
        json!({"type": "sighting", "id": "sighting--1", "sighting_of_ref": "indicator--1", "where_sighted_refs": ["identity--1"]}),
    ];
    let g = crate::graph::from_bundles(&[(3, bundle(&objects))]);
    // Five nodes (every object but the relationships), four relations.
    assert_eq!(g.nodes.len(), 5, "{:?}", g.nodes);
    assert_eq!(g.edges.len(), 5, "{:?}", g.edges);
    let labels: Vec<&str> = g.edges.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            HOSTILE_STIX,
            "indicates",
            "created-by",
            "sighting-of",
            "where-sighted"
        ]
    );
    assert!(g.nodes.iter().all(|n| n.message == Some(3)));
    let svg = g.svg("t <b>", "n");
    assert_eq!(svg.matches(r#"<g class="node "#).count(), 5, "{svg}");
    assert_eq!(svg.matches(r#"<g class="edge "#).count(), 5, "{svg}");
    assert!(
        !svg.contains("<script") && !svg.contains("<img") && !svg.contains("<b>"),
        "{svg}"
    );
    assert!(svg.contains("&lt;script&gt;alert(1)"), "{svg}");
    assert!(!svg.contains("style="), "no inline style: {svg}");
    // Deterministic.
    assert_eq!(
        svg,
        crate::graph::from_bundles(&[(3, bundle(&objects))]).svg("t <b>", "n")
    );
    // Columns by type: identity first, then threat-actor.
    let pos = |s: &str| svg.find(&format!(">{s}</text>")).unwrap();
    assert!(pos("identity") < pos("threat-actor"));

    // A reference to an object not in the case: a dashed node.
    let g = crate::graph::from_bundles(&[(
        1,
        bundle(&[
            json!({"type": "relationship", "id": "relationship--9", "source_ref": "malware--x", "target_ref": "tool--y", "relationship_type": "uses"}),
        ]),
    )]);
    assert_eq!(g.nodes.len(), 2);
    assert!(
        g.nodes
            .iter()
            .all(|n| n.class == "missing" && n.message.is_none())
    );
    assert_eq!(g.edges.len(), 1);
    // Not JSON: nothing.
    assert!(
        crate::graph::from_bundles(&[(1, b"<x>".to_vec())])
            .nodes
            .is_empty()
    );
}

#[test]
fn the_evidence_page_escapes_stix_strings_in_the_tables() {
    use serde_json::json;
    let tr = crate::i18n::Tr::english();
    let g = crate::graph::from_bundles(&[(
        1,
        bundle(&[
            json!({"type": "malware", "id": "malware--1", "name": HOSTILE_STIX}),
            json!({"type": "relationship", "id": "relationship--1", "source_ref": "malware--1", "target_ref": HOSTILE_STIX, "relationship_type": HOSTILE_STIX}),
        ]),
    )]);
    let page = crate::evidence::EvidencePage {
        chrome: crate::view::Chrome {
            csrf: "c".into(),
            alarms: vec![],
            notices: vec![],
        },
        tr: &tr,
        title: "Evidence".into(),
        case_id: "00".into(),
        case_title: HOSTILE.into(),
        svg: g.svg(HOSTILE, "n"),
        cut: false,
        graph: g,
    };
    let html = askama::Template::render(&page).unwrap();
    crate::tests::assert_escaped(&html);
    assert!(
        html.contains(r#"<table class="evidence-objects""#),
        "{html}"
    );
    assert!(
        html.contains(r#"<table class="evidence-relations""#),
        "{html}"
    );
    assert!(html.contains(r#"<svg xmlns="http://www.w3.org/2000/svg""#));
}

#[test]
fn a_tampered_attachment_is_refused() {
    use hotline_client::archive::{AttachmentError, checked_attachment};
    use hotline_core::commitment::encode_parts;
    use hotline_core::entry::Entry;
    use hotline_core::envelope::Envelope;
    use hotline_core::ids::{ChannelId, MessageId};
    use hotline_core::keys::MemberKeys;
    use hotline_core::message::{AttachmentMeta, InnerHeader, Kind, Message, Tlp, sha256_hex};
    let mut rng = rand_core::OsRng;
    let me = MemberKeys::generate(&mut rng);
    let id = MessageId([7; 16]);
    let data = b"the evidence".to_vec();
    let msg = Message {
        header: InnerHeader {
            v: 1,
            channel: ChannelId([9; 16]),
            id,
            case: id,
            kind: Kind::Inquiry,
            author: me.signing.key_id(),
            party: me.signing.key_id(),
            created: "2026-12-02T00:00:00Z".into(),
            to: vec![],
            refs: vec![],
            title: "t".into(),
            tlp: Tlp::Amber,
            norm: None,
            lang: "en".into(),
            other_langs: vec![],
            authentic: vec![],
            attachments: vec![AttachmentMeta {
                name: "a.txt".into(),
                media_type: "text/plain".into(),
                size: data.len() as u64,
                sha256: sha256_hex(&data),
            }],
            stix: false,
            nonce: "00".repeat(16),
        },
        body: "b".into(),
        other_bodies: vec![],
        attachments: vec![data.clone()],
        stix: None,
    };
    let (env, parts) =
        Envelope::seal_message(&msg, &me.signing, &[me.encryption.public_key()], &mut rng).unwrap();
    let entry = Entry::Head(*env.signed_head()).to_bytes().unwrap();
    let stored = encode_parts(&parts);
    let a = checked_attachment(5, &entry, &stored, 0).unwrap();
    assert_eq!(a.bytes, data);
    assert_eq!(a.name, "a.txt");
    assert!(matches!(
        checked_attachment(5, &entry, &stored, 1),
        Err(AttachmentError::NotFound)
    ));
    // One byte of the attachment changed in the archive: refused.
    let mut bad = stored.clone();
    let at = bad
        .windows(data.len())
        .position(|w| w == data.as_slice())
        .unwrap();
    bad[at] ^= 1;
    let e = checked_attachment(5, &entry, &bad, 0).unwrap_err();
    assert!(matches!(e, AttachmentError::Tampered(5, _)), "{e}");
    // The header and the bytes changed together still fail the commitment.
    let mut parts2 = parts.clone();
    parts2[2].bytes = b"other".to_vec();
    let e = checked_attachment(5, &entry, &encode_parts(&parts2), 0).unwrap_err();
    assert!(matches!(e, AttachmentError::Tampered(..)), "{e}");
}
