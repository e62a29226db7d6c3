//! The rules for one STIX 2.1 object (`docs/stix.md` lists them with the
//! sections of the specification they come from).

use serde_json::{Map, Value};

use crate::{Issue, Report};

/// STIX Domain Objects (§4).
const SDOS: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
];
/// STIX Relationship Objects (§5).
const SROS: &[&str] = &["relationship", "sighting"];
/// STIX Cyber-observable Objects (§6).
const SCOS: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

/// What a STIX 2.1 object `type` names (§3–§7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectKind {
    /// A STIX Domain Object (§4).
    Domain,
    /// A STIX Relationship Object (§5): `relationship` or `sighting`.
    Relationship,
    /// A STIX Cyber-observable Object (§6).
    Observable,
    /// Anything else: a meta object (marking or language content,
    /// extension definition) or a custom type.
    Other,
}

/// The kind of object a `type` names.
pub fn object_kind(t: &str) -> ObjectKind {
    if SDOS.contains(&t) {
        ObjectKind::Domain
    } else if SROS.contains(&t) {
        ObjectKind::Relationship
    } else if SCOS.contains(&t) {
        ObjectKind::Observable
    } else {
        ObjectKind::Other
    }
}

/// TLP 1.0 marking definitions of STIX 2.1 §7.2.1.4 (fixed ids and content).
const TLP1: &[(&str, &str)] = &[
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        "white",
    ),
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "green",
    ),
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        "amber",
    ),
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        "red",
    ),
];

/// The extension that carries TLP 2.0 (OASIS/FIRST TLP 2.0 marking
/// definitions for STIX 2.1).
pub(crate) const TLP2_EXTENSION: &str =
    "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// TLP 2.0 marking definitions by their fixed ids.
const TLP2: &[(&str, &str, Tlp)] = &[
    (
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "clear",
        Tlp::Clear,
    ),
    (
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "green",
        Tlp::Green,
    ),
    (
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "amber",
        Tlp::Amber,
    ),
    (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "amber+strict",
        Tlp::AmberStrict,
    ),
    (
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        "red",
        Tlp::Red,
    ),
];

/// A Traffic Light Protocol level a marking definition id stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Tlp {
    /// TLP:CLEAR (2.0) or TLP:WHITE (1.0).
    Clear,
    /// TLP:GREEN.
    Green,
    /// TLP:AMBER.
    Amber,
    /// TLP:AMBER+STRICT (2.0 only).
    AmberStrict,
    /// TLP:RED.
    Red,
}

/// The TLP level of a marking-definition id, if it is one of the fixed TLP
/// 1.0 (STIX 2.1 §7.2.1.4) or TLP 2.0 ids.
pub fn tlp_of(marking_ref: &str) -> Option<Tlp> {
    if let Some((_, _, t)) = TLP2.iter().find(|(id, _, _)| *id == marking_ref) {
        return Some(*t);
    }
    TLP1.iter()
        .find(|(id, _)| *id == marking_ref)
        .map(|(_, c)| match *c {
            "white" => Tlp::Clear,
            "green" => Tlp::Green,
            "amber" => Tlp::Amber,
            _ => Tlp::Red,
        })
}

/// §3.1 `type`: 3–250 characters of `a-z`, `0-9` and `-`, with no `--`
/// (the specification says no more: a leading digit or a trailing hyphen is
/// allowed, as in OASIS's schema).
pub(crate) fn is_type_name(s: &str) -> bool {
    (3..=250).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !s.contains("--")
}

/// §3.1 / §11.1: property names are 3–250 characters of `a-z`, `0-9`, `_`
/// (`id` excepted).
pub(crate) fn is_property_name(s: &str) -> bool {
    s == "id"
        || (3..=250).contains(&s.len())
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// A property name in a pattern's object path, as `stix2-patterns` checks
/// it: any name of the right form (the first letter may be a digit there).
pub(crate) fn is_sco_property_name(_ty: &str, s: &str) -> bool {
    s == "id"
        || (3..=250).contains(&s.len())
            && s.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// §2.9: `type--UUID`, the type matching `want` when given, the UUID an
/// RFC 4122 one (version 1–5, variant 10xx).
pub(crate) fn check_id(id: &str, want: Option<&str>) -> Result<(), String> {
    let Some((ty, uuid)) = id.split_once("--") else {
        return Err(format!("'{id}' is not an identifier (type--UUID)"));
    };
    if !is_type_name(ty) {
        return Err(format!("'{ty}' in '{id}' is not a valid type name"));
    }
    if let Some(w) = want
        && w != ty
    {
        return Err(format!("'{id}' must start with '{w}--'"));
    }
    if !is_uuid(uuid) {
        return Err(format!("'{uuid}' in '{id}' is not a UUID"));
    }
    let b = uuid.as_bytes();
    if !(b'1'..=b'5').contains(&b[14]) || !b"89abAB".contains(&b[19]) {
        return Err(format!(
            "'{uuid}' in '{id}' is not an RFC 4122 UUID (version 1-5, variant 10xx)"
        ));
    }
    Ok(())
}

fn uuid_version(id: &str) -> Option<u8> {
    let (_, u) = id.split_once("--")?;
    u.as_bytes().get(14).map(|c| c.wrapping_sub(b'0'))
}

/// The fraction digits a timestamp must have at least.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Precision {
    Any,
    Millis,
}

fn days_in(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// §3.2: `YYYY-MM-DDTHH:mm:ss[.s+]Z`, a real date and time in UTC.
fn check_timestamp(s: &str, p: Precision) -> Result<(), String> {
    let b = s.as_bytes();
    let form = || {
        format!(
            "'{s}' is not a timestamp of the form YYYY-MM-DDTHH:mm:ss{}Z (UTC)",
            if p == Precision::Millis {
                ".sss"
            } else {
                "[.s+]"
            }
        )
    };
    if b.len() < 20 || !s.is_ascii() || b[b.len() - 1] != b'Z' {
        return Err(form());
    }
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    if !digits.iter().all(|i| b[*i].is_ascii_digit())
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(form());
    }
    let frac = &b[19..b.len() - 1];
    let frac_ok = match p {
        Precision::Any => frac.is_empty() || frac.len() >= 2,
        Precision::Millis => frac.len() >= 4,
    } && (frac.is_empty()
        || frac[0] == b'.' && frac[1..].iter().all(u8::is_ascii_digit));
    if !frac_ok {
        return Err(form());
    }
    let n = |a: usize, l: usize| s[a..a + l].parse::<u32>().unwrap_or(u32::MAX);
    let (y, mo, d, h, mi, se) = (n(0, 4), n(5, 2), n(8, 2), n(11, 2), n(14, 2), n(17, 2));
    if !(1..=12).contains(&mo) || d == 0 || d > days_in(y, mo) || h > 23 || mi > 59 || se > 59 {
        return Err(format!("'{s}' is not a valid date and time"));
    }
    Ok(())
}

/// Compares two timestamps already checked by [`check_timestamp`].
fn ts_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (a1, a2) = a.split_at(19);
    let (b1, b2) = b.split_at(19);
    let frac = |s: &str| {
        let d = s.trim_end_matches('Z').trim_start_matches('.');
        format!("{d:0<12}")
    };
    a1.cmp(b1).then_with(|| frac(a2).cmp(&frac(b2)))
}

