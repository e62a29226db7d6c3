//! Property tests of the export parser behind `hotline relay import`: any
//! input is refused with a typed error or verified, never a panic, and a
//! file that lacks its end record is always refused.

use hotline_relay::backup::{self, BackupError};
use proptest::prelude::*;

fn header() -> String {
    let vkey = hotline_log::note::Ed25519Signer::new("r.example", &[7; 32])
        .unwrap()
        .vkey();
    format!(
        r#"{{"record":"header","format":"hotline-relay-export/v1","name":"r.example","vkey":"{vkey}","key_file":null,"exported_at":"2026-11-23T00:00:00Z","logs":0,"entries":0}}"#
    )
}

fn record() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(header()),
        "[0-9a-f]{32}"
            .prop_map(|id| format!(r#"{{"record":"log","origin":"r.example/{id}","size":1}}"#)),
        (0u64..5).prop_map(|s| format!(
            r#"{{"record":"checkpoint","size":{s},"note":"AAAA","cosignatures":[]}}"#
        )),
        (0u64..3, "[A-Za-z0-9+/]{0,8}")
            .prop_map(|(s, e)| format!(r#"{{"record":"entries","start":{s},"entries":["{e}"]}}"#)),
        "[a-z0-9]{0,64}".prop_map(|h| format!(r#"{{"record":"blob","sha256":"{h}","data":""}}"#)),
        Just(
            r#"{"record":"end","logs":0,"entries":0,"bodies":0,"blobs":0,"checkpoints":0}"#
                .to_owned()
        ),
        ".{0,40}",
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = backup::verify(&data[..], &|_, _| {});
    }

    #[test]
    fn arbitrary_records_never_panic(lines in proptest::collection::vec(record(), 0..12)) {
        let text = lines.join("\n");
        let _ = backup::verify(text.as_bytes(), &|_, _| {});
    }

    #[test]
    fn a_file_without_its_end_record_is_refused(lines in proptest::collection::vec(record(), 0..12)) {
        let lines: Vec<String> = lines.into_iter().filter(|l| !l.contains(r#""record":"end""#)).collect();
        let text = format!("{}\n{}", header(), lines.join("\n"));
        let refused = backup::verify(text.as_bytes(), &|_, _| {}).is_err();
        prop_assert!(refused);
    }
}

#[test]
fn the_empty_export_verifies_and_a_second_header_does_not() {
    let ok = format!(
        "{}\n{{\"record\":\"end\",\"logs\":0,\"entries\":0,\"bodies\":0,\"blobs\":0,\"checkpoints\":0}}\n",
        header()
    );
    let (h, t) = backup::verify(ok.as_bytes(), &|_, _| {}).unwrap();
    assert_eq!((h.name.as_str(), t.entries), ("r.example", 0));
    let twice = format!("{}\n{ok}", header());
    assert!(matches!(
        backup::verify(twice.as_bytes(), &|_, _| {}),
        Err(BackupError::Format { line: 2, .. })
    ));
    let wrong_count = format!(
        "{}\n{{\"record\":\"end\",\"logs\":1,\"entries\":0,\"bodies\":0,\"blobs\":0,\"checkpoints\":0}}\n",
        header()
    );
    assert!(backup::verify(wrong_count.as_bytes(), &|_, _| {}).is_err());
}
