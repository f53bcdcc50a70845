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

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Written, with what changed or was left behind.
    Written(Vec<String>),
    /// Its id (or natural key) is here already: left as it is.
    Present,
    /// Left out, and why.
    Skipped(String),
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

    /// Starts counting a source table's `read` rows going into `target_table`; its index for [`Self::record`].
    pub fn begin(&mut self, source_table: &str, target_table: &str, read: usize) -> usize {
        self.tables.push(TableCount {
            source_table: source_table.into(),
            target_table: target_table.into(),
            read,
            ..TableCount::default()
        });
        self.tables.len() - 1
    }

    /// Counts row `id` of the table `begin` answered `table` for, with its warnings or the reason it was skipped.
    pub fn record(&mut self, table: usize, id: &str, outcome: RowOutcome) {
        let source = self.tables.get(table).map(|t| t.source_table.clone()).unwrap_or_default();
        match outcome {
            RowOutcome::Written(warnings) => {
                for w in warnings {
                    self.warn(&source, id, w);
                }
                if let Some(t) = self.tables.get_mut(table) {
                    t.imported += 1;
                }
            }
            RowOutcome::Present => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.already_present += 1;
                }
            }
            RowOutcome::Skipped(reason) => {
                self.skip(&source, id, reason);
                if let Some(t) = self.tables.get_mut(table) {
                    t.skipped += 1;
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_is_counted_once_with_its_warnings_or_its_reason_and_the_text_says_so() {
        let mut r = ImportReport { source: "old.db".into(), dry_run: true, ..ImportReport::default() };
        let t = r.begin("triggers", "triggers", 3);
        r.record(t, "trig-a", RowOutcome::Written(vec!["group_id left out".into()]));
        r.record(t, "trig-b", RowOutcome::Present);
        r.record(t, "trig-c", RowOutcome::Skipped("a trigger named 'x' already exists here".into()));
        assert_eq!(
            r.tables,
            [TableCount {
                source_table: "triggers".into(),
                target_table: "triggers".into(),
                read: 3,
                imported: 1,
                already_present: 1,
                skipped: 1
            }]
        );
        assert_eq!(r.warnings[0].id, "trig-a");
        assert_eq!(r.skipped[0].reason, "a trigger named 'x' already exists here");
        assert_eq!(r.imported(), 1);
        let text = r.to_text();
        assert!(text.contains("triggers trig-c: a trigger named 'x' already exists here"), "{text}");
        assert!(text.ends_with("dry run, nothing written: 1 row(s) would be imported\n"), "{text}");
    }
}
