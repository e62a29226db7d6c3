//! Another party's text never reaches the terminal raw: a title or body
//! carrying escape sequences (clear the screen, retitle the window, forge a
//! line) is printed by `inbox`, `case show` and `verify` with every control
//! character replaced by U+FFFD.

mod common;

use common::cli::{hotline, north_and_south, ok};

#[test]
fn escape_sequences_in_a_title_or_body_are_neutralised() {
    let d = tempfile::tempdir().unwrap();
    let relay = common::start(&d.path().join("relay"), &common::unique("terminal"), None);
    let (dirs, _) = north_and_south(d.path(), &relay);
    let (north, south) = (&dirs[0], &dirs[1]);
    let title = "Routine\u{1b}[2J\u{1b}]0;pwned\u{7}\nOVERDUE ack due 1970";
    let body = "line one\u{1b}[31m red\u{9b}0m\rforged";
    let opened = ok(hotline(
        north,
        &[
            "case",
            "open",
            "--kind",
            "inquiry",
            "--to",
            "southland",
            "--title",
            title,
            "--body",
            body,
        ],
    ));
    let case = opened.split_whitespace().nth(3).unwrap().to_owned();
    ok(hotline(south, &["sync"]));
    for args in [vec!["inbox"], vec!["case", "show", &case]] {
        let out = ok(hotline(south, &args));
        assert!(
            !out.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{args:?}: {out:?}"
        );
        assert!(
            out.contains("Routine\u{FFFD}[2J\u{FFFD}]0;pwned\u{FFFD}\u{FFFD}OVERDUE"),
            "{args:?}: {out:?}"
        );
        // The title's line break forged no line of its own.
        assert!(
            !out.lines().any(|l| l.starts_with("OVERDUE")),
            "{args:?}: {out}"
        );
    }
    let shown = ok(hotline(south, &["case", "show", &case]));
    assert!(
        shown.contains("| line one\u{FFFD}[31m red\u{FFFD}0m\u{FFFD}forged"),
        "{shown:?}"
    );
    common::stop(relay);
}
