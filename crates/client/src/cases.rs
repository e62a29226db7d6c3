//! Cases and deadlines (DESIGN §6): a pure function of the opened messages
//! of a channel, their log indexes and their sequencing times, and the
//! charter. Every party that can read a case computes the same state, the
//! same deadlines and the same figures from the same log.
//!
//! Rules:
//!
//! * a case-opening message (`inquiry`, `assistance`, `warning`,
//!   `deconfliction`, `consultation`) opens the case whose id is its own id;
//!   it is addressed to the parties in its `to`;
//! * `ack`, `interim`, `answer`, `clarification`, `close`, `reopen` act on
//!   the case their `case` names; an `ack` or `answer` counts for its
//!   author's party if that party is addressed, the first one only;
//! * `close` by a party of the case closes it, `reopen` reopens it;
//! * deadlines run from the opening message's sequencing time: `ack_within`
//!   and `answer_within` of the charter for its kind; a party acknowledged
//!   (answered) on time if its first `ack` (`answer`) was sequenced by then;
//! * `ping` names the zero case id; a `pong` names the ping in its `refs`
//!   and is due within the charter's `ack_within` for `ping`.
//!
//! Messages are taken in log order; anything that does not fit the rules
//! (an `ack` for an unknown case, a second opening with the same id) is
//! kept in the timeline of nothing and otherwise ignored.

use std::collections::BTreeMap;

use hotline_core::charter::Charter;
use hotline_core::ids::MessageId;
use hotline_core::keys::KeyId;
use hotline_core::message::{InnerHeader, Kind};
use serde::Serialize;

/// One opened message with its place in the log.
#[derive(Debug, Clone)]
pub struct LoggedMessage {
    /// Its log index.
    pub index: u64,
    /// When it was sequenced (POSIX seconds), if a timestamped checkpoint
    /// covers it yet.
    pub sequenced_at: Option<u64>,
    /// Its inner header.
    pub header: InnerHeader,
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Opened, not acknowledged by every addressed party.
    Open,
    /// Acknowledged by every addressed party, not answered by all.
    Acknowledged,
    /// Answered by every addressed party.
    Answered,
    /// Closed.
    Closed,
}

/// One event of a case's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Log index.
    pub index: u64,
    /// Kind.
    pub kind: Kind,
    /// The author's party.
    pub party: KeyId,
    /// Sequencing time.
    pub at: Option<u64>,
    /// The message title.
    pub title: String,
}

/// A case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    /// Its id (the opening message's id).
    pub id: MessageId,
    /// The opening kind.
    pub kind: Kind,
    /// Its title.
    pub title: String,
    /// The party that opened it.
    pub opener: KeyId,
    /// The parties it is addressed to.
    pub to: Vec<KeyId>,
    /// When it was opened (sequencing time).
    pub opened_at: Option<u64>,
    /// When acknowledgements are due.
    pub ack_due: Option<u64>,
    /// When answers are due.
    pub answer_due: Option<u64>,
    /// The charter's acknowledgement window for this kind (seconds), if
    /// it sets one: owed even while the opening is not yet dated by the
    /// relay's time attestation and `ack_due` is still unknown.
    pub ack_within: Option<u64>,
    /// The charter's answer window for this kind (seconds), if any.
    pub answer_within: Option<u64>,
    /// First acknowledgement time per addressed party.
    pub acks: BTreeMap<KeyId, Option<u64>>,
    /// First answer time per addressed party.
    pub answers: BTreeMap<KeyId, Option<u64>>,
    /// Where it stands.
    pub state: State,
    /// Every message of the case, in log order.
    pub timeline: Vec<Event>,
}

impl Case {
    /// Whether `party` acknowledged on time (`None` while not due and not done).
    pub fn acked_on_time(&self, party: &KeyId, now: u64) -> Option<bool> {
        on_time(self.acks.get(party).copied(), self.ack_due, now)
    }

    /// Whether `party` answered on time (`None` while not due and not done).
    pub fn answered_on_time(&self, party: &KeyId, now: u64) -> Option<bool> {
        on_time(self.answers.get(party).copied(), self.answer_due, now)
    }

