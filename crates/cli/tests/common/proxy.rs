//! A relay that misbehaves on purpose: an HTTP proxy in front of real relay
//! processes that forwards every request and, when told to, lies — it
//! switches to another relay holding the same key (a fork), replays an old
//! checkpoint, withholds, drops or reorders entries, corrupts, refuses or
//! holds back an envelope, acknowledges a post it never forwards, or shows
//! the checkpoints of another relay (with its witnesses' cosignatures) to
//! whoever asks for one by size. Clients under test talk to it
//! as the charter's relay URL; it holds no key, so every lie it tells is one
//! a relay operator could tell with the relay's own signatures.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does to the traffic.
#[derive(Debug, Clone, Default)]
pub struct Lies {
    /// Where requests go.
    pub upstream: String,
    /// Served instead of the latest checkpoint.
    pub checkpoint: Option<Vec<u8>>,
    /// The checkpoint history (`GET …/checkpoints?after=`) is answered empty.
    pub no_history: bool,
    /// The checkpoint history is answered with these `(size, note)` pairs
    /// (those past `after`): notes an operator signed with the relay key.
    pub history: Option<Vec<(u64, Vec<u8>)>>,
    /// An entry index left out of entry pages (later entries keep their
    /// indices: the relay withholds it).
    pub withhold: Option<u64>,
    /// An entry index left out of entry pages, later entries renumbered to
    /// close the gap (the relay drops it from the log it shows).
    pub drop: Option<u64>,
    /// Two entry indices whose entries are swapped in entry pages.
    pub swap: Option<(u64, u64)>,
    /// Envelope index whose served body has its last byte flipped.
    pub corrupt_envelope: Option<u64>,
    /// Posted envelopes are acknowledged at this index and never forwarded.
    pub swallow_posts_at: Option<u64>,
    /// Envelope index answered with a 500 (this many more times).
    pub refuse_envelope: Option<(u64, u32)>,
    /// Envelope index whose request is held, unanswered, while this is set
    /// (the connection is closed when it is cleared).
    pub hold_envelope: Option<u64>,
    /// How many envelope requests were held so far.
    pub held: u32,
    /// While set, the first envelope request (a page or a single one)
    /// waits, then is forwarded as usual once this is cleared; the others
    /// pass. A slow answer, not a lie: two syncs then overlap.
    pub pause_first_envelope_request: bool,
    /// Whether that first request came (and waits, or waited).
    pub paused: bool,
    /// Envelope index whose requests are answered by closing the connection.
    pub hang_up_envelope: Option<u64>,
    /// Where `GET …/checkpoints/{size}` goes instead of `upstream`: another
    /// relay's view of the log.
    pub checkpoints_from: Option<String>,
    /// `GET …/checkpoints/{size}` is answered with these bytes.
    pub checkpoint_at: Option<Vec<u8>>,
    /// Posted rosters are acknowledged at this index and never forwarded.
    pub swallow_rosters_at: Option<u64>,
    /// A whole log served instead of the relay's (checkpoint, checkpoint
    /// list and entry pages), as a relay operator holding the relay key
    /// could sign one: see [`Forged`].
    pub forged: Option<Arc<Forged>>,
    /// Entry indices whose entry has its last byte flipped in entry pages (an
    /// envelope head's signature, forged).
    pub forge_entries: Vec<u64>,
    /// Pages of envelopes (`GET …/envelopes?start=…`) are answered with a 500.
    pub refuse_envelope_pages: bool,
    /// Two envelope indices whose bodies are swapped in pages of envelopes.
    pub swap_in_pages: Option<(u64, u64)>,
    /// How many single envelopes (`GET …/envelopes/{index}`) were asked for.
    pub single_envelope_gets: u32,
    /// How many pages of envelopes were asked for.
    pub envelope_page_gets: u32,
}

