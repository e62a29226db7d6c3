//! The responsiveness dashboard (`/dashboard`), the channel health page
//! (`/health`) and the local acknowledgement of alarms
//! (`POST /alarm/{id}/ack`), `docs/ui.md`.
//!
//! The dashboard's figures are [`hotline_client::cases::responsiveness`]'s
//! for every party of every channel, as of now: the function `hotline
//! report` calls, so every party computes the same figures from the same
//! log. Its charts draw [`hotline_client::cases::case_times`], what those
//! figures sum up ([`crate::dash_svg`]). The health page reads the archive
//! only: the latest verified checkpoint, the cosignatures on it
//! ([`hotline_client::receipts`]), each party's latest receipt, the alarms.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hotline_client::cases::{self, CaseTimes, Responsiveness, TimeSource, Timing};
use hotline_client::receipts;

use crate::Ui;
use crate::dash_svg::{self, Chart, Mark, Strip};
use crate::i18n::Tr;
use crate::security::Session;
use crate::view::{self, ChannelView, Chrome, ViewError};

/// How many cases a chart draws: the most recent ones with a deadline.
pub(crate) const CHART_CASES: usize = 20;

/// One party's row of the figures and its two charts.
pub(crate) struct DashParty {
    pub short: String,
    pub name: String,
    pub charts_caption: String,
    pub figures: Responsiveness,
    pub ack_rate: String,
    pub answer_rate: String,
    pub ping_rate: String,
    pub median_ack: String,
    pub median_answer: String,
    /// Our own SVG ([`dash_svg::render`]): safe.
    pub ack_chart: String,
    pub answer_chart: String,
}

/// One channel of the dashboard.
pub(crate) struct DashChannel {
    pub id: String,
    pub title: String,
    pub summary: String,
    /// What the times rest on (witnesses or the relay).
    pub source: &'static str,
    pub source_text: String,
    pub parties: Vec<DashParty>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub(crate) struct DashboardPage<'a> {
    pub chrome: Chrome,
    pub tr: &'a Tr,
    pub title: String,
    pub channels: Vec<DashChannel>,
}

fn rate(tr: &Tr, (on_time, of): (u64, u64)) -> String {
    if of == 0 {
        return tr.t("dash-rate-none");
    }
    tr.args(
        "dash-rate",
        &[
            ("on_time", on_time.to_string()),
            ("of", of.to_string()),
            ("percent", (on_time * 100 / of).to_string()),
        ],
    )
}

fn median(tr: &Tr, s: Option<u64>) -> String {
    s.map(view::duration)
        .unwrap_or_else(|| tr.t("dash-no-median"))
}

pub(crate) fn source_text(tr: &Tr, s: TimeSource) -> String {
    match s {
        TimeSource::Relay { witnesses: 0 } => tr.t("dash-source-relay-no-witness"),
        TimeSource::Relay { witnesses } => tr.args(
            "dash-source-relay-witnesses",
            &[("witnesses", witnesses.to_string())],
        ),
        TimeSource::Witnesses { quorum, of } => tr.args(
            "dash-source-witnesses",
            &[("quorum", quorum.to_string()), ("of", of.to_string())],
        ),
    }
}

/// The strips of one deadline (acknowledgement or answer) of a party's
/// cases: the [`CHART_CASES`] most recent with a dated deadline, newest
/// first; and how many had one.
fn strips(
    tr: &Tr,
    times: &[CaseTimes],
    which: fn(&CaseTimes) -> &Timing,
    now: u64,
) -> (Vec<Strip>, usize) {
    let with: Vec<&CaseTimes> = times
        .iter()
        .filter(|c| c.opened_at.is_some() && which(c).allowed.is_some())
        .collect();
    let n = with.len();
    let strips = with
        .into_iter()
        .rev()
        .take(CHART_CASES)
        .map(|c| {
            let t = which(c);
            let allowed = t.allowed.unwrap_or(0);
            let so_far = now.saturating_sub(c.opened_at.unwrap_or(now));
            let (mark, id) = match (t.on_time, t.done) {
                (Some(true), _) => (Mark::Met, "deadline-met"),
                (Some(false), true) => (Mark::Late, "dash-late"),
                (Some(false), false) => (Mark::Overdue, "overdue"),
                (None, true) => (Mark::Pending, "dash-undated"),
                (None, false) => (Mark::Pending, "deadline-pending"),
            };
            let secs = t.took.unwrap_or(so_far);
            Strip {
                label: c.title.clone(),
                secs,
                allowed,
                mark,
                value: tr.args(
                    "dash-strip-value",
                    &[
                        ("took", view::duration(secs)),
                        ("allowed", view::duration(allowed)),
                        ("mark", tr.t(id)),
                    ],
                ),
            }
        })
        .collect();
    (strips, n)
}

