//! STIX 2.1 bundle validation on arbitrary bytes: it reports, never panics,
//! gives the same report twice, and anything it calls valid is a JSON
//! object of type bundle.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let r = hotline_stix::validate_bundle(data);
    assert_eq!(r, hotline_stix::validate_bundle(data));
    if r.is_valid() {
        let v: serde_json::Value = serde_json::from_slice(data).unwrap();
        assert_eq!(v["type"], "bundle");
    }
});
