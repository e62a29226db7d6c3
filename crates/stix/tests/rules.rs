//! One test per rule of `docs/stix.md`, through [`validate_bundle`]: each
//! starts from a valid object, breaks one rule, and checks the issue names
//! the object, the property and what is wrong.

use hotline_stix::{Issue, validate_bundle};
use serde_json::{Value, json};

const IND: &str = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
const IDENTITY: &str = "identity--311b2d2d-f010-4473-83ec-1edf84858f4c";
const MALWARE: &str = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b";
const STATEMENT: &str = "marking-definition--34f8e9a5-5b9f-4d3b-9a33-b3a9ea0f7b84";
const TLP2_RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

fn indicator() -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1", "id": IND,
        "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
        "name": "C2", "indicator_types": ["malicious-activity"],
        "pattern": "[ipv4-addr:value = '198.51.100.3']", "pattern_type": "stix",
        "valid_from": "2016-01-01T00:00:00Z"
    })
}

fn bundle(objs: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objs
    }))
    .unwrap()
}

fn errors_of(o: Value) -> Vec<Issue> {
    validate_bundle(&bundle(vec![o])).errors
}

/// Sets `k` to `v` on a valid indicator and returns the errors.
fn with(k: &str, v: Value) -> Vec<Issue> {
    let mut o = indicator();
    o[k] = v;
    errors_of(o)
}

fn without(k: &str) -> Vec<Issue> {
    let mut o = indicator();
    o.as_object_mut().unwrap().remove(k);
    errors_of(o)
}

#[track_caller]
fn one_on(errs: &[Issue], path: &str) {
    assert!(
        errs.iter().any(|e| e.path == path),
        "no error on {path}: {errs:?}"
    );
}