    /// What `party` owes next and by when, if anything.
    pub fn owed_by(&self, party: &KeyId) -> Option<(Kind, Option<u64>)> {
        if self.state == State::Closed || !self.to.contains(party) {
            return None;
        }
        // Owed when the charter sets a window, dated or not: an inquiry
        // the relay has not dated yet still needs its addressee (with the
        // due time unknown until it is).
        if !self.acks.contains_key(party) && self.ack_within.is_some() {
            return Some((Kind::Ack, self.ack_due));
        }
        if !self.answers.contains_key(party) && self.answer_within.is_some() {
            return Some((Kind::Answer, self.answer_due));
        }
        None
    }
}

/// The replies a party may send on a case, in the order a page offers them.
pub const REPLY_KINDS: [Kind; 6] = [
    Kind::Ack,
    Kind::Interim,
    Kind::Answer,
    Kind::Clarification,
    Kind::Close,
    Kind::Reopen,
];

impl Case {
    /// The replies `party` may send on this case now: none unless it is a
    /// party of the case; on a closed case only `reopen`; otherwise
    /// `clarification` and `close` for any party of the case, and for an
    /// addressed party `ack` until it acknowledged and `interim` and
    /// `answer` until it answered ([`derive`] counts acknowledgements and
    /// answers of addressed parties only).
    pub fn replies_for(&self, party: &KeyId) -> Vec<Kind> {
        let member = self.to.contains(party);
        if !member && self.opener != *party {
            return vec![];
        }
        if self.state == State::Closed {
            return vec![Kind::Reopen];
        }
        let mut k = Vec::new();
        if member && !self.acks.contains_key(party) {
            k.push(Kind::Ack);
        }
        if member && !self.answers.contains_key(party) {
            k.push(Kind::Interim);
            k.push(Kind::Answer);
        }
        k.push(Kind::Clarification);
        k.push(Kind::Close);
        k
    }
}

fn on_time(done: Option<Option<u64>>, due: Option<u64>, now: u64) -> Option<bool> {
    match (done, due) {
        (_, None) => None,
        (Some(Some(t)), Some(d)) => Some(t <= d),
        // Done, but not yet dated by a checkpoint: judged when it is.
        (Some(None), Some(_)) => None,
        (None, Some(d)) if now > d => Some(false),
        (None, Some(_)) => None,
    }
}

/// A communication check and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ping {
    /// The ping's message id.
    pub id: MessageId,
    /// Its party.
    pub from: KeyId,
    /// The parties asked.
    pub to: Vec<KeyId>,
    /// When it was sequenced.
    pub at: Option<u64>,
    /// When the pong is due.
    pub due: Option<u64>,
    /// First pong time per asked party.
    pub pongs: BTreeMap<KeyId, Option<u64>>,
}

/// The zero id a `ping` names as its case.
pub const PING_CASE: MessageId = MessageId([0; 16]);

