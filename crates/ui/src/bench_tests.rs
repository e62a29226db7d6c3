//! The kept views ([`crate::cache`]) and the inbox's first rows: a page
//! never shows less than the archive holds, one channel's cases are never
//! served for another, and the inbox shows its first rows with a link to
//! more.

use std::collections::BTreeMap;

use hotline_client::archive::ChannelRecord;
use hotline_core::charter::{Charter, CharterParty, Deadline, DisclosureRule, RelayInfo};
use hotline_core::commitment::encode_parts;
use hotline_core::ids::{ChannelId, MessageId};
use hotline_core::keys::{KeyId, SigningKey};
use hotline_core::message::{InnerHeader, Kind, Tlp};

use crate::tests::{get, login, send, text, ui, with_cookie};
use crate::view;

/// A channel of two fresh parties with a charter both signed, followed by
/// the archive (no relay: its messages are stored as a sync stores them).
struct Chan {
    id: ChannelId,
    north: KeyId,
    south: KeyId,
    next: u64,
}

fn follow(ui: &crate::Ui, n: u8) -> Chan {
    let mut rng = rand_core::OsRng;
    let (north, south) = (
        SigningKey::generate(&mut rng),
        SigningKey::generate(&mut rng),
    );
    let party = |short: &str, k: &SigningKey| CharterParty {
        id: k.key_id(),
        name: format!("{short} CERT"),
        short: short.into(),
        key: k.verifying_key().to_base64(),
    };
    let mut deadlines = BTreeMap::new();
    deadlines.insert(
        Kind::Inquiry,
        Deadline {
            ack_within: Some(86_400),
            answer_within: Some(30 * 86_400),
        },
    );
    let charter = Charter {
        v: 1,
        title: format!("channel {n}"),
        nonce: format!("{n:02x}").repeat(16),
        created: "2026-11-23T00:00:00Z".into(),
        parties: vec![
            party(&format!("north{n}"), &north),
            party(&format!("south{n}"), &south),
        ],
        relay: RelayInfo {
            url: "http://127.0.0.1:1".into(),
            key: "bench.hotline.test+00000000+AQ".into(),
        },
        witnesses: vec![],
        witness_quorum: 0,
        deadlines,
        disclosure: DisclosureRule::Unanimous,
        default_tlp: Tlp::Amber,
        retention_days: 30,
        suite: "hotline-v1".into(),
    };
    let mut doc = charter.to_document().unwrap();
    doc.sign(&north);
    doc.sign(&south);
    let id = ChannelId([n; 16]);
    ui.archive
        .add_channel(&ChannelRecord {
            id,
            origin: format!("test/{}", id.to_hex()),
            relay_url: "http://127.0.0.1:1".into(),
            relay_vkey: String::new(),
            charter: doc.to_json(),
        })
        .unwrap();
    Chan {
        id,
        north: north.key_id(),
        south: south.key_id(),
        next: 1,
    }
}

impl Chan {
    /// Stores a message of `kind` from north on `case` (its own id for an
    /// opening), as a sync stores an opened message; returns its id.
    fn store(
        &mut self,
        ui: &crate::Ui,
        kind: Kind,
        case: Option<MessageId>,
        title: &str,
        body: &str,
    ) -> MessageId {
        let id = MessageId::random(&mut rand_core::OsRng);
        let h = InnerHeader {
            v: 1,
            channel: self.id,
            id,
            case: case.unwrap_or(id),
            kind,
            author: self.north,
            party: self.north,
            created: "2026-12-02T00:00:00Z".into(),
            to: vec![self.south],
            refs: case.into_iter().collect(),
            title: title.into(),
            tlp: Tlp::Green,
            norm: None,
            lang: "en".into(),
            other_langs: vec![],
            authentic: vec![],
            attachments: vec![],
            stix: false,
            nonce: format!("{:032x}", self.next),
        };
        // The parts as a sync stores them: header, body.
        let parts = encode_parts(
            &hotline_core::message::Message {
                header: h.clone(),
                body: body.into(),
                other_bodies: vec![],
                attachments: vec![],
                stix: None,
            }
            .to_parts(&mut rand_core::OsRng)
            .unwrap(),
        );
        ui.archive
            .put_message(&self.id, self.next, &h, body, &parts)
            .unwrap();
        self.next += 1;
        id
    }
}

