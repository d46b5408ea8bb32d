//! `assetpin report badge RUN`: a shields-style SVG badge for one
//! implementation of a saved run, over one profile or all: `conform
//! <profile> | <passed>/<ran>` (ran: passed, failed and errored; cases
//! the implementation does not support are not counted). Green when every
//! case that ran passed, yellow from 90 %, red below; grey when none ran.

use super::Impl;

/// (passed, ran) of `imp`'s cases of `profile` (`None`: all).
pub fn counts(imp: &Impl, profile: Option<&str>) -> (usize, usize) {
    let t = super::tally(
        imp.cases
            .iter()
            .filter(|c| profile.is_none_or(|p| c.profile.as_deref() == Some(p))),
    );
    (t.passed, t.ran)
}

/// The badge's color for (passed, ran).
pub fn color(passed: usize, ran: usize) -> &'static str {
    if ran == 0 {
        "#9f9f9f"
    } else if passed == ran {
        "#4c1"
    } else if passed * 10 >= ran * 9 {
        "#dfb317"
    } else {
        "#e05d44"
    }
}

fn escape(s: &str) -> String {
    // XML has no escape for most control characters: they are dropped.
    let s: String = s.chars().filter(|c| !c.is_control()).collect();
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Width of `s` in the badge's 11 px Verdana, close enough (px).
fn width(s: &str) -> usize {
    s.chars().count() * 7 + 10
}

/// The SVG badge of `imp` over `profile`.
pub fn svg(imp: &Impl, profile: Option<&str>) -> String {
    let (passed, ran) = counts(imp, profile);
    let label = match profile {
        Some(p) => format!("{} conform {p}", imp.adapter),
        None => format!("{} conform", imp.adapter),
    };
    let value = if ran == 0 {
        "no cases".to_owned()
    } else {
        format!("{passed}/{ran} passed")
    };
    let (lw, vw) = (width(&label), width(&value));
    let (l, v) = (escape(&label), escape(&value));
    let c = color(passed, ran);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"20\" role=\"img\" aria-label=\"{l}: {v}\">\
<title>{l}: {v}</title>\
<rect width=\"{lw}\" height=\"20\" fill=\"#555\"/>\
<rect x=\"{lw}\" width=\"{vw}\" height=\"20\" fill=\"{c}\"/>\
<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,DejaVu Sans,sans-serif\" font-size=\"11\">\
<text x=\"{lx}\" y=\"14\">{l}</text><text x=\"{vx}\" y=\"14\">{v}</text></g></svg>\n",
        w = lw + vw,
        lx = lw / 2,
        vx = lw + vw / 2,
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{doc, write};
    use super::*;

    fn imp(cases: &[(&str, &str, &str)]) -> Impl {
        let t = tempfile::tempdir().unwrap();
        let p = write(t.path(), "r.json", &doc("x<y", cases));
        super::super::load(&p).unwrap().implementations.remove(0)
    }

    #[test]
    fn counts_and_colors_follow_the_outcomes() {
        assert_eq!(escape("a\u{1}<b>&\"c"), "a&lt;b&gt;&amp;&quot;c");
        let i = imp(&[
            ("a/1", "core", "passed"),
            ("a/2", "core", "failed"),
            ("a/3", "ext", "passed"),
            ("a/4", "core", "unsupported"),
        ]);
        assert_eq!(counts(&i, None), (2, 3));
        assert_eq!(counts(&i, Some("core")), (1, 2));
        assert_eq!(counts(&i, Some("ext")), (1, 1));
        assert_eq!(counts(&i, Some("portable")), (0, 0));
        assert_eq!(color(1, 1), "#4c1");
        assert_eq!(color(9, 10), "#dfb317");
        assert_eq!(color(8, 10), "#e05d44");
        assert_eq!(color(0, 0), "#9f9f9f");
        let s = svg(&i, Some("core"));
        assert!(
            s.contains("1/2 passed") && s.contains("x&lt;y conform core"),
            "{s}"
        );
        assert!(svg(&i, Some("portable")).contains("no cases"));
    }
}