/// The cases and pings of a channel, from its messages in log order.
pub fn derive(charter: &Charter, msgs: &[LoggedMessage]) -> (Vec<Case>, Vec<Ping>) {
    let mut cases: Vec<Case> = Vec::new();
    let mut at: BTreeMap<MessageId, usize> = BTreeMap::new();
    let mut pings: Vec<Ping> = Vec::new();
    let mut ping_at: BTreeMap<MessageId, usize> = BTreeMap::new();
    let mut sorted: Vec<&LoggedMessage> = msgs.iter().collect();
    sorted.sort_by_key(|m| m.index);
    for m in sorted {
        let h = &m.header;
        let ev = Event {
            index: m.index,
            kind: h.kind,
            party: h.party,
            at: m.sequenced_at,
            title: h.title.clone(),
        };
        if h.kind.opens_case() {
            if at.contains_key(&h.id) {
                continue;
            }
            let dl = charter.deadline(h.kind);
            let plus = |w: Option<u64>| m.sequenced_at.zip(w).map(|(t, w)| t + w);
            at.insert(h.id, cases.len());
            cases.push(Case {
                id: h.id,
                kind: h.kind,
                title: h.title.clone(),
                opener: h.party,
                to: h.to.clone(),
                opened_at: m.sequenced_at,
                ack_due: plus(dl.ack_within),
                answer_due: plus(dl.answer_within),
                ack_within: dl.ack_within,
                answer_within: dl.answer_within,
                acks: BTreeMap::new(),
                answers: BTreeMap::new(),
                state: State::Open,
                timeline: vec![ev],
            });
            continue;
        }
        match h.kind {
            Kind::Ping => {
                let due = m
                    .sequenced_at
                    .zip(charter.deadline(Kind::Ping).ack_within)
                    .map(|(t, w)| t + w);
                ping_at.entry(h.id).or_insert_with(|| {
                    pings.push(Ping {
                        id: h.id,
                        from: h.party,
                        to: h.to.clone(),
                        at: m.sequenced_at,
                        due,
                        pongs: BTreeMap::new(),
                    });
                    pings.len() - 1
                });
            }
            Kind::Pong => {
                for r in &h.refs {
                    if let Some(&i) = ping_at.get(r)
                        && pings[i].to.contains(&h.party)
                    {
                        pings[i].pongs.entry(h.party).or_insert(m.sequenced_at);
                    }
                }
            }
            _ => {
                let Some(&i) = at.get(&h.case) else { continue };
                let c = &mut cases[i];
                let member = c.to.contains(&h.party);
                let party_of_case = member || c.opener == h.party;
                match h.kind {
                    Kind::Ack if member => {
                        c.acks.entry(h.party).or_insert(m.sequenced_at);
                    }
                    Kind::Answer if member => {
                        // An answer acknowledges too.
                        c.acks.entry(h.party).or_insert(m.sequenced_at);
                        c.answers.entry(h.party).or_insert(m.sequenced_at);
                    }
                    Kind::Close if party_of_case => c.state = State::Closed,
                    Kind::Reopen if party_of_case => c.state = State::Open,
                    _ => {}
                }
                c.timeline.push(ev);
                if c.state != State::Closed {
                    let all = |m: &BTreeMap<KeyId, Option<u64>>| {
                        !c.to.is_empty() && c.to.iter().all(|p| m.contains_key(p))
                    };
                    c.state = if all(&c.answers) {
                        State::Answered
                    } else if all(&c.acks) {
                        State::Acknowledged
                    } else {
                        State::Open
                    };
                }
            }
        }
    }
    (cases, pings)
}

/// Responsiveness of one party (DESIGN §6), from the cases and pings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Responsiveness {
    /// Cases addressed to the party.
    pub received: u64,
    /// Of those, acknowledged on time.
    pub acked_on_time: u64,
    /// Acknowledged late.
    pub acked_late: u64,
    /// Answered on time (of those with an answer deadline).
    pub answered_on_time: u64,
    /// Answered late.
    pub answered_late: u64,
    /// Median seconds from opening to acknowledgement.
    pub median_ack_secs: Option<u64>,
    /// Median seconds from opening to answer.
    pub median_answer_secs: Option<u64>,
    /// Cases addressed to the party that are not closed.
    pub open: u64,
    /// Of those, with a deadline the party missed and has still not met.
    pub overdue: u64,
    /// Pings to the party.
    pub pings: u64,
    /// Pings it answered on time.
    pub pongs_on_time: u64,
}

fn median(mut v: Vec<u64>) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    })
}

/// One deadline of one case for one party, as [`responsiveness`] counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timing {
    /// Seconds from the opening to the deadline (`None`: no deadline, or
    /// the opening not dated yet).
    pub allowed: Option<u64>,
    /// Seconds from the opening to the first acknowledgement (answer), once
    /// done and dated.
    pub took: Option<u64>,
    /// Whether the party did it (dated or not).
    pub done: bool,
    /// Met (`Some(true)`), missed (`Some(false)`: late, or not done and
    /// past due), or not judged yet.
    pub on_time: Option<bool>,
}

impl Timing {
    /// Past due and still not done.
    pub fn overdue(&self) -> bool {
        !self.done && self.on_time == Some(false)
    }
}

/// What one case asked of one addressed party and how it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseTimes {
    /// The case.
    pub id: MessageId,
    /// Its title.
    pub title: String,
    /// When it was opened (sequencing time).
    pub opened_at: Option<u64>,
    /// Whether it is closed.
    pub closed: bool,
    /// The acknowledgement.
    pub ack: Timing,
    /// The answer.
    pub answer: Timing,
}

