//! `hotline demo`: a relay and a witness on loopback, two fictional CERTs,
//! and a realistic exchange between them, printed as it happens. Then,
//! unless `--no-ui`, it serves Southland's web UI over the demo's cases
//! (`cmd_ui::serve`, with the relay and the witness still running) until
//! Ctrl-C. Everything is left in the demo folder for the CLI to be tried on
//! afterwards.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, bail};
use hotline_client::archive::{Archive, ChannelRecord};
use hotline_client::cases;
use hotline_client::compose::{Attachment, Draft, confirm, send};
use hotline_client::profile::{KdfStrength, NewProfile, Passphrase, Profile};
use hotline_client::relay_client::RelayClient;
use hotline_client::sync::sync_channel;
use hotline_core::charter::{VerifiedCharter, WitnessInfo};
use hotline_core::ids::MessageId;
use hotline_core::keys::{KeyId, MemberKeys, SigningKey};
use hotline_core::message::{Kind, Norm, Tlp};

use crate::{Outcome, out};

/// The passphrase of every key the demo creates (documented; a demo only).
pub const DEMO_PASSPHRASE: &str = "hotline demo passphrase";

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to put everything (must not exist, or be empty).
    #[arg(long, default_value = "hotline-demo")]
    dir: PathBuf,
    /// Stop when the exchange is done, instead of serving Southland's web UI
    /// over it (with the relay and the witness running) until Ctrl-C.
    #[arg(long)]
    no_ui: bool,
    /// Serve the UI without opening a browser (only print its address).
    #[arg(long)]
    no_open: bool,
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

fn hotline() -> anyhow::Result<Command> {
    let mut c = Command::new(std::env::current_exe().context("finding the hotline binary")?);
    c.env("HOTLINE_PASSPHRASE", DEMO_PASSPHRASE)
        .env("HOTLINE_LOG", "warn");
    Ok(c)
}

