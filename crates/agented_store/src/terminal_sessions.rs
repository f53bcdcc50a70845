//! `SessionRepository` over SQLite or PostgreSQL: `terminal_sessions`, and
//! `terminal_output` with one row per chunk, numbered by the session's `output_seq`.

use crate::executions::corrupt;
use crate::schema::{terminal_output, terminal_sessions};
use crate::{Database, StoreError};
use agented_kernel::{ProjectId, SessionId};
use agented_sessions::{
    OutputChunk, Purpose, Session, SessionRepository, SessionStatus, SessionStoreError, TerminalSize,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = terminal_sessions)]
struct SessionRow {
    id: String,
    project_id: Option<String>,
    purpose: String,
    program: String,
    args: String,
    status: String,
    exit_code: Option<i32>,
    reason: Option<String>,
    created_by: String,
    host: String,
    term_cols: i32,
    term_rows: i32,
    created_at: NaiveDateTime,
    last_activity_at: NaiveDateTime,
    ended_at: Option<NaiveDateTime>,
}

impl From<&Session> for SessionRow {
    fn from(s: &Session) -> Self {
        Self {
            id: s.id.as_str().to_owned(),
            project_id: s.project_id.as_ref().map(|p| p.as_str().to_owned()),
            purpose: s.purpose.as_str().to_owned(),
            program: s.program.clone(),
            args: serde_json::to_string(&s.args).unwrap_or_else(|_| "[]".into()),
            status: s.status.as_str().to_owned(),
            exit_code: s.exit_code,
            reason: s.reason.clone(),
            created_by: s.created_by.clone(),
            host: s.host.clone(),
            term_cols: i32::from(s.size.cols),
            term_rows: i32::from(s.size.rows),
            created_at: s.created_at.naive_utc(),
            last_activity_at: s.last_activity_at.naive_utc(),
            ended_at: s.ended_at.map(|t| t.naive_utc()),
        }
    }
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(r: SessionRow) -> Result<Self, StoreError> {
        let dim = |n: i32| u16::try_from(n).map_err(corrupt);
        Ok(Self {
            id: SessionId::parse(&r.id).map_err(corrupt)?,
            project_id: r.project_id.as_deref().map(ProjectId::parse).transpose().map_err(corrupt)?,
            purpose: Purpose::parse(&r.purpose).ok_or_else(|| corrupt(format!("purpose '{}'", r.purpose)))?,
            program: r.program,
            args: serde_json::from_str(&r.args).map_err(corrupt)?,
            status: SessionStatus::parse(&r.status).ok_or_else(|| corrupt(format!("status '{}'", r.status)))?,
            exit_code: r.exit_code,
            reason: r.reason,
            created_by: r.created_by,
            host: r.host,
            size: TerminalSize::new(dim(r.term_cols)?, dim(r.term_rows)?).map_err(corrupt)?,
            created_at: r.created_at.and_utc(),
            last_activity_at: r.last_activity_at.and_utc(),
            ended_at: r.ended_at.map(|t| t.and_utc()),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = terminal_output)]
struct OutputRow {
    session_id: String,
    seq: i64,
    at: NaiveDateTime,
    data: String,
}

impl From<OutputRow> for OutputChunk {
    fn from(r: OutputRow) -> Self {
        Self { seq: r.seq, data: r.data, at: r.at.and_utc() }
    }
}

fn err(e: StoreError) -> SessionStoreError {
    SessionStoreError(agented_kernel::Cause::of(e))
}

fn rows_to_sessions(rows: Vec<SessionRow>) -> Result<Vec<Session>, StoreError> {
    rows.into_iter().map(Session::try_from).collect()
}

/// Sessions in `terminal_sessions` and `terminal_output`.
#[derive(Debug, Clone)]
pub struct SqlSessions {
    db: Database,
}

impl SqlSessions {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SessionRepository for SqlSessions {
    async fn insert(&self, session: &Session) -> Result<(), SessionStoreError> {
        let row = SessionRow::from(session);
        self.db
            .run(move |conn| {
                diesel::insert_into(terminal_sessions::table).values(&row).execute(conn)?;
                Ok(())
            })
            .await
            .map_err(err)
    }

    async fn get(&self, id: &SessionId) -> Result<Option<Session>, SessionStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                let row: Option<SessionRow> =
                    terminal_sessions::table.find(&id).select(SessionRow::as_select()).first(conn).optional()?;
                row.map(Session::try_from).transpose()
            })
            .await
            .map_err(err)
    }

