use hotline_core::ids::MessageId;
use hotline_core::message::{InnerHeader, Kind, Tlp};

use super::*;
use crate::archive::ChannelRecord;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn dir_with_secret() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("webhook-secret");
    std::fs::write(&p, format!("{SECRET}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    d
}

const HOOK: &str =
    "[[webhook]]\nurl = \"http://127.0.0.1:9/hook\"\nsecret_file = \"webhook-secret\"\n";

#[test]
fn a_configuration_has_safe_defaults() {
    let d = dir_with_secret();
    let c = Config::parse(HOOK, d.path()).unwrap();
    assert_eq!(c.content_up_to, Tlp::Clear);
    assert_eq!(c.before_deadline, 4 * 3600);
    assert_eq!(c.give_up_after, 86_400);
    assert_eq!(
        c.events,
        [
            Trigger::Message(Kind::Warning),
            Trigger::Message(Kind::Deconfliction),
            Trigger::Deadline,
            Trigger::Alarm
        ]
        .into()
    );
    assert_eq!(c.targets.len(), 1);
    assert_eq!(c.targets[0].name(), "webhook:http://127.0.0.1:9/hook");
    // The secret is never shown.
    assert!(!format!("{c:?}").contains("MfKQ9r8"));
    let e = Config::parse(
        "before_deadline = \"90m\"\ngive_up_after = 3600\ncontent_up_to = \"TLP:AMBER\"\nevents = [\"inquiry\", \"alarm\"]\n",
        d.path(),
    )
    .unwrap();
    assert_eq!(
        (e.before_deadline, e.give_up_after, e.content_up_to),
        (5400, 3600, Tlp::Amber)
    );
    assert_eq!(
        e.events,
        [Trigger::Message(Kind::Inquiry), Trigger::Alarm].into()
    );
}

#[test]
fn a_wrong_configuration_says_what_is_wrong() {
    let d = dir_with_secret();
    let bad = |text: &str, says: &str| {
        let e = Config::parse(text, d.path()).unwrap_err();
        assert!(e.contains(says), "{text:?}: {e}");
    };
    bad("colour = 1\n", "unknown field");
    bad("events = [\"ack\"]\n", "unknown event \"ack\"");
    bad("before_deadline = \"4y\"\n", "unknown unit");
    bad(
        "content_up_to = \"TLP:WHITE\"\n",
        "expected one of TLP:CLEAR",
    );
    bad("link = \"ftp://x\"\n", "http(s) URL");
    bad(
        "[[email]]\nserver = \"mail.example.org\"\ntls = \"none\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\n",
        "unprotected",
    );
    bad(
        "[[email]]\nserver = \"mail.example.org\"\nfrom = \"a@b.example\"\nto = []\n",
        "to is empty",
    );
    bad(
        "[[email]]\nserver = \"mail.example.org\"\nfrom = \"not an address\"\nto = [\"c@d.example\"]\n",
        "from = ",
    );
    bad(
        "[[email]]\nserver = \"mail.example.org\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\nusername = \"u\"\n",
        "without password",
    );
    bad(
        "[[webhook]]\nurl = \"http://hooks.example.org/x\"\nsecret_file = \"webhook-secret\"\n",
        "plain http",
    );
    bad(
        "[[webhook]]\nurl = \"https://hooks.example.org/x\"\n",
        "no secret",
    );
    bad(
        "[[webhook]]\nurl = \"https://hooks.example.org/x\"\nsecret_env = \"HOTLINE_TEST_UNSET_VARIABLE\"\n",
        "not set",
    );
    bad(&format!("{HOOK}{HOOK}"), "configured twice");
    std::fs::write(d.path().join("short"), "whsec_c2hvcnQ=").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = d.path().join("short");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        bad(
            "[[webhook]]\nurl = \"https://h.example/x\"\nsecret_file = \"short\"\n",
            "24 to 64",
        );
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        bad(
            "[[webhook]]\nurl = \"https://h.example/x\"\nsecret_file = \"short\"\n",
            "chmod 600",
        );
    }
}

