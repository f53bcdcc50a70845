//! Tidy checks on the workspace's shape (run by `cargo test`): the dependency
//! rule of docs/architecture.md, folder names, crate invariants, and thin
//! handlers — HTTP routes translate a request into one service call and its
//! answer back, so every rule lives in a domain crate where it is unit-tested:
//! a route that reaches a port or the store, handler state holding a port, or a
//! route file past 400 lines fails here.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_test_support::workspace_root;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const DOMAINS: [&str; 13] = [
    "agented_kernel",
    "agented_triggers",
    "agented_executions",
    "agented_roadmaps",
    "agented_auth",
    "agented_orchestration",
    "agented_workflows",
    "agented_notifications",
    "agented_tooling",
    "agented_settings",
    "agented_migration",
    "agented_sessions",
    "agented_super_agents",
];
const ADAPTERS: [&str; 7] = [
    "agented_store",
    "agented_jobs",
    "agented_runner",
    "agented_github",
    "agented_http",
    "agented_server",
    "agented_test_support",
];
/// Framework crates a domain may never reach, even transitively.
const FORBIDDEN_PREFIXES: [&str; 6] = ["diesel", "actix", "apalis", "sqlx", "libsqlite3", "utoipa"];

/// The host's target triple, so metadata resolves only what builds here.
fn host_triple() -> String {
    let out = Command::new("rustc").arg("-vV").output().expect("rustc runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find_map(|l| l.strip_prefix("host: ")).expect("rustc -vV names the host").to_owned()
}

fn metadata() -> &'static Value {
    static META: OnceLock<Value> = OnceLock::new();
    META.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--filter-platform", &host_triple()])
            .current_dir(workspace_root())
            .output()
            .expect("cargo metadata runs");
        assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    })
}

/// Package names reachable from `root` through normal (non-dev, non-build) dependencies.
fn normal_closure(meta: &Value, root: &str) -> BTreeSet<String> {
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: HashMap<&str, &Value> =
        meta["resolve"]["nodes"].as_array().unwrap().iter().map(|n| (n["id"].as_str().unwrap(), n)).collect();
    let root_id = names
        .iter()
        .find(|(_, n)| **n == root)
        .map(|(id, _)| *id)
        .unwrap_or_else(|| panic!("{root} is in the workspace"));
    let mut seen = BTreeSet::new();
    let mut stack = vec![root_id];
    while let Some(id) = stack.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null());
            let dep_id = dep["pkg"].as_str().unwrap();
            if normal && seen.insert(names[dep_id].to_owned()) {
                stack.push(dep_id);
            }
        }
    }
    seen
}

#[test]
fn domain_crates_depend_on_no_framework_and_no_adapter() {
    let meta = metadata();
    for domain in DOMAINS {
        let closure = normal_closure(meta, domain);
        let bad: Vec<&String> = closure
            .iter()
            .filter(|name| ADAPTERS.contains(&name.as_str()) || FORBIDDEN_PREFIXES.iter().any(|p| name.starts_with(p)))
            .collect();
        assert!(bad.is_empty(), "{domain} depends on {bad:?}: domain crates stay pure (docs/architecture.md)");
    }
}

#[test]
fn the_dependency_check_would_catch_a_violation() {
    // The HTTP adapter does reach actix: the walk above sees real edges.
    let closure = normal_closure(metadata(), "agented_http");
    assert!(closure.contains("actix-web") && closure.contains("agented_kernel"), "{closure:?}");
}

#[test]
fn dependencies_point_one_way_between_our_crates() {
    let meta = metadata();
    // kernel → domains → adapters → server: no crate reaches one of a later layer.
    let layer = |name: &str| match name {
        "agented_kernel" => 0,
        n if DOMAINS.contains(&n) => 1,
        "agented_server" => 3,
        // Tools that drive the product from outside: they may use any crate.
        "agented_test_support" | "agented_bench" => 4,
        _ => 2,
    };
    for package in meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .filter(|n| n.starts_with("agented_"))
    {
        for dep in normal_closure(meta, package).iter().filter(|d| d.starts_with("agented_")) {
            assert!(
                layer(dep) < layer(package) || (layer(dep) == layer(package) && layer(package) == 1),
                "{package} must not depend on {dep}"
            );
        }
    }
}

