//! A workflow and its versions: the workflow's own fields, and each version's graph,
//! a draft until published. A run always uses one fixed version.

use crate::document::GraphDocument;
use agented_kernel::WorkflowId;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Problems with a request, by field.
pub type FieldErrors = BTreeMap<String, String>;

/// Longest workflow name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// A stored workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    /// `wf-…`.
    pub id: WorkflowId,
    /// Its fields.
    pub fields: WorkflowFields,
    /// The newest version's number (drafts included), if any.
    pub latest_version: Option<i64>,
    /// The newest published version's number: the one runs use.
    pub published_version: Option<i64>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change of its fields or versions.
    pub updated_at: DateTime<Utc>,
}

/// A workflow's own fields, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowFields {
    /// 1–100 characters.
    pub name: String,
    /// Up to 2000 characters.
    pub description: String,
    /// Disabled workflows are kept but not run.
    pub enabled: bool,
}

/// A requested workflow or change; absent keeps a field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkflowPatch {
    /// See [`WorkflowFields`].
    pub name: Option<String>,
    /// See [`WorkflowFields`].
    pub description: Option<String>,
    /// See [`WorkflowFields`].
    pub enabled: Option<bool>,
}

impl WorkflowPatch {
    /// The fields of a new workflow.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn create(self) -> Result<WorkflowFields, FieldErrors> {
        let missing = self.name.is_none();
        let start = WorkflowFields { name: String::new(), description: String::new(), enabled: true };
        with_name_required(missing, self.apply(start))
    }

    /// `current` with this patch applied.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn apply(self, current: WorkflowFields) -> Result<WorkflowFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut next = current;
        if let Some(name) = self.name {
            next.name = check_name(&mut errors, &name);
        }
        if let Some(description) = self.description {
            next.description = check_description(&mut errors, description);
        }
        if let Some(enabled) = self.enabled {
            next.enabled = enabled;
        }
        if errors.is_empty() { Ok(next) } else { Err(errors) }
    }
}

/// `name` trimmed, with a problem recorded unless it is 1–100 characters without control characters.
pub(crate) fn check_name(errors: &mut FieldErrors, name: &str) -> String {
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        errors.insert("name".into(), format!("1–{MAX_NAME_CHARS} characters, no control characters"));
    }
    name
}

/// `description`, with a problem recorded when it is over 2000 characters.
pub(crate) fn check_description(errors: &mut FieldErrors, description: String) -> String {
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        errors.insert("description".into(), format!("at most {MAX_DESCRIPTION_CHARS} characters"));
    }
    description
}

/// The fields `applied` to a new record, or every problem: those of `applied`, and
/// `name: required` when the request had no name.
///
/// # Errors
/// Every problem, by field.
pub(crate) fn with_name_required<F>(missing: bool, applied: Result<F, FieldErrors>) -> Result<F, FieldErrors> {
    let mut errors = FieldErrors::new();
    if missing {
        errors.insert("name".into(), "required".into());
    }
    match applied {
        Ok(fields) if errors.is_empty() => Ok(fields),
        Ok(_) => Err(errors),
        Err(more) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

/// One version of a workflow's graph.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowVersion {
    /// Its workflow.
    pub workflow_id: WorkflowId,
    /// 1, 2, … in order of creation.
    pub version: i64,
    /// The graph, as written.
    pub graph: GraphDocument,
    /// A draft may be edited in the dashboard; runs use published versions only.
    pub is_draft: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}
