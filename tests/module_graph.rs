//! The crate's top-level modules import one way: no module imports one that
//! imports it back (directly or around a loop), the core never reaches the
//! Workers adapter, and `src/lib.rs` exposes nothing of it. Read from the
//! source (`crate::<module>` paths outside comments), so a new cycle fails
//! `make test` before anyone has to draw the house.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/edge/page.rs` → `edge`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" | "bin" => None,
        name => Some(name.trim_end_matches(".rs").to_owned()),
    }
}

/// `crate::<name>` in the code of `text`, comments left out.
fn imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let before = code[..at].chars().next_back();
            // `tailor_crate::x` or `$crate::` are not ours.
            if !name.is_empty() && !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            {
                found.insert(name);
            }
        }
    }
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let targets: Vec<String> = imports(&text).into_iter().filter(|t| *t != module).collect();
        graph.entry(module).or_default().extend(targets);
    }
    graph
}

/// A loop through `start`, if there is one.
fn cycle_through(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in graph.get(last).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(next.clone());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = graph();
    assert!(graph.len() > 20, "{} modules found", graph.len());
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|m| cycle_through(&graph, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_core_never_reaches_the_adapter() {
    let graph = graph();
    let reaching: Vec<&String> = graph
        .iter()
        .filter(|(m, targets)| *m != "worker" && targets.contains("worker"))
        .map(|(m, _)| m)
        .collect();
    assert!(
        reaching.is_empty(),
        "these modules import the adapter: {reaching:?}"
    );
}

#[test]
fn the_platform_and_the_http_primitives_are_leaves() {
    let graph = graph();
    for leaf in ["http", "validation"] {
        assert_eq!(
            graph.get(leaf).cloned().unwrap_or_default(),
            BTreeSet::new(),
            "{leaf}"
        );
    }
    // Guardrails travel in a generator request: pure data and rules, over
    // the validation leaf only.
    let guardrails: BTreeSet<String> = graph["guardrails"].clone();
    assert!(
        guardrails.iter().all(|m| m == "validation"),
        "guardrails imports {guardrails:?}"
    );
    let platform: BTreeSet<String> = graph["platform"].clone();
    assert!(
        platform.iter().all(|m| m == "http" || m == "guardrails"),
        "platform imports {platform:?}"
    );
}

#[test]
fn the_crate_root_exposes_nothing_of_the_adapter() {
    let lib = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs")).unwrap();
    let code: Vec<&str> = lib
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect();
    assert!(
        code.iter().any(|l| l.trim() == "mod worker;"),
        "the adapter is a private module"
    );
    assert!(!code.iter().any(|l| l.contains("pub mod worker")
        || l.contains("pub use worker")
        || l.contains("pub use crate::worker")));
}
