//! Agents: reusable definitions of who does a piece of work — role, goals, system prompt
//! and context, the backend and model, allowed tools, skills and documents. A run of an
//! agent (`POST /admin/agents/{id}/run`, or an `agent` node naming it) is an ordinary
//! execution whose prompt [`Agent::prompt`] composes.

use crate::definition::FieldErrors;
use agented_kernel::{AgentId, BackendType};
use chrono::{DateTime, Utc};

/// Longest system prompt, role, context or description.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Most goals, tools, skills or documents.
pub const MAX_ITEMS: usize = 50;
/// Longest goal, tool, skill or document name.
pub const MAX_ITEM_CHARS: usize = 500;

/// What an agent is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFields {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its role ("code reviewer").
    pub role: String,
    /// What it aims at, in order.
    pub goals: Vec<String>,
    /// Background it works with.
    pub context: String,
    /// The CLI it runs on.
    pub backend_type: BackendType,
    /// Put first in every prompt.
    pub system_prompt: String,
    /// The model passed to the CLI.
    pub model: Option<String>,
    /// Claude's `--allowedTools`, one tool per item.
    pub allowed_tools: Vec<String>,
    /// Skills it may use (named in its prompt).
    pub skills: Vec<String>,
    /// Documents it should read (named in its prompt).
    pub documents: Vec<String>,
    /// A disabled agent does not run.
    pub enabled: bool,
    /// The managed tooling its runs' CLIs get (with what the `bot-agents` trigger attaches).
    pub tooling: agented_kernel::ToolingRefs,
}

/// A stored agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// `agent-…`.
    pub id: AgentId,
    /// What it is.
    pub fields: AgentFields,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Agent {
    /// The prompt of a run of this agent with `message` (fenced by the caller when untrusted):
    /// its system prompt, role, goals, context, skills and documents, then the message.
    #[must_use]
    pub fn prompt(&self, message: &str) -> String {
        let f = &self.fields;
        let mut parts: Vec<String> = Vec::new();
        if !f.system_prompt.trim().is_empty() {
            parts.push(f.system_prompt.trim().to_owned());
        }
        if !f.role.trim().is_empty() {
            parts.push(format!("Your role: {}.", f.role.trim()));
        }
        let list = |title: &str, items: &[String]| {
            (!items.is_empty())
                .then(|| format!("{title}:\n{}", items.iter().map(|i| format!("- {i}")).collect::<Vec<_>>().join("\n")))
        };
        parts.extend(list("Your goals", &f.goals));
        if !f.context.trim().is_empty() {
            parts.push(format!("Context:\n{}", f.context.trim()));
        }
        parts.extend(list("Skills you may use", &f.skills));
        parts.extend(list("Documents to consult", &f.documents));
        parts.push(message.to_owned());
        parts.join("\n\n")
    }
}

/// A change to an agent's fields (create: `name` required).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentPatch {
    /// 1–100 characters.
    pub name: Option<String>,
    /// Up to 20 000 characters.
    pub description: Option<String>,
    /// Up to 20 000 characters.
    pub role: Option<String>,
    /// Up to 50 of up to 500 characters.
    pub goals: Option<Vec<String>>,
    /// Up to 20 000 characters.
    pub context: Option<String>,
    /// `claude`, `codex`, `gemini` or `opencode` (default `claude`).
    pub backend_type: Option<String>,
    /// Up to 20 000 characters.
    pub system_prompt: Option<String>,
    /// A model name, or `None` to clear it (`Some(None)`).
    pub model: Option<Option<String>>,
    /// Up to 50 tool names.
    pub allowed_tools: Option<Vec<String>>,
    /// Up to 50 skill names.
    pub skills: Option<Vec<String>>,
    /// Up to 50 document names.
    pub documents: Option<Vec<String>>,
    /// Default true.
    pub enabled: Option<bool>,
    /// The managed tooling its runs get (replaces what is attached).
    pub tooling: Option<agented_kernel::ToolingInput>,
}

fn text(errors: &mut FieldErrors, field: &str, value: Option<String>, into: &mut String) {
    if let Some(value) = value {
        if value.chars().count() > MAX_TEXT_CHARS {
            errors.insert(field.into(), format!("at most {MAX_TEXT_CHARS} characters"));
        }
        *into = value;
    }
}

fn items(errors: &mut FieldErrors, field: &str, value: Option<Vec<String>>, into: &mut Vec<String>) {
    if let Some(value) = value {
        let value: Vec<String> = value.into_iter().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect();
        if value.len() > MAX_ITEMS
            || value.iter().any(|v| v.chars().count() > MAX_ITEM_CHARS || v.chars().any(char::is_control))
        {
            errors.insert(
                field.into(),
                format!("at most {MAX_ITEMS} items of at most {MAX_ITEM_CHARS} characters, no control characters"),
            );
        }
        *into = value;
    }
}

impl AgentPatch {
    /// The fields of a new agent.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn create(self) -> Result<AgentFields, FieldErrors> {
        let missing = self.name.is_none();
        let start = AgentFields {
            name: String::new(),
            description: String::new(),
            role: String::new(),
            goals: Vec::new(),
            context: String::new(),
            backend_type: BackendType::Claude,
            system_prompt: String::new(),
            model: None,
            allowed_tools: Vec::new(),
            skills: Vec::new(),
            documents: Vec::new(),
            enabled: true,
            tooling: agented_kernel::ToolingRefs::default(),
        };
        crate::definition::with_name_required(missing, self.apply(start))
    }

    /// `current` with this patch applied.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn apply(self, current: AgentFields) -> Result<AgentFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut next = current;
        if let Some(name) = self.name {
            next.name = crate::definition::check_name(&mut errors, &name);
        }
        text(&mut errors, "description", self.description, &mut next.description);
        text(&mut errors, "role", self.role, &mut next.role);
        text(&mut errors, "context", self.context, &mut next.context);
        text(&mut errors, "system_prompt", self.system_prompt, &mut next.system_prompt);
        items(&mut errors, "goals", self.goals, &mut next.goals);
        items(&mut errors, "allowed_tools", self.allowed_tools, &mut next.allowed_tools);
        items(&mut errors, "skills", self.skills, &mut next.skills);
        items(&mut errors, "documents", self.documents, &mut next.documents);
        if let Some(backend) = self.backend_type {
            match backend.parse::<BackendType>() {
                Ok(b) => next.backend_type = b,
                Err(_) => {
                    errors
                        .insert("backend_type".into(), format!("'{backend}' is not claude, codex, gemini or opencode"));
                }
            }
        }
        if let Some(model) = self.model {
            let model = model.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
            if model.as_ref().is_some_and(|m| m.len() > 200 || !m.chars().all(|c| c.is_ascii_graphic())) {
                errors.insert("model".into(), "at most 200 printable characters without spaces".into());
            }
            next.model = model;
        }
        if let Some(enabled) = self.enabled {
            next.enabled = enabled;
        }
        if let Some(tooling) = self.tooling {
            match tooling.refs() {
                Ok(refs) => next.tooling = refs,
                Err(why) => drop(errors.insert("tooling".into(), why)),
            }
        }
        if errors.is_empty() { Ok(next) } else { Err(errors) }
    }
}