#[test]
fn no_file_is_no_alerts_and_a_bad_file_names_itself() {
    let d = tempfile::tempdir().unwrap();
    assert!(Config::load(d.path()).unwrap().is_none());
    std::fs::write(d.path().join(FILE), "events = 3\n").unwrap();
    let e = Config::load(d.path()).unwrap_err().to_string();
    assert!(e.contains("alerts.toml"), "{e}");
}

/// The example of the Standard Webhooks specification's libraries
/// (standard-webhooks/standard-webhooks, libraries' tests): the same
/// secret, id, timestamp and payload give the same signature.
#[test]
fn the_webhook_signature_is_standard_webhooks() {
    let key = B64_KEY();
    let sig = sign_webhook(
        &key,
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        r#"{"test": 2432232314}"#,
    );
    assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

#[allow(non_snake_case)]
fn B64_KEY() -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(SECRET.strip_prefix("whsec_").unwrap())
        .unwrap()
}

#[test]
fn retries_back_off_and_give_up() {
    assert_eq!(retry_at(1, 0, 100, 86_400), Some(105));
    assert_eq!(retry_at(2, 0, 100, 86_400), Some(110));
    assert_eq!(retry_at(5, 0, 100, 86_400), Some(180));
    assert_eq!(retry_at(30, 0, 100, 86_400), Some(700));
    assert_eq!(retry_at(1, 0, 86_398, 86_400), None);
}

fn header(ch: ChannelId, i: u64, kind: Kind, party: u8, tlp: Tlp) -> InnerHeader {
    let id = MessageId([i as u8; 16]);
    InnerHeader {
        v: 1,
        channel: ch,
        id,
        case: id,
        kind,
        author: KeyId([party; 32]),
        party: KeyId([party; 32]),
        created: "2026-12-02T00:00:00Z".into(),
        to: vec![KeyId([2; 32])],
        refs: vec![],
        title: format!("secret title {i}"),
        tlp,
        norm: None,
        lang: "en".into(),
        other_langs: vec![],
        authentic: vec![],
        attachments: vec![],
        stix: false,
        nonce: format!("{i:032x}"),
    }
}

