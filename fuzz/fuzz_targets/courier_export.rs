#![no_main]
//! A courier's export file (`hotline_client::airgap`), read and answered
//! from as `hotline sync --import` does: never a panic.
use hotline_client::airgap::{Export, Replay};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(e) = serde_json::from_slice::<Export>(data) else {
        return;
    };
    for c in &e.channels {
        if let Ok(r) = Replay::new(c) {
            let p = format!("/v1/channels/{}/", c.channel.to_hex());
            for q in [
                "log/checkpoint",
                "entries?start=0&limit=1024",
                "envelopes?start=0&limit=1024",
                "checkpoints?after=0&limit=256",
                "checkpoints/1",
                "envelopes/0",
            ] {
                let _ = r.answer("GET", &format!("{p}{q}"), b"");
            }
        }
    }
});