/// A log a lying relay serves: its entries (kind and bytes) and its
/// checkpoint note (signed by the relay key), of size `entries.len()`.
#[derive(Debug)]
pub struct Forged {
    /// `(kind, bytes)` per index: `charter`, `roster` or `envelope`.
    pub entries: Vec<(String, Vec<u8>)>,
    /// The signed checkpoint of the whole log.
    pub note: Vec<u8>,
    /// The checkpoint history served, `(size, note)`; when empty, `note`
    /// alone.
    pub history: Vec<(u64, Vec<u8>)>,
}

fn query_u64(target: &str, key: &str) -> Option<u64> {
    let q = target.split_once('?')?.1;
    q.split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
}

/// The forged log's answer to `GET path`, if it has one.
fn forged_answer(f: &Forged, target: &str, path: &str) -> Option<(u16, String, Vec<u8>)> {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let size = f.entries.len() as u64;
    let json = |v: serde_json::Value| {
        Some((
            200,
            "application/json".to_owned(),
            serde_json::to_vec(&v).unwrap(),
        ))
    };
    if path.ends_with("/log/checkpoint") {
        return Some((200, "text/plain; charset=utf-8".into(), f.note.clone()));
    }
    if path.ends_with("/checkpoints") {
        let after = query_u64(target, "after").unwrap_or(0);
        let list: Vec<_> = if f.history.is_empty() {
            (after < size)
                .then(|| serde_json::json!({"size": size, "note": b64(&f.note)}))
                .into_iter()
                .collect()
        } else {
            f.history
                .iter()
                .filter(|(s, _)| *s > after)
                .map(|(s, n)| serde_json::json!({"size": s, "note": b64(n)}))
                .collect()
        };
        return json(serde_json::json!({ "checkpoints": list }));
    }
    if path.ends_with("/entries") {
        let start = query_u64(target, "start").unwrap_or(0);
        let limit = query_u64(target, "limit").unwrap_or(1000);
        let entries: Vec<_> = (start..size.min(start.saturating_add(limit)))
            .map(|i| {
                let (kind, bytes) = &f.entries[i as usize];
                serde_json::json!({"index": i, "kind": kind, "entry": b64(bytes)})
            })
            .collect();
        return json(serde_json::json!({"size": size, "entries": entries}));
    }
    None
}

/// A running proxy.
pub struct Proxy {
    /// Its URL (`http://127.0.0.1:PORT`).
    pub url: String,
    /// The lies it tells now (change them at any time).
    pub lies: Arc<Mutex<Lies>>,
}

impl Proxy {
    /// Starts a proxy forwarding to `upstream`.
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let lies = Arc::new(Mutex::new(Lies {
            upstream: upstream.to_owned(),
            ..Lies::default()
        }));
        let l = lies.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let l = l.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &l);
                });
            }
        });
        Proxy { url, lies }
    }

    /// Changes what it does.
    pub fn set(&self, f: impl FnOnce(&mut Lies)) {
        f(&mut self.lies.lock().unwrap());
    }
}

