//! The dashboard, the health page, alarms acknowledged locally and receipts
//! on the timeline.

use std::sync::Arc;

use askama::Template as _;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hotline_client::archive::Cosignature;
use hotline_client::cases::{self, LoggedMessage};
use hotline_core::charter::{Deadline, WitnessInfo};
use hotline_core::ids::{ChannelId, MessageId};
use hotline_core::keys::KeyId;
use hotline_core::message::{InnerHeader, Kind, Tlp};

use crate::Ui;
use crate::dash;
use crate::tests::{
    HOSTILE, assert_escaped, channel_of, csrf, get, login, send, text, ui, with_cookie,
};
use crate::view::{self, ChannelView};

const NORTH: KeyId = KeyId([1; 32]);
const SOUTH: KeyId = KeyId([2; 32]);

/// Message `i` of a log (at index `i + 3`): a pong names the ping given as
/// its `case` in its refs.
fn msg(
    i: u64,
    kind: Kind,
    from: KeyId,
    case: Option<MessageId>,
    at: u64,
    title: &str,
) -> LoggedMessage {
    let id = MessageId([i as u8 + 1; 16]);
    let to = if from == NORTH { SOUTH } else { NORTH };
    LoggedMessage {
        index: i + 3,
        sequenced_at: Some(at),
        header: InnerHeader {
            v: 1,
            channel: ChannelId([9; 16]),
            id,
            case: case.unwrap_or(id),
            kind,
            author: from,
            party: from,
            created: "2026-11-23T00:00:00Z".into(),
            to: vec![to],
            refs: match (kind, case) {
                (Kind::Pong, Some(p)) => vec![p],
                _ => vec![],
            },
            title: title.into(),
            tlp: Tlp::Amber,
            norm: None,
            lang: "en".into(),
            other_langs: vec![],
            authentic: vec![],
            attachments: vec![],
            stix: false,
            nonce: "00".repeat(16),
        },
    }
}

/// A channel with deadlines (ack 100 s, answer 1,000 s, pong 60 s) and a
/// few cases and pings, southland's names `south`.
fn fixture(south: &str, title: &str) -> ChannelView {
    let mut ch = channel_of(vec![], NORTH, SOUTH);
    ch.charter.parties[1].short = south.into();
    ch.charter.parties[1].name = south.into();
    ch.charter.deadlines.insert(
        Kind::Inquiry,
        Deadline {
            ack_within: Some(100),
            answer_within: Some(1000),
        },
    );
    ch.charter.deadlines.insert(
        Kind::Ping,
        Deadline {
            ack_within: Some(60),
            answer_within: None,
        },
    );
    let id = |i: u64| Some(MessageId([i as u8 + 1; 16]));
    let c = None;
    let mut msgs = vec![
        // South: acknowledged on time, answered late.
        msg(0, Kind::Inquiry, NORTH, None, 1000, title),
        msg(1, Kind::Ack, SOUTH, id(0), 1050, "ack"),
        msg(2, Kind::Answer, SOUTH, id(0), 2500, "answer"),
        // South: never acknowledged (overdue by now).
        msg(3, Kind::Inquiry, NORTH, None, 3000, "second"),
        // North: acknowledged late, answered on time.
        msg(4, Kind::Inquiry, SOUTH, None, 4000, "third"),
        msg(5, Kind::Ack, NORTH, id(4), 4200, "ack"),
        msg(6, Kind::Answer, NORTH, id(4), 4300, "answer"),
        // A ping to north answered on time, one to south never.
        msg(7, Kind::Ping, SOUTH, c, 5000, "ping"),
        msg(8, Kind::Pong, NORTH, id(7), 5010, "pong"),
        msg(9, Kind::Ping, NORTH, c, 5100, "ping"),
    ];
    // The pong names the ping in its refs and the zero case.
    msgs[8].header.case = PING_CASE_ID;
    msgs[7].header.case = PING_CASE_ID;
    msgs[9].header.case = PING_CASE_ID;
    ch.cases = cases::derive(&ch.charter, &msgs).0.into();
    ch.msgs = msgs.into();
    ch
}

const PING_CASE_ID: MessageId = cases::PING_CASE;