/// Collects the issues of one object.
struct Ctx<'a> {
    id: Option<String>,
    report: &'a mut Report,
}

impl Ctx<'_> {
    fn err(&mut self, path: &str, message: impl Into<String>) {
        self.report.errors.push(Issue {
            object: self.id.clone(),
            path: path.to_owned(),
            message: message.into(),
        });
    }
    fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.report.warnings.push(Issue {
            object: self.id.clone(),
            path: path.to_owned(),
            message: message.into(),
        });
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sdo,
    Sro,
    Sco,
    Marking,
    LanguageContent,
    ExtensionDefinition,
    Custom,
}

fn kind_of(ty: &str) -> Kind {
    if SDOS.contains(&ty) {
        Kind::Sdo
    } else if SROS.contains(&ty) {
        Kind::Sro
    } else if SCOS.contains(&ty) {
        Kind::Sco
    } else {
        match ty {
            "marking-definition" => Kind::Marking,
            "language-content" => Kind::LanguageContent,
            "extension-definition" => Kind::ExtensionDefinition,
            _ => Kind::Custom,
        }
    }
}

/// Types an SRO may point at: any SDO or SCO (or custom object), not an SRO,
/// bundle, marking, language content or extension definition.
fn is_sdo_or_sco_type(ty: &str) -> bool {
    matches!(kind_of(ty), Kind::Sdo | Kind::Sco | Kind::Custom) && ty != "bundle"
}

/// Common properties every object may carry, with the rules of §3.
const COMMON: &[&str] = &[
    "type",
    "spec_version",
    "id",
    "created_by_ref",
    "created",
    "modified",
    "revoked",
    "labels",
    "confidence",
    "lang",
    "external_references",
    "object_marking_refs",
    "granular_markings",
    "extensions",
    "defanged",
];

/// The properties the specification defines per type (for the SHOULD rule
/// that custom properties start with `x_`).
fn known_properties(ty: &str) -> &'static [&'static str] {
    match ty {
        "attack-pattern" => &["name", "description", "aliases", "kill_chain_phases"],
        "campaign" => &[
            "name",
            "description",
            "aliases",
            "first_seen",
            "last_seen",
            "objective",
        ],
        "course-of-action" => &["name", "description", "action"],
        "grouping" => &["name", "description", "context", "object_refs"],
        "identity" => &[
            "name",
            "description",
            "roles",
            "identity_class",
            "sectors",
            "contact_information",
        ],
        "incident" => &["name", "description", "kill_chain_phases"],
        "indicator" => &[
            "name",
            "description",
            "indicator_types",
            "pattern",
            "pattern_type",
            "pattern_version",
            "valid_from",
            "valid_until",
            "kill_chain_phases",
        ],
        "infrastructure" => &[
            "name",
            "description",
            "infrastructure_types",
            "aliases",
            "kill_chain_phases",
            "first_seen",
            "last_seen",
        ],
        "intrusion-set" | "threat-actor" => &[
            "name",
            "description",
            "aliases",
            "first_seen",
            "last_seen",
            "goals",
            "resource_level",
            "primary_motivation",
            "secondary_motivations",
            "threat_actor_types",
            "roles",
            "sophistication",
            "personal_motivations",
        ],
        "location" => &[
            "name",
            "description",
            "latitude",
            "longitude",
            "precision",
            "region",
            "country",
            "administrative_area",
            "city",
            "street_address",
            "postal_code",
        ],
        "malware" => &[
            "name",
            "description",
            "malware_types",
            "is_family",
            "aliases",
            "kill_chain_phases",
            "first_seen",
            "last_seen",
            "operating_system_refs",
            "architecture_execution_envs",
            "implementation_languages",
            "capabilities",
            "sample_refs",
        ],
        "malware-analysis" => &[
            "product",
            "version",
            "host_vm_ref",
            "operating_system_ref",
            "installed_software_refs",
            "configuration_version",
            "modules",
            "analysis_engine_version",
            "analysis_definition_version",
            "submitted",
            "analysis_started",
            "analysis_ended",
            "result_name",
            "result",
            "analysis_sco_refs",
            "sample_ref",
        ],
        "note" => &["abstract", "content", "authors", "object_refs"],
        "observed-data" => &[
            "first_observed",
            "last_observed",
            "number_observed",
            "objects",
            "object_refs",
        ],
        "opinion" => &["explanation", "authors", "opinion", "object_refs"],
        "report" => &[
            "name",
            "description",
            "report_types",
            "published",
            "object_refs",
        ],
        "tool" => &[
            "name",
            "description",
            "tool_types",
            "aliases",
            "kill_chain_phases",
            "tool_version",
        ],
        "vulnerability" => &["name", "description"],
        "relationship" => &[
            "relationship_type",
            "description",
            "source_ref",
            "target_ref",
            "start_time",
            "stop_time",
        ],
        "sighting" => &[
            "description",
            "first_seen",
            "last_seen",
            "count",
            "sighting_of_ref",
            "observed_data_refs",
            "where_sighted_refs",
            "summary",
        ],
        "marking-definition" => &["name", "definition_type", "definition"],
        "language-content" => &["object_ref", "object_modified", "contents"],
        "extension-definition" => &[
            "name",
            "description",
            "schema",
            "version",
            "extension_types",
            "extension_properties",
        ],
        _ => &[],
    }
}

/// Timestamp properties per type (besides `created`/`modified`).
fn timestamp_properties(ty: &str) -> &'static [&'static str] {
    match ty {
        "campaign" | "infrastructure" | "intrusion-set" | "threat-actor" | "malware"
        | "sighting" => &["first_seen", "last_seen"],
        "indicator" => &["valid_from", "valid_until"],
        "malware-analysis" => &["submitted", "analysis_started", "analysis_ended"],
        "observed-data" => &["first_observed", "last_observed"],
        "report" => &["published"],
        "relationship" => &["start_time", "stop_time"],
        "language-content" => &["object_modified"],
        "file" => &["ctime", "mtime", "atime"],
        "directory" => &["ctime", "mtime", "atime"],
        "email-message" => &["date"],
        "network-traffic" => &["start", "end"],
        "process" => &["created_time"],
        "user-account" => &[
            "account_created",
            "account_expires",
            "credential_last_changed",
            "account_first_login",
            "account_last_login",
        ],
        "windows-registry-key" => &["modified_time"],
        "x509-certificate" => &["validity_not_before", "validity_not_after"],
        _ => &[],
    }
}

/// `(later, earlier, strictly)`: `later` must be ≥ (or >) `earlier`.
fn orderings(ty: &str) -> &'static [(&'static str, &'static str, bool)] {
    match ty {
        "campaign" | "infrastructure" | "intrusion-set" | "threat-actor" | "malware"
        | "sighting" => &[("last_seen", "first_seen", false)],
        "indicator" => &[("valid_until", "valid_from", true)],
        "observed-data" => &[("last_observed", "first_observed", false)],
        "relationship" => &[("stop_time", "start_time", true)],
        "malware-analysis" => &[("analysis_ended", "analysis_started", false)],
        "network-traffic" => &[("end", "start", false)],
        "x509-certificate" => &[("validity_not_after", "validity_not_before", false)],
        _ => &[],
    }
}

