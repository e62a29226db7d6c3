#![no_main]
//! The witness's add-checkpoint request parser: never a panic.
use hotline_witness::AddCheckpointRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = AddCheckpointRequest::parse(data) {
        assert!(r.proof.len() <= 63);
        assert!(r.checkpoint.len() <= data.len());
    }
});
