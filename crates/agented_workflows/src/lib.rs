//! The workflow domain: a workflow is a versioned DAG of nodes (agent, command,
//! conditional, transform, approval, wait, sub-workflow) whose edges carry outputs,
//! with fan-out and fan-in. This crate reads and checks a graph
//! ([`Graph::read`]: a cycle is named, an edge to an unknown node is refused) and
//! decides how a run proceeds from its nodes' stored states ([`next_steps`]);
//! [`WorkflowService`] keeps workflows and their versions. The executor that runs the
//! nodes and stores each transition sits above it.
//!
//! Architecture invariant: pure Rust over the kernel and serde. No Diesel, actix,
//! apalis or processes; the store implements [`WorkflowRepository`].

pub mod agent;
mod agents;
pub mod compile;
pub mod condition;
pub mod definition;
pub mod document;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod graph;
pub mod local;
pub mod node;
pub mod output;
pub mod ports;
pub mod progress;
pub mod run;
mod runs;
mod service;
pub mod team;
mod teams;
pub mod transform;
pub mod yaml;

pub use agent::{Agent, AgentFields, AgentPatch};
pub use agents::{AgentError, AgentService, MAX_MESSAGE_CHARS};
pub use condition::Condition;
pub use definition::{FieldErrors, Workflow, WorkflowFields, WorkflowPatch, WorkflowVersion};
pub use document::{EdgeDocument, GraphDocument, NodeDocument};
pub use graph::{Graph, GraphErrors, Link};
pub use node::{AgentTarget, ErrorMode, Node, NodeId, NodeKind, NodePolicy};
pub use output::NodeOutput;
pub use ports::{
    AgentLauncher, AgentRepository, LaunchError, RunEnding, TeamRepository, WorkflowRepository, WorkflowRunRepository,
    WorkflowStoreError,
};
pub use progress::{AfterFailure, NodeState, RunEnd, Step, after_failure, next_steps, settle, state_name};
pub use run::{Decision, NodeRun, Profile, RunClaim, RunOrigin, RunStatus, WorkflowRun};
pub use runs::{MAX_INPUT_BYTES, MAX_LISTED_RUNS, RunError, Wake, WorkflowRunService, run_input};
pub use service::{WorkflowError, WorkflowService};
pub use team::{Member, Team, TeamFields, TeamPatch, Topology, TopologyConfig};
pub use teams::{MAX_TEAM_DEPTH, NewMember, TeamError, TeamService};
pub use transform::{Transform, render};
pub use yaml::{
    ConfigFile, MemberFile, SCHEMA, TeamFile, WorkflowFile, YamlProblem, read_file, read_team, read_workflow,
    write_file, write_workflow,
};