/// Reference properties whose target types the specification fixes.
/// `None` as the list: any SDO or SCO.
fn ref_rules(ty: &str) -> &'static [(&'static str, Option<&'static [&'static str]>)] {
    const ANY: Option<&[&str]> = None;
    match ty {
        "relationship" => &[("source_ref", ANY), ("target_ref", ANY)],
        "sighting" => &[
            ("sighting_of_ref", Some(&["<sdo>"])),
            ("observed_data_refs", Some(&["observed-data"])),
            ("where_sighted_refs", Some(&["identity", "location"])),
        ],
        "malware" => &[
            ("operating_system_refs", Some(&["software"])),
            ("sample_refs", Some(&["file", "artifact"])),
        ],
        "malware-analysis" => &[
            ("host_vm_ref", Some(&["software"])),
            ("operating_system_ref", Some(&["software"])),
            ("installed_software_refs", Some(&["software"])),
            ("sample_ref", Some(&["file", "network-traffic", "artifact"])),
        ],
        "language-content" => &[],
        "extension-definition" => &[],
        "directory" => &[("contains_refs", Some(&["file", "directory"]))],
        "domain-name" => &[(
            "resolves_to_refs",
            Some(&["ipv4-addr", "ipv6-addr", "domain-name"]),
        )],
        "email-message" => &[
            ("from_ref", Some(&["email-addr"])),
            ("sender_ref", Some(&["email-addr"])),
            ("to_refs", Some(&["email-addr"])),
            ("cc_refs", Some(&["email-addr"])),
            ("bcc_refs", Some(&["email-addr"])),
            ("raw_email_ref", Some(&["artifact"])),
        ],
        "email-addr" => &[("belongs_to_ref", Some(&["user-account"]))],
        "file" => &[
            ("parent_directory_ref", Some(&["directory"])),
            ("content_ref", Some(&["artifact"])),
        ],
        "ipv4-addr" | "ipv6-addr" => &[
            ("resolves_to_refs", Some(&["mac-addr"])),
            ("belongs_to_refs", Some(&["autonomous-system"])),
        ],
        "network-traffic" => &[
            (
                "src_ref",
                Some(&["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"]),
            ),
            (
                "dst_ref",
                Some(&["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"]),
            ),
            ("src_payload_ref", Some(&["artifact"])),
            ("dst_payload_ref", Some(&["artifact"])),
            ("encapsulates_refs", Some(&["network-traffic"])),
            ("encapsulated_by_ref", Some(&["network-traffic"])),
        ],
        "process" => &[
            ("opened_connection_refs", Some(&["network-traffic"])),
            ("creator_user_ref", Some(&["user-account"])),
            ("image_ref", Some(&["file"])),
            ("parent_ref", Some(&["process"])),
            ("child_refs", Some(&["process"])),
        ],
        "windows-registry-key" => &[("creator_user_ref", Some(&["user-account"]))],
        _ => &[],
    }
}

/// Required properties per type beyond the common ones.
fn required(ty: &str) -> &'static [&'static str] {
    match ty {
        "attack-pattern" | "campaign" | "course-of-action" | "identity" | "incident"
        | "infrastructure" | "intrusion-set" | "threat-actor" | "tool" | "vulnerability" => {
            &["name"]
        }
        "grouping" => &["context", "object_refs"],
        "indicator" => &["pattern", "pattern_type", "valid_from"],
        "malware" => &["is_family"],
        "malware-analysis" => &["product"],
        "note" => &["content", "object_refs"],
        "observed-data" => &["first_observed", "last_observed", "number_observed"],
        "opinion" => &["opinion", "object_refs"],
        "report" => &["name", "published", "object_refs"],
        "relationship" => &["relationship_type", "source_ref", "target_ref"],
        "sighting" => &["sighting_of_ref"],
        "autonomous-system" => &["number"],
        "directory" => &["path"],
        "domain-name" | "email-addr" | "ipv4-addr" | "ipv6-addr" | "mac-addr" | "url" => &["value"],
        "email-message" => &["is_multipart"],
        "mutex" | "software" => &["name"],
        "network-traffic" => &["protocols"],
        "language-content" => &["object_ref", "contents"],
        "extension-definition" => &[
            "created_by_ref",
            "name",
            "schema",
            "version",
            "extension_types",
        ],
        _ => &[],
    }
}