fn serve(conn: TcpStream, lies: &Mutex<Lies>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut r = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    // Every header but the framing ones is forwarded, `Host` too, as a
    // reverse proxy in front of a relay must (request signatures cover
    // `@authority`: the address the client signed for).
    let mut headers = Vec::new();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
            if k == "content-length" {
                len = v.parse().unwrap_or(0);
            }
            if !matches!(
                k.as_str(),
                "content-length" | "connection" | "transfer-encoding"
            ) {
                headers.push((k, v));
            }
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    let path = target.split('?').next().unwrap_or("").to_owned();
    let envelope_index = path
        .rsplit_once("/envelopes/")
        .and_then(|(_, i)| i.parse::<u64>().ok());
    // Refusals are counted down as they are told.
    let refused = {
        let mut g = lies.lock().unwrap();
        match g.refuse_envelope {
            Some((i, n)) if method == "GET" && envelope_index == Some(i) && n > 0 => {
                g.refuse_envelope = Some((i, n - 1));
                true
            }
            _ => false,
        }
    };
    let page = method == "GET" && path.ends_with("/envelopes");
    {
        let mut g = lies.lock().unwrap();
        if method == "GET" && envelope_index.is_some() {
            g.single_envelope_gets += 1;
        }
        if page {
            g.envelope_page_gets += 1;
        }
    }
    if method == "GET" && (page || envelope_index.is_some()) {
        let wait = {
            let mut g = lies.lock().unwrap();
            let first = g.pause_first_envelope_request && !g.paused;
            g.paused |= first;
            first
        };
        let t = std::time::Instant::now();
        while wait
            && lies.lock().unwrap().pause_first_envelope_request
            && t.elapsed() < Duration::from_secs(120)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    if method == "GET" && envelope_index.is_some() {
        let held = {
            let mut g = lies.lock().unwrap();
            let held = g.hold_envelope.is_some() && g.hold_envelope == envelope_index;
            if held {
                g.held += 1;
            }
            held
        };
        if held {
            let t = std::time::Instant::now();
            while lies.lock().unwrap().hold_envelope == envelope_index
                && t.elapsed() < Duration::from_secs(120)
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            return Ok(());
        }
    }
    let l = lies.lock().unwrap().clone();
    if method == "GET" && envelope_index.is_some() && envelope_index == l.hang_up_envelope {
        return Ok(());
    }
    let by_size = method == "GET"
        && path
            .rsplit_once("/checkpoints/")
            .is_some_and(|(_, n)| n.parse::<u64>().is_ok());

    let forged = match &l.forged {
        Some(f) if method == "GET" => forged_answer(f, &target, &path),
        _ => None,
    };
    let (status, ctype, out) = if refused || (page && l.refuse_envelope_pages) {
        (
            500,
            "application/problem+json".to_owned(),
            br#"{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"the proxy refuses"}"#.to_vec(),
        )
    } else if let Some(answer) = forged {
        answer
    } else if method == "POST"
        && path.ends_with("/rosters")
        && let Some(index) = l.swallow_rosters_at
    {
        let v = serde_json::json!({"index": index, "leaf_hash": "00".repeat(32), "sequenced_at": null, "duplicate": false});
        (
            200,
            "application/json".to_owned(),
            serde_json::to_vec(&v).unwrap(),
        )
    } else if by_size && let Some(cp) = &l.checkpoint_at {
        (200, "text/plain; charset=utf-8".to_owned(), cp.clone())
    } else if by_size && let Some(other) = &l.checkpoints_from {
        forward(other, &method, &target, &headers, &body)
    } else if method == "POST"
        && path.ends_with("/entries")
        && let Some(index) = l.swallow_posts_at
    {
        let v = serde_json::json!({"results": [{"index": index, "leaf_hash": "00".repeat(32), "sequenced_at": null, "duplicate": false}]});
        (
            200,
            "application/json".to_owned(),
            serde_json::to_vec(&v).unwrap(),
        )
    } else if method == "GET"
        && path.ends_with("/log/checkpoint")
        && let Some(cp) = &l.checkpoint
    {
        (200, "text/plain; charset=utf-8".to_owned(), cp.clone())
    } else if method == "GET"
        && path.ends_with("/checkpoints")
        && let Some(h) = &l.history
    {
        let after = query_u64(&target, "after").unwrap_or(0);
        let list: Vec<_> = h
            .iter()
            .filter(|(size, _)| *size > after)
            .map(|(size, note)| {
                use base64::Engine as _;
                let note = base64::engine::general_purpose::STANDARD.encode(note);
                serde_json::json!({"size": size, "note": note})
            })
            .collect();
        (
            200,
            "application/json".to_owned(),
            serde_json::to_vec(&serde_json::json!({ "checkpoints": list })).unwrap(),
        )
    } else if method == "GET" && path.ends_with("/checkpoints") && l.no_history {
        (
            200,
            "application/json".to_owned(),
            br#"{"checkpoints": []}"#.to_vec(),
        )
    } else {
        let (status, ctype, mut out) = forward(&l.upstream, &method, &target, &headers, &body);
        if method == "GET" && path.ends_with("/entries") && status == 200 {
            out = rewrite_entries(&out, &l);
        }
        if method == "GET" && path.ends_with("/envelopes") && status == 200 {
            out = rewrite_envelopes(&out, &l);
        }
        if let Some(i) = l.corrupt_envelope
            && path.ends_with(&format!("/envelopes/{i}"))
            && let Some(b) = out.last_mut()
        {
            *b ^= 1;
        }
        (status, ctype, out)
    };
    let mut w = conn;
    write!(
        w,
        "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        out.len()
    )?;
    w.write_all(&out)?;
    w.flush()
}

fn forward(
    upstream: &str,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut req = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{upstream}{target}"));
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let mut resp = agent.run(req.body(body.to_vec()).unwrap()).unwrap();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let status = resp.status().as_u16();
    (status, ctype, resp.body_mut().read_to_vec().unwrap())
}

/// A page of envelopes tells the same lies as single envelope requests: the
/// corrupted envelope is corrupted in it, and those refused, held or hung up
/// on are left out (so the client asks for them alone, and meets the lie).
fn rewrite_envelopes(page: &[u8], l: &Lies) -> Vec<u8> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut v: serde_json::Value = serde_json::from_slice(page).unwrap();
    let envs = v["envelopes"].as_array_mut().unwrap();
    let index = |e: &serde_json::Value| e["index"].as_u64().unwrap();
    envs.retain(|e| {
        let i = Some(index(e));
        !(l.refuse_envelope
            .is_some_and(|(r, n)| Some(r) == i && n > 0)
            || l.hold_envelope == i
            || l.hang_up_envelope == i)
    });
    if let Some((a, b)) = l.swap_in_pages {
        let pa = envs.iter().position(|e| index(e) == a);
        let pb = envs.iter().position(|e| index(e) == b);
        if let (Some(pa), Some(pb)) = (pa, pb) {
            let ea = envs[pa]["envelope"].clone();
            envs[pa]["envelope"] = envs[pb]["envelope"].clone();
            envs[pb]["envelope"] = ea;
        }
    }
    for e in envs.iter_mut() {
        if l.corrupt_envelope == Some(index(e)) {
            let mut b = b64.decode(e["envelope"].as_str().unwrap()).unwrap();
            if let Some(last) = b.last_mut() {
                *last ^= 1;
            }
            e["envelope"] = b64.encode(b).into();
        }
    }
    serde_json::to_vec(&v).unwrap()
}

