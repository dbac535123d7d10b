//! The routing rules the page worker's JS entry point applies before wasm
//! (`src/worker/fast-path.mjs`), written out from the Rust rules into
//! `tests/route-rules.json`; `tests/e2e/fast-path.test.mjs` holds the JS to
//! every case. After an intended change to the rules:
//! `TAILOR_UPDATE_ROUTE_RULES=1 cargo test --test route_rules`, then review the diff.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{json, Value};
use tailor_edge::http::path_of;
use tailor_edge::route::{route, Route, API_PREFIX, OFREP_PREFIX, STATIC_EXTENSIONS};

const METHODS: &[&str] = &["GET", "head", "POST", "OPTIONS", "GETX", ""];

fn paths() -> Vec<String> {
    let mut paths: Vec<String> = [
        "/",
        "/pricing",
        "/docs/",
        "/docs.html",
        "/v1.2/",
        "/page.css;x",
        "/.css",
        "/a.b.c.js",
        "/css",
        "/x.",
        "/%2e%2e/x.png",
        "/índex.html",
        "/__tailor/decide",
        "/__tailor/publish",
        "/__tailor/rollback",
        "/__tailor/x.js",
        "/__tailor",
        "/__tailorx.css",
        "/ofrep/v1/evaluate/flags",
        "/ofrep/v1/x.json",
        "/ofrep/v2/x",
        "/ofrep/x.css",
        "/ofrep/v1",
        "/a/__tailor/x.css",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect();
    for ext in STATIC_EXTENSIONS {
        paths.push(format!("/assets/site.{ext}"));
        paths.push(format!("/assets/SITE.{}", ext.to_ascii_uppercase()));
        paths.push(format!("/assets/site.{ext}x"));
    }
    paths
}

fn rules() -> Value {
    let mut routes = Vec::new();
    for method in METHODS {
        for path in paths() {
            for range in [false, true] {
                let pass = matches!(route(method, &path, || range), Route::PassThrough(_));
                routes.push(json!({ "method": method, "path": path, "range": range, "passThrough": pass }));
            }
        }
    }
    let urls = [
        "https://example.com/pricing?plan=x#top",
        "http://127.0.0.1:8787",
        "http://h?x=1",
        "http://h?x=/y",
        "https://h/a/b.css#x?y",
        "https://h/%41?q",
        "/already/a/path",
        "https://h//double//slash",
    ];
    let paths_of: Vec<Value> = urls
        .iter()
        .map(|u| json!({ "url": u, "path": path_of(u) }))
        .collect();
    json!({
        "staticExtensions": STATIC_EXTENSIONS,
        "ownPrefixes": [API_PREFIX, OFREP_PREFIX],
        "routes": routes,
        "pathOf": paths_of,
    })
}

/// The rules as JSON with one case per line, so a change reads as a diff.
fn one_item_per_line(rules: &Value) -> String {
    let fields: Vec<String> = rules
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, value)| {
            let items: Vec<String> = value
                .as_array()
                .unwrap()
                .iter()
                .map(|item| format!("    {item}"))
                .collect();
            format!("  {}: [\n{}\n  ]", Value::from(name.as_str()), items.join(",\n"))
        })
        .collect();
    format!("{{\n{}\n}}\n", fields.join(",\n"))
}

#[test]
fn the_committed_route_rules_are_the_rust_rules() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/route-rules.json");
    let written = one_item_per_line(&rules());
    if std::env::var_os("TAILOR_UPDATE_ROUTE_RULES").is_some() {
        std::fs::write(path, &written).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == written,
        "tests/route-rules.json differs from the Rust rules: TAILOR_UPDATE_ROUTE_RULES=1 cargo test --test route_rules"
    );
}
