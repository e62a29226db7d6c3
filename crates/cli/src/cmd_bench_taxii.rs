//! `hotline bench taxii`: how fast the TAXII 2.1 server (`crates/taxii`)
//! pages through a large collection.
//!
//! For each N it builds, in a temporary folder, an archive whose stored
//! messages (from another party, so in `received`) carry STIX bundles of
//! N indicators in all, stored with the archive's own
//! [`Archive::put_message`] (no relay, no sync: it measures the server, not
//! sync), indexes them ([`Archive::index_stix`], timed), serves the archive
//! with the `crates/taxii` router on 127.0.0.1 in this process, and pages
//! through the whole `received` collection with a plain HTTP client (`limit`
//! 1000, following `next`), timing every page. With `--medallion SCRIPT` the
//! anchor is measured in the same run: the Python script
//! (`tests/interop/taxii/bench_medallion.py`) loads the same objects of the
//! smallest N into OASIS's medallion (memory backend) and pages both it and
//! this server with OASIS's `taxii2-client`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use hotline_client::archive::{Archive, ChannelRecord};
use hotline_core::commitment::{Part, PartKind, encode_parts};
use hotline_core::ids::{ChannelId, MessageId};
use hotline_core::keys::KeyId;
use hotline_core::message::{InnerHeader, Kind, Tlp};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::cmd_bench::bar;
use crate::cmd_bench_sync::load_average;
use crate::{Outcome, out};

/// The user name and password of the benchmark's server.
const USER: &str = "bench";
const PASSWORD: &str = "bench password";
/// Our party (no message is ours: everything is in `received`).
const OURS: &str = "0000000000000000000000000000000000000000000000000000000000000001";
/// The other party, author of every message.
const THEIRS: &str = "0000000000000000000000000000000000000000000000000000000000000002";

#[derive(Debug, clap::Args)]
pub struct TaxiiArgs {
    /// Sizes of the collection to page through (objects), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [2_000usize, 100_000, 1_000_000])]
    objects: Vec<usize>,
    /// Indicators per stored message (one STIX bundle each).
    #[arg(long, default_value_t = 1000)]
    per_message: usize,
    /// Also measure the anchor with this script (tests/interop/taxii/bench_medallion.py, run
    /// with python3): OASIS's medallion and this server, both paged with OASIS's
    /// taxii2-client, on the objects of the smallest N.
    #[arg(long, value_name = "SCRIPT")]
    medallion: Option<PathBuf>,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// One indicator, `i` making its id and pattern unique.
fn indicator(i: usize) -> String {
    let ip = format!("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{:08x}-0000-4000-8000-{:012x}","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-01T00:00:00.000Z","name":"bench indicator {i}","pattern":"[ipv4-addr:value = '{ip}']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z","indicator_types":["malicious-activity"]}}"#,
        i >> 48,
        i & 0xffff_ffff_ffff
    )
}

/// A bundle of the indicators `from..to`.
fn bundle(from: usize, to: usize) -> String {
    let objs: Vec<String> = (from..to).map(indicator).collect();
    format!(
        r#"{{"type":"bundle","id":"bundle--{:08x}-0000-4000-8000-000000000000","objects":[{}]}}"#,
        from,
        objs.join(",")
    )
}

fn header(ch: ChannelId, theirs: KeyId, ours: KeyId, i: usize) -> InnerHeader {
    let id = MessageId::random(&mut rand_core::OsRng);
    InnerHeader {
        v: 1,
        channel: ch,
        id,
        case: id,
        kind: Kind::Inquiry,
        author: theirs,
        party: theirs,
        created: "2026-11-23T00:00:00Z".into(),
        to: vec![ours],
        refs: vec![],
        title: format!("bench evidence {i}"),
        tlp: Tlp::Green,
        norm: None,
        lang: "en".into(),
        other_langs: vec![],
        authentic: vec![],
        attachments: vec![],
        stix: true,
        nonce: format!("{i:032x}"),
    }
}