#[test]
fn alerts_are_raised_once_with_nothing_above_their_tlp() {
    let d = dir_with_secret();
    let a = Archive::open(d.path()).unwrap();
    let ch = ChannelId([7; 16]);
    a.add_channel(&ChannelRecord {
        id: ch,
        origin: "t/7".into(),
        relay_url: String::new(),
        relay_vkey: String::new(),
        charter: vec![],
    })
    .unwrap();
    let cfg = Config::parse(
        &format!("link = \"http://127.0.0.1:8080/\"\n{HOOK}"),
        d.path(),
    )
    .unwrap();
    let me = KeyId([9; 32]);
    // What was there before alerts were enabled is not alerted.
    a.put_message(
        &ch,
        1,
        &header(ch, 1, Kind::Warning, 1, Tlp::Clear),
        "b",
        &[],
    )
    .unwrap();
    a.raise(&ch, "fork", "old", &[]).unwrap();
    assert!(raise(&a, &cfg, &me, 1000).unwrap().is_empty());

    a.put_message(
        &ch,
        6,
        &header(ch, 6, Kind::Warning, 1, Tlp::Green),
        "b",
        &[],
    )
    .unwrap();
    a.put_message(
        &ch,
        7,
        &header(ch, 7, Kind::Inquiry, 1, Tlp::Clear),
        "b",
        &[],
    )
    .unwrap();
    a.put_message(
        &ch,
        8,
        &header(ch, 8, Kind::Deconfliction, 1, Tlp::Clear),
        "b",
        &[],
    )
    .unwrap();
    // Opened late, below the others.
    a.put_message(&ch, 3, &header(ch, 3, Kind::Warning, 1, Tlp::Red), "b", &[])
        .unwrap();
    let r = raise(&a, &cfg, &me, 1001).unwrap();
    let keys: Vec<_> = r.iter().map(|r| r.key.clone()).collect();
    let c = ch.to_hex();
    assert_eq!(
        keys,
        [
            format!("message:{c}:6"),
            format!("message:{c}:8"),
            format!("message:{c}:3")
        ]
    );
    let green = &r[0].alert.data;
    assert_eq!(green.what, "warning");
    assert_eq!(green.tlp.as_deref(), Some("TLP:GREEN"));
    assert_eq!(
        green.title, None,
        "a TLP:GREEN title under content_up_to = TLP:CLEAR"
    );
    assert_eq!(
        green.link,
        Some(format!(
            "http://127.0.0.1:8080/case/{}",
            MessageId([6; 16]).to_hex()
        ))
    );
    assert_eq!(r[1].alert.data.title.as_deref(), Some("secret title 8"));
    let json = serde_json::to_string(&r[2].alert).unwrap();
    assert!(!json.contains("secret title"), "{json}");
    assert!(!r[0].alert.text(Tlp::Clear).contains("secret title"));
    // Each has a delivery to the webhook, due at once.
    assert_eq!(a.due_deliveries(1001, 10, None).unwrap().len(), 3);

    // Nothing twice; an alarm raised since is alerted.
    assert!(raise(&a, &cfg, &me, 1002).unwrap().is_empty());
    let al = a
        .raise(&ch, "withheld-envelope", "the relay withholds #9", &[])
        .unwrap();
    let r = raise(&a, &cfg, &me, 1003).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].key, format!("alarm:{}", al.id));
    assert_eq!(
        r[0].alert.data.alarm,
        Some(format!("withheld-envelope (#{})", al.id))
    );
    assert!(
        !serde_json::to_string(&r[0].alert)
            .unwrap()
            .contains("withholds")
    );

    // Our own party's warning is not alerted; content_up_to lets a title through.
    let amber = Config::parse(&format!("content_up_to = \"TLP:AMBER\"\n{HOOK}"), d.path()).unwrap();
    a.put_message(
        &ch,
        10,
        &header(ch, 10, Kind::Warning, 1, Tlp::Amber),
        "b",
        &[],
    )
    .unwrap();
    let r = raise(&a, &amber, &me, 1004).unwrap();
    assert_eq!(r[0].alert.data.title.as_deref(), Some("secret title 10"));
}

#[test]
fn a_delivery_that_fails_is_retried_later_and_recorded() {
    let d = dir_with_secret();
    let a = Archive::open(d.path()).unwrap();
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let cfg = Config::parse(HOOK, d.path()).unwrap();
    let t = cfg.targets[0].name();
    a.raise_alert(
        "alarm:1",
        "c",
        r#"{"type":"hotline.alert","timestamp":"","data":{"what":"alarm","channel":"c"}}"#,
        std::slice::from_ref(&t),
        100,
    )
    .unwrap();
    let mut seen = Vec::new();
    let me = KeyId([9; 32]);
    deliver_due(&a, &cfg, &cfg.targets[0], &me, 100, &mut |r| seen.push(r)).unwrap();
    assert!(
        matches!(
            &seen[..],
            [Report::Failed {
                retry_at: Some(_),
                ..
            }]
        ),
        "{seen:?}"
    );
    let d0 = &a.deliveries(10).unwrap()[0];
    assert_eq!((d0.state.as_str(), d0.attempts), ("pending", 1));
    assert!(d0.next_at >= 105);
    assert_eq!(a.attempts(1, &t).unwrap().len(), 1);
    // Not due again before its time.
    assert_eq!(
        deliver_due(&a, &cfg, &cfg.targets[0], &me, 101, &mut |_| {}).unwrap(),
        0
    );
}
