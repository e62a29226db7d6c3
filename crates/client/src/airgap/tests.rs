use proptest::prelude::*;

use super::*;

fn note(size: u64) -> String {
    let cp = Checkpoint {
        origin: "example.org/log".into(),
        size,
        root: [7u8; 32],
        extensions: vec![],
    };
    let text = cp.to_text();
    let mut n = Note::new(&text).unwrap();
    let signer = hotline_log::note::Ed25519Signer::new("example.org/log", &[1; 32]).unwrap();
    n.add_signature(signer.sign(&text));
    B64.encode(n.to_bytes())
}

fn export() -> ChannelExport {
    ChannelExport {
        channel: ChannelId([1; 16]),
        checkpoint: note(5),
        checkpoints: vec![
            SizedNote {
                size: 2,
                note: note(2),
            },
            SizedNote {
                size: 5,
                note: note(5),
            },
        ],
        from: 2,
        entries: (2..5)
            .map(|i| Indexed {
                index: i,
                kind: Some("envelope".into()),
                bytes: B64.encode([i as u8; 4]),
            })
            .collect(),
        envelopes: vec![Indexed {
            index: 3,
            kind: None,
            bytes: B64.encode(b"env3"),
        }],
    }
}

fn get(r: &Replay, path: &str) -> Result<serde_json::Value, RelayError> {
    let b = r.answer(
        "GET",
        &format!("/v1/channels/{}/{path}", "01".repeat(16)),
        b"",
    )?;
    Ok(serde_json::from_slice(&b).unwrap_or(serde_json::Value::Null))
}

#[test]
fn a_replay_answers_as_the_relay_from_what_was_exported() {
    let r = Replay::new(&export()).unwrap();
    let c = get(&r, "checkpoints?after=2&limit=10").unwrap();
    assert_eq!(c["checkpoints"].as_array().unwrap().len(), 1);
    assert_eq!(c["checkpoints"][0]["size"], 5);
    let e = get(&r, "entries?start=3&limit=1").unwrap();
    assert_eq!(e["size"], 5);
    assert_eq!(e["entries"][0]["index"], 3);
    assert_eq!(e["entries"].as_array().unwrap().len(), 1);
    // Below what was exported: said so, with what to do.
    let Err(RelayError::Problem {
        status: 404,
        detail,
        ..
    }) = get(&r, "entries?start=1&limit=9")
    else {
        panic!("entries below the export are not answered");
    };
    assert!(detail.contains("starts at entry 2"), "{detail}");
    let v = get(&r, "envelopes?start=2&limit=3").unwrap();
    assert_eq!(v["envelopes"].as_array().unwrap().len(), 1);
    assert_eq!(v["next"], 5);
    let one = r
        .answer(
            "GET",
            &format!("/v1/channels/{}/envelopes/3", "01".repeat(16)),
            b"",
        )
        .unwrap();
    assert_eq!(one, b"env3");
    assert!(
        r.answer(
            "GET",
            &format!("/v1/channels/{}/envelopes/4", "01".repeat(16)),
            b""
        )
        .is_err()
    );
    // Another channel, or anything else, is not answered.
    assert!(
        r.answer(
            "GET",
            &format!("/v1/channels/{}/log/checkpoint", "02".repeat(16)),
            b""
        )
        .is_err()
    );
    assert!(
        r.answer(
            "PUT",
            &format!("/v1/channels/{}/blobs/00", "01".repeat(16)),
            b"x"
        )
        .is_err()
    );
    // A cosignature posted is kept for the outbox, the last per size.
    for line in ["— a first", "— a second"] {
        let body =
            serde_json::to_vec(&serde_json::json!({"size": 5, "cosignature": line})).unwrap();
        r.answer(
            "POST",
            &format!("/v1/channels/{}/cosignatures", "01".repeat(16)),
            &body,
        )
        .unwrap();
    }
    assert_eq!(
        r.cosignatures(),
        [Receipt {
            size: 5,
            line: "— a second".into()
        }]
    );
}

#[test]
fn an_export_with_holes_or_bad_bytes_is_refused() {
    let mut e = export();
    e.entries.remove(1);
    assert!(
        matches!(Replay::new(&e), Err(AirGapError::Invalid(m)) if m.contains("not consecutive"))
    );
    let mut e = export();
    e.checkpoint = "!!".into();
    assert!(Replay::new(&e).is_err());
    let mut e = export();
    e.checkpoint = B64.encode("not a note");
    assert!(Replay::new(&e).is_err());
}

#[test]
fn a_file_of_another_kind_is_refused_by_name() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("x.json");
    write_file(
        &p,
        &Outbox {
            format: "hotline-courier-outbox".into(),
            channels: vec![],
        },
    )
    .unwrap();
    let e = read_file::<Export>(&p, "hotline-courier-export")
        .unwrap_err()
        .to_string();
    assert!(e.contains("is a \"hotline-courier-outbox\" file"), "{e}");
    std::fs::write(&p, "{").unwrap();
    assert!(read_file::<Export>(&p, "hotline-courier-export").is_err());
}

proptest! {
    /// Whatever a courier writes, reading it and answering from it never panics.
    #[test]
    fn any_export_is_read_and_answered_without_panic(
        from in 0u64..u64::MAX,
        sizes in proptest::collection::vec(any::<u64>(), 0..4),
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        start in any::<u64>(),
        limit in any::<u64>(),
    ) {
        let mut e = export();
        e.from = from;
        e.entries = vec![Indexed { index: from, kind: None, bytes: B64.encode(&bytes) }];
        e.checkpoints = sizes.iter().map(|s| SizedNote { size: *s, note: B64.encode(&bytes) }).collect();
        if let Ok(r) = Replay::new(&e) {
            for path in [
                format!("entries?start={start}&limit={limit}"),
                format!("envelopes?start={start}&limit={limit}"),
                format!("checkpoints?after={start}&limit={limit}"),
                format!("checkpoints/{start}"),
                format!("envelopes/{start}"),
            ] {
                let _ = get(&r, &path);
            }
        }
    }
}

#[test]
fn an_air_gapped_profile_never_posts() {
    let d = tempfile::tempdir().unwrap();
    let a = Archive::open(d.path()).unwrap();
    std::fs::write(d.path().join(MARKER), "").unwrap();
    let keys = crate::keyring::Keyring {
        current: hotline_core::keys::MemberKeys::generate(&mut rand_core::OsRng),
        retired: vec![],
    };
    let relay = RelayClient::new("http://127.0.0.1:9", keys.current.signing.clone()).unwrap();
    let d0 = crate::compose::Draft::new(hotline_core::message::Kind::Ping, vec![], "t", "b");
    let e = crate::compose::send(&a, &relay, &ChannelId([1; 16]), &keys, &d0).unwrap_err();
    assert!(e.to_string().contains("air-gapped"), "{e}");
}