/// The cases addressed to `party`, each with its acknowledgement and answer
/// times, as of `now`, in the order of `cases`: what [`responsiveness`]
/// sums up (and a chart draws).
pub fn case_times(party: &KeyId, cases: &[Case], now: u64) -> Vec<CaseTimes> {
    let timing =
        |done: Option<&Option<u64>>, due: Option<u64>, on_time: Option<bool>, c: &Case| Timing {
            allowed: c.opened_at.zip(due).map(|(o, d)| d.saturating_sub(o)),
            took: c
                .opened_at
                .zip(done.copied().flatten())
                .map(|(o, a)| a.saturating_sub(o)),
            done: done.is_some(),
            on_time,
        };
    cases
        .iter()
        .filter(|c| c.to.contains(party))
        .map(|c| CaseTimes {
            id: c.id,
            title: c.title.clone(),
            opened_at: c.opened_at,
            closed: c.state == State::Closed,
            ack: timing(c.acks.get(party), c.ack_due, c.acked_on_time(party, now), c),
            answer: timing(
                c.answers.get(party),
                c.answer_due,
                c.answered_on_time(party, now),
                c,
            ),
        })
        .collect()
}

/// The responsiveness of `party` as of `now`.
pub fn responsiveness(party: &KeyId, cases: &[Case], pings: &[Ping], now: u64) -> Responsiveness {
    let mut r = Responsiveness::default();
    let (mut ack_t, mut ans_t) = (Vec::new(), Vec::new());
    for c in case_times(party, cases, now) {
        r.received += 1;
        match c.ack.on_time {
            Some(true) => r.acked_on_time += 1,
            Some(false) if c.ack.done => r.acked_late += 1,
            _ => {}
        }
        match c.answer.on_time {
            Some(true) => r.answered_on_time += 1,
            Some(false) if c.answer.done => r.answered_late += 1,
            _ => {}
        }
        ack_t.extend(c.ack.took);
        ans_t.extend(c.answer.took);
        if !c.closed {
            r.open += 1;
            if c.ack.overdue() || c.answer.overdue() {
                r.overdue += 1;
            }
        }
    }
    for p in pings.iter().filter(|p| p.to.contains(party)) {
        r.pings += 1;
        if let (Some(Some(t)), Some(d)) = (p.pongs.get(party), p.due)
            && *t <= d
        {
            r.pongs_on_time += 1;
        }
    }
    r.median_ack_secs = median(ack_t);
    r.median_answer_secs = median(ans_t);
    r
}

impl Responsiveness {
    /// Acknowledgements on time, of those given and judged: `(on time, of)`.
    pub fn ack_rate(&self) -> (u64, u64) {
        (self.acked_on_time, self.acked_on_time + self.acked_late)
    }

    /// Answers on time, of those given and judged: `(on time, of)`.
    pub fn answer_rate(&self) -> (u64, u64) {
        (
            self.answered_on_time,
            self.answered_on_time + self.answered_late,
        )
    }

    /// Pings answered on time, of those received: `(on time, of)`.
    pub fn ping_rate(&self) -> (u64, u64) {
        (self.pongs_on_time, self.pings)
    }
}

/// What the sequencing times, and so every deadline and figure, rest on
/// (`docs/client.md`, "Sequencing times").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum TimeSource {
    /// The relay's own timestamp: its operator is trusted for it.
    Relay {
        /// How many witnesses the charter names (they cosign, but set no
        /// time without a quorum).
        witnesses: usize,
    },
    /// The time by which `quorum` of the charter's `of` witnesses had
    /// cosigned a checkpoint covering the message, by their clocks.
    Witnesses {
        /// The charter's quorum.
        quorum: u32,
        /// How many witnesses it names.
        of: usize,
    },
}

impl TimeSource {
    /// `relay` or `witnesses`.
    pub fn as_str(&self) -> &'static str {
        match self {
            TimeSource::Relay { .. } => "relay",
            TimeSource::Witnesses { .. } => "witnesses",
        }
    }
}

