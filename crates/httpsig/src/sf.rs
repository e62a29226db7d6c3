//! The subset of RFC 8941 Structured Field Values that RFC 9421 and RFC 9530
//! need: dictionaries whose members are items or inner lists, with
//! parameters; bare items that are integers, strings, tokens, byte sequences
//! or booleans. Decimals are refused. Parsing follows RFC 8941 §4.2 and never
//! panics; serialisation follows §4.1.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::Error;

/// A bare item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BareItem {
    /// An integer (at most 15 digits).
    Integer(i64),
    /// A string of printable ASCII.
    String(String),
    /// A token.
    Token(String),
    /// A byte sequence.
    Bytes(Vec<u8>),
    /// A boolean.
    Boolean(bool),
}

/// Parameters, in order.
pub type Params = Vec<(String, BareItem)>;

/// An item with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The value.
    pub bare: BareItem,
    /// Its parameters.
    pub params: Params,
}

/// A dictionary member's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// A single item.
    Item(Item),
    /// An inner list and its parameters.
    InnerList(Vec<Item>, Params),
}

/// A dictionary, in order (a later duplicate key replaces an earlier one, as
/// RFC 8941 requires).
pub type Dictionary = Vec<(String, Member)>;

/// The longest header value we parse.
pub const MAX_FIELD_LEN: usize = 8192;

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

fn bad(m: &str) -> Error {
    Error::Malformed(m.to_owned())
}

impl P<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
    fn ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn key(&mut self) -> Result<String, Error> {
        let start = self.i;
        match self.peek() {
            Some(c) if c.is_ascii_lowercase() || c == b'*' => self.i += 1,
            _ => return Err(bad("a key must start with a lower-case letter or *")),
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || matches!(c, b'_' | b'-' | b'.' | b'*')
            {
                self.i += 1;
            } else {
                break;
            }
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn params(&mut self) -> Result<Params, Error> {
        let mut out: Params = Vec::new();
        while self.eat(b';') {
            self.sp();
            let k = self.key()?;
            let v = if self.eat(b'=') {
                self.bare()?
            } else {
                BareItem::Boolean(true)
            };
            if let Some(slot) = out.iter_mut().find(|(ok, _)| *ok == k) {
                slot.1 = v;
            } else {
                out.push((k, v));
            }
        }
        Ok(out)
    }

    fn bare(&mut self) -> Result<BareItem, Error> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.integer(),
            Some(b'"') => self.string(),
            Some(b':') => self.bytes(),
            Some(b'?') => {
                self.i += 1;
                if self.eat(b'1') {
                    Ok(BareItem::Boolean(true))
                } else if self.eat(b'0') {
                    Ok(BareItem::Boolean(false))
                } else {
                    Err(bad("a boolean is ?0 or ?1"))
                }
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'*' => self.token(),
            _ => Err(bad("expected an item")),
        }
    }

    fn integer(&mut self) -> Result<BareItem, Error> {
        let neg = self.eat(b'-');
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        let digits = &self.s[start..self.i];
        if digits.is_empty() || digits.len() > 15 {
            return Err(bad("an integer has 1 to 15 digits"));
        }
        if self.peek() == Some(b'.') {
            return Err(bad("decimals are not accepted here"));
        }
        let mut v: i64 = 0;
        for d in digits {
            v = v * 10 + i64::from(d - b'0');
        }
        Ok(BareItem::Integer(if neg { -v } else { v }))
    }

    fn string(&mut self) -> Result<BareItem, Error> {
        self.i += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(bad("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(BareItem::String(out));
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => {
                            out.push(char::from(c));
                            self.i += 1;
                        }
                        _ => return Err(bad("bad escape in a string")),
                    }
                }
                Some(c @ 0x20..=0x7e) => {
                    out.push(char::from(c));
                    self.i += 1;
                }
                Some(_) => return Err(bad("a string holds printable ASCII only")),
            }
        }
    }

    fn token(&mut self) -> Result<BareItem, Error> {
        let start = self.i;
        self.i += 1;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&c) {
                self.i += 1;
            } else {
                break;
            }
        }
        Ok(BareItem::Token(
            String::from_utf8_lossy(&self.s[start..self.i]).into_owned(),
        ))
    }

    fn bytes(&mut self) -> Result<BareItem, Error> {
        self.i += 1;
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == b':' {
                break;
            }
            if !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')) {
                return Err(bad("a byte sequence holds base64 only"));
            }
            self.i += 1;
        }
        if !self.eat(b':') {
            return Err(bad("unterminated byte sequence"));
        }
        let b = STANDARD
            .decode(&self.s[start..self.i - 1])
            .map_err(|_| bad("a byte sequence is not valid base64"))?;
        Ok(BareItem::Bytes(b))
    }

    fn item(&mut self) -> Result<Item, Error> {
        let bare = self.bare()?;
        let params = self.params()?;
        Ok(Item { bare, params })
    }

    fn member(&mut self) -> Result<Member, Error> {
        if self.eat(b'(') {
            let mut items = Vec::new();
            loop {
                self.sp();
                if self.eat(b')') {
                    let params = self.params()?;
                    return Ok(Member::InnerList(items, params));
                }
                items.push(self.item()?);
                match self.peek() {
                    Some(b' ' | b')') => {}
                    _ => return Err(bad("inner list items are separated by spaces")),
                }
            }
        }
        Ok(Member::Item(self.item()?))
    }
}

