//! The STIX patterning language (STIX 2.1 §9): a hand-written lexer and
//! recursive-descent parser producing a [`Pattern`] tree, with byte positions
//! in every error.
//!
//! The grammar, from loosest to tightest binding:
//!
//! ```text
//! pattern      = obs-fby EOF
//! obs-fby      = obs-or  *("FOLLOWEDBY" obs-or)
//! obs-or       = obs-and *("OR" obs-and)
//! obs-and      = obs-qual *("AND" obs-qual)
//! obs-qual     = obs-prim *(qualifier)
//! obs-prim     = "[" cmp-or "]" / "(" obs-fby ")"
//! qualifier    = "WITHIN" (int / float) "SECONDS" / "REPEATS" int "TIMES"
//!              / "START" timestamp "STOP" timestamp
//! cmp-or       = cmp-and *("OR" cmp-and)
//! cmp-and      = prop-test *("AND" prop-test)
//! prop-test    = "(" cmp-or ")" / "EXISTS" path
//!              / path ["NOT"] op literal
//! path         = type ":" (ident / string) *("." (ident / string) / "[" (int / "*") "]")
//! ```
//!
//! `=`/`!=` take any literal, `<`/`>`/`<=`/`>=` any but a boolean, `IN` a
//! parenthesised list, `LIKE`/`MATCHES`/`ISSUBSET`/`ISSUPERSET` a string.
//! Keywords are upper case; whitespace and `/* */`/`//` comments separate
//! tokens. Beyond the grammar, [`parse`] applies the semantic checks OASIS's
//! `stix2-patterns` applies: no qualifier type twice directly on one bracketed
//! observation, and hash values of the right form for well-known hash names.
//! [`check_names`] adds the checks of object type and property names that
//! `stix2-validator` makes on an indicator's pattern.

use std::fmt;

/// A pattern that does not parse, or breaks a rule of §9.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at {pos}")]
pub struct PatternError {
    /// The byte offset in the pattern where the problem was found.
    pub pos: usize,
    /// What was wrong, for a person ("expected ']'").
    pub message: String,
}

impl PatternError {
    fn new(pos: usize, message: impl Into<String>) -> Self {
        PatternError {
            pos,
            message: message.into(),
        }
    }
}

/// A parsed pattern: one observation expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The whole expression.
    pub expr: Observation,
}

/// An observation expression (§9.5).
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// `[ comparison ]`.
    Simple(Comparison),
    /// `( observation )`.
    Group(Box<Observation>),
    /// `a AND b`.
    And(Box<Observation>, Box<Observation>),
    /// `a OR b`.
    Or(Box<Observation>, Box<Observation>),
    /// `a FOLLOWEDBY b`.
    FollowedBy(Box<Observation>, Box<Observation>),
    /// An observation with a qualifier.
    Qualified(Box<Observation>, Qualifier),
}

/// An observation qualifier (§9.6).
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS` (the literal as written).
    Within(String),
    /// `REPEATS n TIMES`.
    Repeats(u64),
    /// `START t'…' STOP t'…'` (the timestamps without `t'` and `'`).
    StartStop(String, String),
}

/// A comparison expression (§9.4).
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    /// `a AND b`.
    And(Box<Comparison>, Box<Comparison>),
    /// `a OR b`.
    Or(Box<Comparison>, Box<Comparison>),
    /// `( comparison )`.
    Group(Box<Comparison>),
    /// `EXISTS path`.
    Exists(ObjectPath),
    /// `path [NOT] op value`.
    Test {
        /// The left side.
        path: ObjectPath,
        /// `NOT` was given.
        negated: bool,
        /// The operator.
        op: Op,
        /// The right side.
        value: Value,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=` or `==`.
    Eq,
    /// `!=` or `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `IN`.
    In,
    /// `LIKE`.
    Like,
    /// `MATCHES`.
    Matches,
    /// `ISSUBSET`.
    IsSubset,
    /// `ISSUPERSET`.
    IsSuperset,
}

/// An object path `type:prop.sub[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    /// The SCO type (`file`).
    pub object_type: String,
    /// The first property and what follows it.
    pub steps: Vec<Step>,
    /// Where the path starts in the pattern.
    pub pos: usize,
}