/// Validates one object, adding what it finds to `report`.
pub(crate) fn validate_object(v: &Value, report: &mut Report) {
    let mut cx = Ctx { id: None, report };
    let Some(o) = v.as_object() else {
        cx.err("", "an object must be a JSON object");
        return;
    };
    cx.id = o.get("id").and_then(Value::as_str).map(str::to_owned);
    let ty = match o.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(_) => {
            cx.err("type", "must be a string");
            return;
        }
        None => {
            cx.err("type", "required");
            return;
        }
    };
    if !is_type_name(ty) {
        cx.err(
            "type",
            format!("'{ty}' is not a valid type (3-250 characters of a-z, 0-9, '-')"),
        );
        return;
    }
    if ty == "bundle" {
        cx.err("type", "a bundle cannot be an object of a bundle");
        return;
    }
    let kind = kind_of(ty);

    match o.get("id") {
        None => cx.err("id", "required"),
        Some(Value::String(id)) => {
            if let Err(m) = check_id(id, Some(ty)) {
                cx.err("id", m);
            }
        }
        Some(_) => cx.err("id", "must be a string"),
    }

    // spec_version: required except on SCOs.
    match o.get("spec_version") {
        // Custom objects (§11) may be SCO-like: only type and id are required.
        None if !matches!(kind, Kind::Sco | Kind::Custom) => cx.err("spec_version", "required"),
        None => {}
        Some(Value::String(s)) if s == "2.1" => {}
        Some(s) => cx.err("spec_version", format!("must be \"2.1\", not {s}")),
    }

    // created / modified.
    // A custom object with either timestamp is SDO-like and needs both.
    let sdo_like_custom =
        kind == Kind::Custom && (o.contains_key("created") || o.contains_key("modified"));
    let needs_created = !matches!(kind, Kind::Sco | Kind::Custom) || sdo_like_custom;
    let needs_modified =
        !matches!(kind, Kind::Sco | Kind::Marking | Kind::Custom) || sdo_like_custom;
    for (p, need) in [("created", needs_created), ("modified", needs_modified)] {
        match o.get(p) {
            None if need => cx.err(p, "required"),
            None => {}
            Some(Value::String(s)) => {
                if let Err(m) = check_timestamp(s, Precision::Millis) {
                    cx.err(p, m);
                }
            }
            Some(_) => cx.err(p, "must be a timestamp string"),
        }
    }
    if kind == Kind::Marking && o.contains_key("modified") {
        cx.warn(
            "modified",
            "a marking definition has no modified (it cannot be versioned)",
        );
    }

    for p in required(ty) {
        if !o.contains_key(*p) {
            cx.err(p, "required");
        }
    }

    // Timestamps and their order.
    for p in timestamp_properties(ty) {
        match o.get(*p) {
            None => {}
            Some(Value::String(s)) => {
                if let Err(m) = check_timestamp(s, Precision::Any) {
                    cx.err(p, m);
                }
            }
            Some(_) => cx.err(p, "must be a timestamp string"),
        }
    }
    let ts_ok = |p: &str| {
        o.get(p)
            .and_then(Value::as_str)
            .filter(|s| check_timestamp(s, Precision::Any).is_ok())
    };
    let order = [("modified", "created", false)];
    for (later, earlier, strict) in order.iter().chain(orderings(ty)) {
        if let (Some(l), Some(e)) = (ts_ok(later), ts_ok(earlier)) {
            let c = ts_cmp(l, e);
            if c.is_lt() || *strict && c.is_eq() {
                let rel = if *strict { "later than" } else { "at or after" };
                cx.err(later, format!("{l} must be {rel} {earlier} ({e})"));
            }
        }
    }

    check_property_names(&mut cx, o, ty, kind);
    check_json_types(&mut cx, o, kind);
    check_lists(&mut cx, v, "");
    check_common(&mut cx, o);
    check_refs(&mut cx, o, ty);

    match ty {
        "indicator" => check_indicator(&mut cx, o),
        "malware" => {
            if o.get("is_family") == Some(&Value::Bool(true)) && !o.contains_key("name") {
                cx.err("name", "required when is_family is true");
            }
            if let Some(x) = o.get("is_family")
                && !x.is_boolean()
            {
                cx.err("is_family", "must be a boolean");
            }
        }
        "malware-analysis" if !o.contains_key("result") && !o.contains_key("analysis_sco_refs") => {
            cx.err("", "one of result or analysis_sco_refs is required");
        }
        "location" => check_location(&mut cx, o),
        "observed-data" => {
            if !o.contains_key("objects") && !o.contains_key("object_refs") {
                cx.err("object_refs", "required (or the deprecated objects)");
            }
            if o.contains_key("objects") && o.contains_key("object_refs") {
                cx.err("objects", "objects and object_refs are mutually exclusive");
            }
            if let Some(n) = o.get("number_observed") {
                match n.as_u64() {
                    Some(1..=999_999_999) => {}
                    _ => cx.err("number_observed", "must be an integer from 1 to 999999999"),
                }
            }
        }
        "sighting" => {
            if let Some(n) = o.get("count") {
                match n.as_u64() {
                    Some(0..=999_999_999) => {}
                    _ => cx.err("count", "must be an integer from 0 to 999999999"),
                }
            }
        }
        "opinion" => {
            const OPINIONS: &[&str] = &[
                "strongly-disagree",
                "disagree",
                "neutral",
                "agree",
                "strongly-agree",
            ];
            if let Some(x) = o.get("opinion")
                && !x.as_str().is_some_and(|s| OPINIONS.contains(&s))
            {
                cx.err(
                    "opinion",
                    format!("{x} is not one of {}", OPINIONS.join(", ")),
                );
            }
        }
        "relationship" => {
            if let Some(x) = o.get("relationship_type")
                && !x.as_str().is_some_and(|s| {
                    s.len() >= 3
                        && s.bytes()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                })
            {
                cx.err(
                    "relationship_type",
                    "must be 3 or more characters of a-z, 0-9, '-'",
                );
            }
        }
        "marking-definition" => check_marking(&mut cx, o),
        "language-content" => check_language_content(&mut cx, o),
        "extension-definition" => check_extension_definition(&mut cx, o),
        _ => {}
    }
    if kind == Kind::Sco {
        check_sco(&mut cx, o, ty);
    }
    if matches!(kind, Kind::Sdo | Kind::Sro)
        && let Some(id) = cx.id.clone()
        && check_id(&id, Some(ty)).is_ok()
        && uuid_version(&id) != Some(4)
    {
        cx.warn("id", "SDO and SRO identifiers should use a version 4 UUID");
    }
    check_vocabularies(&mut cx, o, ty);
}

/// The JSON type the specification gives a property (the same for every
/// object type that defines it).
#[derive(Clone, Copy)]
enum JsonType {
    Str,
    Int,
    Num,
    Bool,
    StrList,
    ObjList,
}

fn json_type(prop: &str) -> Option<JsonType> {
    use JsonType::*;
    if prop.ends_with("_types") {
        return Some(StrList);
    }
    Some(match prop {
        "name"
        | "description"
        | "value"
        | "version"
        | "pattern"
        | "pattern_type"
        | "pattern_version"
        | "vendor"
        | "user_id"
        | "subject"
        | "serial_number"
        | "schema"
        | "result"
        | "result_name"
        | "region"
        | "country"
        | "city"
        | "administrative_area"
        | "street_address"
        | "postal_code"
        | "product"
        | "payload_bin"
        | "path"
        | "mime_type"
        | "key"
        | "issuer"
        | "identity_class"
        | "display_name"
        | "cpe"
        | "swid"
        | "context"
        | "content"
        | "abstract"
        | "explanation"
        | "opinion"
        | "command_line"
        | "cwd"
        | "body"
        | "account_type"
        | "account_login"
        | "relationship_type"
        | "objective"
        | "resource_level"
        | "primary_motivation"
        | "sophistication"
        | "tool_version"
        | "contact_information"
        | "configuration_version"
        | "analysis_engine_version"
        | "analysis_definition_version"
        | "definition_type"
        | "url"
        | "name_enc"
        | "magic_number_hex"
        | "rir"
        | "message_id"
        | "content_type"
        | "signature_algorithm"
        | "subject_public_key_algorithm"
        | "subject_public_key_modulus"
        | "credential"
        | "encryption_algorithm"
        | "decryption_key"
        | "hash" => Str,
        "number"
        | "src_port"
        | "dst_port"
        | "pid"
        | "size"
        | "src_byte_count"
        | "dst_byte_count"
        | "src_packets"
        | "dst_packets"
        | "subject_public_key_exponent"
        | "number_of_subkeys" => Int,
        "precision" | "latitude" | "longitude" => Num,
        "is_multipart" | "is_family" | "revoked" | "defanged" | "is_active" | "is_privileged"
        | "is_service_account" | "can_escalate_privs" | "is_disabled" | "is_self_signed"
        | "is_hidden" | "summary" => Bool,
        "labels"
        | "aliases"
        | "roles"
        | "sectors"
        | "goals"
        | "secondary_motivations"
        | "personal_motivations"
        | "protocols"
        | "architecture_execution_envs"
        | "implementation_languages"
        | "capabilities"
        | "modules"
        | "authors"
        | "languages"
        | "received_lines" => StrList,
        "values" | "body_multipart" => ObjList,
        _ => return None,
    })
}