/// Parses a dictionary field value.
pub fn parse_dictionary(value: &str) -> Result<Dictionary, Error> {
    if value.len() > MAX_FIELD_LEN {
        return Err(bad("the field is too long"));
    }
    let mut p = P {
        s: value.as_bytes(),
        i: 0,
    };
    p.sp();
    let mut out: Dictionary = Vec::new();
    if p.peek().is_none() {
        return Ok(out);
    }
    loop {
        let k = p.key()?;
        let m = if p.eat(b'=') {
            p.member()?
        } else {
            Member::Item(Item {
                bare: BareItem::Boolean(true),
                params: p.params()?,
            })
        };
        if let Some(slot) = out.iter_mut().find(|(ok, _)| *ok == k) {
            slot.1 = m;
        } else {
            out.push((k, m));
        }
        p.ows();
        if p.peek().is_none() {
            return Ok(out);
        }
        if !p.eat(b',') {
            return Err(bad("dictionary members are separated by commas"));
        }
        p.ows();
        if p.peek().is_none() {
            return Err(bad("a trailing comma"));
        }
    }
}

/// Serialises a bare item (RFC 8941 §4.1.3).
pub fn serialize_bare(b: &BareItem) -> String {
    match b {
        BareItem::Integer(i) => i.to_string(),
        BareItem::String(s) => {
            let mut o = String::from("\"");
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    o.push('\\');
                }
                o.push(c);
            }
            o.push('"');
            o
        }
        BareItem::Token(t) => t.clone(),
        BareItem::Bytes(b) => format!(":{}:", STANDARD.encode(b)),
        BareItem::Boolean(true) => "?1".into(),
        BareItem::Boolean(false) => "?0".into(),
    }
}

/// Serialises parameters (RFC 8941 §4.1.1.2).
pub fn serialize_params(p: &Params) -> String {
    let mut o = String::new();
    for (k, v) in p {
        o.push(';');
        o.push_str(k);
        if *v != BareItem::Boolean(true) {
            o.push('=');
            o.push_str(&serialize_bare(v));
        }
    }
    o
}

/// Serialises an inner list with its parameters (RFC 8941 §4.1.1.1).
pub fn serialize_inner_list(items: &[Item], params: &Params) -> String {
    let inner: Vec<String> = items
        .iter()
        .map(|i| serialize_bare(&i.bare) + &serialize_params(&i.params))
        .collect();
    format!("({}){}", inner.join(" "), serialize_params(params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_signature_input() {
        let d = parse_dictionary(
            r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#,
        )
        .unwrap();
        assert_eq!(d.len(), 1);
        let Member::InnerList(items, params) = &d[0].1 else {
            panic!("not an inner list")
        };
        assert_eq!(items.len(), 6);
        assert_eq!(params[0], ("created".into(), BareItem::Integer(1618884473)));
        assert_eq!(
            serialize_inner_list(items, params),
            r#"("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#
        );
    }

    #[test]
    fn rejects_malformed() {
        for v in [
            "a=(",
            "a=\"x",
            "a=:!!:",
            "A=1",
            "a=1,",
            "a=1.5",
            "a=1234567890123456",
            "a=?2",
            "a=(1,2)",
            "a=\"\\x\"",
        ] {
            assert!(parse_dictionary(v).is_err(), "{v}");
        }
    }

    #[test]
    fn bytes_and_booleans() {
        let d = parse_dictionary("sha-256=:AAE=:, x, y=?0;p").unwrap();
        assert_eq!(
            d[0].1,
            Member::Item(Item {
                bare: BareItem::Bytes(vec![0, 1]),
                params: vec![]
            })
        );
        assert_eq!(d.len(), 3);
    }
}