#[tokio::test]
async fn a_kept_view_shows_a_message_stored_after_it_on_the_next_page() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let mut a = follow(&ui, 1);
    let first = a.store(&ui, Kind::Inquiry, None, "first inquiry", "one");
    let page = text(send(&ui, with_cookie(get("/"), &cookie)).await).await;
    assert!(page.contains("first inquiry"), "{page}");
    assert_eq!(ui.cache.len(), 1, "the view is kept");
    // Kept: the same page again.
    let again = text(send(&ui, with_cookie(get("/"), &cookie)).await).await;
    assert!(again.contains("first inquiry"));

    // A new case, stored as the live sync stores it: on the very next page.
    a.store(&ui, Kind::Inquiry, None, "second inquiry", "two");
    for path in ["/", "/fragment/inbox"] {
        let page = text(send(&ui, with_cookie(get(path), &cookie)).await).await;
        assert!(page.contains("second inquiry"), "{path}: {page}");
        assert!(page.contains("first inquiry"), "{path}: {page}");
    }
    // A reply to a case whose page was seen: on the very next case page.
    let path = format!("/case/{}", first.to_hex());
    let page = text(send(&ui, with_cookie(get(&path), &cookie)).await).await;
    assert!(!page.contains("an interim answer"), "{page}");
    a.store(
        &ui,
        Kind::Interim,
        Some(first),
        "Re: first inquiry",
        "an interim answer",
    );
    let page = text(send(&ui, with_cookie(get(&path), &cookie)).await).await;
    assert!(page.contains("an interim answer"), "{page}");
}

#[tokio::test]
async fn a_message_of_another_channel_is_shown_at_once_too() {
    // The state is read per channel, and the count of messages is the
    // archive's: a message stored in B must show even if A's view was kept
    // after it.
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let mut a = follow(&ui, 1);
    let mut b = follow(&ui, 2);
    a.store(&ui, Kind::Inquiry, None, "inquiry in A", "a");
    let page = text(send(&ui, with_cookie(get("/"), &cookie)).await).await;
    assert!(page.contains("inquiry in A"));
    b.store(&ui, Kind::Inquiry, None, "inquiry in B", "b");
    let page = text(send(&ui, with_cookie(get("/"), &cookie)).await).await;
    assert!(
        page.contains("inquiry in A") && page.contains("inquiry in B"),
        "{page}"
    );
    assert_eq!(page.matches("inquiry in A").count(), 1, "{page}");
}

#[test]
fn the_cache_never_serves_one_channels_cases_for_another() {
    let (_d, ui) = ui();
    let mut a = follow(&ui, 1);
    let mut b = follow(&ui, 2);
    a.store(&ui, Kind::Inquiry, None, "only in A", "a");
    b.store(&ui, Kind::Inquiry, None, "only in B", "b");
    let recs = ui.archive.channels().unwrap();
    let (ra, rb) = (recs[0].clone(), recs[1].clone());
    assert_eq!(ra.id, a.id);
    // Both channels' states are equal (empty mirrors, the same count of
    // messages): only the channel's id tells their views apart.
    assert_eq!(
        ui.archive.state(&a.id).unwrap(),
        ui.archive.state(&b.id).unwrap()
    );
    let va = crate::cache::channel(&ui, ra.clone()).unwrap();
    assert_eq!(va.cases[0].title, "only in A");
    let vb = crate::cache::channel(&ui, rb.clone()).unwrap();
    assert_eq!(vb.id, b.id);
    assert_eq!(vb.cases.len(), 1);
    assert_eq!(vb.cases[0].title, "only in B");
    // Kept ones, still each its own.
    assert_eq!(ui.cache.len(), 2);
    assert_eq!(
        crate::cache::channel(&ui, ra).unwrap().cases[0].title,
        "only in A"
    );
    assert_eq!(
        crate::cache::channel(&ui, rb).unwrap().cases[0].title,
        "only in B"
    );
    // A record with A's id but another charter is not A's kept view.
    let mut forged = ui.archive.channels().unwrap()[0].clone();
    forged.charter = b"{}".to_vec();
    assert!(crate::cache::channel(&ui, forged).is_err());
}

