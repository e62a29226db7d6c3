//! The channel set-up pages (`crate::setup`) through the router: every POST
//! behind Origin and the CSRF token (read from a multipart body), hostile
//! titles and names escaped, bad files refused with 422 and what is wrong,
//! nothing written. (Registering and publishing rosters need a relay:
//! `crates/cli/tests/ui_setup.rs`.)

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hotline_client::profile::{KdfStrength, NewProfile, PartyInfo, Passphrase, Profile};
use hotline_core::charter::parse_unverified;
use hotline_core::dsse::SignedDocument;
use hotline_core::keys::SigningKey;
use http_body_util::BodyExt as _;

use crate::Ui;
use crate::tests::{
    HOST, HOSTILE, PORT, assert_escaped, csrf, get, login, send, text, with_cookie,
};

const ORIGIN: &str = "http://127.0.0.1:9200";
const RELAY_KEY: &str = "relay.example+5b1e3b7f+AU5NdS9p2rGjR0zJ9Fq4nJ1Jt2cS4vUu6Q1YwZ8kq3aB";

fn pass() -> Passphrase {
    Passphrase::new("a long enough passphrase".into())
}

fn fast() -> KdfStrength {
    KdfStrength { log_n: Some(10) }
}

fn profile(dir: &std::path::Path, name: &str, short: &str) -> Profile {
    Profile::create(
        dir,
        &NewProfile {
            party: Some((name.into(), short.into())),
            member: Some("Duty officer".into()),
        },
        &pass(),
        fast(),
    )
    .unwrap()
}

/// A UI over Southland's profile (party key held), and Northland's profile.
struct Fixture {
    _d: tempfile::TempDir,
    ui: Arc<Ui>,
    south: Profile,
    north: Profile,
}

fn fixture() -> Fixture {
    let d = tempfile::tempdir().unwrap();
    let south = profile(&d.path().join("south"), "Southland CERT", "southland");
    let north = profile(&d.path().join("north"), "Northland CERT", "northland");
    let archive = Arc::new(hotline_client::archive::Archive::open(south.dir()).unwrap());
    let keys = south.unlock_keyring(&pass()).unwrap();
    let key = south.unlock_party(&pass()).unwrap();
    let ui = Ui::new(archive, keys, PORT).with_profile(south.clone(), Some(key));
    Fixture {
        _d: d,
        ui: Arc::new(ui),
        south,
        north,
    }
}

fn party(p: &Profile) -> PartyInfo {
    p.info().party.clone().unwrap()
}

fn profile_json(p: &Profile) -> Vec<u8> {
    std::fs::read(p.dir().join("profile.json")).unwrap()
}

/// A draft charter of `parties` (the library's, as `channel draft` makes it).
fn charter(title: &str, parties: &[PartyInfo]) -> SignedDocument {
    hotline_client::channel::draft(
        title,
        parties,
        "http://127.0.0.1:1",
        RELAY_KEY,
        vec![],
        0,
        hotline_core::charter::Suite::DEFAULT,
        &mut rand_core::OsRng,
    )
    .unwrap()
}

/// The charter of Northland and Southland, signed by both.
fn signed(f: &Fixture, title: &str) -> SignedDocument {
    let mut doc = charter(title, &[party(&f.north), party(&f.south)]);
    doc.sign(&f.north.unlock_party(&pass()).unwrap());
    doc.sign(&f.south.unlock_party(&pass()).unwrap());
    doc
}

enum P<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

const BOUNDARY: &str = "----hotline-test-boundary-7f3a";

fn multipart(parts: &[P]) -> Vec<u8> {
    let mut b = Vec::new();
    for p in parts {
        b.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match p {
            P::Text(n, v) => {
                b.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n")
                        .as_bytes(),
                );
            }
            P::File(n, f, data) => {
                b.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{n}\"; filename=\"{f}\"\r\nContent-Type: application/json\r\n\r\n"
                    )
                    .as_bytes(),
                );
                b.extend_from_slice(data);
                b.extend_from_slice(b"\r\n");
            }
        }
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn post(path: &str, cookie: &str, origin: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut r = Request::post(path).header(header::HOST, HOST).header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if let Some(o) = origin {
        r = r.header(header::ORIGIN, o);
    }
    with_cookie(r.body(Body::from(body)).unwrap(), cookie)
}