#[test]
fn a_valid_indicator_has_no_errors_nor_warnings() {
    let r = validate_bundle(&bundle(vec![indicator()]));
    assert!(r.is_valid(), "{:?}", r.errors);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn error_message_names_object_property_and_position() {
    let e = with("pattern", json!("[file:name = 'a' AND file:size > 1"));
    assert_eq!(
        e[0].to_string(),
        format!("{IND}: pattern: expected ']', found the end of the pattern at 34")
    );
}

#[test]
fn required_common_properties() {
    for p in ["id", "spec_version", "created", "modified", "type"] {
        let e = without(p);
        one_on(&e, p);
    }
}

#[test]
fn indicator_requires_pattern_pattern_type_valid_from() {
    for p in ["pattern", "pattern_type", "valid_from"] {
        one_on(&without(p), p);
    }
}

#[test]
fn type_syntax() {
    one_on(&with("type", json!("Indicator")), "type");
    one_on(&with("type", json!("x")), "type");
}

#[test]
fn identifier_form_and_type() {
    one_on(&with("id", json!(MALWARE)), "id");
    one_on(&with("id", json!("indicator--8e2e2d2b")), "id");
    one_on(
        &with(
            "id",
            json!("indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
        ),
        "id",
    );
}

#[test]
fn spec_version_is_2_1() {
    one_on(&with("spec_version", json!("2.0")), "spec_version");
}

#[test]
fn timestamps_are_utc_rfc3339_with_millis_for_created() {
    one_on(&with("created", json!("2016-04-06T20:03:48Z")), "created");
    one_on(
        &with("valid_from", json!("2016-04-06T20:03:48+01:00")),
        "valid_from",
    );
    one_on(
        &with("valid_from", json!("2016-02-30T20:03:48Z")),
        "valid_from",
    );
    assert!(with("valid_from", json!("2016-02-29T20:03:48.5Z")).is_empty());
}

#[test]
fn modified_not_before_created() {
    let e = with("modified", json!("2016-04-06T20:03:47.999Z"));
    one_on(&e, "modified");
    assert!(with("modified", json!("2016-04-06T20:03:48.000Z")).is_empty());
}

#[test]
fn valid_until_after_valid_from() {
    one_on(
        &with("valid_until", json!("2016-01-01T00:00:00Z")),
        "valid_until",
    );
    one_on(
        &with("valid_until", json!("2015-01-01T00:00:00Z")),
        "valid_until",
    );
    assert!(with("valid_until", json!("2016-01-01T00:00:00.001Z")).is_empty());
}

#[test]
fn created_by_ref_is_an_identity() {
    one_on(&with("created_by_ref", json!(MALWARE)), "created_by_ref");
    assert!(with("created_by_ref", json!(IDENTITY)).is_empty());
}

#[test]
fn object_marking_refs_are_marking_definitions() {
    one_on(
        &with("object_marking_refs", json!([IDENTITY])),
        "object_marking_refs[0]",
    );
    assert!(with("object_marking_refs", json!([TLP2_RED])).is_empty());
}

#[test]
fn granular_marking_selectors_resolve() {
    let e = with(
        "granular_markings",
        json!([{"marking_ref": STATEMENT, "selectors": ["name", "nope"]}]),
    );
    one_on(&e, "granular_markings[0].selectors[1]");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        with(
            "granular_markings",
            json!([{"marking_ref": STATEMENT, "selectors": ["indicator_types.[0]"]}])
        )
        .is_empty()
    );
    one_on(
        &with(
            "granular_markings",
            json!([{"marking_ref": STATEMENT, "lang": "en", "selectors": ["name"]}]),
        ),
        "granular_markings[0]",
    );
}

#[test]
fn confidence_range() {
    one_on(&with("confidence", json!(101)), "confidence");
    one_on(&with("confidence", json!(-1)), "confidence");
    one_on(&with("confidence", json!(50.5)), "confidence");
    assert!(with("confidence", json!(0)).is_empty());
    assert!(with("confidence", json!(100)).is_empty());
}

#[test]
fn lang_is_a_language_tag() {
    one_on(&with("lang", json!("not a language")), "lang");
    assert!(with("lang", json!("en-GB")).is_empty());
}

#[test]
fn external_references() {
    one_on(
        &with("external_references", json!([{"url": "https://x.invalid"}])),
        "external_references[0].source_name",
    );
    one_on(
        &with("external_references", json!([{"source_name": "x"}])),
        "external_references[0]",
    );
    one_on(
        &with(
            "external_references",
            json!([{"source_name": "cve", "external_id": "2020-1"}]),
        ),
        "external_references[0].external_id",
    );
    assert!(
        with(
            "external_references",
            json!([{"source_name": "cve", "external_id": "CVE-2021-44228"}])
        )
        .is_empty()
    );
}

#[test]
fn empty_lists_are_refused() {
    one_on(&with("labels", json!([])), "labels");
}

#[test]
fn property_names() {
    one_on(&with("Name", json!("x")), "Name");
    one_on(&with("ab", json!("x")), "ab");
}

#[test]
fn custom_properties_without_x_are_warnings() {
    let mut o = indicator();
    o["northland_case"] = json!("7");
    let r = validate_bundle(&bundle(vec![o]));
    assert!(r.is_valid());
    assert_eq!(r.warnings[0].path, "northland_case");
    let mut o = indicator();
    o["x_northland_case"] = json!("7");
    assert!(validate_bundle(&bundle(vec![o])).warnings.is_empty());
}

#[test]
fn open_vocabularies_are_warnings() {
    let mut o = indicator();
    o["indicator_types"] = json!(["northland-special"]);
    let r = validate_bundle(&bundle(vec![o]));
    assert!(r.is_valid());
    assert_eq!(r.warnings[0].path, "indicator_types");
}

#[test]
fn sdo_ids_should_be_uuid_v4() {
    let mut o = indicator();
    o["id"] = json!("indicator--8e2e2d2b-17d4-1cbf-938f-98ee46b3cd3f");
    let r = validate_bundle(&bundle(vec![o]));
    assert!(r.is_valid());
    assert_eq!(r.warnings[0].path, "id");
}

#[test]
fn patterns_are_parsed_only_for_stix() {
    one_on(&with("pattern", json!("[file:name = ")), "pattern");
    let mut o = indicator();
    o["pattern_type"] = json!("snort");
    o["pattern"] = json!("alert tcp any any -> any 80");
    assert!(errors_of(o).is_empty());
}

#[test]
fn relationship_references() {
    let rel = |src: &str, tgt: &str| {
        json!({"type": "relationship", "spec_version": "2.1",
        "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
        "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
        "relationship_type": "indicates", "source_ref": src, "target_ref": tgt})
    };
    assert!(errors_of(rel(IND, MALWARE)).is_empty());
    one_on(&errors_of(rel(STATEMENT, MALWARE)), "source_ref");
    one_on(
        &errors_of(rel(
            IND,
            "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
        )),
        "target_ref",
    );
}

#[test]
fn sighting_references() {
    let s = json!({"type": "sighting", "spec_version": "2.1",
        "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
        "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
        "sighting_of_ref": IND, "where_sighted_refs": [IDENTITY],
        "observed_data_refs": [MALWARE]});
    let e = errors_of(s);
    assert_eq!(e.len(), 1, "{e:?}");
    one_on(&e, "observed_data_refs[0]");
}

#[test]
fn tlp_markings_by_fixed_ids() {
    let tlp2 = |id: &str, level: &str| {
        json!({"type": "marking-definition", "spec_version": "2.1", "id": id,
        "created": "2022-10-01T00:00:00.000Z", "name": format!("TLP:{}", level.to_uppercase()),
        "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":
            {"extension_type": "property-extension", "tlp_2_0": level}}})
    };
    assert!(errors_of(tlp2(TLP2_RED, "red")).is_empty());
    one_on(
        &errors_of(tlp2(TLP2_RED, "clear")),
        "extensions.extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d.tlp_2_0",
    );
    one_on(&errors_of(tlp2(STATEMENT, "red")), "id");
    let tlp1 = json!({"type": "marking-definition", "spec_version": "2.1",
        "id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        "created": "2017-01-20T00:00:00.000Z", "name": "TLP:WHITE",
        "definition_type": "tlp", "definition": {"tlp": "red"}});
    one_on(&errors_of(tlp1), "definition.tlp");
    assert_eq!(hotline_stix::tlp_of(TLP2_RED), Some(hotline_stix::Tlp::Red));
}

