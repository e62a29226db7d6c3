//! The attackers of `hotline bench relay --hostile`: while honest members
//! post at the offered rate, other clients flood the relay with requests it
//! must refuse cheaply — unsigned requests, bad signatures, a captured
//! request replayed, bodies announcing more than any request may carry, and
//! slow connections that never finish their headers (slowloris). Each kind
//! runs on its own threads until told to stop, and counts what it sent and
//! what the relay answered.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hotline_client::relay_client::RelayClient;
use hotline_core::ids::ChannelId;
use hotline_core::keys::SigningKey;

/// Answers by status, per attack kind.
pub(crate) type Tally = Arc<Mutex<BTreeMap<String, BTreeMap<String, u64>>>>;

/// The floods, running until [`Flood::stop`].
pub(crate) struct Flood {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
    pub(crate) tally: Tally,
}

fn count(tally: &Tally, kind: &str, what: String) {
    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
    *t.entry(kind.to_owned())
        .or_default()
        .entry(what)
        .or_default() += 1;
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into()
}

/// Sends `req` and counts its status (or "error" when it failed).
fn send(tally: &Tally, kind: &str, r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) {
    match r {
        Ok(mut resp) => {
            let _ = resp.body_mut().read_to_vec();
            count(tally, kind, resp.status().as_u16().to_string());
        }
        Err(_) => count(tally, kind, "error".into()),
    }
}

impl Flood {
    /// Starts every kind of attack on channel `ch` of the relay at `url`;
    /// `member` is an honest member's key, whose signed request the replayer
    /// captures (as an eavesdropper on a TLS-terminating proxy could).
    pub(crate) fn start(url: &str, ch: ChannelId, member: &SigningKey, slow: usize) -> Flood {
        let stop = Arc::new(AtomicBool::new(false));
        let tally: Tally = Arc::default();
        let mut threads = Vec::new();
        let entries = format!("/v1/channels/{}/entries", ch.to_hex());
        let addr = url.trim_start_matches("http://").to_owned();

        // Unsigned: reads and posts without any signature.
        for _ in 0..2 {
            let (stop, tally, url, path) =
                (stop.clone(), tally.clone(), url.to_owned(), entries.clone());
            threads.push(std::thread::spawn(move || {
                let a = agent();
                while !stop.load(Ordering::Relaxed) {
                    send(
                        &tally,
                        "unsigned",
                        a.get(format!("{url}{path}?start=0")).call(),
                    );
                    send(
                        &tally,
                        "unsigned",
                        a.post(format!("{url}{path}"))
                            .content_type("application/json")
                            .send(b"{\"envelopes\":[]}".as_slice()),
                    );
                }
            }));
        }

        // Bad signatures: a stranger's key (unknown key id), and a member's
        // request with its signature altered.
        let stranger = SigningKey::generate(&mut rand_core::OsRng);
        for key in [stranger, member.clone()] {
            let (stop, tally, url, path) =
                (stop.clone(), tally.clone(), url.to_owned(), entries.clone());
            threads.push(std::thread::spawn(move || {
                let a = agent();
                let Ok(c) = RelayClient::new(&url, key) else {
                    return;
                };
                let body = b"{\"envelopes\":[]}";
                while !stop.load(Ordering::Relaxed) {
                    let mut h = c.sign_request("POST", &path, None, body);
                    for (k, v) in h.iter_mut() {
                        if k == "signature" {
                            // Flip one base64 character of the signature.
                            let i = v.len().saturating_sub(6);
                            let flipped = if v.as_bytes().get(i) == Some(&b'A') {
                                "B"
                            } else {
                                "A"
                            };
                            v.replace_range(i..i + 1, flipped);
                        }
                    }
                    let mut r = a
                        .post(format!("{url}{path}"))
                        .content_type("application/json");
                    for (k, v) in &h {
                        r = r.header(k.as_str(), v.as_str());
                    }
                    send(&tally, "bad-signature", r.send(body.as_slice()));
                }
            }));
        }

        // Replay: one captured signed read, sent again and again.
        {
            let (stop, tally, url, path) =
                (stop.clone(), tally.clone(), url.to_owned(), entries.clone());
            let member = member.clone();
            threads.push(std::thread::spawn(move || {
                let a = agent();
                let Ok(c) = RelayClient::new(&url, member) else {
                    return;
                };
                let query = "start=0&limit=1";
                let h = c.sign_request("GET", &path, Some(query), b"");
                while !stop.load(Ordering::Relaxed) {
                    let mut r = a.get(format!("{url}{path}?{query}"));
                    for (k, v) in &h {
                        r = r.header(k.as_str(), v.as_str());
                    }
                    send(&tally, "replay", r.call());
                }
            }));
        }

        // Oversized: a body announced far beyond any limit; a few bytes
        // sent, then the answer read (the relay must refuse before reading).
        {
            let (stop, tally, addr, path) =
                (stop.clone(), tally.clone(), addr.clone(), entries.clone());
            threads.push(std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(mut s) = TcpStream::connect(&addr) else {
                        count(&tally, "oversized", "error".into());
                        continue;
                    };
                    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                    let _ = write!(
                        s,
                        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{{\"envelopes\":["
                    );
                    let mut buf = [0u8; 12];
                    match s.read(&mut buf) {
                        Ok(n) if n >= 12 => count(
                            &tally,
                            "oversized",
                            String::from_utf8_lossy(&buf[9..12]).into_owned(),
                        ),
                        _ => count(&tally, "oversized", "error".into()),
                    }
                }
            }));
        }

        // Slowloris: `slow` connections, each sending its request line and
        // then one header byte a second, never finishing; reopened when
        // the relay closes them.
        {
            let (stop, tally, addr) = (stop.clone(), tally.clone(), addr.clone());
            threads.push(std::thread::spawn(move || {
                let mut conns: Vec<Option<TcpStream>> = (0..slow).map(|_| None).collect();
                while !stop.load(Ordering::Relaxed) {
                    let tick = Instant::now();
                    for c in conns.iter_mut() {
                        let alive = match c {
                            Some(s) => s.write_all(b"X").is_ok(),
                            None => false,
                        };
                        if !alive {
                            if c.is_some() {
                                count(&tally, "slowloris", "closed by the relay".into());
                            }
                            *c = TcpStream::connect(&addr).ok().and_then(|mut s| {
                                count(&tally, "slowloris", "opened".into());
                                write!(s, "GET /v1/relay HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ")
                                    .ok()
                                    .map(|_| s)
                            });
                        }
                    }
                    let rest = Duration::from_secs(1).saturating_sub(tick.elapsed());
                    let until = Instant::now() + rest;
                    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            }));
        }
        Flood {
            stop,
            threads,
            tally,
        }
    }

    /// Stops every attacker and returns the tally.
    pub(crate) fn stop(self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
        let t = self.tally.lock().unwrap_or_else(|p| p.into_inner());
        t.clone()
    }
}

/// The resident and peak resident memory (KiB) of process `pid`, from
/// `/proc/<pid>/status` (Linux), if readable.
pub(crate) fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
