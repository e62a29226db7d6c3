//! Hotline log.
#![forbid(unsafe_code)]