#[test]
fn statement_marking() {
    let m = |def: Value| {
        json!({"type": "marking-definition", "spec_version": "2.1", "id": STATEMENT,
        "created": "2022-10-01T00:00:00.000Z", "definition_type": "statement", "definition": def})
    };
    assert!(errors_of(m(json!({"statement": "Copyright Northland"}))).is_empty());
    one_on(&errors_of(m(json!({"text": "x"}))), "definition.statement");
}

#[test]
fn sco_rules() {
    let file = json!({"type": "file", "id": "file--b2e1c4f3-7a55-5c4e-9b7a-2d8f0a3e6c11"});
    one_on(&errors_of(file), "");
    let file = json!({"type": "file", "spec_version": "2.1",
        "id": "file--b2e1c4f3-7a55-5c4e-9b7a-2d8f0a3e6c11", "hashes": {"MD5": "xyz"}});
    one_on(&errors_of(file), "hashes.MD5");
    let process = json!({"type": "process", "id": "process--7bc30cad-ebc2-4579-881e-b9e6e6e8a45d"});
    let e = errors_of(process);
    one_on(&e, "");
    assert_eq!(e.len(), 1, "{e:?}");
    let process =
        json!({"type": "process", "id": "process--7bc30cad-ebc2-1579-881e-b9e6e6e8a45d", "pid": 4});
    one_on(&errors_of(process), "id");
    let nt = json!({"type": "network-traffic", "id": "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d",
        "protocols": ["tcp"], "src_ref": MALWARE});
    one_on(&errors_of(nt), "src_ref");
}

#[test]
fn bundle_envelope() {
    let r = validate_bundle(b"{\"type\": \"bundle\"}");
    assert_eq!(r.errors[0].path, "id");
    let r = validate_bundle(b"[1]");
    assert!(!r.is_valid());
    let r = validate_bundle(
        b"{\"type\": \"bundle\", \"id\": \"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\"} x",
    );
    assert!(
        r.errors[0].message.starts_with("not JSON"),
        "{:?}",
        r.errors
    );
    let r = validate_bundle(
        br#"{"type": "bundle", "id": "report--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [1]}"#,
    );
    assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
}

