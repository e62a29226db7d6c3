//! Hotline client.
#![forbid(unsafe_code)]