async fn session(ui: &Arc<Ui>) -> (String, String) {
    let cookie = login(ui).await;
    let token = csrf(ui, &cookie).await;
    (cookie, token)
}

async fn bytes(r: axum::http::Response<Body>) -> Vec<u8> {
    r.into_body().collect().await.unwrap().to_bytes().to_vec()
}

#[tokio::test]
async fn every_setup_post_needs_our_origin_and_the_csrf_token_in_its_multipart_body() {
    let f = fixture();
    let (cookie, token) = session(&f.ui).await;
    let other = {
        let c2 = login(&f.ui).await;
        csrf(&f.ui, &c2).await
    };
    let doc = signed(&f, "A hotline").to_json();
    let north = profile_json(&f.north);
    for path in [
        "/setup/draft",
        "/setup/sign",
        "/setup/register",
        "/setup/join",
        "/setup/roster",
    ] {
        let form = |csrf: Option<P<'static>>| {
            let mut v = vec![
                P::Text("title", "A hotline"),
                P::Text("include_me", "1"),
                P::File("parties", "north.json", &north),
                P::Text("relay_url", "http://127.0.0.1:1"),
                P::Text("relay_key", RELAY_KEY),
                P::Text("step", "sign"),
                P::File("charter", "charter.json", &doc),
            ];
            v.extend(csrf);
            multipart(&v)
        };
        let tok: &'static str = Box::leak(token.clone().into_boxed_str());
        let oth: &'static str = Box::leak(other.clone().into_boxed_str());
        let refused = [
            (None, form(Some(P::Text("csrf", tok)))),
            (
                Some("http://evil.example"),
                form(Some(P::Text("csrf", tok))),
            ),
            (
                Some("http://127.0.0.1:9201"),
                form(Some(P::Text("csrf", tok))),
            ),
            (Some(ORIGIN), form(None)),
            (Some(ORIGIN), form(Some(P::Text("csrf", "")))),
            (Some(ORIGIN), form(Some(P::Text("csrf", oth)))),
            // The token as a file part is no form token.
            (
                Some(ORIGIN),
                form(Some(P::File("csrf", "t.txt", tok.as_bytes()))),
            ),
        ];
        for (i, (origin, body)) in refused.into_iter().enumerate() {
            let r = send(&f.ui, post(path, &cookie, origin, body)).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} case {i}");
        }
    }
    // None of them did anything: nothing followed.
    assert!(f.ui.archive.channels().unwrap().is_empty());
    // The same join with our origin and token follows the channel.
    let body = multipart(&[
        P::Text("csrf", &token),
        P::File("charter", "charter.json", &doc),
    ]);
    let r = send(&f.ui, post("/setup/join", &cookie, Some(ORIGIN), body)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/setup");
    assert_eq!(f.ui.archive.channels().unwrap().len(), 1);
}