fn run(args: &[&str], data: &Path) -> anyhow::Result<String> {
    let o = hotline()?.args(args).arg("--data").arg(data).output()?;
    if !o.status.success() {
        bail!(
            "hotline {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

fn spawn(args: &[String], prefix: &str) -> anyhow::Result<(Proc, Vec<String>)> {
    let mut child = hotline()?
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting hotline {}", args.join(" ")))?;
    let stdout = child.stdout.take().context("stdout")?;
    let proc = Proc(child);
    let mut r = BufReader::new(stdout);
    let mut lines = Vec::new();
    let mut line = String::new();
    r.read_line(&mut line)?;
    if !line.starts_with(prefix) {
        bail!("hotline {} did not start: {line:?}", args.join(" "));
    }
    lines.push(line.trim().to_owned());
    if prefix.starts_with("relay") {
        line.clear();
        r.read_line(&mut line)?;
        lines.push(line.trim().to_owned());
    }
    Ok((proc, lines))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

struct Party {
    name: &'static str,
    profile: Profile,
    key: SigningKey,
    me: MemberKeys,
    archive: Archive,
}

const INDICATORS: &str = r#"{
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

impl Party {
    fn post(&self, ch: &ChannelRecord, d: Draft) -> anyhow::Result<(u64, MessageId)> {
        let relay = RelayClient::new(&ch.relay_url, self.me.signing.clone())?;
        sync_channel(&self.archive, &relay, &ch.id, &self.me, &|_, _| {})?;
        Ok(send(&self.archive, &relay, &ch.id, &self.me, &d)?)
    }

    fn sync(&self, ch: &ChannelRecord) -> anyhow::Result<u64> {
        let relay = RelayClient::new(&ch.relay_url, self.me.signing.clone())?;
        Ok(sync_channel(&self.archive, &relay, &ch.id, &self.me, &|_, _| {})?.opened)
    }
}

fn draft(kind: Kind, to: KeyId, title: &str, body: &str, case: Option<MessageId>) -> Draft {
    Draft {
        case,
        refs: case.into_iter().collect(),
        ..Draft::new(kind, vec![to], title, body)
    }
}

pub fn run_demo(a: &DemoArgs) -> anyhow::Result<Outcome> {
    let dir = &a.dir;
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "{} exists and is not empty: pass another --dir, or remove it",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    let pass = Passphrase::new(DEMO_PASSPHRASE.into());
    out!("Hotline demo in {}", dir.display());
    out!("(every key is encrypted with the demo passphrase {DEMO_PASSPHRASE:?})");

    // The witness and the relay.
    let wdir = dir.join("witness");
    run(
        &["witness", "init", "--name", "witness.demo.hotline/w1"],
        &wdir,
    )?;
    let wvkey = run(&["witness", "key"], &wdir)?;
    let wport = free_port()?;

    // Two CERTs.
    let kdf = KdfStrength::from_env();
    let mut parties = Vec::new();
    for (name, short, member) in [
        (
            "Northland CERT",
            "northland",
            "Duty officer, Northland CERT",
        ),
        ("Southland CERT", "southland", "Watch desk, Southland CERT"),
    ] {
        let pdir = dir.join(short);
        let profile = Profile::create(
            &pdir,
            &NewProfile {
                party: Some((name.into(), short.into())),
                member: Some(member.into()),
            },
            &pass,
            kdf,
        )?;
        let key = profile.unlock_party(&pass)?;
        let me = profile.unlock_member(&pass)?;
        let archive = Archive::open(&pdir)?;
        out!("1. Created {name} ({short}) in {}", pdir.display());
        parties.push(Party {
            name: short,
            profile,
            key,
            me,
            archive,
        });
    }
    let rport = free_port()?;
    let rdir = dir.join("relay");
    let (relay_proc, lines) = spawn(
        &[
            "relay".into(),
            "serve".into(),
            "--data".into(),
            rdir.display().to_string(),
            "--listen".into(),
            format!("127.0.0.1:{rport}"),
            "--name".into(),
            "relay.demo.hotline".into(),
            // The relay creates channels only for the parties it admits.
            "--admit".into(),
            parties[0].key.key_id().to_hex(),
            "--admit".into(),
            parties[1].key.key_id().to_hex(),
            // And contacts only the witness its operator allows.
            "--allow-witness".into(),
            format!("http://127.0.0.1:{wport}"),
        ],
        "relay listening on ",
    )?;
    let url = lines[0]
        .trim_start_matches("relay listening on ")
        .to_owned();
    let vkey = lines[1].trim_start_matches("relay key ").to_owned();
    out!(
        "\n2. Relay listening on {url}\n   key {vkey}\n   it creates channels for the two parties it admits, and no others,\n   and contacts only the witness it allows"
    );
    let (north, south) = (&parties[0], &parties[1]);
    let (n_id, s_id) = (north.key.key_id(), south.key.key_id());

    // The charter, signed by both, naming the relay and the witness.
    let infos: Vec<_> = parties
        .iter()
        .map(|p| p.profile.info().party.clone().context("party info"))
        .collect::<anyhow::Result<_>>()?;
    let mut doc = hotline_client::channel::draft(
        "Northland–Southland cyber hotline",
        &infos,
        &url,
        &vkey,
        vec![WitnessInfo {
            key: wvkey.clone(),
            url: format!("http://127.0.0.1:{wport}"),
        }],
        1,
        hotline_core::charter::Suite::DEFAULT,
        &mut rand_core::OsRng,
    )?;
    for p in &parties {
        doc.sign(&p.key);
    }
    std::fs::write(dir.join("charter.json"), doc.to_json())?;
    let v = VerifiedCharter::verify(&doc)?;
    let ch = v.channel();
    let origin = format!("relay.demo.hotline/{}", ch.to_hex());
    out!(
        "3. Both parties signed the charter of channel {} ({}/charter.json)\n   cipher suite {} ({})",
        ch.to_hex(),
        dir.display(),
        v.suite(),
        match v.suite() {
            hotline_core::charter::Suite::XWing =>
                "post-quantum hybrid: X-Wing, X25519 with ML-KEM-768",
            hotline_core::charter::Suite::V1 => "X25519",
        }
    );

    run(
        &["witness", "add-log", "--origin", &origin, "--key", &vkey],
        &wdir,
    )?;
    let (witness_proc, _) = spawn(
        &[
            "witness".into(),
            "serve".into(),
            "--data".into(),
            wdir.display().to_string(),
            "--listen".into(),
            format!("127.0.0.1:{wport}"),
        ],
        "witness listening on ",
    )?;
    out!("4. Witness listening on http://127.0.0.1:{wport}, following {origin}\n   key {wvkey}");

    RelayClient::new(&url, north.key.clone())?.create_channel(&doc)?;
    let rec = ChannelRecord {
        id: ch,
        origin: origin.clone(),
        relay_url: url.clone(),
        relay_vkey: vkey.clone(),
        charter: doc.to_json(),
    };
    for p in &parties {
        p.archive.add_channel(&rec)?;
        let name = p.profile.info().member.clone().context("member info")?.name;
        let members = vec![hotline_core::roster::RosterMember::for_suite(
            v.charter().cipher_suite()?,
            &ch,
            &p.key.key_id(),
            &name,
            &p.me,
        )?];
        let r = hotline_client::channel::next_roster(&p.archive, &ch, &p.key.key_id(), &members)?;
        let mut rd = r.to_document()?;
        rd.sign(&p.key);
        let acc = RelayClient::new(&url, p.key.clone())?.post_roster(&ch, &rd)?;
        let leaf =
            hotline_log::merkle::leaf_hash(&hotline_core::entry::Entry::Roster(rd).to_bytes()?);
        let relay = RelayClient::new(&url, p.me.signing.clone())?;
        confirm(&p.archive, &relay, &ch, &p.me, acc.index, &leaf)?;
    }
    out!("5. Channel registered on the relay; each party published its roster");

    // The exchange.
    let mut inquiry = draft(
        Kind::Inquiry,
        s_id,
        "Intrusions into university research networks",
        "Since 18 November we observe intrusions into the research networks of three Northland \
         universities. The attackers phish research staff with a fake grants portal and then \
         contact a command-and-control server. Both are hosted in Southland address space. We ask \
         for your assistance in identifying the operators and in taking the infrastructure down. \
         Indicators are attached as a STIX 2.1 bundle; a proxy log excerpt as evidence.",
        None,
    );
    inquiry.stix = Some(INDICATORS.as_bytes().to_vec());
    inquiry.norm = Some(Norm::H);
    inquiry.tlp = Some(Tlp::AmberStrict);
    inquiry.attachments = vec![Attachment {
        name: "proxy-excerpt.log".into(),
        media_type: "text/plain".into(),
        bytes: b"2026-11-20T03:12:09Z 10.20.4.17 CONNECT 198.51.100.23:443\n".to_vec(),
    }];
    let (i, case) = north.post(&rec, inquiry)?;
    out!(
        "\n6. northland → southland: INQUIRY {} (entry {i}), norm 13(h), TLP:AMBER+STRICT,\n   with a STIX bundle of 2 indicators and a log excerpt",
        case.to_hex()
    );
    south.sync(&rec)?;
    let (i, _) = south.post(&rec, draft(Kind::Ack, n_id, "Re: intrusions", "Received; we are looking into it. Acknowledgement implies no agreement with the content.", Some(case)))?;
    out!("7. southland → northland: ACK (entry {i}), within the charter's 24-hour deadline");
    let (i, _) = south.post(
        &rec,
        draft(
            Kind::Clarification,
            n_id,
            "Re: intrusions",
            "Please confirm the time window and whether 203.0.113.0/24 was involved.",
            Some(case),
        ),
    )?;
    out!("8. southland → northland: CLARIFICATION request (entry {i})");
    north.sync(&rec)?;
    let (i, _) = north.post(
        &rec,
        draft(
            Kind::Clarification,
            s_id,
            "Re: intrusions",
            "18–21 November; 203.0.113.0/24 was not involved.",
            Some(case),
        ),
    )?;
    out!("9. northland → southland: CLARIFICATION (entry {i})");
    south.sync(&rec)?;
    // The answer in English, the authentic text, with a Russian
    // translation: each its own committed part (docs/client.md).
    let mut answer = draft(Kind::Answer, n_id, "Re: intrusions", "", Some(case));
    answer.set_texts(
        vec![
            ("en".into(), "The C2 server at 198.51.100.23 was a compromised hosting account; it was taken down on 22 November and the provider has preserved logs. The phishing domain is suspended. We found no evidence of State involvement; the investigation continues.".into()),
            ("ru".into(), "Сервер управления по адресу 198.51.100.23 был взломанной учётной записью хостинга; он отключён 22 ноября, провайдер сохранил журналы. Фишинговый домен заблокирован. Признаков причастности государства не обнаружено; расследование продолжается.".into()),
        ],
        &["en".into()],
    )?;
    let (i, _) = south.post(&rec, answer)?;
    out!(
        "10. southland → northland: ANSWER in English (authentic) and Russian (translation) (entry {i})"
    );
    let (i, warning) = south.post(&rec, draft(Kind::Warning, n_id, "Ransomware campaign against hospital networks", "We see a ransomware group scanning hospital VPN gateways in the region; Northland hospitals may be next. Patch the gateways listed in our advisory.", None))?;
    out!(
        "11. southland → northland: WARNING {} (entry {i})",
        warning.to_hex()
    );
    north.sync(&rec)?;
    let (i, _) = north.post(
        &rec,
        draft(
            Kind::Ack,
            s_id,
            "Re: ransomware",
            "Received, thank you; hospitals alerted.",
            Some(warning),
        ),
    )?;
    out!("12. northland → southland: ACK of the warning (entry {i})");
    let mut ping = draft(
        Kind::Ping,
        s_id,
        "Communication check",
        "Please answer with a pong.",
        Some(cases::PING_CASE),
    );
    ping.refs.clear();
    let (i, ping_id) = north.post(&rec, ping)?;
    out!("13. northland → southland: PING (entry {i})");
    south.sync(&rec)?;
    let mut pong = draft(
        Kind::Pong,
        n_id,
        "Communication check answered",
        "Pong.",
        Some(cases::PING_CASE),
    );
    pong.refs = vec![ping_id];
    let (i, _) = south.post(&rec, pong)?;
    out!("14. southland → northland: PONG (entry {i})");
    for p in &parties {
        p.sync(&rec)?;
    }

    // The witness's cosignature on the latest checkpoint.
    let relay = RelayClient::new(&url, north.me.signing.clone())?;
    let wv = hotline_log::cosignature::CosignatureVerifier::from_vkey(&wvkey)?;
    let t = std::time::Instant::now();
    let witnessed = loop {
        let n = hotline_log::note::Note::parse(&relay.checkpoint(&ch)?)?;
        let size = hotline_log::checkpoint::Checkpoint::parse(&n.text)?.size;
        if n.signatures
            .iter()
            .any(|s| matches!(wv.verify(&n.text, s), Ok(Some(_))))
        {
            break Some(size);
        }
        if t.elapsed() > std::time::Duration::from_secs(10) {
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    match witnessed {
        Some(s) => out!(
            "\n15. The witness cosigned the checkpoint of size {s}; both parties cosigned theirs as receipts"
        ),
        None => out!(
            "\n15. The witness has not cosigned the latest checkpoint yet (see `hotline alarms`)"
        ),
    }

    // The report, computed independently on each side.
    let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
    let charter = v.charter();
    let mut reports = Vec::new();
    for p in &parties {
        let (cs, pings) = cases::derive(charter, &p.archive.logged_messages(&ch)?);
        let figures: Vec<_> = charter
            .parties
            .iter()
            .map(|q| {
                (
                    q.short.clone(),
                    cases::responsiveness(&q.id, &cs, &pings, now),
                )
            })
            .collect();
        reports.push(serde_json::to_string(&figures)?);
        if p.name == "northland" {
            out!(
                "\n16. Responsiveness report ({} cases, {} pings), as computed by each party:",
                cs.len(),
                pings.len()
            );
            for (short, r) in &figures {
                out!(
                    "    {short}: received {}, acknowledged on time {}, answered on time {}, open {}, overdue {}, pings answered on time {}/{}",
                    r.received,
                    r.acked_on_time,
                    r.answered_on_time,
                    r.open,
                    r.overdue,
                    r.pongs_on_time,
                    r.pings
                );
            }
        }
    }
    if reports.windows(2).all(|w| w[0] == w[1]) {
        out!("    Both parties computed the same figures from the log.");
    } else {
        bail!("the two parties computed different reports: {reports:?}");
    }
    let alarms: usize = parties
        .iter()
        .map(|p| p.archive.alarms().map(|a| a.len()).unwrap_or(0))
        .sum();
    out!("    Alarms: {alarms}");

    // A consented disclosure of the inquiry, verified offline.
    let request = hotline_client::disclosure::draft_request(
        &north.archive,
        &ch,
        &n_id,
        &[case],
        &["attachment".into()],
        "Joint report to the regional cyber-security forum",
    )?;
    let (i, request_id) = north.post(&rec, request)?;
    out!(
        "\n17. northland → southland: DISCLOSURE REQUEST {} (entry {i}) for the inquiry, its log\n    excerpt to be redacted",
        request_id.to_hex()
    );
    south.sync(&rec)?;
    let found = hotline_client::disclosure::find_request(&south.archive, &ch, &request_id)?;
    let consent =
        hotline_client::disclosure::draft_answer(&south.archive, &ch, &s_id, &found, None)?;
    let (i, _) = south.post(&rec, consent)?;
    out!(
        "18. southland → northland: CONSENT (entry {i}), listing the case's entries as it sees them"
    );
    north.sync(&rec)?;
    let found = hotline_client::disclosure::find_request(&north.archive, &ch, &request_id)?;
    let bundle = hotline_client::disclosure::export(&north.archive, Some(&relay), &ch, &found)?;
    let bytes = serde_json::to_vec_pretty(&bundle)?;
    let bundle_path = dir.join("disclosure.json");
    std::fs::write(&bundle_path, &bytes)?;
    let verdict = hotline_disclosure::verify(&bytes);
    out!(
        "19. northland exported {} ({} entries with inclusion proofs); verified offline: {:?}, {} checks held",
        bundle_path.display(),
        bundle.entries.len(),
        verdict.verdict,
        verdict.checks.iter().filter(|c| c.ok).count()
    );
    if verdict.verdict != hotline_disclosure::Verdict::Valid {
        bail!(
            "the demo's disclosure did not verify: {:?}",
            verdict.checks.iter().filter(|c| !c.ok).collect::<Vec<_>>()
        );
    }

    out!("\nEverything is in {}:", dir.display());
    out!("  northland/, southland/   member profiles (keys, archive.sqlite)");
    out!("  relay/                   the relay (relay.sqlite, relay.key)");
    out!("  witness/                 the witness");
    out!("  charter.json             the channel's charter");
    out!("  disclosure.json          the consented disclosure of the inquiry (verify it offline)");
    if a.no_ui {
        out!("\nTry the CLI on them (the relay must run at the charter's address):");
        out!("  export HOTLINE_PASSPHRASE={DEMO_PASSPHRASE:?}");
        out!(
            "  hotline relay serve --data {} --listen 127.0.0.1:{rport} &",
            rdir.display()
        );
        out!(
            "  hotline witness serve --data {} --listen 127.0.0.1:{wport} &",
            wdir.display()
        );
    } else {
        out!("\nTry the CLI on them from another terminal while the relay and the witness run:");
        out!("  export HOTLINE_PASSPHRASE={DEMO_PASSPHRASE:?}");
    }
    out!(
        "  hotline --profile {} inbox",
        dir.join("northland").display()
    );
    out!(
        "  hotline --profile {} case show {}",
        dir.join("northland").display(),
        case.to_hex()
    );
    out!(
        "  hotline --profile {} report",
        dir.join("southland").display()
    );
    out!("  hotline verify {}", bundle_path.display());
    out!(
        "\nSouthland's CERT tools can read the inquiry's indicators over TAXII 2.1 (no relay needed;"
    );
    out!("they were sent TLP:AMBER+STRICT, so they are served only when the member allows it):");
    out!(
        "  HOTLINE_TAXII_PASSWORD='choose one' hotline --profile {} taxii serve --serve-restricted received",
        dir.join("southland").display()
    );
    out!(
        "  then point taxii2-client, MISP or OpenCTI at http://127.0.0.1:9100/taxii2/ (user taxii)"
    );
    if !a.no_ui {
        out!(
            "\nSouthland's web UI, over the demo's cases; the relay and the witness keep running \
             while it serves (Ctrl-C stops everything; `--no-ui` skips this):"
        );
        let sdir = dir.join("southland");
        drop(parties);
        let profile = Profile::open(&sdir)?;
        let keys = profile.unlock_keyring(&pass)?;
        let archive = std::sync::Arc::new(Archive::open(&sdir)?);
        // Southland's party key too, so the set-up pages can sign.
        let party_key = crate::cmd_ui::party_key(&profile, &pass)?;
        crate::cmd_ui::serve(
            archive,
            keys,
            profile,
            party_key,
            &crate::cmd_ui::Serve {
                listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                open: !a.no_open,
                idle_lock: 15,
                lang: None,
            },
        )?;
    }
    drop(witness_proc);
    drop(relay_proc);
    Ok(if alarms == 0 {
        Outcome::Ok
    } else {
        Outcome::CheckFailed
    })
}
