//! Our verdicts against OASIS's own validators (`docs/stix.md`, "The
//! oracle"): runs `tests/interop/stix/oracle.py`, which writes a corpus of
//! bundles (valid objects of every STIX 2.1 type made with the OASIS `stix2`
//! library, and mutations of them) with `stix2-validator`'s verdicts, and of
//! patterns with `stix2-patterns`' verdicts; then checks that
//! [`hotline_stix::validate_bundle`] and [`hotline_stix::pattern::parse`]
//! agree on every input, except the differences listed below, each with the
//! reason we are right (or the oracle is silent on a MUST of the
//! specification).
//!
//! Fails when python3 or the packages (`tests/interop/requirements.txt`) are
//! missing, unless `HOTLINE_SKIP_STIX_ORACLE=1`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Inputs on which we knowingly differ from `stix2-validator` 3.2.0 and
/// `stix2-patterns` 2.1.2: (case name pattern, our verdict — valid or not —,
/// why). The entry only covers inputs on which our verdict is the one given.
/// A pattern is an exact name, or a prefix ending in `*`, or `*` + a suffix.
const DIFFERENCES: &[(&str, bool, &str)] = &[
    // --- References whose types STIX 2.1 fixes, which the validator does
    // not check (its schemas only check the identifier form).
    (
        "*--created-by-malware",
        false,
        "we refuse: §3.2 created_by_ref MUST be an identity; stix2-validator does not check the type",
    ),
    (
        "*--marking-identity",
        false,
        "we refuse: §7.2.2 object_marking_refs MUST point to marking-definition objects; not checked by stix2-validator",
    ),
    (
        "*--granular-identity",
        false,
        "we refuse: §7.2.3 marking_ref MUST be a marking-definition id; not checked by stix2-validator",
    ),
    (
        "*--ref-*-not-an-id",
        false,
        "we refuse: 'not-an-id' is no identifier (§2.9); the validator does not check the form of SCO references",
    ),
    (
        "*ref-*",
        false,
        "we refuse a reference of a type the specification does not allow for that property (e.g. §5.1 source_ref to a marking-definition, §6.4 from_ref to a non-email-addr); stix2-validator checks only the identifier form",
    ),
    (
        "*refs-*",
        false,
        "same as ref-: lists of references of a type the property does not allow",
    ),
    (
        "mut-custom-s*--id-other-type",
        false,
        "we refuse: the id's type must be the object's own (§2.9), custom objects included; the validator does not check it on custom objects",
    ),
    // --- spec_version.
    (
        "*--spec-version-2.0",
        false,
        "we refuse: a STIX 2.1 object MUST have spec_version \"2.1\" (§3.2); the validator, run for 2.1, accepts any string",
    ),
    // --- Granular markings by language.
    (
        "*--granular-lang",
        true,
        "we accept: §7.2.3 lets a granular marking carry lang instead of marking_ref; the validator's schema requires marking_ref",
    ),
    // --- TLP.
    (
        "*tlp2-other-id",
        false,
        "we refuse: a TLP 2.0 marking MUST use FIRST's fixed id for its level; the validator does not know TLP 2.0",
    ),
    (
        "*tlp2-wrong-level",
        false,
        "we refuse: the fixed TLP 2.0 id is bound to its level; not checked by the validator",
    ),
    (
        "*--drop-spec_version",
        false,
        "we refuse: spec_version is required on SDOs, SROs and the meta objects (§3.2); the validator lets it default",
    ),
    (
        "*--ts-modified-micros",
        true,
        "we accept: modified 07.123456Z is after created 07.123Z; the validator compares the strings ('4' < 'Z')",
    ),
    (
        "*--ts-created-micros",
        false,
        "we refuse: created 07.123456Z is after modified 07.123Z (modified >= created, §3.2); the validator compares the strings",
    ),
    (
        "*--marking-self",
        false,
        "we refuse: object_marking_refs must point to marking-definition objects (§7.2.2), not to the object itself; the validator checks self-marking only on marking definitions",
    ),
    (
        "*--granular-both",
        false,
        "we refuse: a granular marking has marking_ref or lang, not both (§7.2.3: marking_ref MUST NOT be present if lang is)",
    ),
    (
        "mut-marking-definition-*--ts-created-*",
        false,
        "we refuse: created must be precise to the millisecond on every object that has it (§3.2); the validator's marking-definition schema accepts any precision",
    ),
    (
        "mut-marking-definition-*--custom-prop-*",
        false,
        "we refuse: property names must be 3-250 of a-z, 0-9, _ (§3.1) on every object; the validator's marking-definition schema does not check names",
    ),
    (
        "mut-marking-definition-*--empty-list-custom",
        false,
        "we refuse: lists must not be empty (§3.1) anywhere; not checked by the validator on marking definitions",
    ),
    (
        "mut-marking-definition-tlp2-*--id-uuidv1",
        false,
        "we refuse: a TLP 2.0 marking must use FIRST's fixed id for its level",
    ),
    (
        "mut-extension-definition-0--drop-created_by_ref",
        false,
        "we refuse: created_by_ref is required on an extension-definition (§7.3); the validator's schema does not require it",
    ),
    (
        "bundle-wrong-type",
        false,
        "we refuse: validate_bundle is given a bundle, and its type must be \"bundle\" (§8); the validator takes any object",
    ),
    (
        "bundle-objects-empty",
        false,
        "we refuse: lists must not be empty (§3.1), the bundle's objects included",
    ),
    (
        "bundle-nested-bundle",
        false,
        "we refuse: a bundle holds STIX objects, and a bundle is not one (§8)",
    ),
];