/// Properties the specification defines must have its JSON type.
fn check_json_types(cx: &mut Ctx<'_>, o: &Map<String, Value>, kind: Kind) {
    if kind == Kind::Custom {
        return;
    }
    for (k, v) in o {
        let Some(t) = json_type(k) else { continue };
        let (ok, what) = match t {
            JsonType::Str => (v.is_string(), "a string"),
            JsonType::Int => (v.is_i64() || v.is_u64(), "an integer"),
            JsonType::Num => (v.is_number(), "a number"),
            JsonType::Bool => (v.is_boolean(), "a boolean"),
            JsonType::StrList => (
                v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
                "a list of strings",
            ),
            JsonType::ObjList => (
                v.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
                "a list of objects",
            ),
        };
        if !ok {
            cx.err(k, format!("must be {what}"));
        }
    }
    // Ranges the specification gives (§6.7 size, §6.12 ports and counts).
    for (k, max) in [
        ("size", u64::MAX),
        ("src_port", 65535),
        ("dst_port", 65535),
        ("src_byte_count", u64::MAX),
        ("dst_byte_count", u64::MAX),
        ("src_packets", u64::MAX),
        ("dst_packets", u64::MAX),
    ] {
        if let Some(v) = o.get(k)
            && (v.is_i64() || v.is_u64())
            && v.as_u64().is_none_or(|n| n > max)
        {
            cx.err(k, format!("must be an integer from 0 to {max}"));
        }
    }
    if let Some(k) = o.get("kill_chain_phases") {
        check_kill_chain_phases(cx, k);
    }
}

/// §3.3 kill-chain-phase: `kill_chain_name` and `phase_name`, strings, which
/// SHOULD be lower case with hyphens.
fn check_kill_chain_phases(cx: &mut Ctx<'_>, v: &Value) {
    let Some(list) = v.as_array() else {
        cx.err("kill_chain_phases", "must be a list of kill chain phases");
        return;
    };
    for (i, p) in list.iter().enumerate() {
        let path = format!("kill_chain_phases[{i}]");
        let Some(m) = p.as_object() else {
            cx.err(&path, "a kill chain phase must be an object");
            continue;
        };
        for k in ["kill_chain_name", "phase_name"] {
            match m.get(k) {
                None => cx.err(&format!("{path}.{k}"), "required"),
                Some(Value::String(s)) => {
                    if !s
                        .bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                    {
                        cx.warn(
                            &format!("{path}.{k}"),
                            "should be lower case with hyphens between words",
                        );
                    }
                }
                Some(_) => cx.err(&format!("{path}.{k}"), "must be a string"),
            }
        }
    }
}

fn check_property_names(cx: &mut Ctx<'_>, o: &Map<String, Value>, ty: &str, kind: Kind) {
    for k in o.keys() {
        if !is_property_name(k) {
            cx.err(
                k,
                "property names must be 3-250 characters of a-z, 0-9, '_' starting with a letter",
            );
            continue;
        }
        if kind == Kind::Custom || kind == Kind::Sco {
            continue;
        }
        if !COMMON.contains(&k.as_str())
            && !known_properties(ty).contains(&k.as_str())
            && !k.starts_with("x_")
        {
            cx.warn(k, "custom properties should start with x_");
        }
    }
}

/// §3.1: lists MUST NOT be empty (anywhere in the object).
fn check_lists(cx: &mut Ctx<'_>, v: &Value, path: &str) {
    match v {
        Value::Array(a) => {
            if a.is_empty() {
                cx.err(
                    path,
                    "must not be an empty list (omit the property instead)",
                );
            }
            for (i, x) in a.iter().enumerate() {
                check_lists(cx, x, &format!("{path}[{i}]"));
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                check_lists(cx, x, &p);
            }
        }
        _ => {}
    }
}

fn ref_type(id: &str) -> Option<&str> {
    id.split_once("--").map(|(t, _)| t)
}

/// Checks that `v` is an identifier (or, for `*_refs`, a list of them) of one
/// of `allowed` types (`None`: any SDO or SCO).
fn check_ref_value(cx: &mut Ctx<'_>, prop: &str, v: &Value, allowed: Option<&[&str]>) {
    let plural = prop.ends_with("_refs");
    let items: Vec<(String, &Value)> = match (plural, v) {
        (true, Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, x)| (format!("{prop}[{i}]"), x))
            .collect(),
        (true, _) => {
            cx.err(prop, "must be a list of identifiers");
            return;
        }
        (false, x) => vec![(prop.to_owned(), x)],
    };
    for (p, x) in items {
        let Some(id) = x.as_str() else {
            cx.err(&p, "must be an identifier string");
            continue;
        };
        if let Err(m) = check_id(id, None) {
            cx.err(&p, m);
            continue;
        }
        let t = ref_type(id).unwrap_or_default();
        let ok = match allowed {
            // §5.2 sighting_of_ref: an SDO (or a custom object).
            Some(["<sdo>"]) => matches!(kind_of(t), Kind::Sdo | Kind::Custom) && t != "bundle",
            Some(list) => list.contains(&t),
            None => is_sdo_or_sco_type(t),
        };
        if !ok {
            let want = match allowed {
                Some(["<sdo>"]) => "an SDO".into(),
                Some(list) => list.join(" or "),
                None => "an SDO or SCO".into(),
            };
            cx.err(&p, format!("'{id}' must refer to {want}"));
        }
    }
}

fn check_refs(cx: &mut Ctx<'_>, o: &Map<String, Value>, ty: &str) {
    let rules = ref_rules(ty);
    for (k, v) in o {
        if let Some((_, allowed)) = rules.iter().find(|(p, _)| p == k) {
            check_ref_value(cx, k, v, *allowed);
        } else if k == "created_by_ref" {
            check_ref_value(cx, k, v, Some(&["identity"]));
        } else if k == "object_marking_refs" {
            check_ref_value(cx, k, v, Some(&["marking-definition"]));
            if let (Some(own), Some(list)) = (cx.id.clone(), v.as_array())
                && list.iter().any(|x| x.as_str() == Some(own.as_str()))
            {
                cx.err(k, "an object cannot mark itself");
            }
        } else if k.ends_with("_ref") || k.ends_with("_refs") {
            // Other references: identifiers of any type (object_refs,
            // object_ref, custom *_ref).
            let mut sub = Ctx {
                id: cx.id.clone(),
                report: &mut Report::default(),
            };
            check_ref_value(&mut sub, k, v, None);
            let errs: Vec<Issue> = sub
                .report
                .errors
                .drain(..)
                .filter(|e| !e.message.contains("must refer to"))
                .collect();
            cx.report.errors.extend(errs);
        }
    }
}

