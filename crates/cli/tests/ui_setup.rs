//! Channel set-up through the web UI alone (`docs/ui.md`, "Channel
//! set-up"), with the real binary and a real relay: two newcomers, each
//! with nothing but `hotline init`, start `hotline ui` on a profile with no
//! channel (the inbox points to /setup); Northland drafts the charter from
//! Southland's profile.json by the draft form, each signs it by the sign
//! form, Northland registers it, Southland joins it, each publishes its
//! roster; then Northland opens a case by Compose and Southland's inbox
//! shows it. No `hotline channel` or `hotline roster` command is run.

mod common;

use std::time::{Duration, Instant};

use common::cli::*;
use common::ui::{Session, agent, enc, logged_in};
use common::*;

const PATIENCE: Duration = Duration::from_secs(30);
const BOUNDARY: &str = "----hotline-ui-setup-test";

/// A logged-in `hotline ui` (`common::ui::Session`).
type Ui = Session;

/// `hotline ui` on `profile`, logged in.
fn ui_serve(profile: &std::path::Path) -> Ui {
    logged_in(profile, "/setup")
}

enum P<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

impl Ui {
    /// A multipart form (with our form token) to `path`: status, the
    /// Content-Disposition header, and the body.
    fn upload(&self, path: &str, parts: &[P]) -> (u16, String, Vec<u8>) {
        let mut b = Vec::new();
        let mut add = |p: &P| {
            b.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
            match p {
                P::Text(n, v) => b.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n")
                        .as_bytes(),
                ),
                P::File(n, f, data) => {
                    b.extend_from_slice(format!("Content-Disposition: form-data; name=\"{n}\"; filename=\"{f}\"\r\nContent-Type: application/json\r\n\r\n").as_bytes());
                    b.extend_from_slice(data);
                    b.extend_from_slice(b"\r\n");
                }
            }
        };
        add(&P::Text("csrf", &self.csrf));
        for p in parts {
            add(p);
        }
        b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let mut r = agent()
            .post(format!("{}{path}", self.server.base))
            .header("Cookie", &self.cookie)
            .header("Origin", &self.server.base)
            .content_type(format!("multipart/form-data; boundary={BOUNDARY}"))
            .send(&b[..])
            .unwrap();
        let cd = r
            .headers()
            .get("content-disposition")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let status = r.status().as_u16();
        (status, cd, r.body_mut().read_to_vec().unwrap())
    }
}

