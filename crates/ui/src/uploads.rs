//! Files uploaded on Compose (`docs/ui.md`, "Files and evidence"): the
//! `multipart/form-data` parser with its limits, the CSRF field of a
//! multipart body for [`crate::security`], and the files kept on the server
//! between a Check and a Send.
//!
//! A browser cannot put a chosen file back into a form, so a Check keeps
//! the files it was given in memory, under a random id that only the same
//! session can use, for [`KEEP`] at most; the page shows them and carries
//! the id in a hidden field, and Send takes them from there. Nothing is
//! ever written to disk, and a file name is never a path: it is only shown
//! (escaped) and sent in the message header.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use subtle::ConstantTimeEq as _;

use crate::Ui;
use crate::compose::Form;
use crate::i18n::Tr;

/// The largest file (an attachment or a STIX bundle file), 3 MiB.
pub const MAX_UPLOAD_FILE: usize = 3 << 20;
/// The largest evidence of one message, 4 MiB: the attachments and the
/// STIX bundle (a file or pasted) together. With the body (at most
/// [`MAX_BODY_FIELD`]) the sealed message, base64 in the relay's JSON
/// request, stays below the relay's default request limit (8 MiB,
/// `max_body_bytes`).
pub const MAX_UPLOAD_TOTAL: usize = 4 << 20;
/// The most attachments on one message (the format allows 64).
pub const MAX_UPLOAD_FILES: usize = 16;
/// The largest Markdown body on Compose, 1 MiB.
pub const MAX_BODY_FIELD: usize = 1 << 20;
/// The largest other text field of the Compose form.
const MAX_TEXT_FIELD: usize = 64 << 10;
/// The longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 200;
/// How long uploaded files are kept for a Send after a Check.
pub const KEEP: Duration = Duration::from_secs(30 * 60);
/// How many sets of files one session may have kept at once (the oldest
/// goes first).
const MAX_KEPT_PER_SESSION: usize = 3;
/// How many bytes all sessions together may have kept (the oldest go
/// first).
const MAX_KEPT_BYTES: usize = 64 << 20;

/// The fields of the Compose form; any other is refused.
const FIELDS: [&str; 19] = [
    "csrf",
    "channel",
    "kind",
    "to",
    "norm",
    "tlp",
    "title",
    "body",
    "lang",
    "body2",
    "lang2",
    "authentic",
    "stix",
    "draft",
    "step",
    "staged",
    "drop_files",
    "files",
    "stix_file",
];

/// One uploaded file, in memory.
#[derive(Clone)]
pub(crate) struct Upload {
    /// Cleaned by [`clean_name`].
    pub name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// The files of one Compose form.
#[derive(Clone, Default)]
pub(crate) struct Files {
    pub attachments: Vec<Upload>,
    /// A STIX 2.1 bundle given as a file.
    pub stix: Option<Upload>,
}

/// A file as the Compose page lists it.
#[derive(Debug, Clone)]
pub(crate) struct FileRow {
    pub name: String,
    pub size: usize,
    pub media_type: String,
    /// What it is (an attachment or the STIX bundle), shown.
    pub role: String,
}

impl Files {
    pub fn is_empty(&self) -> bool {
        self.attachments.is_empty() && self.stix.is_none()
    }

    /// The bytes of every file.
    pub fn bytes(&self) -> usize {
        self.attachments
            .iter()
            .chain(self.stix.iter())
            .map(|u| u.bytes.len())
            .sum()
    }

    pub fn rows(&self, tr: &Tr) -> Vec<FileRow> {
        let row = |u: &Upload, role: &str| FileRow {
            name: u.name.clone(),
            size: u.bytes.len(),
            media_type: u.media_type.clone(),
            role: tr.t(role),
        };
        self.stix
            .iter()
            .map(|u| row(u, "evidence-role-stix"))
            .chain(
                self.attachments
                    .iter()
                    .map(|u| row(u, "evidence-role-attachment")),
            )
            .collect()
    }

