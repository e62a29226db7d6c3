//! The evidence graph of a case (`docs/ui.md`, "Evidence graph"): its STIX
//! objects and their relations, drawn as SVG on the server with a simple
//! deterministic layout, and listed for a table.
//!
//! Every object but a `relationship` is a node; a `relationship` is an
//! edge labelled by its `relationship_type`; every top-level `*_ref` and
//! `*_refs` property of a node (a sighting's `sighting_of_ref`,
//! `where_sighted_refs`, an object's `created_by_ref`, …) is an edge
//! labelled by the property's name. An id referred to but not among the
//! case's objects is a node too, drawn dashed ("not in this case"). An
//! object sent again in a later message replaces the earlier one.
//!
//! Layout: one column per object type (a fixed order of the common types,
//! then the others alphabetically), the nodes of a column sorted by label
//! and id, edges as straight lines between the boxes (a curve when both
//! ends are in the same column), each labelled at its middle. Every string
//! that comes from STIX is escaped by [`esc`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::svg::{cut, esc};

/// The most nodes drawn (the table lists them all).
pub(crate) const MAX_DRAWN: usize = 150;
/// The longest label drawn in a box, in characters (the full one is in the
/// box's `<title>` and in the table).
const LABEL_CHARS: usize = 26;

const BOX_W: f64 = 190.0;
const BOX_H: f64 = 46.0;
const GAP_X: f64 = 110.0;
const GAP_Y: f64 = 26.0;
const PAD: f64 = 16.0;
const HEAD: f64 = 28.0;

/// The column order of the common types (the rest follow alphabetically).
const ORDER: &[&str] = &[
    "identity",
    "threat-actor",
    "intrusion-set",
    "campaign",
    "attack-pattern",
    "malware",
    "tool",
    "infrastructure",
    "indicator",
    "sighting",
    "observed-data",
    "vulnerability",
    "course-of-action",
    "report",
    "grouping",
    "note",
    "opinion",
];

/// One object (or an id referred to but missing).
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub id: String,
    /// The STIX `type` (for a missing object, its id's prefix).
    pub kind: String,
    /// `name`, `value`, `pattern` or the id.
    pub label: String,
    /// `sdo`, `sco`, `sro`, `other` or `missing` (a CSS class).
    pub class: &'static str,
    /// The log index of the message that carried it, if it is in the case.
    pub message: Option<u64>,
    refs: Vec<(String, String)>,
}

/// One relation.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    pub from: String,
    pub to: String,
    /// The `relationship_type`, or the property name (`sighting-of`, …).
    pub label: String,
    /// `relationship` (an SRO) or `embedded` (a `*_ref(s)` property).
    pub via: &'static str,
}

/// The objects and relations of a case.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

fn class_of(kind: &str) -> &'static str {
    match hotline_stix::object_kind(kind) {
        hotline_stix::ObjectKind::Domain => "sdo",
        hotline_stix::ObjectKind::Observable => "sco",
        hotline_stix::ObjectKind::Relationship => "sro",
        _ => "other",
    }
}

fn label_of(o: &serde_json::Map<String, Value>, id: &str) -> String {
    ["name", "value", "pattern", "path", "key"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .unwrap_or(id)
        .to_owned()
}

/// `sighting_of_ref` → `sighting-of`.
fn ref_label(key: &str) -> String {
    key.strip_suffix("_refs")
        .or_else(|| key.strip_suffix("_ref"))
        .unwrap_or(key)
        .replace('_', "-")
}

/// The graph of the bundles of a case's messages (log index, bundle), in
/// log order. A bundle that is not JSON is skipped (the case page says it
/// is not valid).
pub(crate) fn from_bundles(bundles: &[(u64, Vec<u8>)]) -> Graph {
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    let mut rels: BTreeMap<String, Edge> = BTreeMap::new();
    for (index, bytes) in bundles {
        let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
            continue;
        };
        let Some(objects) = v.get("objects").and_then(Value::as_array) else {
            continue;
        };
        for o in objects.iter().filter_map(Value::as_object) {
            let (Some(id), Some(kind)) = (
                o.get("id").and_then(Value::as_str),
                o.get("type").and_then(Value::as_str),
            ) else {
                continue;
            };
            if kind == "relationship" {
                let s = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                rels.insert(
                    id.to_owned(),
                    Edge {
                        from: s("source_ref"),
                        to: s("target_ref"),
                        label: s("relationship_type"),
                        via: "relationship",
                    },
                );
                continue;
            }
            let mut refs = Vec::new();
            for (k, v) in o {
                if k.ends_with("_ref") {
                    if let Some(t) = v.as_str() {
                        refs.push((ref_label(k), t.to_owned()));
                    }
                } else if k.ends_with("_refs")
                    && let Some(a) = v.as_array()
                {
                    refs.extend(
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(|t| (ref_label(k), t.to_owned())),
                    );
                }
            }
            nodes.insert(
                id.to_owned(),
                Node {
                    id: id.to_owned(),
                    kind: kind.to_owned(),
                    label: label_of(o, id),
                    class: class_of(kind),
                    message: Some(*index),
                    refs,
                },
            );
        }
    }
    let mut edges: Vec<Edge> = rels.into_values().collect();
    for n in nodes.values() {
        edges.extend(n.refs.iter().map(|(label, to)| Edge {
            from: n.id.clone(),
            to: to.clone(),
            label: label.clone(),
            via: "embedded",
        }));
    }
    for e in &edges {
        for id in [&e.from, &e.to] {
            if !id.is_empty() && !nodes.contains_key(id) {
                let kind = id.split_once("--").map(|(k, _)| k).unwrap_or("unknown");
                nodes.insert(
                    id.clone(),
                    Node {
                        id: id.clone(),
                        kind: kind.to_owned(),
                        label: id.clone(),
                        class: "missing",
                        message: None,
                        refs: vec![],
                    },
                );
            }
        }
    }
    let mut nodes: Vec<Node> = nodes.into_values().collect();
    nodes.sort_by(|a, b| {
        (rank(&a.kind), &a.kind, &a.label, &a.id).cmp(&(rank(&b.kind), &b.kind, &b.label, &b.id))
    });
    Graph { nodes, edges }
}