#[tokio::test]
async fn the_inbox_shows_its_first_rows_and_a_link_to_more() {
    let (_d, ui) = ui();
    let cookie = login(&ui).await;
    let mut a = follow(&ui, 1);
    let n = view::INBOX_PAGE + 5;
    for i in 0..n {
        a.store(&ui, Kind::Inquiry, None, &format!("inquiry {i}"), "x");
    }
    let page = text(send(&ui, with_cookie(get("/"), &cookie)).await).await;
    assert_eq!(page.matches(r#"<tr data-case=""#).count(), view::INBOX_PAGE);
    assert!(
        page.contains(&format!(
            "Showing the first {} of {n} cases",
            view::INBOX_PAGE
        )),
        "{page}"
    );
    assert!(page.contains(r#"href="/?shown=400""#), "{page}");
    assert!(
        page.contains(r#"data-fragment="/fragment/inbox""#),
        "{page}"
    );

    let page = text(send(&ui, with_cookie(get("/?shown=400"), &cookie)).await).await;
    assert_eq!(page.matches(r#"<tr data-case=""#).count(), n);
    assert!(!page.contains("Showing the first"), "{page}");
    // The live refresh keeps what the page shows.
    assert!(
        page.contains(r#"data-fragment="/fragment/inbox?shown=400""#),
        "{page}"
    );
    // The filters apply before the first rows are taken, and repeat in the link.
    let page = text(
        send(
            &ui,
            with_cookie(get("/?state=open&kind=inquiry&shown=10"), &cookie),
        )
        .await,
    )
    .await;
    assert_eq!(page.matches(r#"<tr data-case=""#).count(), 10);
    assert!(
        page.contains(r#"href="/?kind=inquiry&#38;state=open&#38;shown=210""#),
        "{page}"
    );
    let page = text(send(&ui, with_cookie(get("/?state=closed"), &cookie)).await).await;
    assert_eq!(page.matches(r#"<tr data-case=""#).count(), 0);
    assert!(!page.contains("Showing the first"), "{page}");
    // A `shown` that is no number is the default, not an error.
    let r = send(&ui, with_cookie(get("/?shown=lots"), &cookie)).await;
    assert_eq!(r.status(), axum::http::StatusCode::OK);
    let page = text(r).await;
    assert_eq!(page.matches(r#"<tr data-case=""#).count(), view::INBOX_PAGE);
}

#[test]
fn the_first_rows_are_the_first_of_all_rows_in_order() {
    use hotline_client::cases::State;
    let (_d, ui) = ui();
    let (north, south) = (KeyId([1; 32]), KeyId([2; 32]));
    // Deadlines out of order, some equal, some none.
    let cases: Vec<_> = (0..60u8)
        .map(|i| {
            let due = (i % 4 != 0).then_some(1_000 + u64::from(i % 7) * 10);
            crate::tests::case(i, north, south, due, State::Open)
        })
        .collect();
    let ch = crate::tests::channel_of(cases, north, south);
    let all = view::rows(&ui, std::slice::from_ref(&ch), &view::Filter::default());
    assert_eq!(all.len(), 60);
    for limit in [1, 7, 20, 59, 60, 61] {
        let (first, total) = view::inbox_rows(
            &ui,
            std::slice::from_ref(&ch),
            &view::Filter::default(),
            limit,
        );
        assert_eq!(total, 60);
        let ids: Vec<_> = first.iter().map(|r| &r.id).collect();
        let want: Vec<_> = all.iter().take(limit).map(|r| &r.id).collect();
        assert_eq!(ids, want, "limit {limit}");
    }
}