    async fn list(&self, project: Option<&ProjectId>, limit: u32) -> Result<Vec<Session>, SessionStoreError> {
        let project = project.map(|p| p.as_str().to_owned());
        self.db
            .run(move |conn| {
                let mut query = terminal_sessions::table
                    .select(SessionRow::as_select())
                    .order((terminal_sessions::created_at.desc(), terminal_sessions::id.desc()))
                    .limit(i64::from(limit))
                    .into_boxed();
                if let Some(project) = project {
                    query = query.filter(terminal_sessions::project_id.eq(project));
                }
                rows_to_sessions(query.load(conn)?)
            })
            .await
            .map_err(err)
    }

    async fn open(&self) -> Result<Vec<Session>, SessionStoreError> {
        let open: Vec<&str> = SessionStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
        self.db
            .run(move |conn| {
                let rows = terminal_sessions::table
                    .filter(terminal_sessions::status.eq_any(open))
                    .select(SessionRow::as_select())
                    .load(conn)?;
                rows_to_sessions(rows)
            })
            .await
            .map_err(err)
    }

    async fn update(&self, session: &Session) -> Result<(), SessionStoreError> {
        let row = SessionRow::from(session);
        self.db
            .run(move |conn| {
                diesel::update(terminal_sessions::table.find(&row.id))
                    .set((
                        terminal_sessions::status.eq(&row.status),
                        terminal_sessions::exit_code.eq(row.exit_code),
                        terminal_sessions::reason.eq(&row.reason),
                        terminal_sessions::term_cols.eq(row.term_cols),
                        terminal_sessions::term_rows.eq(row.term_rows),
                        terminal_sessions::ended_at.eq(row.ended_at),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .map_err(err)
    }

    async fn append(&self, id: &SessionId, data: &str, at: DateTime<Utc>) -> Result<i64, SessionStoreError> {
        let (id, data, at) = (id.as_str().to_owned(), crate::error::storable(data).into_owned(), at.naive_utc());
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    // One reader task writes a session's output: the counter is its own.
                    diesel::update(terminal_sessions::table.find(&id))
                        .set((
                            terminal_sessions::output_seq.eq(terminal_sessions::output_seq + 1),
                            terminal_sessions::last_activity_at.eq(at),
                        ))
                        .execute(conn)?;
                    let seq: i64 =
                        terminal_sessions::table.find(&id).select(terminal_sessions::output_seq).first(conn)?;
                    let row = OutputRow { session_id: id.clone(), seq, at, data: data.clone() };
                    diesel::insert_into(terminal_output::table).values(&row).execute(conn)?;
                    Ok(seq)
                })
            })
            .await
            .map_err(err)
    }

    async fn touch(&self, id: &SessionId, at: DateTime<Utc>) -> Result<(), SessionStoreError> {
        let (id, at) = (id.as_str().to_owned(), at.naive_utc());
        self.db
            .run(move |conn| {
                diesel::update(terminal_sessions::table.find(&id))
                    .set(terminal_sessions::last_activity_at.eq(at))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .map_err(err)
    }

    async fn output_after(
        &self,
        id: &SessionId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutputChunk>, SessionStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                let rows: Vec<OutputRow> = terminal_output::table
                    .filter(terminal_output::session_id.eq(&id).and(terminal_output::seq.gt(after)))
                    .order(terminal_output::seq)
                    .limit(i64::from(limit))
                    .select(OutputRow::as_select())
                    .load(conn)?;
                Ok(rows.into_iter().map(OutputChunk::from).collect())
            })
            .await
            .map_err(err)
    }

    async fn output_tail(&self, id: &SessionId, limit: u32) -> Result<Vec<OutputChunk>, SessionStoreError> {
        let id = id.as_str().to_owned();
        self.db
            .run(move |conn| {
                let rows: Vec<OutputRow> = terminal_output::table
                    .filter(terminal_output::session_id.eq(&id))
                    .order(terminal_output::seq.desc())
                    .limit(i64::from(limit))
                    .select(OutputRow::as_select())
                    .load(conn)?;
                Ok(rows.into_iter().rev().map(OutputChunk::from).collect())
            })
            .await
            .map_err(err)
    }
}