fn rewrite_entries(page: &[u8], l: &Lies) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(page).unwrap();
    let entries = v["entries"].as_array_mut().unwrap();
    let index = |e: &serde_json::Value| e["index"].as_u64().unwrap();
    if let Some(k) = l.withhold {
        entries.retain(|e| index(e) != k);
    }
    if let Some(k) = l.drop {
        entries.retain(|e| index(e) != k);
        for e in entries.iter_mut() {
            if index(e) > k {
                e["index"] = (index(e) - 1).into();
            }
        }
    }
    if let Some((a, b)) = l.swap {
        let pa = entries.iter().position(|e| index(e) == a);
        let pb = entries.iter().position(|e| index(e) == b);
        if let (Some(pa), Some(pb)) = (pa, pb) {
            let ea = entries[pa]["entry"].clone();
            entries[pa]["entry"] = entries[pb]["entry"].clone();
            entries[pb]["entry"] = ea;
        }
    }
    for e in entries.iter_mut() {
        if l.forge_entries.contains(&index(e)) {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD;
            let mut b = b64.decode(e["entry"].as_str().unwrap()).unwrap();
            if let Some(last) = b.last_mut() {
                *last ^= 1;
            }
            e["entry"] = b64.encode(b).into();
        }
    }
    serde_json::to_vec(&v).unwrap()
}