#[test]
fn two_newcomers_set_up_a_channel_by_the_ui_alone_and_exchange_a_case() {
    let d = tempfile::tempdir().unwrap();
    let relay = start(&d.path().join("relay"), &unique("relay"), None);
    let (north_dir, south_dir) = (d.path().join("northland"), d.path().join("southland"));
    for (dir, name, short) in [
        (&north_dir, "Northland CERT", "northland"),
        (&south_dir, "Southland CERT", "southland"),
    ] {
        ok(hotline(
            dir,
            &[
                "init",
                "--party-name",
                name,
                "--party-short",
                short,
                "--member-name",
                "Duty officer",
            ],
        ));
    }
    let north = ui_serve(&north_dir);
    let south = ui_serve(&south_dir);

    // A newcomer's inbox is empty and points to the set-up pages.
    for ui in [&north, &south] {
        let (status, inbox) = ui.get("/");
        assert_eq!(status, 200);
        assert!(inbox.contains(r#"id="inbox-setup""#), "{inbox}");
        assert!(ui.get("/setup").1.contains(r#"id="setup-none""#));
    }

    // Northland drafts, from Southland's profile.json (sent to it by any means).
    let south_profile = std::fs::read(south_dir.join("profile.json")).unwrap();
    let (status, cd, draft) = north.upload(
        "/setup/draft",
        &[
            P::Text("title", "North–South hotline"),
            P::Text("include_me", "1"),
            P::File("parties", "profile.json", &south_profile),
            P::Text("relay_url", &relay.url),
            P::Text("relay_key", &relay.vkey),
            P::Text("ack_inquiry", "12h"),
            P::Text("answer_inquiry", "5d"),
            P::Text("tlp", "TLP:AMBER"),
        ],
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&draft));
    assert!(cd.starts_with("attachment; filename=\"charter-"), "{cd}");
    // The form offers both suites, the hybrid one chosen unless told.
    let (_, form) = north.get("/setup/draft");
    assert!(
        form.contains(r#"<option value="hotline-v2-xwing" selected>"#)
            && form.contains(r#"<option value="hotline-v1">"#),
        "{form}"
    );
    let suite_of = |doc: &[u8]| {
        let doc = hotline_core::dsse::SignedDocument::from_json(doc).unwrap();
        hotline_core::charter::parse_unverified(&doc).unwrap().suite
    };
    assert_eq!(suite_of(&draft), "hotline-v2-xwing");
    let with_suite = |suite: &str| {
        north.upload(
            "/setup/draft",
            &[
                P::Text("title", "Suite trial"),
                P::Text("include_me", "1"),
                P::File("parties", "profile.json", &south_profile),
                P::Text("relay_url", &relay.url),
                P::Text("relay_key", &relay.vkey),
                P::Text("tlp", "TLP:AMBER"),
                P::Text("suite", suite),
            ],
        )
    };
    let (status, _, v1) = with_suite("hotline-v1");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&v1));
    assert_eq!(suite_of(&v1), "hotline-v1");
    let (status, _, bad) = with_suite("hotline-v9");
    let bad = String::from_utf8(bad).unwrap();
    assert_eq!(status, 422, "{bad}");
    assert!(
        bad.contains("The cipher suite hotline-v9 is not known"),
        "{bad}"
    );

    // Each signs in turn: review, then sign.
    let (status, _, review) = north.upload(
        "/setup/sign",
        &[
            P::Text("step", "review"),
            P::File("charter", "c.json", &draft),
        ],
    );
    let review = String::from_utf8(review).unwrap();
    assert_eq!(status, 200, "{review}");
    assert!(
        review.contains("North–South hotline")
            && review.contains("Still to sign: northland, southland"),
        "{review}"
    );
    let (status, _, once) = north.upload(
        "/setup/sign",
        &[
            P::Text("step", "sign"),
            P::File("charter", "c.json", &draft),
        ],
    );
    assert_eq!(status, 200);
    let (_, _, review) = south.upload(
        "/setup/sign",
        &[
            P::Text("step", "review"),
            P::File("charter", "c.json", &once),
        ],
    );
    let review = String::from_utf8(review).unwrap();
    assert!(review.contains("Still to sign: southland"), "{review}");
    let (status, _, twice) = south.upload(
        "/setup/sign",
        &[P::Text("step", "sign"), P::File("charter", "c.json", &once)],
    );
    assert_eq!(status, 200);

    // A charter not signed by all cannot be registered; the signed one is.
    let (status, _, body) = north.upload("/setup/register", &[P::File("charter", "c.json", &once)]);
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    let (status, _, body) =
        north.upload("/setup/register", &[P::File("charter", "c.json", &twice)]);
    assert_eq!(status, 303, "{}", String::from_utf8_lossy(&body));
    let (status, _, body) = south.upload("/setup/join", &[P::File("charter", "c.json", &twice)]);
    assert_eq!(status, 303, "{}", String::from_utf8_lossy(&body));

    let (_, list) = north.get("/setup");
    let at = list.find(r#"data-channel=""#).unwrap() + 14;
    let id = list[at..].split('"').next().unwrap().to_owned();
    assert!(list.contains("our roster: none yet"), "{list}");

    // Each publishes its roster.
    for ui in [&north, &south] {
        let (status, _, body) = ui.upload("/setup/roster", &[P::Text("channel", &id)]);
        assert_eq!(status, 303, "{}", String::from_utf8_lossy(&body));
        let (_, list) = ui.get("/setup");
        assert!(list.contains("our roster: version 1"), "{list}");
    }

    // The CLI agrees (read only): both follow the channel, with its deadlines.
    let show = ok(hotline(&south_dir, &["channel", "list", "--json"]));
    assert!(show.contains(&id), "{show}");

    // Northland opens a case by Compose; Southland's inbox shows it.
    let form = format!(
        "csrf={}&channel={id}&kind=inquiry&to=southland&tlp={}&title={}&body={}&step=send",
        north.csrf,
        enc("TLP:AMBER"),
        enc("Scanning from 198.51.100.1"),
        enc("Do you see it too?")
    );
    // Until Northland's background sync brings Southland's roster, Compose
    // refuses with what to wait for (422, nothing sent); then it sends.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let r = agent()
            .post(format!("{}/compose", north.server.base))
            .header("Cookie", &north.cookie)
            .header("Origin", &north.server.base)
            .content_type("application/x-www-form-urlencoded")
            .send(&form)
            .unwrap();
        let status = r.status().as_u16();
        let body = r.into_body().read_to_string().unwrap_or_default();
        if status == 303 {
            break;
        }
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("southland has no roster in this archive yet"),
            "{body}"
        );
        assert!(
            Instant::now() < deadline,
            "Southland's roster never reached Northland: {body}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (_, inbox) = south.get("/");
        if inbox.contains("Scanning from 198.51.100.1") {
            assert!(inbox.contains("needs us"), "{inbox}");
            assert!(!inbox.contains(r#"id="inbox-setup""#));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the case never reached Southland's inbox: {inbox}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    drop(north);
    drop(south);
    stop(relay);
}
