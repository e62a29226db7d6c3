//! The STIX pattern parser on arbitrary text: never panics, error positions
//! lie in the input, and what parses displays as a canonical pattern that
//! parses back to the same display.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match hotline_stix::pattern::parse(s) {
        Err(e) => assert!(e.pos <= s.len()),
        Ok(p) => {
            let canon = p.to_string();
            let q = hotline_stix::pattern::parse(&canon).unwrap();
            assert_eq!(q.to_string(), canon);
        }
    }
});
