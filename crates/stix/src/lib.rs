//! STIX 2.1 validation for Hotline evidence (`docs/stix.md`).
//!
//! [`validate_bundle`] takes a bundle's bytes as sent and returns a
//! [`Report`]: the MUST rules of STIX 2.1 (OASIS, CS02/OS) it breaks as
//! errors, the SHOULD rules as warnings, each naming the object and the
//! property. The bytes are only read, never re-serialised: the caller keeps
//! the bundle exactly as it was sent. Indicators with `pattern_type: stix` have
//! their pattern parsed by [`pattern::parse`], a parser of the grammar of §9.
//! No I/O.
//!
//! ```
//! let bundle = br#"{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
//!   "objects": [{"type": "indicator", "spec_version": "2.1",
//!     "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
//!     "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
//!     "pattern": "[file:name = 'a.exe'", "pattern_type": "stix",
//!     "valid_from": "2016-01-01T00:00:00Z"}]}"#;
//! let report = hotline_stix::validate_bundle(bundle);
//! assert!(!report.is_valid());
//! assert_eq!(
//!     report.errors[0].to_string(),
//!     "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: pattern: expected ']', found the end of the pattern at 20"
//! );
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod object;
pub mod pattern;

use std::fmt;

pub use object::{ObjectKind, Tlp, object_kind, tlp_of};

/// The largest bundle [`validate_bundle`] reads (bytes).
pub const MAX_BUNDLE_LEN: usize = 64 * 1024 * 1024;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The `id` of the object it is in (`None` for the bundle itself or an
    /// object without a usable id).
    pub object: Option<String>,
    /// Where in the object: a property path like `pattern`,
    /// `external_references[0].source_name` (empty for the whole object).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(o) = &self.object {
            write!(f, "{o}: ")?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// What [`validate_bundle`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Broken MUST rules: the bundle is not valid STIX 2.1.
    pub errors: Vec<Issue>,
    /// Broken SHOULD rules (custom properties without `x_`, values outside
    /// open vocabularies, …): valid, but worth a look.
    pub warnings: Vec<Issue>,
}

impl Report {
    /// No MUST rule is broken.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Validates a STIX 2.1 bundle given as JSON bytes: the bundle's own
/// properties and every object in `objects` (see `docs/stix.md` for the list
/// of rules).
pub fn validate_bundle(bytes: &[u8]) -> Report {
    let mut r = Report::default();
    let mut err = |path: &str, message: String| {
        r.errors.push(Issue {
            object: None,
            path: path.to_owned(),
            message,
        })
    };
    if bytes.len() > MAX_BUNDLE_LEN {
        err("", format!("bundle larger than {MAX_BUNDLE_LEN} bytes"));
        return r;
    }
    let v: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            err("", format!("not JSON: {e}"));
            return r;
        }
    };
    let Some(obj) = v.as_object() else {
        err("", "a bundle must be a JSON object".into());
        return r;
    };
    if obj.get("type").and_then(|t| t.as_str()) != Some("bundle") {
        err("type", "must be \"bundle\"".into());
    }
    match obj.get("id").and_then(|t| t.as_str()) {
        None => err("id", "required".into()),
        Some(id) => {
            if let Err(m) = object::check_id(id, Some("bundle")) {
                err("id", m);
            }
        }
    }
    match obj.get("objects") {
        None => {}
        Some(serde_json::Value::Array(objs)) => {
            if objs.is_empty() {
                err(
                    "objects",
                    "must not be an empty list (omit it instead)".into(),
                );
            }
            for o in objs {
                object::validate_object(o, &mut r);
            }
        }
        Some(_) => err("objects", "must be a list of objects".into()),
    }
    r
}

/// Validates one STIX 2.1 object given as JSON bytes (not in a bundle).
pub fn validate_object(bytes: &[u8]) -> Report {
    let mut r = Report::default();
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => object::validate_object(&v, &mut r),
        Err(e) => r.errors.push(Issue {
            object: None,
            path: String::new(),
            message: format!("not JSON: {e}"),
        }),
    }
    r
}
