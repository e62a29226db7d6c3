#![no_main]
//! Tile paths and entry bundles: never a panic; both round-trip.
use hotline_log::tiles::{Tile, encode_bundle, parse_bundle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(t) = Tile::parse_path(s)
    {
        assert_eq!(t.path(), s);
    }
    let n = data.first().copied().unwrap_or(0) as usize;
    let bundle = data.get(1..).unwrap_or_default();
    if let Ok(entries) = parse_bundle(bundle, n) {
        assert_eq!(encode_bundle(&entries).unwrap(), bundle);
    }
});