    /// Whether these files, with a pasted bundle of `pasted` bytes and a
    /// body of `body` bytes, are within the limits.
    pub fn within_limits(&self, pasted: usize, body: usize) -> bool {
        self.attachments.len() <= MAX_UPLOAD_FILES
            && self
                .attachments
                .iter()
                .chain(self.stix.iter())
                .all(|u| u.bytes.len() <= MAX_UPLOAD_FILE)
            && self.bytes().saturating_add(pasted) <= MAX_UPLOAD_TOTAL
            && body <= MAX_BODY_FIELD
    }
}

/// Why a multipart form was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UploadError {
    /// Beyond a limit: 413.
    #[error("beyond a size limit")]
    TooLarge,
    /// Not a form we sent: 400.
    #[error("{0}")]
    Bad(String),
}

impl From<multer::Error> for UploadError {
    fn from(e: multer::Error) -> UploadError {
        match e {
            multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
                UploadError::TooLarge
            }
            e => UploadError::Bad(e.to_string()),
        }
    }
}

/// The boundary of a `multipart/form-data` request, if it is one.
pub(crate) fn boundary(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    multer::parse_boundary(ct).ok()
}

fn multipart(boundary: String, body: Bytes, c: multer::Constraints) -> multer::Multipart<'static> {
    let stream =
        futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    multer::Multipart::with_constraints(stream, boundary, c)
}

/// The first `csrf` field of a multipart body (already read, within the
/// route's limit, by the security layer), if there is one of at most 128
/// bytes.
pub(crate) async fn csrf_field(boundary: String, body: Bytes) -> Option<String> {
    let c = multer::Constraints::new().size_limit(multer::SizeLimit::new().for_field("csrf", 128));
    let mut m = multipart(boundary, body, c);
    while let Some(f) = m.next_field().await.ok()? {
        // A text field, not a file part of that name.
        if f.name() == Some("csrf") && f.file_name().is_none() {
            return f.text().await.ok();
        }
    }
    None
}

/// A file name fit to show and to send: its last path component, without
/// control or bidirectional-override characters, at most 200 characters;
/// `attachment` when nothing is left. Still untrusted: it is escaped
/// wherever shown and never used as a path.
pub(crate) fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let s: String = base
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .take(MAX_NAME_CHARS)
        .collect();
    let s = s.trim();
    if s.is_empty() || s == "." || s == ".." {
        "attachment".into()
    } else {
        s.to_owned()
    }
}

/// A declared media type if it is a plain `type/subtype` (shown only;
/// downloads are always `application/octet-stream`), else
/// `application/octet-stream`.
fn clean_media_type(m: Option<&str>) -> String {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match m.and_then(|m| m.split_once('/')) {
        Some((t, s)) if t.len() + s.len() < 100 && token(t) && token(s) => {
            format!("{t}/{s}").to_ascii_lowercase()
        }
        _ => "application/octet-stream".into(),
    }
}

/// Parses the Compose form from a multipart body: the text fields and the
/// files newly chosen. Beyond a limit ([`MAX_UPLOAD_FILE`],
/// [`MAX_UPLOAD_FILES`], [`MAX_UPLOAD_TOTAL`], [`MAX_BODY_FIELD`]):
/// [`UploadError::TooLarge`].
pub(crate) async fn parse(boundary: String, body: Bytes) -> Result<(Form, Files), UploadError> {
    let limits = multer::SizeLimit::new()
        .whole_stream(crate::security::MAX_COMPOSE as u64)
        .per_field(MAX_TEXT_FIELD as u64)
        .for_field("body", MAX_BODY_FIELD as u64)
        .for_field("body2", MAX_BODY_FIELD as u64)
        .for_field("stix", MAX_UPLOAD_TOTAL as u64)
        .for_field("files", MAX_UPLOAD_FILE as u64)
        .for_field("stix_file", MAX_UPLOAD_FILE as u64);
    let c = multer::Constraints::new()
        .allowed_fields(FIELDS.to_vec())
        .size_limit(limits);
    let mut m = multipart(boundary, body, c);
    let mut form = Form::default();
    let mut files = Files::default();
    while let Some(f) = m.next_field().await? {
        let name = f.name().unwrap_or_default().to_owned();
        if name == "files" || name == "stix_file" {
            let file_name = f.file_name().unwrap_or_default().to_owned();
            let media = clean_media_type(f.content_type().map(|m| m.essence_str()));
            let bytes = f.bytes().await?.to_vec();
            if file_name.is_empty() && bytes.is_empty() {
                // An input with no file chosen.
                continue;
            }
            let u = Upload {
                name: clean_name(&file_name),
                media_type: media,
                bytes,
            };
            if name == "files" {
                files.attachments.push(u);
                if files.attachments.len() > MAX_UPLOAD_FILES {
                    return Err(UploadError::TooLarge);
                }
            } else {
                files.stix = Some(u);
            }
            if files.bytes() > MAX_UPLOAD_TOTAL {
                return Err(UploadError::TooLarge);
            }
            continue;
        }
        let v = f.text().await?;
        form.set(&name, v);
    }
    Ok((form, files))
}

