//! Hotline core.
#![forbid(unsafe_code)]