/// An archive of `n` indicators in messages of `per` each; returns the
/// seconds it took to store them.
fn fill(
    dir: &Path,
    ch: ChannelId,
    n: usize,
    per: usize,
    quiet: bool,
) -> anyhow::Result<(Archive, f64)> {
    let archive = Archive::open(dir)?;
    archive.add_channel(&ChannelRecord {
        id: ch,
        origin: format!("bench/{}", ch.to_hex()),
        relay_url: "http://127.0.0.1:0".into(),
        relay_vkey: String::new(),
        charter: Vec::new(),
    })?;
    let (ours, theirs) = (KeyId::from_hex(OURS)?, KeyId::from_hex(THEIRS)?);
    let pb = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        bar(n as u64, "filling")
    };
    let t = Instant::now();
    let mut at = 0;
    let mut idx = 1u64;
    while at < n {
        let to = (at + per).min(n);
        let parts = encode_parts(&[Part::new(
            PartKind::Stix,
            bundle(at, to).into_bytes(),
            &mut rand_core::OsRng,
        )]);
        let h = header(ch, theirs, ours, at);
        archive.put_message(&ch, idx, &h, "bench evidence", &parts)?;
        pb.inc((to - at) as u64);
        at = to;
        idx += 1;
    }
    pb.finish_and_clear();
    Ok((archive, t.elapsed().as_secs_f64()))
}

/// A TAXII page as the fast client reads it: the objects left unparsed.
#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow, default)]
    objects: Vec<&'a RawValue>,
    #[serde(default)]
    more: bool,
    next: Option<String>,
}

/// Times of the pages of one walk.
struct Walk {
    objects: usize,
    secs: f64,
    pages: Vec<Duration>,
    /// The first page fetched once more after the walk.
    first_again: Duration,
}