fn chart(tr: &Tr, id: &str, party: &str, what: &str, (strips, n): (Vec<Strip>, usize)) -> String {
    let count = |m: Mark| strips.iter().filter(|s| s.mark == m).count().to_string();
    let title = tr.args(
        &format!("dash-chart-{what}-title"),
        &[("party", party.to_owned())],
    );
    let desc = tr.args(
        "dash-chart-desc",
        &[
            ("shown", strips.len().to_string()),
            ("of", n.to_string()),
            ("party", party.to_owned()),
            ("what", tr.t(&format!("dash-chart-{what}"))),
            ("met", count(Mark::Met)),
            ("late", count(Mark::Late)),
            ("overdue", count(Mark::Overdue)),
            ("pending", count(Mark::Pending)),
        ],
    );
    if strips.is_empty() {
        return String::new();
    }
    dash_svg::render(&Chart {
        id,
        title: &title,
        desc: &desc,
        deadline: &tr.t("dash-deadline"),
        strips: &strips,
    })
}

/// The dashboard of `chans` as of `now`: per channel, per party of its
/// charter, what `hotline report` gives.
pub(crate) fn dashboard(tr: &Tr, chans: &[ChannelView], now: u64) -> Vec<DashChannel> {
    chans
        .iter()
        .map(|ch| {
            let (_, pings) = cases::derive(&ch.charter, &ch.msgs);
            let hex = ch.id.to_hex();
            let parties = ch
                .charter
                .parties
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let r = cases::responsiveness(&p.id, &ch.cases, &pings, now);
                    let times = cases::case_times(&p.id, &ch.cases, now);
                    let id = |what: &str| format!("chart-{}-{i}-{what}", &hex[..8]);
                    DashParty {
                        charts_caption: tr
                            .args("dash-charts-caption", &[("party", p.short.clone())]),
                        short: p.short.clone(),
                        name: p.name.clone(),
                        ack_rate: rate(tr, r.ack_rate()),
                        answer_rate: rate(tr, r.answer_rate()),
                        ping_rate: rate(tr, r.ping_rate()),
                        median_ack: median(tr, r.median_ack_secs),
                        median_answer: median(tr, r.median_answer_secs),
                        ack_chart: chart(
                            tr,
                            &id("ack"),
                            &p.short,
                            "ack",
                            strips(tr, &times, |c| &c.ack, now),
                        ),
                        answer_chart: chart(
                            tr,
                            &id("answer"),
                            &p.short,
                            "answer",
                            strips(tr, &times, |c| &c.answer, now),
                        ),
                        figures: r,
                    }
                })
                .collect();
            let source = cases::time_source(&ch.charter);
            DashChannel {
                id: hex.clone(),
                title: ch.charter.title.clone(),
                summary: tr.args(
                    "dash-channel-summary",
                    &[
                        ("cases", ch.cases.len().to_string()),
                        (
                            "open",
                            ch.cases
                                .iter()
                                .filter(|c| c.state != cases::State::Closed)
                                .count()
                                .to_string(),
                        ),
                        ("pings", pings.len().to_string()),
                    ],
                ),
                source: source.as_str(),
                source_text: source_text(tr, source),
                parties,
            }
        })
        .collect()
}

/// A time as `(RFC 3339, shown)`.
fn at(t: u64) -> (String, String) {
    (view::iso(t), view::shown(t))
}