#[tokio::test]
async fn the_pages_are_linked_and_a_newcomer_is_pointed_to_setup() {
    let f = fixture();
    let (cookie, _) = session(&f.ui).await;
    let inbox = text(send(&f.ui, with_cookie(get("/"), &cookie)).await).await;
    assert!(
        inbox.contains(r#"<a href="/setup">Channels</a>"#),
        "{inbox}"
    );
    assert!(inbox.contains(r#"id="inbox-setup""#), "{inbox}");
    let r = send(&f.ui, with_cookie(get("/setup"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = text(r).await;
    for id in [
        "setup-none",
        "setup-draft-link",
        "sign-charter",
        "register-charter",
        "join-charter",
        "setup-we-are",
    ] {
        assert!(page.contains(&format!(r#"id="{id}""#)), "{id}: {page}");
    }
    assert!(page.contains(r#"enctype="multipart/form-data""#));
    let r = send(&f.ui, with_cookie(get("/setup/draft"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = text(r).await;
    for id in [
        "draft-title",
        "draft-include-me",
        "draft-parties",
        "draft-parties-pasted",
        "draft-relay-url",
        "draft-relay-key",
        "draft-witnesses",
        "draft-quorum",
        "draft-ack-inquiry",
        "draft-answer-inquiry",
        "draft-tlp",
        "draft-submit",
    ] {
        assert!(page.contains(&format!(r#"id="{id}""#)), "{id}");
        if id != "draft-submit" {
            assert!(page.contains(&format!(r#"for="{id}""#)), "label of {id}");
        }
    }
    // The defaults of `channel draft` are offered.
    assert!(page.contains(r#"name="ack_inquiry" value="1d""#), "{page}");
    assert!(
        page.contains(r#"name="answer_inquiry" value="7d""#),
        "{page}"
    );
    // Once a channel is followed the inbox no longer points there.
    let doc = signed(&f, "A hotline");
    hotline_client::channel::join(&f.ui.archive, &doc).unwrap();
    let inbox = text(send(&f.ui, with_cookie(get("/"), &cookie)).await).await;
    assert!(!inbox.contains(r#"id="inbox-setup""#));
}

#[tokio::test]
async fn a_draft_is_downloaded_with_the_options_given() {
    let f = fixture();
    let (cookie, token) = session(&f.ui).await;
    let north = profile_json(&f.north);
    let witness =
        "witness.example+0a1b2c3d+AU5NdS9p2rGjR0zJ9Fq4nJ1Jt2cS4vUu6Q1YwZ8kq3aB=http://127.0.0.1:2";
    let body = multipart(&[
        P::Text("csrf", &token),
        P::Text("title", "North–South hotline"),
        P::Text("include_me", "1"),
        P::File("parties", "north.json", &north),
        P::Text("relay_url", "http://127.0.0.1:1"),
        P::Text("relay_key", RELAY_KEY),
        P::Text("witnesses", witness),
        P::Text("quorum", ""),
        P::Text("ack_inquiry", "2h"),
        P::Text("answer_inquiry", "3d"),
        P::Text("ack_warning", "30m"),
        P::Text("answer_warning", "-"),
        P::Text("tlp", "TLP:GREEN"),
    ]);
    let r = send(&f.ui, post("/setup/draft", &cookie, Some(ORIGIN), body)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cd = r.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cd.starts_with("attachment; filename=\"charter-") && cd.ends_with(".json\""),
        "{cd}"
    );
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
    let doc = SignedDocument::from_json(&bytes(r).await).unwrap();
    assert!(doc.signatures.is_empty(), "a draft is unsigned");
    let c = parse_unverified(&doc).unwrap();
    assert_eq!(c.title, "North–South hotline");
    let shorts: Vec<_> = c.parties.iter().map(|p| p.short.as_str()).collect();
    assert_eq!(shorts, ["southland", "northland"]);
    assert_eq!(c.relay.key, RELAY_KEY);
    assert_eq!(c.witnesses.len(), 1);
    assert_eq!(c.witness_quorum, 1, "every witness by default");
    assert_eq!(c.default_tlp, hotline_core::message::Tlp::Green);
    let inq = c.deadline(hotline_core::message::Kind::Inquiry);
    assert_eq!(
        (inq.ack_within, inq.answer_within),
        (Some(7200), Some(3 * 86_400))
    );
    let w = c.deadline(hotline_core::message::Kind::Warning);
    assert_eq!((w.ack_within, w.answer_within), (Some(1800), None));
    // Left as offered: the default.
    let d = c.deadline(hotline_core::message::Kind::Deconfliction);
    assert_eq!(d.ack_within, Some(3600));
    // Nothing is followed by drafting.
    assert!(f.ui.archive.channels().unwrap().is_empty());

    // A profile pasted instead of uploaded does the same.
    let pasted = String::from_utf8(north.clone()).unwrap();
    let body = multipart(&[
        P::Text("csrf", &token),
        P::Text("title", "Pasted"),
        P::Text("include_me", "1"),
        P::Text("parties_pasted", &pasted),
        P::Text("relay_url", "http://127.0.0.1:1"),
        P::Text("relay_key", RELAY_KEY),
        P::Text("tlp", "TLP:AMBER"),
    ]);
    let r = send(&f.ui, post("/setup/draft", &cookie, Some(ORIGIN), body)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let c = parse_unverified(&SignedDocument::from_json(&bytes(r).await).unwrap()).unwrap();
    assert_eq!(c.parties.len(), 2);
}

#[tokio::test]
async fn a_bad_draft_is_422_with_what_is_wrong_escaped() {
    let f = fixture();
    let (cookie, token) = session(&f.ui).await;
    let north = profile_json(&f.north);
    let member_only = br#"{"v":1,"created":"2026-01-01T00:00:00Z","party":null,"member":null}"#;
    let cases: Vec<(Vec<P>, &str)> = vec![
        (
            vec![P::File(
                "parties",
                "<b>evil</b>.json",
                b"not json <script>alert(1)</script>",
            )],
            "is not a profile.json",
        ),
        (
            vec![P::File("parties", "m.json", member_only)],
            "holds no party",
        ),
        (vec![], "between 2 and 32"),
        (
            vec![
                P::File("parties", "north.json", &north),
                P::Text("ack_inquiry", "soon"),
            ],
            "expected KIND=ACK",
        ),
        (
            vec![
                P::File("parties", "north.json", &north),
                P::Text("witnesses", "no-equals-sign"),
            ],
            "expected VKEY=URL",
        ),
        (
            vec![
                P::File("parties", "north.json", &north),
                P::Text("quorum", "2"),
            ],
            "exceeds",
        ),
    ];
    for (extra, why) in cases {
        let mut parts = vec![
            P::Text("csrf", &token),
            P::Text("title", HOSTILE),
            P::Text("include_me", "1"),
            P::Text("relay_url", "http://127.0.0.1:1"),
            P::Text("relay_key", RELAY_KEY),
            P::Text("tlp", "TLP:AMBER"),
        ];
        parts.extend(extra);
        let r = send(
            &f.ui,
            post("/setup/draft", &cookie, Some(ORIGIN), multipart(&parts)),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        assert!(r.headers().get(header::CONTENT_DISPOSITION).is_none());
        let page = text(r).await;
        assert!(page.contains(why), "{why}: {page}");
        assert!(page.contains(r#"id="draft-errors""#));
        // The title is kept, escaped; a hostile file name too.
        assert_escaped(&page);
        assert!(!page.contains("<b>evil"), "{page}");
    }
    assert!(f.ui.archive.channels().unwrap().is_empty());
}

#[tokio::test]
async fn the_review_shows_the_charter_escaped_and_sign_returns_it_signed() {
    let f = fixture();
    let (cookie, token) = session(&f.ui).await;
    // A party whose name (any text in a profile.json) is hostile.
    let evil_key = SigningKey::generate(&mut rand_core::OsRng);
    let evil = PartyInfo {
        name: HOSTILE.into(),
        short: "eastland".into(),
        id: evil_key.key_id(),
        key: evil_key.verifying_key().to_base64(),
    };
    let doc = charter(HOSTILE, &[party(&f.north), party(&f.south), evil]);
    let json = doc.to_json();
    let body = multipart(&[
        P::Text("csrf", &token),
        P::Text("step", "review"),
        P::File("charter", "\"><img src=x onerror=alert(2)>.json", &json),
    ]);
    let r = send(&f.ui, post("/setup/sign", &cookie, Some(ORIGIN), body)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = text(r).await;
    assert_escaped(&page);
    for shown in [
        "southland",
        "northland",
        "eastland",
        &party(&f.north).id.to_hex(),
        &party(&f.south).id.to_hex(),
        "http://127.0.0.1:1",
        "Still to sign: northland, southland, eastland",
        r#"id="sign-confirm""#,
        "tlp-amber",
        "inquiry",
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    // The Sign form carries the charter (escaped in its attribute).
    let at = page.find(r#"name="charter_json" value=""#).unwrap() + 27;
    let end = at + page[at..].find('"').unwrap();
    let carried = page[at..end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#43;", "+")
        .replace("&#47;", "/")
        .replace("&#61;", "=")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert_eq!(SignedDocument::from_json(carried.as_bytes()).unwrap(), doc);

    let body = multipart(&[
        P::Text("csrf", &token),
        P::Text("step", "sign"),
        P::Text("charter_json", std::str::from_utf8(&json).unwrap()),
    ]);
    let r = send(&f.ui, post("/setup/sign", &cookie, Some(ORIGIN), body)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let out = SignedDocument::from_json(&bytes(r).await).unwrap();
    assert_eq!(out.payload, doc.payload, "the charter itself is unchanged");
    let ids: Vec<_> = out.signatures.iter().map(|s| s.key_id).collect();
    assert_eq!(ids, [party(&f.south).id], "signed by our party only");
    // Reviewed again, it says we signed and who is left.
    let body = multipart(&[
        P::Text("csrf", &token),
        P::Text("step", "review"),
        P::File("charter", "c.json", &out.to_json()),
    ]);
    let page = text(send(&f.ui, post("/setup/sign", &cookie, Some(ORIGIN), body)).await).await;
    assert!(
        page.contains("Still to sign: northland, eastland"),
        "{page}"
    );
    assert!(page.contains("signed this charter already"), "{page}");
    // Nothing written to the profile.
    assert!(f.ui.archive.channels().unwrap().is_empty());
}

#[tokio::test]
async fn a_charter_of_other_parties_cannot_be_signed() {
    let f = fixture();
    let (cookie, token) = session(&f.ui).await;
    let a = SigningKey::generate(&mut rand_core::OsRng);
    let info = |short: &str, k: &SigningKey| PartyInfo {
        name: short.into(),
        short: short.into(),
        id: k.key_id(),
        key: k.verifying_key().to_base64(),
    };
    let doc = charter("Not ours", &[party(&f.north), info("westland", &a)]);
    let json = doc.to_json();
    let body = multipart(&[
        P::Text("csrf", &token),
        P::Text("step", "review"),
        P::File("charter", "c.json", &json),
    ]);
    let page = text(send(&f.ui, post("/setup/sign", &cookie, Some(ORIGIN), body)).await).await;
    assert!(page.contains(r#"id="review-cannot-sign""#), "{page}");
    assert!(!page.contains(r#"id="sign-confirm""#));
    let body = multipart(&[
        P::Text("csrf", &token),
        P::Text("step", "sign"),
        P::File("charter", "c.json", &json),
    ]);
    let r = send(&f.ui, post("/setup/sign", &cookie, Some(ORIGIN), body)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.headers().get(header::CONTENT_DISPOSITION).is_none());
    assert!(
        text(r)
            .await
            .contains("southland is not a party of this charter")
    );
}

#[tokio::test]
async fn bad_charter_files_are_422_with_what_is_wrong_and_nothing_is_followed() {
    let f = fixture();
    let (cookie, token) = session(&f.ui).await;
    let half = {
        let mut d = charter("Half signed", &[party(&f.north), party(&f.south)]);
        d.sign(&f.south.unlock_party(&pass()).unwrap());
        d.to_json()
    };
    let profile = profile_json(&f.north);
    let two = signed(&f, "Two").to_json();
    let cases: Vec<(&str, Vec<P>, &str)> = vec![
        (
            "/setup/join",
            vec![P::File("charter", "x.json", b"<script>alert(1)</script>")],
            "is not a charter file",
        ),
        (
            "/setup/join",
            vec![P::File("charter", "profile.json", &profile)],
            "is not a charter file",
        ),
        (
            "/setup/join",
            vec![P::File("charter", "c.json", &half)],
            "not signed by party &#34;northland&#34;",
        ),
        (
            "/setup/register",
            vec![P::File("charter", "c.json", &half)],
            "not signed by party &#34;northland&#34;",
        ),
        ("/setup/join", vec![], "Choose the charter file"),
        (
            "/setup/join",
            vec![
                P::File("charter", "a.json", &two),
                P::File("charter", "b.json", &two),
            ],
            "one charter file at a time",
        ),
        (
            "/setup/sign",
            vec![
                P::Text("step", "review"),
                P::File("charter", "x.json", b"{}"),
            ],
            "is not a charter file",
        ),
        (
            "/setup/roster",
            vec![P::Text("channel", "00")],
            "follows no such channel",
        ),
    ];
    for (path, extra, why) in cases {
        let mut parts = vec![P::Text("csrf", &token)];
        parts.extend(extra);
        let r = send(&f.ui, post(path, &cookie, Some(ORIGIN), multipart(&parts))).await;
        let expected = if path == "/setup/roster" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(r.status(), expected, "{path} {why}");
        let page = text(r).await;
        assert!(page.contains(why), "{path} {why}: {page}");
        assert!(!page.contains("<script>alert"), "{page}");
    }
    // A form that is not multipart says so.
    let r = Request::post("/setup/join")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={token}")))
        .unwrap();
    let r = send(&f.ui, with_cookie(r, &cookie)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(r).await.contains("multipart/form-data"));
    assert!(f.ui.archive.channels().unwrap().is_empty());
}

#[tokio::test]
async fn files_and_bodies_over_the_limits_are_413() {
    let f = fixture();
    let (cookie, token) = session(&f.ui).await;
    let big = vec![b' '; crate::setup::MAX_FILE + 1];
    let body = multipart(&[
        P::Text("csrf", &token),
        P::File("charter", "big.json", &big),
    ]);
    let r = send(&f.ui, post("/setup/join", &cookie, Some(ORIGIN), body)).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let huge = vec![b' '; crate::security::MAX_SETUP + 1];
    let body = multipart(&[
        P::Text("csrf", &token),
        P::File("charter", "huge.json", &huge),
    ]);
    let r = send(&f.ui, post("/setup/join", &cookie, Some(ORIGIN), body)).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(f.ui.archive.channels().unwrap().is_empty());
}

#[tokio::test]
async fn a_joined_channel_is_listed_with_its_parties_escaped() {
    let f = fixture();
    let (cookie, token) = session(&f.ui).await;
    let doc = signed(&f, HOSTILE);
    let body = multipart(&[
        P::Text("csrf", &token),
        P::File("charter", "c.json", &doc.to_json()),
    ]);
    let r = send(&f.ui, post("/setup/join", &cookie, Some(ORIGIN), body)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = text(send(&f.ui, with_cookie(get("/setup"), &cookie)).await).await;
    assert_escaped(&page);
    let id = hotline_core::charter::VerifiedCharter::verify(&doc)
        .unwrap()
        .channel()
        .to_hex();
    for shown in [
        id.as_str(),
        "northland (Northland CERT)",
        "southland (Southland CERT) <em>(us)</em>",
        "http://127.0.0.1:1",
        "our roster: none yet",
        &format!(r#"id="roster-publish-{id}""#),
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    // Joining again changes nothing.
    let body = multipart(&[
        P::Text("csrf", &token),
        P::File("charter", "c.json", &doc.to_json()),
    ]);
    let r = send(&f.ui, post("/setup/join", &cookie, Some(ORIGIN), body)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(f.ui.archive.channels().unwrap().len(), 1);
    let _ = &f.south;
}
