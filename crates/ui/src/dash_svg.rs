//! A small SVG chart renderer for the responsiveness dashboard (no
//! JavaScript, nothing fetched): one strip per case, the time a party took
//! to acknowledge (or answer) drawn against the case's own deadline, so
//! cases with different deadlines share one scale (the deadline at the same
//! place). Every text that comes from the log (case titles) or a charter
//! (party names) goes through [`esc`]; the output is marked safe in the
//! template because it is ours and escaped here. Colours come from CSS
//! classes (`chart-*` in `style.css`), so the chart follows light and dark
//! mode; the Content-Security-Policy allows no inline style, and none is
//! used.

use std::fmt::Write as _;

use crate::svg::{cut, esc};

/// How a strip is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Done by the deadline.
    Met,
    /// Done after it.
    Late,
    /// Past the deadline and not done: the bar runs to now.
    Overdue,
    /// Not done, not due yet: the bar runs to now.
    Pending,
}

impl Mark {
    fn class(self) -> &'static str {
        match self {
            Mark::Met => "chart-met",
            Mark::Late => "chart-late",
            Mark::Overdue => "chart-overdue",
            Mark::Pending => "chart-pending",
        }
    }
}

/// One strip: a label, the time taken (or so far), the time allowed.
#[derive(Debug, Clone)]
pub(crate) struct Strip {
    pub label: String,
    pub secs: u64,
    pub allowed: u64,
    pub mark: Mark,
    /// The text after the bar (`12 min of 1 h · met`).
    pub value: String,
}

/// A chart: an id (unique in the page, for `aria-labelledby`), its title
/// and description (read by screen readers), the deadline's label, the
/// strips.
#[derive(Debug, Clone)]
pub(crate) struct Chart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub deadline: &'a str,
    pub strips: &'a [Strip],
}

const W: u32 = 720;
const ROW: u32 = 24;
const TOP: u32 = 22;
const LABEL_W: u32 = 180;
const BAR_X: u32 = 190;
/// The bar area spans twice the deadline: the deadline is at its middle.
const BAR_W: u32 = 300;
const VALUE_X: u32 = BAR_X + BAR_W + 8;

/// The chart as an `<svg>` element.
pub(crate) fn render(c: &Chart<'_>) -> String {
    let id = esc(c.id);
    let h = TOP + ROW * c.strips.len().max(1) as u32 + 8;
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" viewBox="0 0 {W} {h}" width="{W}" height="{h}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(c.title),
        esc(c.desc),
    );
    let dx = BAR_X + BAR_W / 2;
    let _ = write!(
        o,
        r#"<line class="chart-deadline" x1="{dx}" y1="{}" x2="{dx}" y2="{}"/><text class="chart-axis" x="{dx}" y="14" text-anchor="middle">{}</text>"#,
        TOP - 4,
        h - 4,
        esc(c.deadline)
    );
    for (i, s) in c.strips.iter().enumerate() {
        let y = TOP + ROW * i as u32;
        // The fraction of the deadline, drawn up to twice it (an arrow
        // says it went beyond).
        let frac = if s.allowed == 0 {
            2.0
        } else {
            s.secs as f64 / s.allowed as f64
        };
        let w = ((frac.min(2.0) / 2.0) * BAR_W as f64).round().max(1.0) as u32;
        let _ = write!(
            o,
            r#"<g class="chart-row"><text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text><rect class="{}" x="{BAR_X}" y="{}" width="{w}" height="{}"/>"#,
            LABEL_W,
            y + 15,
            esc(&cut(&s.label, 28)),
            s.mark.class(),
            y + 4,
            ROW - 8,
        );
        if frac > 2.0 {
            let x = BAR_X + BAR_W;
            let _ = write!(
                o,
                r#"<path class="{}" d="M{x} {} l6 {} l-6 {} z"/>"#,
                s.mark.class(),
                y + 4,
                (ROW - 8) / 2,
                (ROW - 8) / 2
            );
        }
        let _ = write!(
            o,
            r#"<text class="chart-value" x="{VALUE_X}" y="{}">{}</text></g>"#,
            y + 15,
            esc(&s.value)
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_deadline_sits_in_the_middle() {
        let strips = [
            Strip {
                label: r#"<script>"&'"#.into(),
                secs: 50,
                allowed: 100,
                mark: Mark::Met,
                value: "<b>".into(),
            },
            Strip {
                label: "late".into(),
                secs: 500,
                allowed: 100,
                mark: Mark::Late,
                value: "x".into(),
            },
        ];
        let svg = render(&Chart {
            id: "c\"1",
            title: "<t>",
            desc: "a & b",
            deadline: "deadline",
            strips: &strips,
        });
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<b>") && !svg.contains("<t>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;&quot;&amp;&#39;"), "{svg}");
        assert!(svg.contains(r#"id="c&quot;1-title""#));
        assert!(svg.contains("a &amp; b"));
        // Half the deadline is a quarter of the bar area; beyond twice it,
        // the full width and an arrow.
        assert!(svg.contains(r#"class="chart-met" x="190" y="26" width="75""#));
        assert!(svg.contains(r#"class="chart-late" x="190" y="50" width="300""#));
        assert!(svg.contains("<path class=\"chart-late\""));
    }
}