/// Pages through `received` of `ch` at `base`, `limit` 1000, following `next`.
fn walk(base: &str, ch: ChannelId) -> anyhow::Result<Walk> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    let url = format!(
        "{base}/{}/collections/received/objects/?limit=1000",
        ch.to_hex()
    );
    let get = |u: &str| -> anyhow::Result<Vec<u8>> {
        let mut r = agent
            .get(u)
            .header("Authorization", &auth)
            .header("Accept", hotline_taxii::TAXII_MEDIA_TYPE)
            .call()
            .with_context(|| format!("GET {u}"))?;
        let status = r.status();
        let body = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .with_context(|| format!("reading {u}"))?;
        if !status.is_success() {
            bail!("GET {u}: {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(body)
    };
    let mut next: Option<String> = None;
    let mut pages = Vec::new();
    let mut objects = 0;
    let t = Instant::now();
    loop {
        let u = match &next {
            Some(n) => format!("{url}&next={n}"),
            None => url.clone(),
        };
        let p0 = Instant::now();
        let body = get(&u)?;
        let page: Page<'_> =
            serde_json::from_slice(&body).with_context(|| format!("the page of {u}"))?;
        pages.push(p0.elapsed());
        objects += page.objects.len();
        match (page.more, page.next) {
            (true, Some(n)) => next = Some(n),
            (true, None) => bail!("{u}: more, but no next"),
            (false, _) => break,
        }
    }
    let secs = t.elapsed().as_secs_f64();
    // The first page again, now that the connection and the server's
    // statements are warm: against the last page, the cost of position.
    let p0 = Instant::now();
    let body = get(&url)?;
    let page: Page<'_> = serde_json::from_slice(&body).context("the first page again")?;
    anyhow::ensure!(!page.objects.is_empty(), "the first page again is empty");
    let first_again = p0.elapsed();
    Ok(Walk {
        objects,
        secs,
        pages,
        first_again,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The median of page times, in ms.
fn median_ms(pages: &[Duration]) -> f64 {
    let mut v: Vec<Duration> = pages.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().map(ms).unwrap_or(0.0)
}

/// The figures of one N.
struct Run {
    n: usize,
    fill_secs: f64,
    index_secs: f64,
    walk: Walk,
    medallion: Option<serde_json::Value>,
    load_before: String,
    load_after: String,
}

/// Runs `script` against the server at `base` on `bundle_file`; its last line
/// of output is JSON.
fn medallion(
    script: &Path,
    base: &str,
    ch: ChannelId,
    bundle_file: &Path,
) -> anyhow::Result<serde_json::Value> {
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(base)
        .arg(USER)
        .arg(PASSWORD)
        .arg(ch.to_hex())
        .arg(bundle_file)
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("running python3 {}", script.display()))?;
    if !out.status.success() {
        bail!("python3 {} failed: {}", script.display(), out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("the last line of the script: {last:?}"))
}

fn one(a: &TaxiiArgs, n: usize, with_medallion: bool) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let ch = ChannelId::from_hex(&"ab".repeat(16))?;
    let load_before = load_average();
    let (archive, fill_secs) = fill(dir.path(), ch, n, a.per_message, a.json)?;
    let t = Instant::now();
    let indexed = archive.index_stix(&ch, &KeyId::from_hex(OURS)?)?;
    let index_secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(indexed == n, "indexed {indexed} objects of {n}");
    let archive = std::sync::Arc::new(archive);

    let rt = tokio::runtime::Runtime::new()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let base = format!("http://{}", listener.local_addr()?);
    let cfg = hotline_taxii::Config::new(USER, PASSWORD, KeyId::from_hex(OURS)?, base.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(hotline_taxii::serve(
        hotline_taxii::router(archive, cfg),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let walked = walk(&base, ch);
    let anchor = match (
        &walked,
        with_medallion.then_some(a.medallion.as_ref()).flatten(),
    ) {
        (Ok(_), Some(script)) => {
            let file = dir.path().join("bundle.json");
            std::fs::write(&file, bundle(0, n))?;
            Some(medallion(script, &base, ch, &file))
        }
        _ => None,
    };
    let _ = stop.send(());
    let _ = rt.block_on(server);
    let walk = walked?;
    anyhow::ensure!(walk.objects == n, "paged {} objects of {n}", walk.objects);
    Ok(Run {
        n,
        fill_secs,
        index_secs,
        walk,
        medallion: anchor.transpose()?,
        load_before,
        load_after: load_average(),
    })
}

/// `hotline bench taxii`.
pub fn taxii_bench(a: &TaxiiArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(!a.objects.is_empty(), "--objects needs at least one size");
    anyhow::ensure!(
        a.objects.iter().all(|n| *n >= 1),
        "every --objects size must be at least 1"
    );
    anyhow::ensure!(
        (1..=100_000).contains(&a.per_message),
        "--per-message must be 1 to 100000"
    );
    let smallest = a.objects.iter().copied().min().unwrap_or(0);
    let mut anchored = false;
    let mut report = Vec::new();
    for &n in &a.objects {
        let with_medallion = a.medallion.is_some() && n == smallest && !anchored;
        anchored |= with_medallion;
        let r = one(a, n, with_medallion)?;
        let w = &r.walk;
        let rate = w.objects as f64 / w.secs.max(1e-9);
        let first = w.pages.first().copied().map(ms).unwrap_or(0.0);
        let last = w.pages.last().copied().map(ms).unwrap_or(0.0);
        let max = w.pages.iter().copied().max().map(ms).unwrap_or(0.0);
        let median = median_ms(&w.pages);
        let again = ms(w.first_again);
        let hot = r
            .medallion
            .as_ref()
            .and_then(|m| m["hotline_objects_per_s"].as_f64());
        let med = r
            .medallion
            .as_ref()
            .and_then(|m| m["medallion_objects_per_s"].as_f64());
        if a.json {
            report.push(serde_json::json!({
                "objects": w.objects,
                "fill_seconds": r.fill_secs,
                "index_seconds": r.index_secs,
                "walk_seconds": w.secs,
                "objects_per_s": rate,
                "pages": w.pages.len(),
                "page_ms": { "first": first, "last": last, "median": median, "max": max, "first_again": again },
                "medallion": r.medallion,
                "load_average": { "before": r.load_before, "after": r.load_after },
            }));
            continue;
        }
        out!(
            "taxii: {} objects in {:.3} s = {:.0} objects/s",
            w.objects,
            w.secs,
            rate
        );
        out!(
            "  {} pages of up to 1000: first {first:.1} ms, last {last:.1} ms, median {median:.1} ms, max {max:.1} ms; the first again {again:.1} ms",
            w.pages.len()
        );
        out!(
            "  filled in {:.2} s ({} messages), indexed in {:.2} s = {:.0} objects/s",
            r.fill_secs,
            r.n.div_ceil(a.per_message),
            r.index_secs,
            r.n as f64 / r.index_secs.max(1e-9)
        );
        if let (Some(h), Some(m)) = (hot, med) {
            out!(
                "  taxii2-client, same {} objects: medallion {m:.0} objects/s, hotline {h:.0} objects/s = {:.0}x medallion",
                r.n,
                h / m.max(1e-9)
            );
        }
        out!(
            "  load average (1, 5, 15 min): {} before, {} after",
            r.load_before,
            r.load_after
        );
    }
    if a.json {
        out!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(Outcome::Ok)
}
