#![no_main]
//! `hotline relay import --verify-only`: any file is an error or a verified
//! export, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hotline_relay::backup::verify(data, &|_, _| {});
});
