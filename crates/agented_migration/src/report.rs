//! What an import did, row by row where it matters: what it brought in, what
//! was there already, what it left out and why, and which ids it changed.

use serde::Serialize;
use std::fmt::Write as _;

/// Rows of one source table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableCount {
    /// The original's table.
    pub source_table: String,
    /// Agented's table the rows went to.
    pub target_table: String,
    /// Rows read.
    pub read: usize,
    /// Rows written (on a dry run: that would be written).
    pub imported: usize,
    /// Rows whose id Agented already held, left as they are.
    pub already_present: usize,
    /// Rows left out; each is in [`ImportReport::skipped`].
    pub skipped: usize,
}

/// A row left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The original's table.
    pub source_table: String,
    /// The row's id there.
    pub id: String,
    /// Why.
    pub reason: String,
}

/// Something imported differently from the original, or a value left behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The original's table.
    pub source_table: String,
    /// The row's id there.
    pub id: String,
    /// What changed or was dropped.
    pub message: String,
}

/// A table whose rows were not imported at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotImported {
    /// The original's table.
    pub source_table: String,
    /// Its rows.
    pub rows: i64,
    /// Why, and what to do instead.
    pub reason: String,
}

/// An id that could not be kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdChange {
    /// The original's table.
    pub source_table: String,
    /// The original's id.
    pub from: String,
    /// Agented's.
    pub to: String,
}

/// The whole account of one import.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// The file read.
    pub source: String,
    /// Nothing was written.
    pub dry_run: bool,
    /// The original's schema version.
    pub schema_version: i64,
    /// The zone the original's naive local times were read in, and how it was chosen.
    pub timezone: String,
    /// Per source table, in import order.
    pub tables: Vec<TableCount>,
    /// Rows left out.
    pub skipped: Vec<Skipped>,
    /// Rows imported with a change or a loss.
    pub warnings: Vec<Warning>,
    /// Tables with rows that were not imported.
    pub not_imported: Vec<NotImported>,
    /// Ids that were mapped.
    pub id_map: Vec<IdChange>,
}

impl ImportReport {
    /// Rows written (or, on a dry run, that would be).
    #[must_use]
    pub fn imported(&self) -> usize {
        self.tables.iter().map(|t| t.imported).sum()
    }

    /// Records a row left out.
    pub fn skip(&mut self, source_table: &str, id: impl Into<String>, reason: impl Into<String>) {
        self.skipped.push(Skipped { source_table: source_table.into(), id: id.into(), reason: reason.into() });
    }

    /// Records a row imported with a change or a loss.
    pub fn warn(&mut self, source_table: &str, id: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Warning { source_table: source_table.into(), id: id.into(), message: message.into() });
    }

    /// The report as text for a terminal.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let verb = if self.dry_run { "would import" } else { "imported" };
        let _ = writeln!(
            out,
            "{} (schema version {}), local times read as {}",
            self.source, self.schema_version, self.timezone
        );
        let _ = writeln!(
            out,
            "\n{:<18} {:<18} {:>6} {:>9} {:>8} {:>8}",
            "source table", "into", "read", verb, "present", "skipped"
        );
        for t in &self.tables {
            let _ = writeln!(
                out,
                "{:<18} {:<18} {:>6} {:>9} {:>8} {:>8}",
                t.source_table, t.target_table, t.read, t.imported, t.already_present, t.skipped
            );
        }
        let mut section = |title: &str, lines: Vec<String>| {
            if !lines.is_empty() {
                let _ = writeln!(out, "\n{title}:");
                for line in lines {
                    let _ = writeln!(out, "  {line}");
                }
            }
        };
        section("skipped", self.skipped.iter().map(|s| format!("{} {}: {}", s.source_table, s.id, s.reason)).collect());
        section(
            "warnings",
            self.warnings.iter().map(|w| format!("{} {}: {}", w.source_table, w.id, w.message)).collect(),
        );
        section(
            "not imported",
            self.not_imported.iter().map(|n| format!("{} ({} rows): {}", n.source_table, n.rows, n.reason)).collect(),
        );
        section(
            "ids changed",
            self.id_map.iter().map(|m| format!("{} {} -> {}", m.source_table, m.from, m.to)).collect(),
        );
        let _ = writeln!(
            out,
            "\n{}: {} row(s){}",
            if self.dry_run { "dry run, nothing written" } else { "done" },
            self.imported(),
            if self.dry_run { " would be imported" } else { " imported" }
        );
        out
    }
}