fn check_common(cx: &mut Ctx<'_>, o: &Map<String, Value>) {
    if let Some(c) = o.get("confidence") {
        match c.as_u64() {
            Some(0..=100) => {}
            _ => cx.err("confidence", format!("{c} is not an integer from 0 to 100")),
        }
    }
    if let Some(r) = o.get("revoked")
        && !r.is_boolean()
    {
        cx.err("revoked", "must be a boolean");
    }
    if let Some(r) = o.get("defanged")
        && !r.is_boolean()
    {
        cx.err("defanged", "must be a boolean");
    }
    if let Some(l) = o.get("labels")
        && !l.as_array().is_some_and(|a| a.iter().all(Value::is_string))
    {
        cx.err("labels", "must be a list of strings");
    }
    if let Some(l) = o.get("lang") {
        match l.as_str() {
            Some(s) if is_language_tag(s) => {}
            _ => cx.err("lang", format!("{l} is not an RFC 5646 language tag")),
        }
    }
    if let Some(ext) = o.get("external_references") {
        match ext.as_array() {
            Some(list) => {
                for (i, e) in list.iter().enumerate() {
                    check_external_reference(cx, &format!("external_references[{i}]"), e);
                }
            }
            None => cx.err("external_references", "must be a list"),
        }
    }
    if let Some(g) = o.get("granular_markings") {
        match g.as_array() {
            Some(list) => {
                for (i, m) in list.iter().enumerate() {
                    check_granular_marking(cx, o, &format!("granular_markings[{i}]"), m);
                }
            }
            None => cx.err("granular_markings", "must be a list"),
        }
    }
    if let Some(e) = o.get("extensions") {
        match e.as_object() {
            Some(m) => {
                for (k, v) in m {
                    let p = format!("extensions.{k}");
                    if k.starts_with("extension-definition--")
                        && let Err(m) = check_id(k, Some("extension-definition"))
                    {
                        cx.err(&p, m);
                    }
                    if !v.is_object() {
                        cx.err(&p, "an extension must be an object");
                    }
                }
            }
            None => cx.err("extensions", "must be a dictionary"),
        }
    }
}

/// RFC 5646 language tag, syntax only (language, script, region, variants).
fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    if !(2..=3).contains(&first.len()) || !first.bytes().all(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric()))
}

fn check_external_reference(cx: &mut Ctx<'_>, path: &str, e: &Value) {
    let Some(m) = e.as_object() else {
        cx.err(path, "an external reference must be an object");
        return;
    };
    let Some(src) = m.get("source_name").and_then(Value::as_str) else {
        cx.err(&format!("{path}.source_name"), "required");
        return;
    };
    if !["description", "url", "external_id"]
        .iter()
        .any(|p| m.contains_key(*p))
    {
        cx.err(path, "one of description, url or external_id is required");
    }
    let ext_id = m.get("external_id").and_then(Value::as_str);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    match src {
        "cve" => {
            let ok = ext_id.is_some_and(|x| {
                x.strip_prefix("CVE-")
                    .and_then(|r| r.split_once('-'))
                    .is_some_and(|(y, n)| y.len() == 4 && digits(y) && n.len() >= 4 && digits(n))
            });
            if !ok {
                cx.err(
                    &format!("{path}.external_id"),
                    "a cve reference needs an external_id CVE-YYYY-NNNN",
                );
            }
        }
        "capec" if !ext_id.is_some_and(|x| x.strip_prefix("CAPEC-").is_some_and(digits)) => {
            cx.err(
                &format!("{path}.external_id"),
                "a capec reference needs an external_id CAPEC-N",
            );
        }
        _ => {}
    }
    if let Some(h) = m.get("hashes") {
        check_hashes(cx, &format!("{path}.hashes"), h);
    }
}

/// Resolves a granular-marking selector (§7.2.3.1) in the object.
fn selector_resolves(o: &Map<String, Value>, sel: &str) -> bool {
    let mut cur: Option<&Value> = None;
    for (i, step) in sel.split('.').enumerate() {
        let next = if let Some(ix) = step.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            let Ok(n) = ix.parse::<usize>() else {
                return false;
            };
            cur.and_then(Value::as_array).and_then(|a| a.get(n))
        } else if i == 0 {
            o.get(step)
        } else {
            cur.and_then(Value::as_object).and_then(|m| m.get(step))
        };
        match next {
            Some(v) => cur = Some(v),
            None => return false,
        }
    }
    cur.is_some()
}

fn check_granular_marking(cx: &mut Ctx<'_>, o: &Map<String, Value>, path: &str, g: &Value) {
    let Some(m) = g.as_object() else {
        cx.err(path, "a granular marking must be an object");
        return;
    };
    match (m.get("marking_ref"), m.get("lang")) {
        (Some(r), None) => {
            let p = format!("{path}.marking_ref");
            check_ref_value(cx, &p, r, Some(&["marking-definition"]));
            if let (Some(own), Some(r)) = (cx.id.clone(), r.as_str())
                && own == r
            {
                cx.err(&p, "an object cannot mark itself");
            }
        }
        (None, Some(l)) => {
            if !l.as_str().is_some_and(is_language_tag) {
                cx.err(&format!("{path}.lang"), "not an RFC 5646 language tag");
            }
        }
        _ => cx.err(path, "exactly one of marking_ref or lang is required"),
    }
    match m.get("selectors").and_then(Value::as_array) {
        None => cx.err(
            &format!("{path}.selectors"),
            "required (a list of selectors)",
        ),
        Some(sels) => {
            for (i, s) in sels.iter().enumerate() {
                let p = format!("{path}.selectors[{i}]");
                match s.as_str() {
                    Some(s) if selector_resolves(o, s) => {}
                    Some(s) => cx.err(
                        &p,
                        format!("'{s}' does not select a property of the object"),
                    ),
                    None => cx.err(&p, "a selector must be a string"),
                }
            }
        }
    }
}

fn check_hashes(cx: &mut Ctx<'_>, path: &str, h: &Value) {
    let Some(m) = h.as_object() else {
        cx.err(path, "must be a dictionary of hashes");
        return;
    };
    if m.is_empty() {
        cx.err(path, "must not be empty");
    }
    for (k, v) in m {
        let p = format!("{path}.{k}");
        let Some(s) = v.as_str() else {
            cx.err(&p, "a hash value must be a string");
            continue;
        };
        if k.len() > 250 {
            cx.err(&p, "hash names are at most 250 characters");
        }
        let hex_len = match k.as_str() {
            "MD5" => Some(32),
            "SHA-1" => Some(40),
            "SHA-256" | "SHA3-256" => Some(64),
            "SHA-512" | "SHA3-512" => Some(128),
            _ => None,
        };
        if let Some(n) = hex_len
            && !(s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit()))
        {
            cx.err(&p, format!("'{s}' is not a {k} hash ({n} hex digits)"));
        }
        // TLSH: 70 hex digits, or 72 with the version prefix T1.
        if k == "TLSH" {
            let body = s.strip_prefix("T1").filter(|b| b.len() == 70).unwrap_or(s);
            if !(body.len() == 70 && body.bytes().all(|c| c.is_ascii_hexdigit())) {
                cx.err(
                    &p,
                    format!("'{s}' is not a TLSH hash (70 hex digits, or T1 and 70)"),
                );
            }
        }
    }
}

fn check_indicator(cx: &mut Ctx<'_>, o: &Map<String, Value>) {
    let pattern_type = o.get("pattern_type").and_then(Value::as_str);
    match o.get("pattern") {
        Some(Value::String(p)) => {
            if pattern_type == Some("stix")
                && let Err(e) =
                    crate::pattern::parse(p).and_then(|p| crate::pattern::check_names(&p))
            {
                cx.err("pattern", e.to_string());
            }
        }
        Some(_) => cx.err("pattern", "must be a string"),
        None => {}
    }
    if let Some(t) = o.get("pattern_type")
        && !t.is_string()
    {
        cx.err("pattern_type", "must be a string");
    }
}

