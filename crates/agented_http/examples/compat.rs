//! The compatibility table: every method and path the Python Agented v0.1.0
//! served (`compat/python-routes.tsv`, checked in), each marked `same`,
//! `moved` (with where) or `dropped` (with why), checked against the routes
//! this server serves (its OpenAPI spec) and written into
//! `docs/compatibility.md` between its markers. `cargo xtask compat` runs it.
//!
//! Usage: `compat check|write TABLE DOC`, or `compat served` to list the served routes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

/// Routes served outside the spec: `GET /` is the dashboard (the original's webhook answered 200 there too).
const OUTSIDE_SPEC: [(&str, &str); 1] = [("GET", "/")];
const BEGIN: &str = "<!-- compat:begin (written by `cargo xtask compat`) -->";
const END: &str = "<!-- compat:end -->";

/// `/admin/x/{id}/` → `/admin/x/{}`: parameter names and a trailing slash do not matter.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    if out.len() > 1 { out.trim_end_matches('/').to_owned() } else { out }
}

fn served() -> BTreeSet<(String, String)> {
    let spec = serde_json::to_value(agented_http::openapi::spec()).unwrap_or_default();
    let mut served: BTreeSet<(String, String)> =
        OUTSIDE_SPEC.iter().map(|(m, p)| ((*m).to_owned(), shape(p))).collect();
    for (path, ops) in spec["paths"].as_object().into_iter().flatten() {
        for method in ops.as_object().into_iter().flatten().map(|(m, _)| m.to_uppercase()) {
            if ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                served.insert((method, shape(path)));
            }
        }
    }
    served
}

struct Row {
    method: String,
    path: String,
    status: String,
    detail: String,
}

fn parse(table: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for (n, line) in table.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [method, path, status, rest @ ..] = cols.as_slice() else {
            return Err(format!("line {}: expected METHOD, PATH, STATUS and DETAIL separated by tabs", n + 1));
        };
        rows.push(Row {
            method: (*method).to_owned(),
            path: (*path).to_owned(),
            status: (*status).to_owned(),
            detail: rest.join("\t"),
        });
    }
    Ok(rows)
}

/// Every disagreement between the table and the served routes.
fn check(rows: &[Row], served: &BTreeSet<(String, String)>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let is_served = |method: &str, path: &str| served.contains(&(method.to_owned(), shape(path)));
    for r in rows {
        let route = format!("{} {}", r.method, r.path);
        if !seen.insert(route.clone()) {
            problems.push(format!("{route}: listed twice"));
        }
        match r.status.as_str() {
            "same" if !is_served(&r.method, &r.path) => {
                problems.push(format!("{route}: marked same, but not served"));
            }
            "moved" | "dropped" if is_served(&r.method, &r.path) => {
                problems.push(format!("{route}: marked {}, but served at the same path: mark it same", r.status));
            }
            "moved" => match r.detail.split_whitespace().collect::<Vec<_>>().as_slice() {
                [method, path, ..] if is_served(method, path) => {}
                _ => problems.push(format!("{route}: moved to '{}', which is not served", r.detail)),
            },
            "dropped" if r.detail.trim().is_empty() => problems.push(format!("{route}: dropped without a reason")),
            "same" | "dropped" => {}
            other => problems.push(format!("{route}: unknown status '{other}' (same, moved or dropped)")),
        }
    }
    problems
}

fn render(rows: &[Row]) -> String {
    let count = |s: &str| rows.iter().filter(|r| r.status == s).count();
    let mut out = format!(
        "{BEGIN}\n\nOf the original's {} method and path pairs, **{} are served the same**, **{} moved** \
         and **{} dropped**.\n",
        rows.len(),
        count("same"),
        count("moved"),
        count("dropped")
    );
    let mut groups: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        let group = r.path.split('/').filter(|s| !s.is_empty()).take(2).collect::<Vec<_>>().join("/");
        groups.entry(format!("/{group}")).or_default().push(r);
    }
    for (group, rows) in groups {
        let _ = write!(out, "\n### `{group}`\n\n| method | path | here |\n|---|---|---|\n");
        for r in rows {
            let here = match r.status.as_str() {
                "same" if r.detail.is_empty() => "same".to_owned(),
                "same" => format!("same; {}", r.detail),
                "moved" => {
                    let mut parts = r.detail.splitn(3, ' ');
                    let (m, p, note) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next());
                    match note {
                        Some(note) => format!("moved: `{m} {p}` {note}"),
                        None => format!("moved: `{m} {p}`"),
                    }
                }
                _ => format!("dropped: {}", r.detail),
            };
            let _ = writeln!(out, "| {} | `{}` | {} |", r.method, r.path.replace('|', "\\|"), here.replace('|', "\\|"));
        }
    }
    out.push('\n');
    out.push_str(END);
    out
}

/// `doc` with the part between the markers replaced by `table`.
fn spliced(doc: &str, table: &str) -> Result<String, String> {
    let (Some(start), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        return Err(format!("the document has no '{BEGIN}' … '{END}' markers"));
    };
    Ok(format!("{}{table}{}", &doc[..start], &doc[end + END.len()..]))
}

fn run(args: &[String]) -> Result<(), String> {
    match args {
        [mode] if mode == "served" => {
            let mut out = std::io::stdout().lock();
            for (m, p) in served() {
                writeln!(out, "{m}\t{p}").map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        [mode, table, doc] if mode == "check" || mode == "write" => {
            let text = std::fs::read_to_string(table).map_err(|e| format!("{table}: {e}"))?;
            let rows = parse(&text).map_err(|e| format!("{table}: {e}"))?;
            let problems = check(&rows, &served());
            if !problems.is_empty() {
                return Err(format!(
                    "{table} and the served routes disagree:\n  {}\nfix the table (or the routes)",
                    problems.join("\n  ")
                ));
            }
            let current = std::fs::read_to_string(doc).map_err(|e| format!("{doc}: {e}"))?;
            let wanted = spliced(&current, &render(&rows))?;
            if mode == "write" {
                std::fs::write(doc, wanted).map_err(|e| format!("{doc}: {e}"))?;
            } else if wanted != current {
                return Err(format!("{doc} is out of date: run `cargo xtask compat`"));
            }
            Ok(())
        }
        _ => Err("usage: compat served | compat check|write TABLE DOC".into()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compat: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_and_trailing_slashes_do_not_make_a_different_route() {
        assert_eq!(shape("/admin/triggers/{trigger_id}/paths/"), "/admin/triggers/{}/paths");
        assert_eq!(shape("/"), "/");
    }

    #[test]
    fn every_disagreement_is_found() {
        let served: BTreeSet<(String, String)> =
            [("GET", "/a"), ("GET", "/b/{}")].iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
        let row = |m: &str, p: &str, s: &str, d: &str| Row {
            method: m.into(),
            path: p.into(),
            status: s.into(),
            detail: d.into(),
        };
        let rows = [
            row("GET", "/a/", "same", ""),
            row("GET", "/c", "same", ""),
            row("GET", "/b/{x}", "dropped", "gone"),
            row("POST", "/d", "moved", "GET /b/{id}"),
            row("POST", "/e", "moved", "GET /nowhere"),
            row("PUT", "/f", "dropped", " "),
            row("PUT", "/a", "kept", ""),
            row("POST", "/d", "moved", "GET /b/{id}"),
        ];
        let problems = check(&rows, &served);
        assert_eq!(problems.len(), 6, "{problems:#?}");
    }
}
