//! `#[assetpin_test]` registers the function it marks, under its module
//! path and name, with what it needs; the harness refuses an empty set
//! (the negative control: a registration that silently broke would
//! otherwise pass as a run of zero tests).

use assetpin_test_support::assetpin_test;
use assetpin_test_support::harness::registered;
use assetpin_test_support::registry::{Run, TESTS, Test};
use std::path::Path;

#[assetpin_test]
fn plain_one() {}

mod inner {
    use super::assetpin_test;

    /// Doc comments and other attributes before the `fn` are kept.
    #[assetpin_test(peer)]
    #[allow(clippy::needless_pass_by_value)]
    pub fn needs_the_peer(_mm: &std::path::Path) {}
}

fn kind(t: &Test) -> &'static str {
    match t.run {
        Run::Plain(_) => "plain",
        Run::Peer(_) => "peer",
        Run::Web(_) => "web",
        Run::Browser(_) => "browser",
    }
}

#[test]
fn every_marked_fn_is_registered_once_with_its_needs() {
    let all = registered(&TESTS).expect("registered");
    let seen: Vec<(String, &str)> = all.iter().map(|t| (t.full_name(), kind(t))).collect();
    assert_eq!(
        seen,
        [
            ("inner::needs_the_peer".to_owned(), "peer"),
            ("plain_one".to_owned(), "plain"),
        ]
    );
    // The registered function is the marked one.
    if let Run::Plain(f) = all[1].run {
        f();
    }
    if let Run::Peer(f) = all[0].run {
        f(Path::new("/nonexistent"));
    }
}

#[test]
fn an_empty_or_clashing_set_is_refused() {
    assert!(
        registered(&[])
            .unwrap_err()
            .contains("no test is registered")
    );
    let t = TESTS[0];
    let err = registered(&[t, t]).unwrap_err();
    assert!(err.contains("two tests are named"), "{err}");
}