#[test]
fn every_crate_folder_is_named_after_its_package_and_states_its_invariant() {
    let crates = workspace_root().join("crates");
    for entry in std::fs::read_dir(&crates).unwrap() {
        let dir = entry.unwrap().path();
        let folder = dir.file_name().unwrap().to_string_lossy().into_owned();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains(&format!("name = \"{folder}\"")),
            "crates/{folder}: package name must equal the folder name"
        );
        // A library's root is lib.rs; a tool's (agented_bench) is main.rs.
        let root = ["src/lib.rs", "src/main.rs"].into_iter().find(|r| dir.join(r).exists()).unwrap();
        let lib = std::fs::read_to_string(dir.join(root)).unwrap();
        assert!(lib.starts_with("//! "), "crates/{folder}/{root} must open with its doc comment");
        assert!(lib.contains("invariant"), "crates/{folder}/{root} must state its architecture invariant");
    }
}

/// Crates a route may never name: the store and the other adapters.
const ADAPTER_CRATES: [&str; 5] = ["agented_store", "agented_jobs", "agented_runner", "agented_github", "diesel"];
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

/// The text of every source file of the domain crates.
fn domain_sources() -> Vec<String> {
    let crates = workspace_root().join("crates");
    DOMAINS
        .iter()
        .flat_map(|domain| rust_files(&crates.join(domain).join("src")))
        .map(|file| std::fs::read_to_string(file).unwrap())
        .collect()
}

/// Every trait a domain crate declares: the ports.
fn ports() -> BTreeSet<String> {
    let sources = domain_sources();
    let mut ports: BTreeSet<String> =
        sources.iter().flat_map(|text| words_after(text, "pub trait ").map(str::to_owned)).collect();
    ports.retain(|p| !ALLOWED_PORTS.contains(&p.as_str()));
    ports
}

/// Methods of domain services that hand out a port (`fn name(&self) -> &Arc<dyn …>`).
fn port_accessors() -> BTreeSet<String> {
    let sources = domain_sources();
    let lines = sources.iter().flat_map(|text| text.lines());
    let handing_out = lines.filter(|l| l.contains("(&self) -> ") && l.contains("Arc<dyn "));
    handing_out.flat_map(|line| words_after(line, "fn ").map(|n| format!(".{n}("))).collect()
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

/// The names of the types deriving `ToSchema` in `source`.
fn schema_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut deriving = false;
    for line in source.lines().map(str::trim) {
        if line.starts_with("#[derive(") {
            deriving = line.contains("ToSchema");
        } else if deriving
            && let Some(rest) = line.strip_prefix("pub struct ").or_else(|| line.strip_prefix("pub enum "))
        {
            names.push(rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or_default().to_owned());
            deriving = false;
        }
    }
    names
}

#[test]
fn every_openapi_schema_has_its_own_name() {
    // utoipa names a schema after its type: two types of one name would share one schema,
    // and the spec would describe one of them wrongly.
    let mut seen: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut clashes = Vec::new();
    for file in rust_files(&workspace_root().join("crates/agented_http/src")) {
        for name in schema_names(&std::fs::read_to_string(&file).unwrap()) {
            if let Some(first) = seen.insert(name.clone(), file.display().to_string()) {
                clashes.push(format!("{name}: {first} and {}", file.display()));
            }
        }
    }
    assert!(clashes.is_empty(), "schemas sharing a name:\n{}", clashes.join("\n"));
    let example = "#[derive(Debug, Serialize, ToSchema)]\n#[serde(rename_all = \"snake_case\")]\npub struct A {\n#[derive(Debug)]\npub struct B;";
    assert_eq!(schema_names(example), ["A"], "the scan finds schema types and only them");
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
                   use agented_store::SqlTriggers;\n// LogStore in a comment is fine";
    let found = violations(handler, &ports, &accessors);
    assert_eq!(
        found,
        ["names the port TriggerRepository", "names the adapter agented_store", "calls .ledger(…) for a port"],
        "{found:?}"
    );
    // A longer name that merely contains a port's is not the port.
    assert!(violations("TriggerRepositoryView", &ports, &accessors).is_empty());
}