/// One step of an object path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A property or dictionary key (unquoted or quoted).
    Key(String),
    /// A list index.
    Index(i64),
    /// `[*]`.
    Any,
}

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer, as written.
    Int(String),
    /// A float, as written.
    Float(String),
    /// A string, unescaped.
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// `b'…'` (the base64 text).
    Binary(String),
    /// `h'…'` (the hex digits).
    Hex(String),
    /// `t'…'` (the timestamp).
    Timestamp(String),
    /// `( v, … )` for `IN`.
    List(Vec<Value>),
}

impl fmt::Display for Pattern {
    /// The pattern in a canonical form (single spaces, `=` and `!=`, strings
    /// re-escaped, parentheses only where the tree has them): parsing it
    /// gives a pattern that displays the same.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl fmt::Display for Observation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Observation::Simple(c) => write!(f, "[{c}]"),
            Observation::Group(a) => write!(f, "({a})"),
            Observation::And(a, b) => write!(f, "{a} AND {b}"),
            Observation::Or(a, b) => write!(f, "{a} OR {b}"),
            Observation::FollowedBy(a, b) => write!(f, "{a} FOLLOWEDBY {b}"),
            Observation::Qualified(a, Qualifier::Within(n)) => write!(f, "{a} WITHIN {n} SECONDS"),
            Observation::Qualified(a, Qualifier::Repeats(n)) => write!(f, "{a} REPEATS {n} TIMES"),
            Observation::Qualified(a, Qualifier::StartStop(t1, t2)) => {
                write!(f, "{a} START t'{t1}' STOP t'{t2}'")
            }
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Comparison::And(a, b) => write!(f, "{a} AND {b}"),
            Comparison::Or(a, b) => write!(f, "{a} OR {b}"),
            Comparison::Group(a) => write!(f, "({a})"),
            Comparison::Exists(p) => write!(f, "EXISTS {p}"),
            Comparison::Test {
                path,
                negated,
                op,
                value,
            } => {
                let op = match op {
                    Op::Eq => "=",
                    Op::Ne => "!=",
                    Op::Lt => "<",
                    Op::Le => "<=",
                    Op::Gt => ">",
                    Op::Ge => ">=",
                    Op::In => "IN",
                    Op::Like => "LIKE",
                    Op::Matches => "MATCHES",
                    Op::IsSubset => "ISSUBSET",
                    Op::IsSuperset => "ISSUPERSET",
                };
                let not = if *negated { " NOT" } else { "" };
                write!(f, "{path}{not} {op} {value}")
            }
        }
    }
}

fn write_str_literal(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("'")?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\'' => f.write_str("\\'")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("'")
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    // Lower-case names stay bare (keywords are upper case);
                    // anything else is quoted.
                    let ident = k.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                        && k.bytes()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
                        && k != "true"
                        && k != "false";
                    if ident {
                        f.write_str(k)?;
                    } else {
                        write_str_literal(f, k)?;
                    }
                }
                Step::Index(n) => write!(f, "[{n}]")?,
                Step::Any => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(s) | Value::Float(s) => f.write_str(s),
            Value::Str(s) => write_str_literal(f, s),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Binary(s) => write!(f, "b'{s}'"),
            Value::Hex(s) => write!(f, "h'{s}'"),
            Value::Timestamp(s) => write!(f, "t'{s}'"),
            Value::List(l) => {
                f.write_str("(")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Keyword(&'static str),
    Bool(bool),
    Int(String),
    Float(String),
    Str(String),
    Binary(String),
    Hex(String),
    Timestamp(String),
    Punct(&'static str),
    Eof,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(s) => write!(f, "'{s}'"),
            Tok::Keyword(k) => write!(f, "{k}"),
            Tok::Bool(b) => write!(f, "{b}"),
            Tok::Int(s) | Tok::Float(s) => write!(f, "{s}"),
            Tok::Str(_) => write!(f, "a string"),
            Tok::Binary(_) => write!(f, "a binary literal"),
            Tok::Hex(_) => write!(f, "a hex literal"),
            Tok::Timestamp(_) => write!(f, "a timestamp"),
            Tok::Punct(p) => write!(f, "'{p}'"),
            Tok::Eof => write!(f, "the end of the pattern"),
        }
    }
}

