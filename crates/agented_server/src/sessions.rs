//! Interactive sessions wired to this server: pseudo-terminals under
//! `<runner.workspace_dir>/interactive`, with the runs' `PATH` and environment,
//! projects read from the roadmaps, and start-up recovery of a dead server's
//! sessions.

use crate::settings::Settings;
use agented_executions::RunEnvironment;
use agented_kernel::{Cause, Clock, ProjectId};
use agented_roadmaps::{ChangeError, RoadmapService};
use agented_runner::{PtyOptions, PtyTerminals};
use agented_sessions::{ProjectDirectory, SessionLimits, SessionService};
use agented_store::{Database, SqlSessions};
use async_trait::async_trait;
use std::ffi::OsString;
use std::sync::Arc;
use std::time::Duration;

/// A project's roadmap as the `.planning/` files its sessions find.
struct RoadmapFiles(RoadmapService);

#[async_trait]
impl ProjectDirectory for RoadmapFiles {
    async fn planning_files(&self, id: &ProjectId) -> Result<Option<Vec<(String, String)>>, Cause> {
        match self.0.get(id.as_str()).await {
            Ok(project) => Ok(Some(
                agented_roadmaps::export(&project.roadmap)
                    .into_iter()
                    .map(|(path, text)| (format!(".planning/{path}"), text))
                    .collect(),
            )),
            Err(ChangeError::NotFound) => Ok(None),
            Err(e) => Err(Cause::new(e.to_string())),
        }
    }
}

/// The session service of this server; its sessions left open by a server that died on
/// this host are marked interrupted and their processes killed first.
pub(crate) async fn session_service(
    settings: &Settings,
    database: &Database,
    roadmaps: RoadmapService,
    (path_env, base_env): (&OsString, &RunEnvironment),
    clock: Arc<dyn Clock>,
) -> Result<SessionService, String> {
    let host_name = crate::startup::host_name();
    let options = PtyOptions {
        root: settings.runner.workspace_dir.join("interactive"),
        path_env: path_env.clone(),
        env: base_env.vars().clone(),
        parent_death: crate::startup::parent_death_helper(),
        grace: Duration::from_secs(2),
    };
    let limits = SessionLimits {
        max_open_per_key: settings.sessions.max_open_per_key,
        idle_timeout: settings.sessions.idle_timeout,
        stop_wait: Duration::from_secs(5),
        max_output_bytes: settings.sessions.max_output_mb << 20,
    };
    let service = SessionService::new(
        Arc::new(SqlSessions::new(database.clone())),
        Arc::new(PtyTerminals::new(options, &host_name)),
        Arc::new(RoadmapFiles(roadmaps)),
        clock,
        (settings.sessions.commands.clone(), limits),
    );
    let recovered = service
        .recover(&|host| PtyTerminals::is_orphan(host, &host_name))
        .await
        .map_err(|e| format!("recovering sessions: {e}"))?;
    if recovered > 0 {
        tracing::warn!(recovered, "sessions of a server that stopped were marked interrupted");
    }
    Ok(service)
}
