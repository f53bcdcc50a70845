//! The CLI backends Agented ships with.

use agented_kernel::BackendType;

/// A built-in backend as listed by `/admin/backends`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinBackend {
    /// Stable id (`backend-claude`, …).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// The CLI family.
    pub backend_type: BackendType,
    /// The executable looked up on `PATH`.
    pub command: &'static str,
    /// One-line description for the dashboard.
    pub description: &'static str,
    /// Model names suggested for `model` (the CLI may accept others).
    pub models: &'static [&'static str],
}

/// The four built-in backends, one per [`BackendType`].
pub const BUILTIN_BACKENDS: [BuiltinBackend; 4] = [
    BuiltinBackend {
        id: "backend-claude",
        name: "Claude Code",
        backend_type: BackendType::Claude,
        command: "claude",
        description: "Anthropic's Claude Code CLI",
        models: &["sonnet", "opus", "haiku"],
    },
    BuiltinBackend {
        id: "backend-opencode",
        name: "OpenCode",
        backend_type: BackendType::Opencode,
        command: "opencode",
        description: "The OpenCode CLI",
        models: &["anthropic/claude-sonnet-4-5", "openai/gpt-5"],
    },
    BuiltinBackend {
        id: "backend-gemini",
        name: "Gemini CLI",
        backend_type: BackendType::Gemini,
        command: "gemini",
        description: "Google's Gemini CLI",
        models: &["gemini-2.5-pro", "gemini-2.5-flash"],
    },
    BuiltinBackend {
        id: "backend-codex",
        name: "Codex CLI",
        backend_type: BackendType::Codex,
        command: "codex",
        description: "OpenAI's Codex CLI",
        models: &["gpt-5-codex", "gpt-5"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_is_exactly_one_builtin_backend_per_backend_type() {
        for backend_type in BackendType::ALL {
            let matching = BUILTIN_BACKENDS.iter().filter(|b| b.backend_type == backend_type).count();
            assert_eq!(matching, 1, "{backend_type}");
        }
        for backend in BUILTIN_BACKENDS {
            assert_eq!(backend.id, format!("backend-{}", backend.backend_type));
        }
    }
}
