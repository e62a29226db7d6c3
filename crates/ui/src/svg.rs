//! Text in the SVG the server renders (the dashboard's charts,
//! [`crate::dash_svg`], and the evidence graph, [`crate::graph`]): the SVG is
//! written as a string and marked safe in the templates, so every text from
//! a log, a charter or a STIX object goes through [`esc`] here.

/// Escapes text for SVG (XML) content and attribute values. Control
/// characters XML 1.0 does not allow become U+FFFD (tab, newline and
/// carriage return are kept).
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// At most `n` characters, with an ellipsis if cut.
pub(crate) fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_forbidden_characters_are_escaped_and_long_text_cut() {
        assert_eq!(esc(r#"<script>"&'"#), "&lt;script&gt;&quot;&amp;&#39;");
        assert_eq!(esc("a\u{1}b\tc"), "a\u{FFFD}b\tc");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
