//! Property tests: the pattern parser accepts every pattern the grammar
//! generates and gives back the tree it was rendered from; nothing panics on
//! arbitrary input; timestamp order is checked whatever the values.

use hotline_stix::pattern::{
    Comparison, ObjectPath, Observation, Op, Qualifier, Step, Value, parse,
};
use hotline_stix::validate_bundle;
use proptest::prelude::*;

fn render_value(v: &Value) -> String {
    match v {
        Value::Int(s) | Value::Float(s) => s.clone(),
        Value::Str(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Bool(b) => b.to_string(),
        Value::Binary(s) => format!("b'{s}'"),
        Value::Hex(s) => format!("h'{s}'"),
        Value::Timestamp(s) => format!("t'{s}'"),
        Value::List(l) => format!(
            "({})",
            l.iter().map(render_value).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn render_key(k: &str) -> String {
    let ident = k.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && k != "true"
        && k != "false";
    if ident {
        k.to_owned()
    } else {
        render_value(&Value::Str(k.to_owned()))
    }
}

fn render_path(p: &ObjectPath) -> String {
    let mut s = format!("{}:", p.object_type);
    for (i, st) in p.steps.iter().enumerate() {
        match st {
            Step::Key(k) => {
                if i > 0 {
                    s.push('.');
                }
                s.push_str(&render_key(k));
            }
            Step::Index(n) => s.push_str(&format!("[{n}]")),
            Step::Any => s.push_str("[*]"),
        }
    }
    s
}

fn op_text(op: Op) -> &'static str {
    match op {
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
    }
}

fn render_cmp(c: &Comparison) -> String {
    match c {
        Comparison::And(a, b) => format!("{} AND {}", render_cmp(a), render_cmp(b)),
        Comparison::Or(a, b) => format!("{} OR {}", render_cmp(a), render_cmp(b)),
        Comparison::Group(a) => format!("({})", render_cmp(a)),
        Comparison::Exists(p) => format!("EXISTS {}", render_path(p)),
        Comparison::Test {
            path,
            negated,
            op,
            value,
        } => format!(
            "{}{} {} {}",
            render_path(path),
            if *negated { " NOT" } else { "" },
            op_text(*op),
            render_value(value)
        ),
    }
}

fn render(o: &Observation) -> String {
    match o {
        Observation::Simple(c) => format!("[{}]", render_cmp(c)),
        Observation::Group(a) => format!("({})", render(a)),
        Observation::And(a, b) => format!("{} AND {}", render(a), render(b)),
        Observation::Or(a, b) => format!("{} OR {}", render(a), render(b)),
        Observation::FollowedBy(a, b) => format!("{} FOLLOWEDBY {}", render(a), render(b)),
        Observation::Qualified(a, q) => {
            let q = match q {
                Qualifier::Within(n) => format!("WITHIN {n} SECONDS"),
                Qualifier::Repeats(n) => format!("REPEATS {n} TIMES"),
                Qualifier::StartStop(a, b) => format!("START t'{a}' STOP t'{b}'"),
            };
            format!("{} {q}", render(a))
        }
    }
}

fn timestamp() -> impl Strategy<Value = String> {
    (
        1970u32..2100,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
        prop::option::of(0u32..1000),
    )
        .prop_map(|(y, mo, d, h, mi, s, ms)| {
            let frac = ms.map(|m| format!(".{m:03}")).unwrap_or_default();
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}Z")
        })
}

fn literal() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-1000i64..1000).prop_map(|n| Value::Int(n.to_string())),
        (0u32..1000, 0u32..1000).prop_map(|(a, b)| Value::Float(format!("{a}.{b}"))),
        "[ -~é中]{0,12}".prop_map(Value::Str),
        any::<bool>().prop_map(Value::Bool),
        "([0-9a-f]{2}){0,4}".prop_map(Value::Hex),
        "[A-Za-z0-9+/]{4}(==)?".prop_map(|s| Value::Binary(if s.len() == 6 {
            format!("{}==", &s[..2])
        } else {
            s
        })),
        timestamp().prop_map(Value::Timestamp),
    ]
}

fn path() -> impl Strategy<Value = ObjectPath> {
    (
        "[a-z][a-z0-9]{2,6}(-[a-z0-9]{1,4})?"
            .prop_filter("a keyword", |t| t != "true" && t != "false"),
        "[a-z_][a-z0-9_]{2,8}",
        prop::collection::vec(
            prop_oneof![
                "[a-z_][a-z0-9_]{0,6}".prop_map(Step::Key),
                "[A-Z][A-Za-z0-9 -]{0,6}".prop_map(Step::Key),
                (-5i64..50).prop_map(Step::Index),
                Just(Step::Any),
            ],
            0..3,
        ),
    )
        .prop_map(|(t, first, rest)| {
            let mut steps = vec![Step::Key(first)];
            steps.extend(rest);
            ObjectPath {
                object_type: t,
                steps,
                pos: 0,
            }
        })
}

