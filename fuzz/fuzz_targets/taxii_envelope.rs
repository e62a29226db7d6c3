//! TAXII 2.1 envelopes on arbitrary bytes, as the two readers of them take
//! them: `hotline evidence import` (a page a server answered) and the
//! outbox (a POST's body). Neither panics; every object either returns is
//! JSON and is returned as the very text given; the draft's check splits
//! the objects into valid and refused without losing or changing one; the
//! outbox refuses with 400 (not JSON) or 422 (not an envelope) only.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = hotline_client::taxii_client::parse_envelope(data) {
        for o in &p.objects {
            assert!(serde_json::from_str::<serde_json::Value>(o).is_ok());
        }
        let (ok, bad) = hotline_client::archive::check_objects(&p.objects);
        assert_eq!(ok.len() + bad.len(), p.objects.len());
        for c in &ok {
            assert_eq!(c.json, p.objects[c.position]);
        }
    }
    match hotline_taxii::parse_posted(data) {
        Ok(texts) => {
            for t in texts {
                assert!(serde_json::from_str::<serde_json::Value>(t).is_ok());
            }
        }
        Err(e) => assert!(e.status == 400 || e.status == 422, "{e}"),
    }
});
