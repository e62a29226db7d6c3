//! `hotline bench taxii` with the real binary, on a small collection: it
//! fills an archive, serves it and pages through it, and prints its figures.
//! A benchmark is not a timed test: this checks what it prints (every object
//! paged, in pages of at most 1000), not how fast.

use std::process::Command;

fn bench(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["bench", "taxii"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn bench_taxii_pages_every_object_and_prints_its_line() {
    let out = bench(&["--objects", "50"]);
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("taxii: 50 objects in ") && first.ends_with(" objects/s"),
        "{out}"
    );
    assert!(out.contains("1 pages of up to 1000: first "), "{out}");

    // Several pages, messages of 7 objects: 2,500 objects are 3 pages.
    let out = bench(&["--objects", "2500", "--per-message", "7", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["objects"], 2500, "{out}");
    assert_eq!(v[0]["pages"], 3, "{out}");
}
