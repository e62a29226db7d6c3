//! Prometheus metrics in the text exposition format, with no dependencies:
//! counters and a latency histogram of atomics.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// A histogram of durations.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; 12],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        for (b, c) in BUCKETS.iter().zip(&self.counts) {
            if s <= *b {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (b, c) in BUCKETS.iter().zip(&self.counts) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{b}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        let n = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {n}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {n}");
    }
}

/// The relay's metrics.
#[derive(Default)]
pub struct Metrics {
    /// Entries appended (new, not re-posts).
    pub appends: AtomicU64,
    /// Submissions answered as already logged.
    pub duplicates: AtomicU64,
    /// Submissions refused (failed checks).
    pub rejected: AtomicU64,
    /// Durable batches committed.
    pub batches: AtomicU64,
    /// Batches that failed (storage errors).
    pub batch_failures: AtomicU64,
    /// Checkpoints signed.
    pub checkpoints: AtomicU64,
    /// Bytes of request bodies accepted for appends and blobs.
    pub body_bytes: AtomicU64,
    /// Witness cosignatures attached.
    pub witness_cosignatures: AtomicU64,
    /// Checkpoints a witness could not be given (down, refused, bad answer).
    pub witness_failures: AtomicU64,
    /// New channels refused because a party is not admitted.
    pub not_admitted: AtomicU64,
    /// Channels released from memory after `idle_channel_secs` unused.
    pub channels_released: AtomicU64,
    /// Channel re-reads prompted by a request of a key the directory did not know.
    pub unknown_key_refreshes: AtomicU64,
    /// Envelopes refused for a quota.
    pub quota_refused_envelopes: AtomicU64,
    /// Blob uploads refused for a quota.
    pub quota_refused_blobs: AtomicU64,
    /// Responses by status class: 2xx, 4xx, 5xx.
    pub responses: [AtomicU64; 3],
    /// Batch commit latency.
    pub batch_latency: Histogram,
    /// Request latency.
    pub request_latency: Histogram,
}

impl Metrics {
    /// Records a channel refused for a party not admitted.
    pub fn count_not_admitted(&self) {
        self.not_admitted.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a committed batch of `n` submissions.
    pub fn observe_batch(&self, n: u64, d: Duration) {
        let _ = n;
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.batch_latency.observe(d);
    }

    /// Records a response.
    pub fn observe_response(&self, status: u16, d: Duration) {
        let i = match status {
            200..=399 => 0,
            400..=499 => 1,
            _ => 2,
        };
        self.responses[i].fetch_add(1, Ordering::Relaxed);
        self.request_latency.observe(d);
    }

    /// The text exposition.
    pub fn render(&self, channels: usize) -> String {
        let mut o = String::new();
        let c = |o: &mut String, name: &str, help: &str, v: &AtomicU64| {
            let _ = writeln!(
                o,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        };
        c(
            &mut o,
            "hotline_relay_witness_cosignatures_total",
            "Witness cosignatures attached to checkpoints.",
            &self.witness_cosignatures,
        );
        c(
            &mut o,
            "hotline_relay_witness_failures_total",
            "Checkpoints a witness could not be given or did not cosign.",
            &self.witness_failures,
        );
        c(
            &mut o,
            "hotline_relay_appends_total",
            "Entries appended to channel logs.",
            &self.appends,
        );
        c(
            &mut o,
            "hotline_relay_duplicates_total",
            "Submissions already in the log (re-posts).",
            &self.duplicates,
        );
        c(
            &mut o,
            "hotline_relay_rejected_total",
            "Submissions refused by a check.",
            &self.rejected,
        );
        c(
            &mut o,
            "hotline_relay_not_admitted_total",
            "New channels refused because a party is not admitted.",
            &self.not_admitted,
        );
        c(
            &mut o,
            "hotline_relay_channels_released_total",
            "Channels released from memory after idle_channel_secs without use.",
            &self.channels_released,
        );
        c(
            &mut o,
            "hotline_relay_unknown_key_refreshes_total",
            "Channel re-reads prompted by requests of keys the directory did not know (at most one per channel every 250 ms).",
            &self.unknown_key_refreshes,
        );
        c(
            &mut o,
            "hotline_relay_quota_refused_envelopes_total",
            "Envelopes refused because a channel or party quota would be passed.",
            &self.quota_refused_envelopes,
        );
        c(
            &mut o,
            "hotline_relay_quota_refused_blobs_total",
            "Blob uploads refused because a channel or party quota would be passed.",
            &self.quota_refused_blobs,
        );
        c(
            &mut o,
            "hotline_relay_batches_total",
            "Durable append batches committed.",
            &self.batches,
        );
        c(
            &mut o,
            "hotline_relay_batch_failures_total",
            "Append batches that failed.",
            &self.batch_failures,
        );
        c(
            &mut o,
            "hotline_relay_checkpoints_total",
            "Checkpoints signed.",
            &self.checkpoints,
        );
        c(
            &mut o,
            "hotline_relay_body_bytes_total",
            "Bytes of accepted request bodies.",
            &self.body_bytes,
        );
        let _ = writeln!(
            o,
            "# HELP hotline_relay_responses_total Responses by status class.\n# TYPE hotline_relay_responses_total counter"
        );
        for (class, v) in ["2xx", "4xx", "5xx"].iter().zip(&self.responses) {
            let _ = writeln!(
                o,
                "hotline_relay_responses_total{{class=\"{class}\"}} {}",
                v.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            o,
            "# HELP hotline_relay_channels Channels loaded.\n# TYPE hotline_relay_channels gauge\nhotline_relay_channels {channels}"
        );
        self.batch_latency.render(
            &mut o,
            "hotline_relay_batch_seconds",
            "Time to check and durably commit one batch.",
        );
        self.request_latency.render(
            &mut o,
            "hotline_relay_request_seconds",
            "Time to answer a request.",
        );
        o
    }
}
