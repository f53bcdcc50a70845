//! Triggers that ship with Agented. They cannot be deleted. The PR reviewer
//! is seeded disabled, so nothing runs until an operator turns it on; the
//! planner runs only when someone asks for planning help, so it starts enabled.

use crate::TriggerSource;
use agented_kernel::BackendType;

/// The definition of a trigger Agented ships with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredefinedTrigger {
    /// Stable `bot-…` id (integrations refer to it).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// What fires it.
    pub source: TriggerSource,
    /// The CLI that runs it.
    pub backend: BackendType,
    /// Prompt with placeholders such as `{pr_url}`.
    pub prompt_template: &'static str,
    /// Slash command put before the prompt.
    pub skill_command: Option<&'static str>,
    /// Whether it is seeded enabled.
    pub enabled: bool,
}

/// Reviews a GitHub pull request when one is opened, updated or reopened.
pub const PR_REVIEW: PredefinedTrigger = PredefinedTrigger {
    id: "bot-pr-review",
    name: "PR Review",
    source: TriggerSource::Github,
    backend: BackendType::Claude,
    prompt_template: "Review the pull request {pr_url} (#{pr_number}: {pr_title}) by {pr_author} in {repo_full_name}. \
Summarise the change, point out bugs, security problems and missing tests, and suggest concrete fixes.",
    skill_command: None,
    enabled: false,
};

/// Owns the runs of planning sessions and research (`/api/projects/…`):
/// they show under Executions as its runs, use its paths, tools and time
/// limit, and stop when it is disabled. Their prompts are written by Agented,
/// so its template is used only by a manual Run.
pub const PLANNER: PredefinedTrigger = PredefinedTrigger {
    id: "bot-planner",
    name: "Planning assistant",
    source: TriggerSource::Manual,
    backend: BackendType::Claude,
    prompt_template: "{message}",
    skill_command: None,
    enabled: true,
};

/// Owns the runs of workflows' `agent` nodes: they show under Executions as its runs, use
/// its paths, tools, time limit and concurrency, and stop when it is disabled. Their
/// prompts come from the nodes, so its template is used only by a manual Run.
pub const AGENTS: PredefinedTrigger = PredefinedTrigger {
    id: "bot-agents",
    name: "Workflow agents",
    source: TriggerSource::Manual,
    backend: BackendType::Claude,
    prompt_template: "{message}",
    skill_command: None,
    enabled: true,
};

/// Owns the turns of chats with persistent agents (super agents): each turn is one of its
/// runs, resuming the chat's CLI session, with its paths, time limit and budget.
pub const SUPER_AGENTS: PredefinedTrigger = PredefinedTrigger {
    id: "bot-super-agents",
    name: "Persistent agents",
    source: TriggerSource::Manual,
    backend: BackendType::Claude,
    prompt_template: "{message}",
    skill_command: None,
    enabled: true,
};

/// Every predefined trigger.
pub const ALL: [PredefinedTrigger; 4] = [PR_REVIEW, PLANNER, AGENTS, SUPER_AGENTS];

#[cfg(test)]
mod tests {
    use super::*;
    use agented_kernel::TriggerId;

    #[test]
    fn predefined_triggers_have_valid_bot_ids() {
        for trigger in ALL {
            assert!(trigger.id.starts_with("bot-"));
            assert!(TriggerId::parse(trigger.id).is_ok(), "{}", trigger.id);
        }
    }

    #[test]
    fn the_pr_review_prompt_uses_the_pull_request_placeholders() {
        for placeholder in ["{pr_url}", "{pr_number}", "{pr_title}", "{pr_author}", "{repo_full_name}"] {
            assert!(PR_REVIEW.prompt_template.contains(placeholder), "{placeholder}");
        }
    }
}