/// Inputs on which the oracle itself crashes (its verdict is then
/// "invalid" with a "validator exception" error) and we accept: (case name
/// pattern, why). Only applied when the oracle's errors show the crash.
const ORACLE_CRASHES: &[(&str, &str)] = &[
    (
        "valid-27",
        "a negative list index (values[-1]) is in the grammar (§9); stix2-patterns crashes on it (AttributeError)",
    ),
    (
        "soup-27-*",
        "edits of the same pattern that keep the negative index: stix2-patterns crashes on them",
    ),
    (
        "*--pattern-027",
        "the same pattern in an indicator: stix2-validator crashes on it",
    ),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A glob with `*` for any run of characters.
fn matches(pat: &str, name: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || !name[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

fn difference(name: &str, our_valid: bool) -> Option<&'static str> {
    DIFFERENCES
        .iter()
        .find(|(p, v, _)| *v == our_valid && matches(p, name))
        .map(|(_, _, why)| *why)
}

#[test]
fn agrees_with_oasis_validators() {
    if std::env::var("HOTLINE_SKIP_STIX_ORACLE").as_deref() == Ok("1") {
        eprintln!("HOTLINE_SKIP_STIX_ORACLE=1: oracle comparison skipped");
        return;
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stix-oracle");
    let _ = std::fs::remove_dir_all(&out);
    let script = root().join("tests/interop/stix/oracle.py");
    let run = Command::new("python3").arg(&script).arg(&out).output();
    let run = match run {
        Ok(r) => r,
        Err(e) => panic!(
            "cannot run python3 ({e}): install it and `pip install -r tests/interop/requirements.txt`, or set HOTLINE_SKIP_STIX_ORACLE=1"
        ),
    };
    assert!(
        run.status.success(),
        "{} failed (are stix2, stix2-validator and stix2-patterns installed? `pip install -r tests/interop/requirements.txt`, or set HOTLINE_SKIP_STIX_ORACLE=1):\n{}",
        script.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    let verdicts: Value =
        serde_json::from_slice(&std::fs::read(out.join("verdicts.json")).unwrap()).unwrap();

    let mut total = 0;
    let mut agree = 0;
    let mut recorded: BTreeMap<&str, usize> = BTreeMap::new();
    let mut recorded_names = String::new();
    let mut unexplained = Vec::new();
    let mut stale = Vec::new();

    let mut compare = |kind: &str, name: &str, theirs: &Value, ours: Result<(), String>| {
        total += 1;
        let their_valid = theirs["valid"].as_bool().unwrap();
        let our_valid = ours.is_ok();
        if their_valid == our_valid {
            agree += 1;
            return;
        }
        let crashed = theirs["errors"].as_array().is_some_and(|e| {
            e.iter().any(|m| {
                m.as_str()
                    .is_some_and(|m| m.starts_with("validator exception"))
            })
        });
        let crash_why = ORACLE_CRASHES
            .iter()
            .find(|(p, _)| our_valid && crashed && matches(p, name))
            .map(|(_, why)| *why);
        if let Some(why) = crash_why.or_else(|| difference(name, our_valid)) {
            *recorded.entry(why).or_default() += 1;
            recorded_names.push_str(&format!("{kind} {name}: {why}\n"));
            return;
        }
        unexplained.push(format!(
            "{kind} {name}: oracle says {}, we say {}\n    oracle: {}\n    ours: {}",
            if their_valid { "valid" } else { "invalid" },
            if our_valid { "valid" } else { "invalid" },
            theirs["errors"],
            ours.err().unwrap_or_default()
        ));
    };

    for (name, theirs) in verdicts["bundles"].as_object().unwrap() {
        let bytes = std::fs::read(out.join("bundles").join(format!("{name}.json"))).unwrap();
        let r = hotline_stix::validate_bundle(&bytes);
        let ours = if r.is_valid() {
            Ok(())
        } else {
            Err(r
                .errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" | "))
        };
        compare("bundle", name, theirs, ours);
    }
    for (name, theirs) in verdicts["patterns"].as_object().unwrap() {
        let p = std::fs::read_to_string(out.join("patterns").join(format!("{name}.txt"))).unwrap();
        let ours = hotline_stix::pattern::parse(&p)
            .map(|_| ())
            .map_err(|e| e.to_string());
        compare("pattern", name, theirs, ours);
    }
    for p in DIFFERENCES
        .iter()
        .map(|d| d.0)
        .chain(ORACLE_CRASHES.iter().map(|d| d.0))
    {
        let used = verdicts["bundles"]
            .as_object()
            .unwrap()
            .keys()
            .chain(verdicts["patterns"].as_object().unwrap().keys())
            .any(|n| matches(p, n));
        if !used {
            stale.push(p);
        }
    }
    std::fs::write(out.join("differences.txt"), &recorded_names).unwrap();
    let n_recorded: usize = recorded.values().sum();
    eprintln!(
        "stix oracle: {total} inputs, {agree} agreements, {n_recorded} recorded differences, {} unexplained",
        unexplained.len()
    );
    for (why, n) in &recorded {
        eprintln!("  {n:4} × {why}");
    }
    assert!(
        stale.is_empty(),
        "allow-list entries matching no input: {stale:?}"
    );
    assert!(
        unexplained.is_empty(),
        "{} disagreements with the OASIS validators:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