/// The limits, as the Compose form states them.
pub(crate) fn limits_hint(tr: &Tr) -> String {
    tr.args(
        "evidence-limits",
        &[
            ("file", (MAX_UPLOAD_FILE >> 20).to_string()),
            ("total", (MAX_UPLOAD_TOTAL >> 20).to_string()),
            ("files", MAX_UPLOAD_FILES.to_string()),
        ],
    )
}

/// The 413 page of Compose, naming the limits.
pub(crate) fn too_large(ui: &Ui) -> Response {
    let mib = |n: usize| format!("{}", n >> 20);
    let page = crate::view::ErrorPage {
        tr: ui.tr(),
        title: ui.tr().t("error-too-large-title"),
        text: ui.tr().args(
            "evidence-too-large",
            &[
                ("file", mib(MAX_UPLOAD_FILE)),
                ("total", mib(MAX_UPLOAD_TOTAL)),
                ("files", MAX_UPLOAD_FILES.to_string()),
                ("body", mib(MAX_BODY_FIELD)),
            ],
        ),
    };
    match askama::Template::render(&page) {
        Ok(h) => (StatusCode::PAYLOAD_TOO_LARGE, Html(h)).into_response(),
        Err(_) => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    }
}

struct Kept {
    id: String,
    /// The session's form token: only that session may use the files.
    owner: String,
    at: Instant,
    files: Files,
}

/// The files kept between a Check and a Send, in memory only.
#[derive(Default)]
pub(crate) struct Store {
    kept: Mutex<Vec<Kept>>,
}

fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Store {
    /// The files kept under `id` for the session `owner`, unless expired.
    pub fn get(&self, owner: &str, id: &str) -> Option<Files> {
        self.get_at(owner, id, Instant::now())
    }

    pub(crate) fn get_at(&self, owner: &str, id: &str, now: Instant) -> Option<Files> {
        let mut kept = self.kept.lock().ok()?;
        kept.retain(|k| now.saturating_duration_since(k.at) < KEEP);
        kept.iter()
            .find(|k| same(&k.id, id) && same(&k.owner, owner))
            .map(|k| k.files.clone())
    }

    /// Keeps `files` for the session `owner` under a new random id (in
    /// place of the set under `id`, if that is one of its own); returns
    /// the new id. The oldest sets go when the session has more than 3
    /// or all together exceed 64 MiB.
    pub fn keep(&self, owner: &str, id: &str, files: Files) -> String {
        self.keep_at(owner, id, files, Instant::now())
    }

    pub(crate) fn keep_at(&self, owner: &str, id: &str, files: Files, now: Instant) -> String {
        let Ok(mut kept) = self.kept.lock() else {
            return String::new();
        };
        kept.retain(|k| now.saturating_duration_since(k.at) < KEEP);
        kept.retain(|k| !(same(&k.id, id) && same(&k.owner, owner)));
        let id = crate::random_hex();
        kept.push(Kept {
            id: id.clone(),
            owner: owner.to_owned(),
            at: now,
            files,
        });
        // Oldest first; the one just kept is last.
        while kept.iter().filter(|k| same(&k.owner, owner)).count() > MAX_KEPT_PER_SESSION {
            if let Some(i) = kept.iter().position(|k| same(&k.owner, owner)) {
                kept.remove(i);
            }
        }
        while kept.len() > 1 && kept.iter().map(|k| k.files.bytes()).sum::<usize>() > MAX_KEPT_BYTES
        {
            kept.remove(0);
        }
        id
    }

    /// Forgets the files under `id` (after a Send).
    pub fn remove(&self, owner: &str, id: &str) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.retain(|k| !(same(&k.id, id) && same(&k.owner, owner)));
        }
    }
}
