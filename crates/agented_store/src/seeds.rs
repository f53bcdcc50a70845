//! Data every installation starts with: the four built-in CLI backends and the
//! predefined triggers (disabled). Idempotent: rows that exist are left as the
//! operator changed them.

use crate::StoreError;
use crate::database::AnyConnection;
use crate::schema::{backends, triggers};
use agented_executions::BUILTIN_BACKENDS;
use agented_triggers::TimeoutSeconds;
use agented_triggers::predefined;
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

#[derive(Insertable)]
#[diesel(table_name = backends)]
struct NewBackendRow<'a> {
    id: &'a str,
    name: &'a str,
    backend_type: &'a str,
    command: &'a str,
    description: &'a str,
    is_builtin: bool,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = triggers)]
struct NewPredefinedTriggerRow<'a> {
    id: &'a str,
    name: &'a str,
    prompt_template: &'a str,
    backend_type: &'a str,
    trigger_source: &'a str,
    enabled: bool,
    is_predefined: bool,
    skill_command: Option<&'a str>,
    timeout_seconds: i32,
    created_at: NaiveDateTime,
}

/// What [`seed`] inserted this time (0 and 0 on every run after the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeedReport {
    /// Backends inserted.
    pub backends: usize,
    /// Triggers inserted.
    pub triggers: usize,
}

/// Inserts the seed rows that are missing, in one immediate transaction.
///
/// # Errors
/// [`StoreError::Query`] when a write fails; then nothing is inserted.
pub fn seed(conn: &mut AnyConnection) -> Result<SeedReport, StoreError> {
    let now = Utc::now().naive_utc();
    crate::database::write(conn, |conn| {
        let mut report = SeedReport::default();
        for b in BUILTIN_BACKENDS {
            let row = NewBackendRow {
                id: b.id,
                name: b.name,
                backend_type: b.backend_type.as_str(),
                command: b.command,
                description: b.description,
                is_builtin: true,
                created_at: now,
            };
            report.backends += crate::per_backend!(&mut *conn, |c| diesel::insert_into(backends::table)
                .values(&row)
                .on_conflict_do_nothing()
                .execute(c))?;
        }
        for t in predefined::ALL {
            let row = NewPredefinedTriggerRow {
                id: t.id,
                name: t.name,
                prompt_template: t.prompt_template,
                backend_type: t.backend.as_str(),
                trigger_source: t.source.as_str(),
                enabled: t.enabled,
                is_predefined: true,
                skill_command: t.skill_command,
                timeout_seconds: i32::from(TimeoutSeconds::DEFAULT.get()),
                created_at: now,
            };
            report.triggers += crate::per_backend!(&mut *conn, |c| diesel::insert_into(triggers::table)
                .values(&row)
                .on_conflict_do_nothing()
                .execute(c))?;
        }
        if report != SeedReport::default() {
            tracing::info!(backends = report.backends, triggers = report.triggers, "seed data inserted");
        }
        Ok(report)
    })
}