fn comparison() -> impl Strategy<Value = Comparison> {
    let leaf = prop_oneof![
        path().prop_map(Comparison::Exists),
        (path(), any::<bool>(), literal(), 0u8..6).prop_map(|(path, negated, v, k)| {
            let (op, value) = match (k, &v) {
                (0, _) => (Op::Eq, v),
                (1, Value::Bool(_)) => (Op::Ne, v),
                (1, _) => (Op::Ge, v),
                (2, _) => (Op::In, Value::List(vec![v])),
                (3, _) => (Op::Like, Value::Str("a%".into())),
                (4, _) => (Op::Matches, Value::Str("^a.*$".into())),
                _ => (Op::IsSubset, Value::Str("10.0.0.0/8".into())),
            };
            Comparison::Test {
                path,
                negated,
                op,
                value,
            }
        }),
    ];
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| Comparison::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Comparison::Group(Box::new(
                Comparison::Or(Box::new(a), Box::new(b))
            ))),
            inner.prop_map(|a| Comparison::Group(Box::new(a))),
        ]
    })
}

/// Observations whose rendering is unambiguous: binary operands are groups
/// or simple observations.
fn observation() -> impl Strategy<Value = Observation> {
    let leaf = comparison().prop_map(Observation::Simple);
    leaf.prop_recursive(3, 12, 2, |inner| {
        let operand = prop_oneof![inner.clone().prop_map(|o| match o {
            Observation::Simple(_) | Observation::Group(_) => o,
            o => Observation::Group(Box::new(o)),
        }),];
        prop_oneof![
            (operand.clone(), operand.clone())
                .prop_map(|(a, b)| Observation::And(Box::new(a), Box::new(b))),
            (operand.clone(), operand.clone())
                .prop_map(|(a, b)| Observation::Or(Box::new(a), Box::new(b))),
            (operand.clone(), operand.clone())
                .prop_map(|(a, b)| Observation::FollowedBy(Box::new(a), Box::new(b))),
            (operand, 0u8..3, 1u64..100, timestamp(), timestamp()).prop_map(|(a, k, n, t1, t2)| {
                let q = match k {
                    0 => Qualifier::Within(n.to_string()),
                    1 => Qualifier::Repeats(n),
                    _ => Qualifier::StartStop(t1, t2),
                };
                Observation::Qualified(Box::new(a), q)
            }),
        ]
    })
}

proptest! {
    #[test]
    fn generated_patterns_parse_back_to_their_tree(o in observation()) {
        let text = render(&o);
        let parsed = parse(&text);
        prop_assert!(parsed.is_ok(), "{text}: {:?}", parsed.err());
        let parsed = parsed.unwrap();
        // Positions aside, the tree renders to the same text.
        prop_assert_eq!(render(&parsed.expr), text.clone());
        // The library's canonical form is the same text.
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn parse_never_panics_and_positions_are_in_range(s in "\\PC{0,80}") {
        if let Err(e) = parse(&s) {
            prop_assert!(e.pos <= s.len());
        }
    }

    #[test]
    fn parse_never_panics_on_pattern_like_text(s in "[\\[\\]()':.=<>!a-zA-Z0-9_*, -]{0,60}") {
        match parse(&s) {
            Err(e) => prop_assert!(e.pos <= s.len()),
            // Whatever parses displays as a pattern that parses to the same display.
            Ok(p) => prop_assert_eq!(parse(&p.to_string()).map(|q| q.to_string()), Ok(p.to_string())),
        }
    }

    #[test]
    fn validate_bundle_never_panics(b in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = validate_bundle(&b);
    }

    #[test]
    fn modified_before_created_is_an_error(a in timestamp(), b in timestamp()) {
        let a = if a.contains('.') { a } else { a.replace('Z', ".000Z") };
        let b = if b.contains('.') { b } else { b.replace('Z', ".000Z") };
        let bundle = format!(
            r#"{{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
            {{"type": "identity", "spec_version": "2.1", "id": "identity--311b2d2d-f010-4473-83ec-1edf84858f4c",
              "created": "{a}", "modified": "{b}", "name": "n"}}]}}"#
        );
        let r = validate_bundle(bundle.as_bytes());
        let broken = r.errors.iter().any(|e| e.path == "modified");
        prop_assert_eq!(broken, b < a, "{:?}", r.errors);
        prop_assert_eq!(r.errors.len(), usize::from(b < a));
    }
}
