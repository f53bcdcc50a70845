//! Thin handlers (docs/architecture.md): HTTP routes translate a request into one
//! service call and its answer back, so every rule lives in a domain crate where it
//! is unit-tested. This test fails when a route reaches a port or the store, when
//! the handlers' state holds a port, or when a route file grows past 400 lines.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_test_support::workspace_root;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const DOMAINS: [&str; 6] = [
    "agented_kernel",
    "agented_triggers",
    "agented_executions",
    "agented_roadmaps",
    "agented_auth",
    "agented_orchestration",
];
/// Crates a route may never name: the store and the other adapters.
const ADAPTER_CRATES: [&str; 4] = ["agented_store_sqlite", "agented_jobs", "agented_runner", "diesel"];
/// The longest a route file may be.
const MAX_ROUTE_LINES: usize = 400;
/// Ports a handler may use directly: "now" is not a repository.
const ALLOWED_PORTS: [&str; 1] = ["Clock"];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn words_after<'a>(text: &'a str, marker: &str) -> impl Iterator<Item = &'a str> {
    text.match_indices(marker).map(move |(i, _)| {
        let rest = &text[i + marker.len()..];
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        &rest[..end]
    })
}

/// Every trait a domain crate declares: the ports.
fn ports() -> BTreeSet<String> {
    let crates = workspace_root().join("crates");
    let mut ports = BTreeSet::new();
    for domain in DOMAINS {
        for file in rust_files(&crates.join(domain).join("src")) {
            let text = std::fs::read_to_string(&file).unwrap();
            ports.extend(words_after(&text, "pub trait ").map(str::to_owned));
        }
    }
    ports.retain(|p| !ALLOWED_PORTS.contains(&p.as_str()));
    ports
}

/// Methods of domain services that hand out a port (`fn name(&self) -> &Arc<dyn …>`).
fn port_accessors() -> BTreeSet<String> {
    let crates = workspace_root().join("crates");
    let mut names = BTreeSet::new();
    for domain in DOMAINS {
        for file in rust_files(&crates.join(domain).join("src")) {
            let text = std::fs::read_to_string(&file).unwrap();
            for line in text.lines().filter(|l| l.contains("(&self) -> ") && l.contains("Arc<dyn ")) {
                names.extend(words_after(line, "fn ").map(|n| format!(".{n}(")));
            }
        }
    }
    names
}

/// What in `source` (a route file) reaches past the services.
fn violations(source: &str, ports: &BTreeSet<String>, accessors: &BTreeSet<String>) -> Vec<String> {
    let code: String = source.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let named = |word: &str| {
        code.match_indices(word).any(|(i, _)| {
            let before = code[..i].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let after = code[i + word.len()..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            before && after
        })
    };
    let mut found: Vec<String> = ports.iter().filter(|p| named(p)).map(|p| format!("names the port {p}")).collect();
    found.extend(ADAPTER_CRATES.iter().filter(|c| named(c)).map(|c| format!("names the adapter {c}")));
    found.extend(accessors.iter().filter(|a| code.contains(a.as_str())).map(|a| format!("calls {a}…) for a port")));
    found
}

#[test]
fn route_handlers_call_services_never_ports_or_the_store() {
    let (ports, accessors) = (ports(), port_accessors());
    assert!(ports.contains("TriggerRepository") && ports.contains("LogStore"), "ports found: {ports:?}");
    let routes = workspace_root().join("crates/agented_http/src/routes");
    let mut bad = Vec::new();
    for file in rust_files(&routes) {
        let source = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(&routes).unwrap().display().to_string();
        bad.extend(violations(&source, &ports, &accessors).into_iter().map(|v| format!("routes/{name} {v}")));
    }
    assert!(bad.is_empty(), "handlers must go through a domain service:\n{}", bad.join("\n"));
}

#[test]
fn the_handlers_state_holds_services_not_ports() {
    let state = std::fs::read_to_string(workspace_root().join("crates/agented_http/src/state.rs")).unwrap();
    let ports = ports();
    let fields: Vec<&str> = state
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("pub ") && l.contains(": ") && l.ends_with(','))
        .collect();
    assert!(fields.len() > 5, "AppState's fields were not found: {fields:?}");
    let bad: Vec<&&str> = fields.iter().filter(|f| ports.iter().any(|p| f.contains(&format!("dyn {p}")))).collect();
    assert!(bad.is_empty(), "AppState holds ports; give handlers a service instead: {bad:?}");
}

#[test]
fn no_route_file_is_longer_than_400_lines() {
    let routes = workspace_root().join("crates/agented_http/src/routes");
    let long: Vec<String> = rust_files(&routes)
        .into_iter()
        .map(|f| (std::fs::read_to_string(&f).unwrap().lines().count(), f))
        .filter(|(lines, _)| *lines > MAX_ROUTE_LINES)
        .map(|(lines, f)| format!("{}: {lines} lines", f.display()))
        .collect();
    assert!(
        long.is_empty(),
        "route files over {MAX_ROUTE_LINES} lines: split them by what they do\n{}",
        long.join("\n")
    );
}

#[test]
fn the_rule_would_catch_a_handler_that_reaches_a_port() {
    let ports = BTreeSet::from(["TriggerRepository".to_owned(), "LogStore".to_owned()]);
    let accessors = BTreeSet::from([".ledger(".to_owned()]);
    let handler = "async fn h(s: &AppState) { let t: &dyn TriggerRepository = &*s.x; s.webhooks.ledger().prune(); }\n\
                   use agented_store_sqlite::SqliteTriggers;\n// LogStore in a comment is fine";
    let found = violations(handler, &ports, &accessors);
    assert_eq!(
        found,
        ["names the port TriggerRepository", "names the adapter agented_store_sqlite", "calls .ledger(…) for a port"],
        "{found:?}"
    );
    // A longer name that merely contains a port's is not the port.
    assert!(violations("TriggerRepositoryView", &ports, &accessors).is_empty());
}