#[test]
fn the_dashboard_shows_exactly_what_responsiveness_gives() {
    let ch = fixture("southland", "first");
    let now = 9_999;
    let (cs, pings) = cases::derive(&ch.charter, &ch.msgs);
    assert_eq!(cs.len(), 3);
    assert_eq!(pings.len(), 2);
    let tr = crate::i18n::Tr::english();
    let d = dash::dashboard(&tr, std::slice::from_ref(&ch), now);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].parties.len(), 2);
    for (p, shown) in ch.charter.parties.iter().zip(&d[0].parties) {
        assert_eq!(
            shown.figures,
            cases::responsiveness(&p.id, &cs, &pings, now)
        );
    }
    let south = &d[0].parties[1].figures;
    assert_eq!(
        (south.received, south.acked_on_time, south.answered_late),
        (2, 1, 1)
    );
    assert_eq!((south.open, south.overdue, south.pings), (2, 1, 1));
    let north = &d[0].parties[0].figures;
    assert_eq!((north.acked_late, north.answered_on_time), (1, 1));
    assert_eq!((north.pings, north.pongs_on_time), (1, 1));
    assert_eq!(d[0].source, "relay");

    // The page shows the same numbers, and both charts of each party.
    let page = dash::DashboardPage {
        chrome: view::Chrome {
            csrf: String::new(),
            alarms: vec![],
            notices: vec![],
        },
        tr: &tr,
        title: "t".into(),
        channels: d,
    }
    .render()
    .unwrap();
    let row = page
        .split(r#"<tr data-party="southland">"#)
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    for (class, v) in [
        ("received", "2"),
        ("acked-late", "0"),
        ("answered-late", "1"),
        ("open", "2"),
        ("median-ack", "50 s"),
        ("median-answer", "25 min"),
    ] {
        assert!(
            row.contains(&format!(r#"<td class="{class}">{v}</td>"#)),
            "{class}: {row}"
        );
    }
    assert!(
        row.contains(r#"class="acked-on-time" data-n="1">1 of 1 (100 %)"#),
        "{row}"
    );
    assert!(
        row.contains(r#"class="pings" data-n="0" data-of="1">0 of 1 (0 %)"#),
        "{row}"
    );
    assert!(
        row.contains(r#"<td class="overdue-n missed">1</td>"#),
        "{row}"
    );
    assert!(page.contains(r#"id="chart-09090909-1-ack""#), "{page}");
    assert!(page.contains(r#"id="chart-09090909-1-answer""#));
    assert!(page.contains("southland: time to acknowledge</title>"));
    assert!(page.contains("Times rest on the relay"));
    assert!(page.contains(r#"class="chart-overdue""#));
    assert!(page.contains(r#"class="chart-late""#));
}

#[test]
fn text_in_the_charts_and_figures_from_party_names_and_titles_is_escaped() {
    let ch = fixture(HOSTILE, HOSTILE);
    let tr = crate::i18n::Tr::english();
    let d = dash::dashboard(&tr, std::slice::from_ref(&ch), 9_999);
    let svg = &d[0].parties[1].ack_chart;
    assert!(svg.starts_with("<svg"), "{svg}");
    assert_escaped(svg);
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img"));
    let page = dash::DashboardPage {
        chrome: view::Chrome {
            csrf: String::new(),
            alarms: vec![],
            notices: vec![],
        },
        tr: &tr,
        title: "t".into(),
        channels: d,
    }
    .render()
    .unwrap();
    assert_escaped(&page);
}

#[test]
fn every_string_the_dashboard_builds_is_in_the_resource() {
    let tr = crate::i18n::Tr::english();
    for id in [
        "dash-chart-ack-title",
        "dash-chart-answer-title",
        "dash-chart-ack",
        "dash-chart-answer",
        "dash-late",
        "dash-undated",
        "deadline-met",
        "deadline-pending",
        "overdue",
        "health-quorum-met",
        "health-quorum-missing",
        "health-no-quorum",
        "health-receipt-none",
        "health-receipt-current",
        "health-receipt-behind",
        "health-no-alarm",
    ] {
        assert!(tr.has(id), "{id}");
    }
}

#[test]
fn the_timeline_names_the_parties_whose_receipts_cover_each_message() {
    let ch = channel_of(vec![], NORTH, SOUTH);
    let tr = crate::i18n::Tr::english();
    let r = |party, size| Cosignature {
        size,
        signer: "k".into(),
        party: Some(party),
        time: 1,
    };
    let receipts = [r(NORTH, 5), r(SOUTH, 8)];
    // A checkpoint of size 5 holds entries 0..=4.
    assert_eq!(
        dash::receipts_line(&tr, &ch, &receipts, 4),
        "Receipts: northland, southland"
    );
    assert_eq!(
        dash::receipts_line(&tr, &ch, &receipts, 5),
        "Receipts: southland"
    );
    assert!(dash::receipts_line(&tr, &ch, &receipts, 8).contains("no party"));
}

#[test]
fn the_health_page_shows_the_witnesses_quorum_and_receipts() {
    let (_d, ui) = ui();
    let mut ch = fixture(HOSTILE, "t");
    // A witness key that does not parse is shown as given.
    ch.charter.witnesses = vec![
        WitnessInfo {
            key: "w1.example".into(),
            url: String::new(),
        },
        WitnessInfo {
            key: "w2.example".into(),
            url: String::new(),
        },
    ];
    ch.charter.witness_quorum = 2;
    ui.archive
        .record_checkpoint(
            &ch.id,
            &hotline_client::archive::SeenCheckpoint {
                size: 12,
                root: [7; 32],
                note: b"note".to_vec(),
                time: Some(1_000),
            },
        )
        .unwrap();
    let row = |size, signer: &str, party| Cosignature {
        size,
        signer: signer.into(),
        party,
        time: 900,
    };
    ui.archive
        .record_cosignatures(
            &ch.id,
            &[
                row(12, "w1.example", None),
                row(12, "n", Some(NORTH)),
                row(10, "s", Some(SOUTH)),
            ],
        )
        .unwrap();
    let (h, alarms) = dash::health(&ui, std::slice::from_ref(&ch), view::now()).unwrap();
    assert!(alarms.is_empty());
    let h = &h[0];
    assert_eq!(h.checkpoint.as_ref().unwrap().size, 12);
    assert_eq!(h.checkpoint.as_ref().unwrap().root, "07".repeat(32));
    assert!(!h.quorum_met);
    assert!(
        h.quorum_text.contains("NOT met: 1 of the 2"),
        "{}",
        h.quorum_text
    );
    assert!(h.witnesses[0].cosigned.is_some() && h.witnesses[1].cosigned.is_none());
    assert_eq!(
        (h.receipts[0].size, h.receipts[0].current),
        (Some(12), true)
    );
    assert_eq!(
        (h.receipts[1].size, h.receipts[1].current),
        (Some(10), false)
    );
    assert!(h.receipts[1].text.contains("2 entries fewer"));
}

fn ack(cookie: Option<&str>, id: &str, origin: Option<&str>, body: String) -> Request<Body> {
    let mut r = Request::post(format!("/alarm/{id}/ack"))
        .header(header::HOST, crate::tests::HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(o) = origin {
        r = r.header(header::ORIGIN, o);
    }
    let r = r.body(Body::from(body)).unwrap();
    match cookie {
        Some(c) => with_cookie(r, c),
        None => r,
    }
}

const ORIGIN: &str = "http://127.0.0.1:9200";

#[tokio::test]
async fn an_alarm_is_a_banner_on_every_page_until_acknowledged_behind_csrf_and_origin() {
    let (d, ui) = ui();
    let ch = ChannelId([5; 16]);
    let a = ui
        .archive
        .raise(&ch, "fork", &format!("two roots {HOSTILE}"), &[b"x"])
        .unwrap();
    let cookie = login(&ui).await;
    let token = csrf(&ui, &cookie).await;
    let banner = |page: &str| page.contains(r#"<div class="alarm" role="alert">"#);
    for path in ["/", "/dashboard", "/health", "/compose"] {
        let page = text(send(&ui, with_cookie(get(path), &cookie)).await).await;
        assert!(banner(&page), "{path}: {page}");
        assert_escaped(&page);
    }
    let health = text(send(&ui, with_cookie(get("/health"), &cookie)).await).await;
    assert!(
        health.contains(&format!(r#"action="/alarm/{}/ack""#, a.id)),
        "{health}"
    );
    assert!(health.contains(r#"<h1 id="health-h">Channel health</h1>"#));

    let id = a.id.to_string();
    let other = {
        let c2 = login(&ui).await;
        csrf(&ui, &c2).await
    };
    // Refused: no session, no Origin, a foreign Origin, no or another
    // session's form token.
    let r = send(&ui, ack(None, &id, Some(ORIGIN), format!("csrf={token}"))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    for (origin, body) in [
        (None, format!("csrf={token}")),
        (Some("http://evil.example"), format!("csrf={token}")),
        (Some(ORIGIN), String::new()),
        (Some(ORIGIN), format!("csrf={other}")),
    ] {
        let r = send(&ui, ack(Some(&cookie), &id, origin, body.clone())).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{origin:?} {body}");
    }
    assert!(
        ui.archive.alarm_acks().unwrap().is_empty(),
        "nothing recorded"
    );
    let page = text(send(&ui, with_cookie(get("/"), &cookie)).await).await;
    assert!(banner(&page));

    // No such alarm.
    for bad in ["999", "x", "-1"] {
        let r = send(
            &ui,
            ack(Some(&cookie), bad, Some(ORIGIN), format!("csrf={token}")),
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }

    // Acknowledged: the banner is gone from every page.
    let r = send(
        &ui,
        ack(Some(&cookie), &id, Some(ORIGIN), format!("csrf={token}")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], format!("/health#alarm-{id}"));
    for path in ["/", "/dashboard", "/health", "/compose"] {
        let page = text(send(&ui, with_cookie(get(path), &cookie)).await).await;
        assert!(!banner(&page), "{path}");
    }
    // The alarm is still listed, as acknowledged, with when.
    let health = text(send(&ui, with_cookie(get("/health"), &cookie)).await).await;
    assert!(
        health.contains(&format!(r#"<tr id="alarm-{id}" class="acked">"#)),
        "{health}"
    );
    assert!(health.contains("acknowledged 20"), "{health}");
    assert!(!health.contains(&format!(r#"action="/alarm/{id}/ack""#)));
    assert_escaped(&health);

    // Persisted in the archive: a new server over it shows no banner.
    drop(ui);
    let archive = Arc::new(hotline_client::archive::Archive::open(d.path()).unwrap());
    let keys = hotline_client::keyring::Keyring {
        current: hotline_core::keys::MemberKeys::generate(&mut rand_core::OsRng),
        retired: vec![],
    };
    let ui = Arc::new(Ui::new(archive, keys, crate::tests::PORT));
    let cookie = login(&ui).await;
    let page = text(send(&ui, with_cookie(get("/"), &cookie)).await).await;
    assert!(!banner(&page));
    assert_eq!(ui.archive.alarms().unwrap().len(), 1, "the alarm stays");

    // A new alarm shows again.
    ui.archive.raise(&ch, "fork", "again", &[b"y"]).unwrap();
    let page = text(send(&ui, with_cookie(get("/health"), &cookie)).await).await;
    assert!(banner(&page));
    assert!(page.contains("again"));
}

#[tokio::test]
async fn the_dashboard_and_health_pages_are_linked_and_render_empty() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let inbox = text(send(&ui, with_cookie(get("/"), &cookie)).await).await;
    assert!(inbox.contains(r#"<a href="/dashboard">Dashboard</a>"#));
    assert!(inbox.contains(r#"<a href="/health">Channel health</a>"#));
    let r = send(&ui, with_cookie(get("/dashboard"), &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = text(r).await;
    assert!(page.contains(r#"<h1 id="dashboard-h">Responsiveness</h1>"#));
    assert!(page.contains("follows no channel"));
    let page = text(send(&ui, with_cookie(get("/health"), &cookie)).await).await;
    assert!(page.contains("No alarm on record."));
    for path in ["/dashboard", "/health"] {
        assert_eq!(
            send(&ui, get(path)).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}