/// The latest verified checkpoint of a channel.
pub(crate) struct CheckpointView {
    pub size: u64,
    pub root: String,
    pub time: Option<(String, String)>,
    pub verified: (String, String),
    pub age: String,
}

pub(crate) struct WitnessRow {
    pub name: String,
    pub cosigned: Option<(String, String)>,
}

pub(crate) struct ReceiptRow {
    pub party: String,
    /// The size of the largest checkpoint its systems cosigned.
    pub size: Option<u64>,
    pub at: Option<(String, String)>,
    /// Whether that is the latest checkpoint we verified (or larger).
    pub current: bool,
    pub text: String,
}

pub(crate) struct HealthChannel {
    pub id: String,
    pub title: String,
    pub checkpoint: Option<CheckpointView>,
    pub witnesses: Vec<WitnessRow>,
    pub quorum: u32,
    pub quorum_text: String,
    pub quorum_met: bool,
    pub receipts: Vec<ReceiptRow>,
}

pub(crate) struct AlarmRow {
    pub id: i64,
    pub channel: String,
    pub kind: String,
    pub detail: String,
    pub raised_at: String,
    pub acked: Option<String>,
}

#[derive(Template)]
#[template(path = "health.html")]
pub(crate) struct HealthPage<'a> {
    pub chrome: Chrome,
    pub tr: &'a Tr,
    pub title: String,
    pub channels: Vec<HealthChannel>,
    pub alarms: Vec<AlarmRow>,
}

/// The health of every channel and every alarm, from the archive.
pub(crate) fn health(
    ui: &Ui,
    chans: &[ChannelView],
    now: u64,
) -> Result<(Vec<HealthChannel>, Vec<AlarmRow>), ViewError> {
    let tr = ui.tr();
    let mut out = Vec::new();
    for ch in chans {
        let last = ui.archive.last_verified(&ch.id)?;
        let latest = ui.archive.latest_checkpoint(&ch.id)?;
        let cosigs = match &latest {
            Some(cp) => ui.archive.cosignatures(&ch.id, cp.size)?,
            None => vec![],
        };
        let witnesses: Vec<WitnessRow> = receipts::witnesses_of(&ch.charter, &cosigs)
            .into_iter()
            .map(|(name, t)| WitnessRow {
                name,
                cosigned: t.map(at),
            })
            .collect();
        let cosigned = witnesses.iter().filter(|w| w.cosigned.is_some()).count();
        let quorum = ch.charter.witness_quorum;
        let size = latest.as_ref().map(|c| c.size).unwrap_or(0);
        let known = ui.archive.receipts(&ch.id)?;
        let receipts = ch
            .charter
            .parties
            .iter()
            .map(|p| {
                let r = known.iter().find(|r| r.party == Some(p.id));
                let current = r.is_some_and(|r| r.size >= size);
                ReceiptRow {
                    party: p.short.clone(),
                    size: r.map(|r| r.size),
                    at: r.map(|r| at(r.time)),
                    current,
                    text: match r {
                        None => tr.t("health-receipt-none"),
                        Some(_) if current => tr.t("health-receipt-current"),
                        Some(r) => tr.args(
                            "health-receipt-behind",
                            &[("entries", size.saturating_sub(r.size).to_string())],
                        ),
                    },
                }
            })
            .collect();
        out.push(HealthChannel {
            id: ch.id.to_hex(),
            title: ch.charter.title.clone(),
            checkpoint: match (latest, last) {
                (Some(cp), Some(l)) => Some(CheckpointView {
                    size: cp.size,
                    root: hex::encode(cp.root),
                    time: cp.time.map(at),
                    verified: at(l.verified_at),
                    age: tr.args("health-age", &[("age", view::duration(l.age_secs(now)))]),
                }),
                _ => None,
            },
            quorum_text: if quorum == 0 {
                tr.args(
                    "health-no-quorum",
                    &[
                        ("cosigned", cosigned.to_string()),
                        ("of", witnesses.len().to_string()),
                    ],
                )
            } else {
                tr.args(
                    if cosigned >= quorum as usize {
                        "health-quorum-met"
                    } else {
                        "health-quorum-missing"
                    },
                    &[
                        ("cosigned", cosigned.to_string()),
                        ("quorum", quorum.to_string()),
                        ("of", witnesses.len().to_string()),
                    ],
                )
            },
            quorum_met: cosigned >= quorum as usize,
            witnesses,
            quorum,
            receipts,
        });
    }
    let acks = ui.archive.alarm_acks()?;
    let alarms = ui
        .archive
        .alarms()?
        .into_iter()
        .map(|a| AlarmRow {
            acked: acks
                .get(&a.id)
                .map(|t| tr.args("health-acked-at", &[("at", shown_text(t))])),
            id: a.id,
            channel: a.channel.get(..16).unwrap_or(&a.channel).to_owned(),
            kind: a.kind,
            detail: a.detail,
            raised_at: shown_text(&a.raised_at),
        })
        .collect();
    Ok((out, alarms))
}

