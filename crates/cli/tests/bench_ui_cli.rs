//! `hotline bench ui` with the real binary, on a small archive: it makes
//! the archive by a real sync, serves the UI's router, requests every page
//! and prints its figures. A benchmark is not a timed test: this checks
//! what it prints (every page, its percentiles, the baseline, the load),
//! not how fast.

use std::process::Command;

#[test]
fn bench_ui_requests_every_page_and_prints_the_fields() {
    let o = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args([
            "bench",
            "ui",
            "--cases",
            "50",
            "--messages",
            "300",
            "--runs",
            "3",
            "--json",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {out}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["cases"], 50, "{out}");
    assert_eq!(v["messages"], 300, "{out}");
    assert_eq!(v["runs"], 3, "{out}");
    assert_eq!(v["target_ms"], 50.0, "{out}");
    for k in [
        "fill_seconds",
        "baseline_ms",
        "first_request_ms",
        "after_change_ms",
    ] {
        assert!(v[k].as_f64().is_some_and(|x| x > 0.0), "{k}: {out}");
    }
    for k in ["before", "after"] {
        assert!(v["load_average"][k].is_string(), "{out}");
    }
    let pages = v["pages"].as_array().unwrap();
    let names: Vec<&str> = pages.iter().map(|p| p["page"].as_str().unwrap()).collect();
    for want in [
        "inbox",
        "inbox, filtered",
        "inbox fragment",
        "case, largest",
        "case, median",
        "case, smallest",
        "inbox, every row",
    ] {
        assert!(names.contains(&want), "{want}: {out}");
    }
    for p in pages {
        for k in ["p50_ms", "p95_ms", "p99_ms", "max_ms", "p99_to_baseline"] {
            assert!(p[k].as_f64().is_some_and(|x| x > 0.0), "{k}: {p}");
        }
        assert!(p["p50_ms"].as_f64() <= p["p99_ms"].as_f64(), "{p}");
        assert!(p["p99_ms"].as_f64() <= p["max_ms"].as_f64(), "{p}");
        assert!(p["bytes"].as_u64().is_some_and(|b| b > 500), "{p}");
        assert!(p["under_target"].is_boolean(), "{p}");
    }
    // The case pages are of several sizes, the largest first.
    let sizes: Vec<u64> = v["case_sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    assert_eq!(sizes.len(), 4, "{out}");
    assert!(sizes[0] > sizes[3] && sizes[3] >= 1, "{sizes:?}");
    assert!(sizes.iter().sum::<u64>() <= 300, "{sizes:?}");
}