#[test]
fn defined_properties_have_their_json_types() {
    one_on(&with("name", json!(5)), "name");
    one_on(
        &with("indicator_types", json!("malicious-activity")),
        "indicator_types",
    );
    one_on(&with("revoked", json!("false")), "revoked");
    assert!(with("revoked", json!(false)).is_empty());
    let nt = json!({"type": "network-traffic", "id": "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d",
        "protocols": ["tcp"], "dst_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "dst_port": "443"});
    one_on(&errors_of(nt), "dst_port");
}

#[test]
fn kill_chain_phases() {
    let kc = |v: Value| with("kill_chain_phases", v);
    assert!(kc(json!([{"kill_chain_name": "mitre-attack", "phase_name": "execution"}])).is_empty());
    one_on(
        &kc(json!([{"kill_chain_name": "mitre-attack"}])),
        "kill_chain_phases[0].phase_name",
    );
    one_on(
        &kc(json!({"kill_chain_name": "x", "phase_name": "y"})),
        "kill_chain_phases",
    );
    let mut o = indicator();
    o["kill_chain_phases"] =
        json!([{"kill_chain_name": "Mitre ATT&CK", "phase_name": "execution"}]);
    let r = validate_bundle(&bundle(vec![o]));
    assert!(r.is_valid());
    assert_eq!(r.warnings[0].path, "kill_chain_phases[0].kill_chain_name");
}

#[test]
fn ports_and_sizes_in_range() {
    let nt = |port: Value| {
        errors_of(json!({"type": "network-traffic",
            "id": "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d", "protocols": ["tcp"],
            "dst_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "dst_port": port}))
    };
    assert!(nt(json!(65535)).is_empty());
    one_on(&nt(json!(65536)), "dst_port");
    one_on(&nt(json!(-1)), "dst_port");
}

#[test]
fn sighting_of_ref_is_an_sdo() {
    let s = |r: &str| {
        errors_of(json!({"type": "sighting", "spec_version": "2.1",
            "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
            "sighting_of_ref": r}))
    };
    assert!(s(MALWARE).is_empty());
    one_on(
        &s("file--b2e1c4f3-7a55-5c4e-9b7a-2d8f0a3e6c11"),
        "sighting_of_ref",
    );
    one_on(&s(STATEMENT), "sighting_of_ref");
}

#[test]
fn active_traffic_has_no_end() {
    let nt = |active: bool| {
        errors_of(json!({"type": "network-traffic",
            "id": "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d", "protocols": ["tcp"],
            "dst_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
            "start": "2016-04-06T20:03:48Z", "end": "2016-04-06T20:04:48Z", "is_active": active}))
    };
    assert!(nt(false).is_empty());
    one_on(&nt(true), "end");
}

#[test]
fn custom_objects() {
    let sco_like = json!({"type": "x-northland-sensor",
        "id": "x-northland-sensor--7bc30cad-ebc2-4579-881e-b9e6e6e8a45d", "value": "s7"});
    assert!(errors_of(sco_like).is_empty());
    let half = json!({"type": "x-northland-case", "spec_version": "2.1",
        "id": "x-northland-case--7bc30cad-ebc2-4579-881e-b9e6e6e8a45d",
        "modified": "2016-04-06T20:03:48.000Z"});
    one_on(&errors_of(half), "created");
    let wrong_id = json!({"type": "x-northland-sensor", "id": MALWARE});
    one_on(&errors_of(wrong_id), "id");
}

/// The indicators `hotline demo` attaches (crates/cli/src/cmd_demo.rs), so
/// that wiring validation in does not break the demo.
#[test]
fn the_demo_bundle_is_valid() {
    let demo = br#"{
  "type": "bundle",
  "id": "bundle--6f0e8a3c-2b9e-4f43-9c55-1f7d7f3b2c11",
  "objects": [
    {
      "type": "indicator", "spec_version": "2.1",
      "id": "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade",
      "created": "2026-11-20T08:00:00.000Z", "modified": "2026-11-20T08:00:00.000Z",
      "name": "C2 server contacted from university research networks",
      "pattern": "[ipv4-addr:value = '198.51.100.23']", "pattern_type": "stix",
      "valid_from": "2026-11-20T08:00:00Z", "indicator_types": ["malicious-activity"]
    },
    {
      "type": "indicator", "spec_version": "2.1",
      "id": "indicator--1e9a7b3e-55a4-4f2a-8d8e-7b6b1c0f9d21",
      "created": "2026-11-20T08:00:00.000Z", "modified": "2026-11-20T08:00:00.000Z",
      "name": "Phishing domain used against research staff",
      "pattern": "[domain-name:value = 'grants-portal.example']", "pattern_type": "stix",
      "valid_from": "2026-11-20T08:00:00Z", "indicator_types": ["malicious-activity"]
    }
  ]
}"#;
    let r = validate_bundle(demo);
    assert!(r.is_valid(), "{:?}", r.errors);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}
