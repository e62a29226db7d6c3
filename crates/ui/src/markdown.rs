//! Message bodies are another party's Markdown: rendered to HTML with raw
//! HTML escaped (shown as text, never passed through), links kept only for
//! `http:`, `https:` and `mailto:` (others become plain text), and images
//! shown as their alt text (a page fetches nothing but its own origin).

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// Whether a link target may stay a link.
fn allowed(dest: &str) -> bool {
    let d = dest.trim_start().to_ascii_lowercase();
    d.starts_with("http://") || d.starts_with("https://") || d.starts_with("mailto:")
}

/// Safe HTML for a Markdown body.
pub fn render(body: &str) -> String {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // Whether each open link was kept (links do not nest in CommonMark, but
    // a stack costs nothing).
    let mut links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(body, opts).filter_map(|e| match e {
        Event::Html(s) | Event::InlineHtml(s) => Some(Event::Text(s)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let ok = allowed(&dest_url);
            links.push(ok);
            ok.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => {
            if links.pop().unwrap_or(false) {
                Some(Event::End(TagEnd::Link))
            } else {
                None
            }
        }
        // The alt text (the events inside) stays, as text.
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        e => Some(e),
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn raw_html_is_escaped() {
        let h = render("hi <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>");
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
        assert!(h.contains("&lt;img src=x onerror=alert(1)&gt;"), "{h}");
    }

    #[test]
    fn only_web_and_mail_links() {
        let h = render(
            "[a](javascript:alert(1)) [b](https://example.org/x) [c](mailto:a@b.c) [d](data:text/html,x) [e](JavaScript:x)",
        );
        assert!(!h.to_ascii_lowercase().contains("javascript:"), "{h}");
        assert!(!h.contains("data:"), "{h}");
        assert!(
            h.contains(r#"<a href="https://example.org/x">b</a>"#),
            "{h}"
        );
        assert!(h.contains(r#"<a href="mailto:a@b.c">c</a>"#), "{h}");
        assert!(h.contains('a') && h.contains('d') && h.contains('e'));
    }

    #[test]
    fn images_become_their_alt_text() {
        let h = render("![the logo](https://evil.example/track.png)");
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("the logo"), "{h}");
    }

    #[test]
    fn attributes_cannot_be_broken_out_of() {
        let h = render(r#"[x](https://a.example/"onmouseover="alert(1))"#);
        assert!(
            !h.contains(r#"" onmouseover"#) && !h.contains(r#""onmouseover=""#),
            "{h}"
        );
    }

    #[test]
    fn markdown_still_works() {
        let h = render("# Title\n\n*em* and **strong**\n\n- a\n- b");
        assert!(
            h.contains("<h1>Title</h1>") && h.contains("<em>em</em>") && h.contains("<li>a</li>")
        );
    }
}
