//! The disclosure verifier on arbitrary bytes: it reports, never panics,
//! and never calls garbage valid.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let r = hotline_disclosure::verify(data);
    assert_ne!(r.verdict, hotline_disclosure::Verdict::Valid);
    assert!(!r.checks.is_empty());
});