fn rank(kind: &str) -> usize {
    ORDER.iter().position(|k| *k == kind).unwrap_or(ORDER.len())
}

fn short(s: &str) -> String {
    cut(s, LABEL_CHARS)
}

/// Where a line from `from` (a box's centre) towards `to` leaves the box.
fn clip(from: (f64, f64), to: (f64, f64)) -> (f64, f64) {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let t = [
        if dx != 0.0 {
            (BOX_W / 2.0) / dx.abs()
        } else {
            f64::INFINITY
        },
        if dy != 0.0 {
            (BOX_H / 2.0) / dy.abs()
        } else {
            f64::INFINITY
        },
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min)
    .min(1.0);
    (from.0 + dx * t, from.1 + dy * t)
}

impl Graph {
    /// The graph as an SVG element (`title` is its accessible name,
    /// `note` its description; both escaped here). At most [`MAX_DRAWN`]
    /// nodes are drawn, and the edges between them.
    pub(crate) fn svg(&self, title: &str, note: &str) -> String {
        let drawn = &self.nodes[..self.nodes.len().min(MAX_DRAWN)];
        // Columns by type, in the nodes' order.
        let mut cols: Vec<(&str, usize)> = Vec::new();
        let mut at: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
        let mut col_of: BTreeMap<&str, usize> = BTreeMap::new();
        for n in drawn {
            let c = match cols.iter().position(|(k, _)| *k == n.kind) {
                Some(c) => c,
                None => {
                    cols.push((&n.kind, 0));
                    cols.len() - 1
                }
            };
            let row = cols[c].1;
            cols[c].1 += 1;
            let x = PAD + c as f64 * (BOX_W + GAP_X);
            let y = PAD + HEAD + row as f64 * (BOX_H + GAP_Y);
            at.insert(&n.id, (x, y));
            col_of.insert(&n.id, c);
        }
        let rows = cols.iter().map(|(_, r)| *r).max().unwrap_or(0);
        let w = PAD * 2.0 + (cols.len().max(1) as f64) * (BOX_W + GAP_X) - GAP_X;
        let h = PAD * 2.0 + HEAD + (rows.max(1) as f64) * (BOX_H + GAP_Y);
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="evidence-graph" role="img" aria-labelledby="graph-title graph-desc" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}"><title id="graph-title">{}</title><desc id="graph-desc">{}</desc>"#,
            esc(title),
            esc(note)
        );
        s.push_str(r#"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path class="arrowhead" d="M0,0 L10,5 L0,10 z"/></marker></defs>"#);
        for (c, (kind, _)) in cols.iter().enumerate() {
            let x = PAD + c as f64 * (BOX_W + GAP_X) + BOX_W / 2.0;
            let _ = write!(
                s,
                r#"<text class="col-head" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                PAD + 16.0,
                esc(kind)
            );
        }
        for e in &self.edges {
            let (Some(a), Some(b)) = (at.get(e.from.as_str()), at.get(e.to.as_str())) else {
                continue;
            };
            if e.from == e.to {
                continue;
            }
            let ca = (a.0 + BOX_W / 2.0, a.1 + BOX_H / 2.0);
            let cb = (b.0 + BOX_W / 2.0, b.1 + BOX_H / 2.0);
            let _ = write!(s, r#"<g class="edge edge-{}">"#, e.via);
            let (lx, ly) = if col_of.get(e.from.as_str()) == col_of.get(e.to.as_str()) {
                let (x, bend) = (a.0 + BOX_W, a.0 + BOX_W + GAP_X / 2.0);
                let _ = write!(
                    s,
                    r#"<path d="M{x:.1},{:.1} C{bend:.1},{:.1} {bend:.1},{:.1} {x:.1},{:.1}" marker-end="url(#arrow)"/>"#,
                    ca.1, ca.1, cb.1, cb.1
                );
                (x + GAP_X * 0.375, (ca.1 + cb.1) / 2.0)
            } else {
                let p = clip(ca, cb);
                let q = clip(cb, ca);
                let _ = write!(
                    s,
                    r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" marker-end="url(#arrow)"/>"#,
                    p.0, p.1, q.0, q.1
                );
                ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0 - 4.0)
            };
            let _ = write!(
                s,
                r#"<text class="edge-label" x="{lx:.1}" y="{ly:.1}" text-anchor="middle">{}</text></g>"#,
                esc(&short(&e.label))
            );
        }
        for n in drawn {
            let Some((x, y)) = at.get(n.id.as_str()) else {
                continue;
            };
            let _ = write!(
                s,
                r#"<g class="node node-{}"><title>{}: {}</title><rect x="{x:.1}" y="{y:.1}" width="{BOX_W:.0}" height="{BOX_H:.0}" rx="6"/><text class="node-kind" x="{:.1}" y="{:.1}">{}</text><text class="node-label" x="{:.1}" y="{:.1}">{}</text></g>"#,
                n.class,
                esc(&n.kind),
                esc(&n.label),
                x + 8.0,
                y + 17.0,
                esc(&short(&n.kind)),
                x + 8.0,
                y + 36.0,
                esc(&short(&n.label)),
            );
        }
        s.push_str("</svg>");
        s
    }
}