fn check_location(cx: &mut Ctx<'_>, o: &Map<String, Value>) {
    let lat = o.get("latitude");
    let lon = o.get("longitude");
    let placed =
        o.contains_key("region") || o.contains_key("country") || lat.is_some() && lon.is_some();
    if !placed {
        cx.err(
            "",
            "one of region, country, or latitude and longitude is required",
        );
    }
    if lat.is_some() != lon.is_some() {
        cx.err("", "latitude and longitude go together");
    }
    if o.contains_key("precision") && lat.is_none() {
        cx.err("precision", "needs latitude and longitude");
    }
    for (p, v, lim) in [("latitude", lat, 90.0), ("longitude", lon, 180.0)] {
        if let Some(v) = v
            && !v.as_f64().is_some_and(|x| (-lim..=lim).contains(&x))
        {
            cx.err(p, format!("must be a number from -{lim} to {lim}"));
        }
    }
}

fn check_marking(cx: &mut Ctx<'_>, o: &Map<String, Value>) {
    let id = cx.id.clone().unwrap_or_default();
    let dtype = o.get("definition_type").and_then(Value::as_str);
    let def = o.get("definition");
    let has_ext = o.contains_key("extensions");
    if dtype.is_none() && !has_ext {
        cx.err(
            "definition_type",
            "required unless the marking is defined by an extension",
        );
    }
    if dtype.is_some() && def.is_none() {
        cx.err("definition", "required with definition_type");
    }
    match (dtype, def.and_then(Value::as_object)) {
        (Some("statement"), Some(d)) => {
            if !d.get("statement").is_some_and(Value::is_string) {
                cx.err("definition.statement", "required (a string)");
            }
        }
        (Some("tlp"), Some(d)) => {
            let level = d.get("tlp").and_then(Value::as_str);
            match TLP1.iter().find(|(i, _)| *i == id) {
                Some((_, want)) if level == Some(want) => {}
                Some((_, want)) => cx.err(
                    "definition.tlp",
                    format!("this TLP 1.0 marking definition is TLP:{}", want.to_uppercase()),
                ),
                None => cx.err(
                    "id",
                    "a TLP 1.0 marking must use its fixed marking-definition id (STIX 2.1 §7.2.1.4)",
                ),
            }
            // §7.2.1.4: the TLP 1.0 marking definitions MUST be used as given.
            if let Some((_, want)) = TLP1.iter().find(|(i, _)| *i == id) {
                let name = format!("TLP:{}", want.to_uppercase());
                if o.get("name").and_then(Value::as_str) != Some(name.as_str()) {
                    cx.err(
                        "name",
                        format!("the TLP 1.0 marking definition is named {name}"),
                    );
                }
                const FIXED: &[&str] = &[
                    "type",
                    "spec_version",
                    "id",
                    "created",
                    "definition_type",
                    "name",
                    "definition",
                ];
                for k in o.keys().filter(|k| !FIXED.contains(&k.as_str())) {
                    cx.err(
                        k,
                        "the TLP 1.0 marking definitions have no other properties",
                    );
                }
            }
            if o.get("created").and_then(Value::as_str) != Some("2017-01-20T00:00:00.000Z") {
                cx.err(
                    "created",
                    "a TLP 1.0 marking definition is created 2017-01-20T00:00:00.000Z",
                );
            }
        }
        (Some(_), Some(_)) | (None, _) => {}
        (Some(_), None) => {
            if def.is_some() {
                cx.err("definition", "must be an object");
            }
        }
    }
    // TLP 2.0: the extension's level must be the one of the fixed id.
    let tlp2 = o
        .get("extensions")
        .and_then(|e| e.get(TLP2_EXTENSION))
        .and_then(|e| e.get("tlp_2_0"))
        .and_then(Value::as_str);
    let fixed = TLP2.iter().find(|(i, _, _)| *i == id);
    match (tlp2, fixed) {
        (Some(l), Some((_, want, _))) if l != *want => cx.err(
            &format!("extensions.{TLP2_EXTENSION}.tlp_2_0"),
            format!(
                "this TLP 2.0 marking definition is TLP:{}",
                want.to_uppercase()
            ),
        ),
        (Some(_), None) => cx.err(
            "id",
            "a TLP 2.0 marking must use FIRST's fixed marking-definition id for its level",
        ),
        _ => {}
    }
}

fn check_language_content(cx: &mut Ctx<'_>, o: &Map<String, Value>) {
    if let Some(r) = o.get("object_ref") {
        check_ref_value(cx, "object_ref", r, None);
    }
    match o.get("contents") {
        None => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let p = format!("contents.{k}");
                if !is_language_tag(k) {
                    cx.err(&p, "keys of contents must be RFC 5646 language tags");
                }
                match v.as_object() {
                    Some(inner) => {
                        for ik in inner.keys() {
                            if !is_property_name(ik) {
                                cx.err(&format!("{p}.{ik}"), "not a property name");
                            }
                        }
                    }
                    None => cx.err(&p, "must be a dictionary of translated properties"),
                }
            }
        }
        Some(_) => cx.err("contents", "must be a dictionary"),
    }
}

fn check_extension_definition(cx: &mut Ctx<'_>, o: &Map<String, Value>) {
    const TYPES: &[&str] = &[
        "new-sdo",
        "new-sco",
        "new-sro",
        "property-extension",
        "toplevel-property-extension",
    ];
    if let Some(t) = o.get("extension_types") {
        match t.as_array() {
            Some(a) => {
                for (i, x) in a.iter().enumerate() {
                    if !x.as_str().is_some_and(|s| TYPES.contains(&s)) {
                        cx.err(
                            &format!("extension_types[{i}]"),
                            format!("{x} is not one of {}", TYPES.join(", ")),
                        );
                    }
                }
            }
            None => cx.err("extension_types", "must be a list"),
        }
    }
}

fn check_sco(cx: &mut Ctx<'_>, o: &Map<String, Value>, ty: &str) {
    if let Some(h) = o.get("hashes") {
        check_hashes(cx, "hashes", h);
    }
    let has = |p: &str| o.contains_key(p);
    let id_v4 = cx.id.as_deref().and_then(uuid_version) == Some(4);
    match ty {
        "artifact" => {
            if has("payload_bin") == has("url") {
                cx.err("", "exactly one of payload_bin or url is required");
            }
            if has("url") && !has("hashes") {
                cx.err("hashes", "required with url");
            }
        }
        "file" if !has("hashes") && !has("name") => {
            cx.err("", "one of hashes or name is required");
        }
        "network-traffic" => {
            if !has("src_ref") && !has("dst_ref") {
                cx.err("", "one of src_ref or dst_ref is required");
            }
            // §6.12: end is only for traffic that is no longer active.
            if o.get("is_active") == Some(&Value::Bool(true)) && has("end") {
                cx.err("end", "must not be present while is_active is true");
            }
        }
        "process" | "user-account" | "windows-registry-key" | "x509-certificate" => {
            let own = o
                .keys()
                .filter(|k| !matches!(k.as_str(), "type" | "id" | "spec_version"))
                .count();
            if own == 0 {
                cx.err("", format!("a {ty} needs at least one property of its own"));
            }
        }
        _ => {}
    }
    // §2.9: with no ID-contributing property, the id MUST be a UUIDv4.
    let contributing: &[&str] = match ty {
        "process" => &[],
        "artifact" => &["hashes", "payload_bin"],
        "email-message" => &["from_ref", "subject", "body"],
        "user-account" => &["account_type", "user_id", "account_login"],
        "windows-registry-key" => &["key", "values"],
        "x509-certificate" => &["hashes", "serial_number"],
        _ => return,
    };
    if !contributing.iter().any(|p| has(p)) && !id_v4 && cx.id.is_some() {
        cx.err(
            "id",
            "without ID-contributing properties the identifier must use a version 4 UUID",
        );
    }
}

