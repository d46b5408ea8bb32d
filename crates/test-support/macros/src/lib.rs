//! `#[assetpin_test]`: registers the function it marks with
//! the libtest-mimic harness of `assetpin-test-support`, under its module
//! path and its own name, so each test's name is written once.
//!
//! `#[assetpin_test]` is a test that needs nothing; `#[assetpin_test(peer)]`, `#[assetpin_test(web)]`
//! and `#[assetpin_test(browser)]` take the peer's `mm`, the peer's web venv or a
//! chromium binary as a `&Path` (the harness reports them ignored, with
//! the reason, where the tool is missing). Written on `proc_macro` alone:
//! the input is one `fn` item, and only its name is read.

use proc_macro::{Delimiter, TokenStream, TokenTree};

/// Registers the `fn` it marks as a test; see the crate docs.
#[proc_macro_attribute]
pub fn assetpin_test(attr: TokenStream, item: TokenStream) -> TokenStream {
    let needs = attr.to_string();
    let variant = match needs.trim() {
        "" => "Plain",
        "peer" => "Peer",
        "web" => "Web",
        "browser" => "Browser",
        other => {
            return compile_error(&format!(
                "#[assetpin_test({other})]: expected nothing, `peer`, `web` or `browser`"
            ));
        }
    };
    let Some(name) = fn_name(item.clone()) else {
        return compile_error("#[assetpin_test] marks a `fn` item");
    };
    let registration = format!(
        "#[::assetpin_test_support::linkme::distributed_slice(::assetpin_test_support::registry::TESTS)]\n\
         #[linkme(crate = ::assetpin_test_support::linkme)]\n\
         #[doc(hidden)]\n\
         static __ASSETPIN_TEST_{upper}: ::assetpin_test_support::registry::Test = \
         ::assetpin_test_support::registry::Test {{ \
             module: ::core::module_path!(), name: \"{name}\", \
             run: ::assetpin_test_support::registry::Run::{variant}({name}) }};",
        upper = name.to_uppercase(),
    );
    let mut out = item;
    out.extend(
        registration
            .parse::<TokenStream>()
            .expect("the registration parses"),
    );
    out
}

/// The name after the item's `fn` keyword (attributes, `pub` and doc
/// comments before it are skipped).
fn fn_name(item: TokenStream) -> Option<String> {
    let mut tokens = item.into_iter();
    while let Some(t) = tokens.next() {
        match t {
            TokenTree::Ident(i) if i.to_string() == "fn" => {
                return match tokens.next()? {
                    TokenTree::Ident(name) => Some(name.to_string()),
                    _ => None,
                };
            }
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => return None,
            _ => {}
        }
    }
    None
}

fn compile_error(msg: &str) -> TokenStream {
    format!("::core::compile_error!({msg:?});")
        .parse()
        .expect("compile_error parses")
}