/// What a channel's times rest on, by its charter.
pub fn time_source(charter: &Charter) -> TimeSource {
    if charter.witness_quorum == 0 {
        TimeSource::Relay {
            witnesses: charter.witnesses.len(),
        }
    } else {
        TimeSource::Witnesses {
            quorum: charter.witness_quorum,
            of: charter.witnesses.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_core::charter::{CharterParty, Deadline, DisclosureRule, RelayInfo};
    use hotline_core::ids::ChannelId;
    use hotline_core::keys::SigningKey;
    use hotline_core::message::Tlp;

    fn charter(north: KeyId, south: KeyId) -> Charter {
        let party = |id: KeyId, short: &str| CharterParty {
            id,
            name: short.into(),
            short: short.into(),
            key: String::new(),
        };
        Charter {
            v: 1,
            title: "t".into(),
            nonce: "00".repeat(16),
            created: "2026-11-23T00:00:00Z".into(),
            parties: vec![party(north, "north"), party(south, "south")],
            relay: RelayInfo {
                url: "http://127.0.0.1".into(),
                key: String::new(),
            },
            witnesses: vec![],
            witness_quorum: 0,
            deadlines: BTreeMap::from([
                (
                    Kind::Inquiry,
                    Deadline {
                        ack_within: Some(100),
                        answer_within: Some(1000),
                    },
                ),
                (
                    Kind::Ping,
                    Deadline {
                        ack_within: Some(60),
                        answer_within: None,
                    },
                ),
            ]),
            disclosure: DisclosureRule::Unanimous,
            default_tlp: Tlp::Amber,
            retention_days: 1,
            suite: "hotline-v1".into(),
        }
    }

    struct Log {
        msgs: Vec<LoggedMessage>,
    }

    impl Log {
        fn add(
            &mut self,
            kind: Kind,
            from: KeyId,
            to: KeyId,
            case: Option<MessageId>,
            refs: Vec<MessageId>,
            at: u64,
        ) -> MessageId {
            let id = MessageId([self.msgs.len() as u8 + 1; 16]);
            self.msgs.push(LoggedMessage {
                index: self.msgs.len() as u64 + 3,
                sequenced_at: Some(at),
                header: InnerHeader {
                    v: 1,
                    channel: ChannelId([9; 16]),
                    id,
                    case: case.unwrap_or(id),
                    kind,
                    author: from,
                    party: from,
                    created: "2026-11-23T00:00:00Z".into(),
                    to: vec![to],
                    refs,
                    title: format!("{kind:?}"),
                    tlp: Tlp::Amber,
                    norm: None,
                    lang: "en".into(),
                    other_langs: vec![],
                    authentic: vec![],
                    attachments: vec![],
                    stix: false,
                    nonce: "00".repeat(16),
                },
            });
            id
        }
    }

    #[test]
    fn deadlines_states_and_figures_follow_the_log() {
        let (n, s) = (
            SigningKey::generate(&mut rand_core::OsRng).key_id(),
            SigningKey::generate(&mut rand_core::OsRng).key_id(),
        );
        let c = charter(n, s);
        let mut log = Log { msgs: vec![] };
        // Case 1: acknowledged on time (50 s), answered late (1,500 s > 1,000).
        let c1 = log.add(Kind::Inquiry, n, s, None, vec![], 1000);
        log.add(Kind::Ack, s, n, Some(c1), vec![], 1050);
        log.add(Kind::Clarification, n, s, Some(c1), vec![], 1100);
        log.add(Kind::Answer, s, n, Some(c1), vec![], 2500);
        // An ack by the opener does not count for the addressed party.
        let c2 = log.add(Kind::Inquiry, n, s, None, vec![], 3000);
        log.add(Kind::Ack, n, s, Some(c2), vec![], 3010);
        // A ping answered on time, and one never answered.
        let p1 = log.add(Kind::Ping, n, s, Some(PING_CASE), vec![], 4000);
        log.add(Kind::Pong, s, n, Some(PING_CASE), vec![p1], 4030);
        log.add(Kind::Ping, n, s, Some(PING_CASE), vec![], 5000);
        log.add(Kind::Close, n, s, Some(c1), vec![], 6000);

        let (cases, pings) = derive(&c, &log.msgs);
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].state, State::Closed);
        assert_eq!(cases[0].timeline.len(), 5);
        assert_eq!(
            (cases[0].ack_due, cases[0].answer_due),
            (Some(1100), Some(2000))
        );
        assert_eq!(cases[0].acked_on_time(&s, 9999), Some(true));
        assert_eq!(cases[0].answered_on_time(&s, 9999), Some(false));
        assert_eq!(cases[1].state, State::Open);
        assert_eq!(cases[1].owed_by(&s), Some((Kind::Ack, Some(3100))));
        assert_eq!(cases[1].owed_by(&n), None);

        // An inquiry the relay has not dated yet is owed all the same, its
        // due time unknown; once dated, the time is known.
        let mut undated = Log { msgs: vec![] };
        undated.add(Kind::Inquiry, n, s, None, vec![], 7000);
        undated.msgs[0].sequenced_at = None;
        let (u, _) = derive(&c, &undated.msgs);
        assert_eq!(u[0].ack_due, None);
        assert_eq!(u[0].owed_by(&s), Some((Kind::Ack, None)));
        undated.msgs[0].sequenced_at = Some(7000);
        let (u, _) = derive(&c, &undated.msgs);
        assert_eq!(u[0].owed_by(&s), Some((Kind::Ack, Some(7100))));

        let r = responsiveness(&s, &cases, &pings, 9999);
        assert_eq!((r.received, r.acked_on_time, r.acked_late), (2, 1, 0));
        assert_eq!((r.answered_on_time, r.answered_late), (0, 1));
        assert_eq!(
            (r.median_ack_secs, r.median_answer_secs),
            (Some(50), Some(1500))
        );
        assert_eq!((r.open, r.overdue), (1, 1));
        assert_eq!((r.pings, r.pongs_on_time), (2, 1));
        // Before the second case's deadline it is open but not overdue.
        assert_eq!(responsiveness(&s, &cases, &pings, 3050).overdue, 0);
        // The opener's figures: nothing was addressed to it.
        assert_eq!(responsiveness(&n, &cases, &pings, 9999).received, 0);

        // The per-case times those figures sum up.
        let t = case_times(&s, &cases, 9999);
        assert_eq!(t.len(), 2);
        assert_eq!(
            t[0].ack,
            Timing {
                allowed: Some(100),
                took: Some(50),
                done: true,
                on_time: Some(true)
            }
        );
        assert_eq!(
            (t[0].answer.allowed, t[0].answer.took, t[0].answer.on_time),
            (Some(1000), Some(1500), Some(false))
        );
        assert!(t[0].closed && !t[0].answer.overdue());
        assert!(t[1].ack.overdue() && !t[1].closed);
        assert!(case_times(&n, &cases, 9999).is_empty());
        assert_eq!(
            (r.ack_rate(), r.answer_rate(), r.ping_rate()),
            ((1, 1), (0, 1), (1, 2))
        );
        assert_eq!(time_source(&c), TimeSource::Relay { witnesses: 0 });
        let mut w = c.clone();
        w.witness_quorum = 2;
        assert_eq!(time_source(&w), TimeSource::Witnesses { quorum: 2, of: 0 });

        // The same messages in another order give the same result.
        let mut shuffled = log.msgs.clone();
        shuffled.reverse();
        assert_eq!(derive(&c, &shuffled).0, cases);
    }

    #[test]
    fn the_replies_a_party_may_send_follow_the_case() {
        let (n, s) = (
            SigningKey::generate(&mut rand_core::OsRng).key_id(),
            SigningKey::generate(&mut rand_core::OsRng).key_id(),
        );
        let outsider = SigningKey::generate(&mut rand_core::OsRng).key_id();
        let c = charter(n, s);
        let mut log = Log { msgs: vec![] };
        let c1 = log.add(Kind::Inquiry, n, s, None, vec![], 1000);
        let now = |log: &Log| derive(&c, &log.msgs).0.remove(0);
        use Kind::*;
        assert_eq!(
            now(&log).replies_for(&s),
            vec![Ack, Interim, Answer, Clarification, Close]
        );
        // The opener neither acknowledges nor answers its own case.
        assert_eq!(now(&log).replies_for(&n), vec![Clarification, Close]);
        assert!(now(&log).replies_for(&outsider).is_empty());
        log.add(Ack, s, n, Some(c1), vec![], 1050);
        assert_eq!(
            now(&log).replies_for(&s),
            vec![Interim, Answer, Clarification, Close]
        );
        log.add(Answer, s, n, Some(c1), vec![], 1100);
        assert_eq!(now(&log).replies_for(&s), vec![Clarification, Close]);
        log.add(Close, n, s, Some(c1), vec![], 1200);
        assert_eq!(now(&log).replies_for(&s), vec![Reopen]);
        assert_eq!(now(&log).replies_for(&n), vec![Reopen]);
        assert!(now(&log).replies_for(&outsider).is_empty());
        log.add(Reopen, s, n, Some(c1), vec![], 1300);
        assert_eq!(now(&log).replies_for(&n), vec![Clarification, Close]);
    }
}
