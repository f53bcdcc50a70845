//! Tidy checks on the workspace's shape (run by `cargo test`): the dependency
//! rule of docs/architecture.md, folder names, and crate invariants.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_test_support::workspace_root;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::process::Command;
use std::sync::OnceLock;

const DOMAINS: [&str; 6] = [
    "agented_kernel",
    "agented_triggers",
    "agented_executions",
    "agented_roadmaps",
    "agented_auth",
    "agented_orchestration",
];
const ADAPTERS: [&str; 6] = [
    "agented_store_sqlite",
    "agented_jobs",
    "agented_runner",
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
        "agented_test_support" => 4,
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