/// A few open vocabularies (§10), for SHOULD warnings.
fn check_vocabularies(cx: &mut Ctx<'_>, o: &Map<String, Value>, ty: &str) {
    let vocab: &[(&str, &[&str])] = match ty {
        "indicator" => &[
            (
                "indicator_types",
                &[
                    "anomalous-activity",
                    "anonymization",
                    "benign",
                    "compromised",
                    "malicious-activity",
                    "attribution",
                    "unknown",
                ],
            ),
            (
                "pattern_type",
                &["stix", "pcre", "sigma", "snort", "suricata", "yara"],
            ),
        ],
        "malware" => &[(
            "malware_types",
            &[
                "adware",
                "backdoor",
                "bot",
                "bootkit",
                "ddos",
                "downloader",
                "dropper",
                "exploit-kit",
                "keylogger",
                "ransomware",
                "remote-access-trojan",
                "resource-exploitation",
                "rogue-security-software",
                "rootkit",
                "screen-capture",
                "spyware",
                "trojan",
                "unknown",
                "virus",
                "webshell",
                "wiper",
                "worm",
            ],
        )],
        "report" => &[(
            "report_types",
            &[
                "attack-pattern",
                "campaign",
                "identity",
                "indicator",
                "intrusion-set",
                "malware",
                "observed-data",
                "threat-actor",
                "threat-report",
                "tool",
                "vulnerability",
            ],
        )],
        "identity" => &[(
            "identity_class",
            &[
                "individual",
                "group",
                "system",
                "organization",
                "class",
                "unknown",
            ],
        )],
        "grouping" => &[(
            "context",
            &["suspicious-activity", "malware-analysis", "unspecified"],
        )],
        "tool" => &[(
            "tool_types",
            &[
                "denial-of-service",
                "exploitation",
                "information-gathering",
                "network-capture",
                "credential-exploitation",
                "remote-access",
                "vulnerability-scanning",
                "unknown",
            ],
        )],
        _ => &[],
    };
    for (p, words) in vocab {
        let vals: Vec<&str> = match o.get(*p) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        for v in vals {
            if !words.contains(&v) {
                cx.warn(p, format!("'{v}' is not in the open vocabulary"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert!(check_timestamp("2016-04-06T20:03:48.000Z", Precision::Millis).is_ok());
        assert!(check_timestamp("2016-04-06T20:03:48.0001Z", Precision::Millis).is_ok());
        assert!(check_timestamp("2016-04-06T20:03:48Z", Precision::Millis).is_err());
        assert!(check_timestamp("2016-04-06T20:03:48Z", Precision::Any).is_ok());
        assert!(check_timestamp("2016-04-06T20:03:48.1Z", Precision::Any).is_ok());
        assert!(check_timestamp("2016-04-06T20:03:48.Z", Precision::Any).is_err());
        assert!(check_timestamp("2016-04-06T20:03:48+00:00", Precision::Any).is_err());
        assert!(check_timestamp("2016-02-30T20:03:48Z", Precision::Any).is_err());
        assert!(check_timestamp("2016-02-29T20:03:48Z", Precision::Any).is_ok());
        assert!(check_timestamp("2015-02-29T20:03:48Z", Precision::Any).is_err());
        assert!(check_timestamp("2016-04-06T24:03:48Z", Precision::Any).is_err());
        assert!(check_timestamp("2016-04-06T20:03:60Z", Precision::Any).is_err());
        assert!(check_timestamp("2016-04-06 20:03:48Z", Precision::Any).is_err());
        assert!(check_timestamp("2016-04-06T20:03:4éZ", Precision::Any).is_err());
    }

    #[test]
    fn timestamp_order() {
        assert!(ts_cmp("2016-04-06T20:03:48.1Z", "2016-04-06T20:03:48.099Z").is_gt());
        assert!(ts_cmp("2016-04-06T20:03:48Z", "2016-04-06T20:03:48.000Z").is_eq());
        assert!(ts_cmp("2016-04-06T20:03:47.999Z", "2016-04-06T20:03:48Z").is_lt());
    }

    #[test]
    fn identifiers() {
        let good = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
        assert!(check_id(good, Some("indicator")).is_ok());
        assert!(check_id(good, Some("malware")).is_err());
        assert!(check_id("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3", None).is_err());
        assert!(check_id("indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f", None).is_err());
        assert!(check_id("indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f", None).is_err());
        assert!(check_id("Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", None).is_err());
        assert!(check_id("indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", None).is_err());
        assert!(check_id("x--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", None).is_err());
    }

    #[test]
    fn names() {
        assert!(is_type_name("x-acme-widget"));
        assert!(!is_type_name("x--a"));
        assert!(is_type_name("x-a-"));
        assert!(!is_type_name("ab"));
        assert!(!is_type_name("X-abc"));
        assert!(is_property_name("x_acme_prop"));
        assert!(is_property_name("id"));
        assert!(!is_property_name("ab"));
        assert!(!is_property_name("Name"));
        assert!(!is_property_name("_abc"));
        assert!(is_language_tag("en"));
        assert!(is_language_tag("zh-Hant-TW"));
        assert!(!is_language_tag("english!"));
        assert!(!is_language_tag("e"));
    }

    #[test]
    fn tlp_ids() {
        assert_eq!(
            tlp_of("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"),
            Some(Tlp::AmberStrict)
        );
        assert_eq!(
            tlp_of("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
            Some(Tlp::Clear)
        );
        assert_eq!(
            tlp_of("marking-definition--00000000-0000-4000-8000-000000000000"),
            None
        );
    }

    #[test]
    fn selectors() {
        let o: Value = serde_json::json!({
            "description": "d", "labels": ["a", "b"],
            "external_references": [{"source_name": "x", "url": "u"}]
        });
        let o = o.as_object().unwrap();
        assert!(selector_resolves(o, "description"));
        assert!(selector_resolves(o, "labels.[1]"));
        assert!(!selector_resolves(o, "labels.[2]"));
        assert!(selector_resolves(o, "external_references.[0].source_name"));
        assert!(!selector_resolves(o, "external_references.[0].nope"));
        assert!(!selector_resolves(o, "name"));
        assert!(!selector_resolves(o, "labels.[x]"));
    }
}