const KEYWORDS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "FOLLOWEDBY",
    "LIKE",
    "MATCHES",
    "ISSUPERSET",
    "ISSUBSET",
    "EXISTS",
    "LAST",
    "IN",
    "START",
    "STOP",
    "SECONDS",
    "WITHIN",
    "REPEATS",
    "TIMES",
];

/// The longest input parsed; longer patterns are refused (a bound on work
/// and on recursion depth together with [`MAX_DEPTH`]).
pub const MAX_LEN: usize = 64 * 1024;
/// The deepest nesting of brackets and parentheses accepted.
pub const MAX_DEPTH: usize = 64;

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, PatternError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        // Whitespace as the grammar's WS rule lists it (ASCII and Unicode).
        if let Some(ch) = src[i..].chars().next()
            && is_ws(ch)
        {
            i += ch.len_utf8();
            continue;
        }
        if b[i..].starts_with(b"/*") {
            match src[i + 2..].find("*/") {
                Some(end) => i = i + 2 + end + 2,
                None => return Err(PatternError::new(i, "unterminated comment")),
            }
            continue;
        }
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                i += 1;
            }
            continue;
        }
        let start = i;
        // Prefixed literals t'…', h'…', b'…'.
        if (c == b't' || c == b'h' || c == b'b') && b.get(i + 1) == Some(&b'\'') {
            let body_start = i + 2;
            let Some(len) = src[body_start..].find('\'') else {
                return Err(PatternError::new(start, "unterminated literal"));
            };
            let body = &src[body_start..body_start + len];
            let tok = match c {
                b't' => {
                    if !is_pattern_timestamp(body) {
                        return Err(PatternError::new(start, "invalid timestamp literal"));
                    }
                    Tok::Timestamp(body.to_owned())
                }
                b'h' => {
                    if !body.len().is_multiple_of(2) || !body.bytes().all(|x| x.is_ascii_hexdigit())
                    {
                        return Err(PatternError::new(start, "invalid hex literal"));
                    }
                    Tok::Hex(body.to_owned())
                }
                _ => {
                    if !is_base64(body) {
                        return Err(PatternError::new(start, "invalid binary literal"));
                    }
                    Tok::Binary(body.to_owned())
                }
            };
            out.push((tok, start));
            i = body_start + len + 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
                i += 1;
            }
            let word = &src[start..i];
            let tok = if let Some(k) = KEYWORDS.iter().find(|k| **k == word) {
                Tok::Keyword(k)
            } else if word == "true" || word == "false" {
                Tok::Bool(word == "true")
            } else {
                Tok::Ident(word.to_owned())
            };
            out.push((tok, start));
            continue;
        }
        if c.is_ascii_digit()
            || c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            || (c == b'+' || c == b'-')
                && b.get(i + 1)
                    .is_some_and(|n| n.is_ascii_digit() || *n == b'.')
        {
            if c == b'+' || c == b'-' {
                i += 1;
            }
            let int_start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let int_digits = &src[int_start..i];
            if i < b.len() && b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push((Tok::Float(src[start..i].to_owned()), start));
            } else if int_digits.is_empty() {
                return Err(PatternError::new(start, "invalid number"));
            } else if int_digits.len() > 1 && int_digits.starts_with('0') {
                return Err(PatternError::new(start, "integer with a leading zero"));
            } else {
                out.push((Tok::Int(src[start..i].to_owned()), start));
            }
            continue;
        }
        if c == b'\'' {
            i += 1;
            let mut s = String::new();
            loop {
                let Some(ch) = src[i..].chars().next() else {
                    return Err(PatternError::new(start, "unterminated string"));
                };
                match ch {
                    '\'' => {
                        i += 1;
                        break;
                    }
                    '\\' => match b.get(i + 1) {
                        Some(b'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some(b'\\') => {
                            s.push('\\');
                            i += 2;
                        }
                        _ => {
                            return Err(PatternError::new(
                                i,
                                "invalid escape in string (only \\' and \\\\)",
                            ));
                        }
                    },
                    _ => {
                        s.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            out.push((Tok::Str(s), start));
            continue;
        }
        let two = src.get(i..i + 2).unwrap_or("");
        let p: &'static str = match two {
            "==" => "=",
            "!=" | "<>" => "!=",
            "<=" => "<=",
            ">=" => ">=",
            _ => match c {
                b'=' => "=",
                b'<' => "<",
                b'>' => ">",
                b':' => ":",
                b'.' => ".",
                b',' => ",",
                b'(' => "(",
                b')' => ")",
                b'[' => "[",
                b']' => "]",
                b'*' => "*",
                _ => {
                    let ch = src[i..].chars().next().unwrap_or('?');
                    return Err(PatternError::new(i, format!("unexpected character {ch:?}")));
                }
            },
        };
        i += if matches!(two, "==" | "!=" | "<>" | "<=" | ">=") {
            2
        } else {
            1
        };
        out.push((Tok::Punct(p), start));
    }
    out.push((Tok::Eof, b.len()));
    Ok(out)
}

