//! Following a channel's event stream (`GET /v1/channels/{id}/events`,
//! `docs/relay.md`): the relay sends one `entry` event, with the entry's
//! index as its `id:`, for each entry from `start` on and then for each new
//! one as it is sequenced. `hotline watch` and the web UI both follow it
//! with [`follow_events`] to sync as soon as something is sequenced; the
//! stream only wakes them (the sync verifies everything it fetches), so
//! nothing in an event is trusted.
//!
//! ```no_run
//! # fn run(relay: hotline_client::relay_client::RelayClient, id: hotline_core::ids::ChannelId) {
//! use hotline_client::events::{Follow, follow_events};
//! follow_events(&relay, &id, 0, std::time::Duration::from_secs(5), |e| {
//!     if let Follow::Sequenced(i) = e {
//!         println!("entry {i} sequenced: sync");
//!     }
//!     true // go on following
//! });
//! # }
//! ```

use std::io::{BufRead as _, BufReader, Read};
use std::time::Duration;

use hotline_core::ids::ChannelId;

use crate::relay_client::{RelayClient, RelayError};

/// What following a stream reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// The stream is open: the relay will say when something is sequenced.
    Connected,
    /// The relay sequenced the entry of this index.
    Sequenced(u64),
    /// The stream could not be opened, or it ended: the follower reconnects
    /// after its pause (meanwhile, poll).
    Lost,
}

/// Follows `channel`'s event stream from `start`, calling `on` with what
/// happens, until `on` returns `false`. A stream that cannot be opened or
/// that ends is reopened after `pause`, from the entry after the last one
/// reported. Blocking: run it on a thread of its own.
pub fn follow_events(
    relay: &RelayClient,
    channel: &ChannelId,
    start: u64,
    pause: Duration,
    on: impl FnMut(Follow) -> bool,
) {
    follow_with(|s| relay.events(channel, s), start, pause, on)
}

/// [`follow_events`] over any way to open the stream (tests give readers).
pub fn follow_with<R: Read>(
    mut open: impl FnMut(u64) -> Result<R, RelayError>,
    mut start: u64,
    pause: Duration,
    mut on: impl FnMut(Follow) -> bool,
) {
    loop {
        if let Ok(stream) = open(start) {
            if !on(Follow::Connected) {
                return;
            }
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if let Some(i) = sequenced(&line) {
                    start = start.max(i.saturating_add(1));
                    if !on(Follow::Sequenced(i)) {
                        return;
                    }
                }
            }
        }
        if !on(Follow::Lost) {
            return;
        }
        std::thread::sleep(pause);
    }
}

/// The index an SSE `id:` line names, if it is one.
fn sequenced(line: &str) -> Option<u64> {
    line.strip_prefix("id:")?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_each_entry_and_reconnects_after_the_last_one() {
        let streams = [
            "event: entry\nid: 3\ndata: {}\n\n: keep-alive\nevent: entry\nid: 4\ndata: {}\n\n",
            "id: nonsense\nid:5\n",
        ];
        let mut opened = vec![];
        let mut seen = vec![];
        follow_with(
            |start| {
                opened.push(start);
                match streams.get(opened.len() - 1) {
                    Some(s) => Ok(std::io::Cursor::new(s.as_bytes().to_vec())),
                    None => Err(RelayError::Protocol("down".into())),
                }
            },
            3,
            Duration::ZERO,
            |e| {
                seen.push(e);
                seen.len() < 8
            },
        );
        // Reopened from the entry after the last one seen.
        assert_eq!(opened, [3, 5, 6]);
        use Follow::*;
        assert_eq!(
            seen,
            [
                Connected,
                Sequenced(3),
                Sequenced(4),
                Lost,
                Connected,
                Sequenced(5),
                Lost,
                Lost
            ]
        );
    }

    #[test]
    fn stops_when_told() {
        let mut n = 0;
        follow_with(
            |_| Ok(std::io::Cursor::new(b"id: 1\nid: 2\n".to_vec())),
            0,
            Duration::ZERO,
            |_| {
                n += 1;
                n < 2
            },
        );
        assert_eq!(n, 2);
    }
}