/// An RFC 3339 time the archive wrote, as shown (as stored if it does not
/// parse).
fn shown_text(t: &str) -> String {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .map(|d| view::shown(d.unix_timestamp().max(0) as u64))
        .unwrap_or_else(|_| t.to_owned())
}

/// `GET /dashboard`.
pub(crate) async fn dashboard_page(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
) -> Response {
    crate::pages::blocking(ui, move |ui| {
        let chans = view::channels(ui)?;
        let page = DashboardPage {
            chrome: view::chrome(ui, s.csrf)?,
            tr: ui.tr(),
            title: ui.tr().t("dash-title"),
            channels: dashboard(ui.tr(), &chans, view::now()),
        };
        Ok(Some(page.render()?))
    })
    .await
}

/// `GET /health`.
pub(crate) async fn health_page(
    State(ui): State<Arc<Ui>>,
    Extension(s): Extension<Session>,
) -> Response {
    crate::pages::blocking(ui, move |ui| {
        let chans = view::channels(ui)?;
        let (channels, alarms) = health(ui, &chans, view::now())?;
        let page = HealthPage {
            chrome: view::chrome(ui, s.csrf)?,
            tr: ui.tr(),
            title: ui.tr().t("health-title"),
            channels,
            alarms,
        };
        Ok(Some(page.render()?))
    })
    .await
}

/// `POST /alarm/{id}/ack` (a form with the CSRF token, checked by the
/// security layer): records in the archive that the alarm was acknowledged
/// here, so its banner goes; the alarm stays on record. 404 for no such
/// alarm; then 303 back to the health page.
pub(crate) async fn acknowledge(State(ui): State<Arc<Ui>>, Path(id): Path<String>) -> Response {
    let not_found = |ui: &Ui| {
        crate::pages::error(
            ui,
            StatusCode::NOT_FOUND,
            "error-not-found-title",
            "health-no-alarm",
        )
    };
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&ui);
    };
    let u = ui.clone();
    match crate::i18n::blocking(move || u.archive.acknowledge_alarm(id)).await {
        Ok(Ok(Some(_))) => {
            tracing::info!(alarm = id, "alarm acknowledged locally");
            let _ = ui.events.send(0);
            (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, format!("/health#alarm-{id}"))],
            )
                .into_response()
        }
        Ok(Ok(None)) => not_found(&ui),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "acknowledging an alarm");
            crate::pages::error(
                &ui,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-title",
                "error-internal",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "an acknowledgement task failed");
            crate::pages::error(
                &ui,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-title",
                "error-internal",
            )
        }
    }
}

/// The case page's line under a message at log index `index`: the parties
/// whose latest receipt ([`hotline_client::archive::Archive::receipts`])
/// covers it (a checkpoint of size greater than `index`), by short name.
pub(crate) fn receipts_line(
    tr: &Tr,
    ch: &ChannelView,
    receipts: &[hotline_client::archive::Cosignature],
    index: u64,
) -> String {
    let parties: Vec<String> = receipts
        .iter()
        .filter(|r| r.size > index)
        .filter_map(|r| r.party.as_ref())
        .map(|p| ch.short(p))
        .collect();
    if parties.is_empty() {
        tr.t("case-receipts-none")
    } else {
        tr.args("case-receipts", &[("parties", parties.join(", "))])
    }
}