fn is_ws(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\r'
            | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|c| **c == b'=').count();
    if pad > 2 {
        return false;
    }
    b[..b.len() - pad]
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
}

/// `YYYY-MM-DDTHH:MM:SS[.frac]Z` as the pattern grammar's timestamp literal
/// allows it (seconds up to 60, day up to 31 whatever the month).
fn is_pattern_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return false;
    }
    let d = |i: usize| b[i].is_ascii_digit();
    let n = |i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
    if !(d(0) && d(1) && d(2) && d(3) && b[4] == b'-' && d(5) && d(6) && b[7] == b'-')
        || !(d(8) && d(9) && b[10] == b'T' && d(11) && d(12) && b[13] == b':')
        || !(d(14) && d(15) && b[16] == b':' && d(17) && d(18))
    {
        return false;
    }
    let (mo, da, h, mi, se) = (n(5), n(8), n(11), n(14), n(17));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || se > 60 {
        return false;
    }
    let rest = &b[19..b.len() - 1];
    rest.is_empty()
        || rest.len() >= 2 && rest[0] == b'.' && rest[1..].iter().all(u8::is_ascii_digit)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.at.min(self.toks.len() - 1)].0
    }
    fn pos(&self) -> usize {
        self.toks[self.at.min(self.toks.len() - 1)].1
    }
    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.at.min(self.toks.len() - 1)].clone();
        if self.at < self.toks.len() - 1 {
            self.at += 1;
        }
        t
    }
    fn is_kw(&self, k: &str) -> bool {
        matches!(self.peek(), Tok::Keyword(x) if *x == k)
    }
    fn is_p(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(x) if *x == p)
    }
    fn unexpected(&self, wanted: &str) -> PatternError {
        PatternError::new(
            self.pos(),
            format!("expected {wanted}, found {}", self.peek()),
        )
    }
    fn expect_p(&mut self, p: &str) -> Result<(), PatternError> {
        if self.is_p(p) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(&format!("'{p}'")))
        }
    }
    fn expect_kw(&mut self, k: &str) -> Result<(), PatternError> {
        if self.is_kw(k) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(k))
        }
    }
    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PatternError::new(self.pos(), "pattern nested too deeply"));
        }
        Ok(())
    }

    fn obs_fby(&mut self) -> Result<Observation, PatternError> {
        let mut l = self.obs_or()?;
        while self.is_kw("FOLLOWEDBY") {
            self.bump();
            let r = self.obs_or()?;
            l = Observation::FollowedBy(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn obs_or(&mut self) -> Result<Observation, PatternError> {
        let mut l = self.obs_and()?;
        while self.is_kw("OR") {
            self.bump();
            let r = self.obs_and()?;
            l = Observation::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn obs_and(&mut self) -> Result<Observation, PatternError> {
        let mut l = self.obs_qual()?;
        while self.is_kw("AND") {
            self.bump();
            let r = self.obs_qual()?;
            l = Observation::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn obs_qual(&mut self) -> Result<Observation, PatternError> {
        let mut o = self.obs_prim()?;
        // Qualifier types seen directly on a bracketed observation.
        let simple = matches!(o, Observation::Simple(_));
        let mut seen: Vec<&'static str> = Vec::new();
        loop {
            let pos = self.pos();
            let q = if self.is_kw("WITHIN") {
                self.bump();
                let n = match self.peek() {
                    Tok::Int(s) | Tok::Float(s) if !s.starts_with('-') => s.clone(),
                    _ => return Err(self.unexpected("a positive number after WITHIN")),
                };
                self.bump();
                self.expect_kw("SECONDS")?;
                ("WITHIN", Qualifier::Within(n))
            } else if self.is_kw("REPEATS") {
                self.bump();
                let n = match self.peek() {
                    Tok::Int(s) if !s.starts_with('-') => {
                        s.trim_start_matches('+').parse::<u64>().ok()
                    }
                    _ => None,
                };
                let Some(n) = n else {
                    return Err(self.unexpected("a positive integer after REPEATS"));
                };
                self.bump();
                self.expect_kw("TIMES")?;
                ("REPEATS", Qualifier::Repeats(n))
            } else if self.is_kw("START") {
                self.bump();
                let Tok::Timestamp(a) = self.peek().clone() else {
                    return Err(self.unexpected("a timestamp t'…' after START"));
                };
                self.bump();
                self.expect_kw("STOP")?;
                let Tok::Timestamp(b) = self.peek().clone() else {
                    return Err(self.unexpected("a timestamp t'…' after STOP"));
                };
                self.bump();
                ("STARTSTOP", Qualifier::StartStop(a, b))
            } else {
                break;
            };
            if simple {
                if seen.contains(&q.0) {
                    return Err(PatternError::new(
                        pos,
                        format!("duplicate {} qualifier on one observation", q.0),
                    ));
                }
                seen.push(q.0);
            }
            o = Observation::Qualified(Box::new(o), q.1);
        }
        Ok(o)
    }
    fn obs_prim(&mut self) -> Result<Observation, PatternError> {
        if self.is_p("[") {
            self.enter()?;
            self.bump();
            let c = self.cmp_or()?;
            self.expect_p("]")?;
            self.depth -= 1;
            Ok(Observation::Simple(c))
        } else if self.is_p("(") {
            self.enter()?;
            self.bump();
            let o = self.obs_fby()?;
            self.expect_p(")")?;
            self.depth -= 1;
            Ok(Observation::Group(Box::new(o)))
        } else {
            Err(self.unexpected("'[' or '('"))
        }
    }
    fn cmp_or(&mut self) -> Result<Comparison, PatternError> {
        let mut l = self.cmp_and()?;
        while self.is_kw("OR") {
            self.bump();
            let r = self.cmp_and()?;
            l = Comparison::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn cmp_and(&mut self) -> Result<Comparison, PatternError> {
        let mut l = self.prop_test()?;
        while self.is_kw("AND") {
            self.bump();
            let r = self.prop_test()?;
            l = Comparison::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn prop_test(&mut self) -> Result<Comparison, PatternError> {
        if self.is_p("(") {
            self.enter()?;
            self.bump();
            let c = self.cmp_or()?;
            self.expect_p(")")?;
            self.depth -= 1;
            return Ok(Comparison::Group(Box::new(c)));
        }
        if self.is_kw("EXISTS") {
            self.bump();
            return Ok(Comparison::Exists(self.path()?));
        }
        let path = self.path()?;
        let negated = self.is_kw("NOT");
        if negated {
            self.bump();
        }
        let op = match self.peek() {
            Tok::Punct("=") => Op::Eq,
            Tok::Punct("!=") => Op::Ne,
            Tok::Punct("<") => Op::Lt,
            Tok::Punct("<=") => Op::Le,
            Tok::Punct(">") => Op::Gt,
            Tok::Punct(">=") => Op::Ge,
            Tok::Keyword("IN") => Op::In,
            Tok::Keyword("LIKE") => Op::Like,
            Tok::Keyword("MATCHES") => Op::Matches,
            Tok::Keyword("ISSUBSET") => Op::IsSubset,
            Tok::Keyword("ISSUPERSET") => Op::IsSuperset,
            _ => return Err(self.unexpected("a comparison operator")),
        };
        self.bump();
        let value = match op {
            Op::Eq | Op::Ne => self.primitive(true)?,
            Op::Lt | Op::Le | Op::Gt | Op::Ge => self.primitive(false)?,
            Op::In => self.set()?,
            Op::Like | Op::Matches | Op::IsSubset | Op::IsSuperset => match self.peek().clone() {
                Tok::Str(s) => {
                    self.bump();
                    Value::Str(s)
                }
                _ => return Err(self.unexpected("a string")),
            },
        };
        Ok(Comparison::Test {
            path,
            negated,
            op,
            value,
        })
    }
    fn primitive(&mut self, bool_ok: bool) -> Result<Value, PatternError> {
        let v = match self.peek().clone() {
            Tok::Int(s) => Value::Int(s),
            Tok::Float(s) => Value::Float(s),
            Tok::Str(s) => Value::Str(s),
            Tok::Binary(s) => Value::Binary(s),
            Tok::Hex(s) => Value::Hex(s),
            Tok::Timestamp(s) => Value::Timestamp(s),
            Tok::Bool(b) if bool_ok => Value::Bool(b),
            _ => {
                return Err(self.unexpected(if bool_ok {
                    "a literal"
                } else {
                    "an orderable literal (not a boolean)"
                }));
            }
        };
        self.bump();
        Ok(v)
    }
    fn set(&mut self) -> Result<Value, PatternError> {
        self.expect_p("(")?;
        let mut out = Vec::new();
        if self.is_p(")") {
            self.bump();
            return Ok(Value::List(out));
        }
        loop {
            out.push(self.primitive(true)?);
            if self.is_p(",") {
                self.bump();
            } else {
                self.expect_p(")")?;
                return Ok(Value::List(out));
            }
        }
    }
    fn path(&mut self) -> Result<ObjectPath, PatternError> {
        let pos = self.pos();
        let Tok::Ident(object_type) = self.peek().clone() else {
            return Err(self.unexpected("an object path (type:property)"));
        };
        self.bump();
        self.expect_p(":")?;
        let mut steps = Vec::new();
        match self.peek().clone() {
            Tok::Ident(s) if !s.contains('-') => steps.push(Step::Key(s)),
            Tok::Str(s) => steps.push(Step::Key(s)),
            _ => return Err(self.unexpected("a property name")),
        }
        self.bump();
        loop {
            if self.is_p(".") {
                self.bump();
                match self.peek().clone() {
                    Tok::Ident(s) if !s.contains('-') => steps.push(Step::Key(s)),
                    Tok::Str(s) => steps.push(Step::Key(s)),
                    _ => return Err(self.unexpected("a property name after '.'")),
                }
                self.bump();
            } else if self.is_p("[")
                && matches!(
                    self.toks.get(self.at + 1).map(|t| &t.0),
                    Some(Tok::Int(_) | Tok::Punct("*"))
                )
            {
                self.bump();
                match self.bump().0 {
                    Tok::Punct(_) => steps.push(Step::Any),
                    Tok::Int(s) => {
                        let n = s.trim_start_matches('+').parse::<i64>().map_err(|_| {
                            PatternError::new(self.pos(), "list index out of range")
                        })?;
                        steps.push(Step::Index(n));
                    }
                    _ => return Err(self.unexpected("a list index")),
                }
                self.expect_p("]")?;
            } else {
                break;
            }
        }
        Ok(ObjectPath {
            object_type,
            steps,
            pos,
        })
    }
}

/// Parses a STIX 2.1 pattern and applies §9's semantic checks (see the
/// module docs).
pub fn parse(src: &str) -> Result<Pattern, PatternError> {
    if src.len() > MAX_LEN {
        return Err(PatternError::new(
            MAX_LEN,
            format!("pattern longer than {MAX_LEN} bytes"),
        ));
    }
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        at: 0,
        depth: 0,
    };
    let expr = p.obs_fby()?;
    if *p.peek() != Tok::Eof {
        return Err(p.unexpected("an operator or the end of the pattern"));
    }
    let pattern = Pattern { expr };
    check_semantics(&pattern.expr)?;
    Ok(pattern)
}

fn check_semantics(o: &Observation) -> Result<(), PatternError> {
    match o {
        Observation::Simple(c) => check_comparison(c),
        Observation::Group(a) | Observation::Qualified(a, _) => check_semantics(a),
        Observation::And(a, b) | Observation::Or(a, b) | Observation::FollowedBy(a, b) => {
            check_semantics(a)?;
            check_semantics(b)
        }
    }
}

fn check_comparison(c: &Comparison) -> Result<(), PatternError> {
    match c {
        Comparison::And(a, b) | Comparison::Or(a, b) => {
            check_comparison(a)?;
            check_comparison(b)
        }
        Comparison::Group(a) => check_comparison(a),
        Comparison::Exists(_) => Ok(()),
        Comparison::Test { path, value, .. } => check_hash(path, value),
    }
}

/// Checks that every object path names a valid object type (§3.1 `type`
/// rules) and its first property a valid property name (3–250 characters of
/// `a-z`, `0-9`, `_`), as `stix2-validator` does for an indicator's pattern.
/// [`parse`] does not: the grammar alone admits `file:ab`.
pub fn check_names(p: &Pattern) -> Result<(), PatternError> {
    fn obs(o: &Observation) -> Result<(), PatternError> {
        match o {
            Observation::Simple(c) => cmp(c),
            Observation::Group(a) | Observation::Qualified(a, _) => obs(a),
            Observation::And(a, b) | Observation::Or(a, b) | Observation::FollowedBy(a, b) => {
                obs(a)?;
                obs(b)
            }
        }
    }
    fn cmp(c: &Comparison) -> Result<(), PatternError> {
        match c {
            Comparison::And(a, b) | Comparison::Or(a, b) => {
                cmp(a)?;
                cmp(b)
            }
            Comparison::Group(a) => cmp(a),
            Comparison::Exists(p) | Comparison::Test { path: p, .. } => check_path(p),
        }
    }
    obs(&p.expr)
}

fn check_path(p: &ObjectPath) -> Result<(), PatternError> {
    if !crate::object::is_type_name(&p.object_type) {
        return Err(PatternError::new(
            p.pos,
            format!("'{}' is not a valid object type name", p.object_type),
        ));
    }
    if let Some(Step::Key(first)) = p.steps.first()
        && !crate::object::is_sco_property_name(&p.object_type, first)
    {
        return Err(PatternError::new(
            p.pos,
            format!("'{first}' is not a valid property name"),
        ));
    }
    Ok(())
}

/// Hash names whose values have a fixed form, after upper-casing and
/// dropping hyphens (as `stix2-patterns` compares them).
fn hash_form(name: &str) -> Option<fn(&str) -> bool> {
    fn hex(n: usize) -> impl Fn(&str) -> bool {
        move |s: &str| s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit())
    }
    let key: String = name
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    Some(match key.as_str() {
        "MD5" => |s| hex(32)(s),
        "SHA1" | "RIPEMD160" => |s| hex(40)(s),
        "SHA224" | "SHA3224" => |s| hex(56)(s),
        "SHA256" | "SHA3256" => |s| hex(64)(s),
        "SHA384" | "SHA3384" => |s| hex(96)(s),
        "SHA512" | "SHA3512" | "WHIRLPOOL" => |s| hex(128)(s),
        "SSDEEP" => |s| {
            (1..=128).contains(&s.len())
                && s.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/+:.".contains(&c))
        },
        _ => return None,
    })
}

fn check_hash(p: &ObjectPath, v: &Value) -> Result<(), PatternError> {
    if !p.steps.iter().any(|s| *s == Step::Key("hashes".into())) {
        return Ok(());
    }
    let (Some(Step::Key(name)), Value::Str(s)) = (p.steps.last(), v) else {
        return Ok(());
    };
    if let Some(ok) = hash_form(name)
        && !ok(s)
    {
        return Err(PatternError::new(
            p.pos,
            format!("'{s}' is not a valid {name} hash"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) {
        if let Err(e) = parse(s) {
            panic!("{s}: {e}");
        }
    }
    fn bad(s: &str) -> PatternError {
        match parse(s) {
            Ok(p) => panic!("{s} parsed: {p:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn valid_patterns_from_the_specification() {
        ok(
            "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
        );
        ok(
            "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
        );
        ok(
            "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']",
        );
        ok(
            "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
        );
        ok(
            "[url:value = 'http://example.com/foo'] AND [url:value = 'http://example.com/bar'] WITHIN 5 SECONDS",
        );
        ok(
            "([file:name = 'foo.dll'] AND [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']",
        );
        ok("[file:size > 10 AND file:size <= 1024] REPEATS 5 TIMES WITHIN 1800 SECONDS");
        ok(
            "[network-traffic:dst_port IN (443, 8443) AND network-traffic:protocols[0] NOT = 'tcp'] FOLLOWEDBY [x-foo:bar NOT = true]",
        );
        ok(
            "[file:created > t'2016-01-01T00:00:00Z'] START t'2016-01-01T00:00:00Z' STOP t'2016-02-01T00:00:00.123Z'",
        );
        ok(
            "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=' OR artifact:payload_bin = h'0aff'] // comment",
        );
        ok(
            "[process:pid = -1 /* inline */ OR process:pid ISSUBSET '1.2.3.4/8' OR EXISTS process:x_cmd]",
        );
        ok("[x-y:abc = 1.5 AND x-y:zzz != -.5 AND x-y:www <> 0 AND x-y:vvv == +7]");
        ok("[x-f:abc IN ()]");
    }

    #[test]
    fn errors_carry_positions() {
        let e = bad("[file:name = 'a'");
        assert_eq!(e.pos, 16);
        assert!(e.message.starts_with("expected ']'"), "{e}");
        assert_eq!(bad("file:name = 'a'").pos, 0);
        assert_eq!(bad("[file:name = 'a'] AND").pos, 21);
        assert_eq!(bad("[file:name 'a']").pos, 11);
        assert_eq!(bad("[file:name = 'a] ").pos, 13);
        assert_eq!(bad("[file:name = 'a' ] extra").pos, 19);
    }

    #[test]
    fn grammar_refusals() {
        for s in [
            "",
            "[]",
            "[file:name = 'a' AND]",
            "[file:name < true]",
            "[file:name LIKE 5]",
            "[file:name IN 'a']",
            "[file:name = 'a'] WITHIN -5 SECONDS",
            "[file:name = 'a'] WITHIN 5",
            "[file:name = 'a'] REPEATS 1.5 TIMES",
            "[file:name = 'a'] START '2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'",
            "[file:name = t'2016-13-01T00:00:00Z']",
            "[file:name = h'abc']",
            "[file:name = b'abc']",
            "[file:name = 'a\\n']",
            "[file:name = 'a'] and [file:name = 'b']",
            "[file:name = 01]",
            "[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
            "[file:hashes.MD5 = 'nothex']",
            "[file:hashes.'SHA-256' = 'aa']",
            "[file:na-me = 'a']",
            "[file:name = 'a'] /* open",
            "[file:name ~ 'a']",
        ] {
            bad(s);
        }
    }

    #[test]
    fn names_are_checked_apart() {
        for s in [
            "[File:name = 'a']",
            "[file:ab = 'a']",
            "[fi:name = 'a']",
            "[x--foo:abc = 1]",
        ] {
            let p = parse(s).unwrap();
            assert!(check_names(&p).is_err(), "{s}");
        }
        for s in [
            "[file:name = 'a']",
            "[x-foo-:abc = 1]",
            "[file:id = 'a']",
            "[x-a:_ab = 1]",
        ] {
            let p = parse(s).unwrap();
            assert!(check_names(&p).is_ok(), "{s}");
        }
    }

    #[test]
    fn duplicate_qualifiers_on_a_group_are_allowed() {
        ok("([file:name = 'a']) WITHIN 5 SECONDS WITHIN 6 SECONDS");
        ok("[file:name = 'a'] WITHIN 5 SECONDS REPEATS 2 TIMES");
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}[abc:bcd = 1]{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(bad(&deep).message.contains("nested too deeply"));
        let ok_depth = format!("{}[abc:bcd = 1]{}", "(".repeat(20), ")".repeat(20));
        ok(&ok_depth);
    }

    #[test]
    fn tree_shape() {
        let p = parse("[abc:bcd = 1] AND [abc:bcd = 2] OR [abc:bcd = 3] FOLLOWEDBY [abc:bcd = 4]")
            .unwrap();
        let Observation::FollowedBy(l, _) = p.expr else {
            panic!()
        };
        let Observation::Or(l, _) = *l else { panic!() };
        assert!(matches!(*l, Observation::And(_, _)));
        let p =
            parse("[file:hashes.'SHA-1'[*] = 'x' AND file:parent_directory_ref.path[-2] = 'y']")
                .unwrap();
        let Observation::Simple(Comparison::And(a, b)) = p.expr else {
            panic!()
        };
        let Comparison::Test { path, .. } = *a else {
            panic!()
        };
        assert_eq!(
            path.steps,
            vec![
                Step::Key("hashes".into()),
                Step::Key("SHA-1".into()),
                Step::Any
            ]
        );
        let Comparison::Test { path, value, .. } = *b else {
            panic!()
        };
        assert_eq!(path.steps[2], Step::Index(-2));
        assert_eq!(value, Value::Str("y".into()));
    }
}
