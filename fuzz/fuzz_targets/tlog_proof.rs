//! C2SP tlog-proof parsing: no panic, and what parses prints back to itself
//! (without the optional extra line's encoding freedom).
#![no_main]

use hotline_disclosure::proof::TlogProof;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(p) = TlogProof::parse(s)
    {
        let again = TlogProof::parse(&p.to_text()).expect("its own text parses");
        assert_eq!(again, p);
    }
});
