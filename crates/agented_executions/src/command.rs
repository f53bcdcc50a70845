//! CommandBuilder: the argv each backend runs with. Every flag was checked
//! against the CLI's `--help` (versions in docs/backends.md).

use crate::model::RunSnapshot;
use agented_kernel::BackendType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Claude's tools when a trigger names none (the original's default).
pub const DEFAULT_CLAUDE_TOOLS: &str = "Read,Glob,Grep,Bash";

/// A user-defined command backend: any program, with `{prompt}` (and
/// optionally `{model}`) in its argument template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomBackend {
    /// `backend-…` id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The program (a name looked up on `PATH`, or an absolute path).
    pub command: String,
    /// Arguments; `{prompt}` and `{model}` are replaced inside each.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: BTreeMap<String, String>,
    /// Working directory used when the trigger has no local path.
    pub working_dir: Option<String>,
}

impl CustomBackend {
    /// Checks a definition.
    ///
    /// # Errors
    /// Field → message.
    pub fn validate(&self) -> Result<(), BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            errors.insert("name".into(), "is required (at most 100 characters)".into());
        }
        if self.command.trim().is_empty() || self.command.contains(char::is_whitespace) {
            errors.insert("command".into(), "must be one program name or path, without spaces".into());
        }
        if !self.args.iter().any(|a| a.contains("{prompt}")) {
            errors.insert("args".into(), "must contain {prompt} in one of the arguments".into());
        }
        if self.env.keys().any(|k| k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
            errors.insert("env".into(), "names must be letters, digits and underscores".into());
        } else if let Some(refused) = self.env.keys().find_map(|k| crate::run_env::refusal(k)) {
            errors.insert("env".into(), refused);
        }
        if self.working_dir.as_deref().is_some_and(|d| !std::path::Path::new(d).is_absolute()) {
            errors.insert("working_dir".into(), "must be an absolute path".into());
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// Which program family runs a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendSpec {
    /// One of the four built-in CLIs.
    Builtin(BackendType),
    /// A custom command.
    Custom(CustomBackend),
}

/// A program, its arguments and extra environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    /// The program name or path.
    pub program: String,
    /// Arguments, unquoted.
    pub args: Vec<String>,
    /// Extra environment.
    pub env: BTreeMap<String, String>,
    /// A backend-chosen working directory.
    pub working_dir: Option<String>,
}

impl CommandLine {
    /// A shell-like rendering for people, with the prompt shown as `<prompt>`.
    #[must_use]
    pub fn display(&self, prompt: &str) -> String {
        let mut out = self.program.clone();
        for arg in &self.args {
            out.push(' ');
            if arg == prompt {
                out.push_str("<prompt>");
            } else if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)) {
                out.push('\'');
                out.push_str(&arg.replace('\'', "'\\''"));
                out.push('\'');
            } else {
                out.push_str(arg);
            }
        }
        out
    }
}

impl CommandLine {
    /// With `options` placed just before the prompt (and the `--` that ends options), where
    /// every built-in CLI reads them; a custom command's template takes none.
    #[must_use]
    pub fn with_options(mut self, options: Vec<String>) -> Self {
        if options.is_empty() || self.args.is_empty() {
            return self;
        }
        let mut at = self.args.len() - 1;
        if at > 0 && self.args[at - 1] == "--" {
            at -= 1;
        }
        self.args.splice(at..at, options);
        self
    }
}

/// Builds argv per backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommandBuilder;

impl CommandBuilder {
    /// The command for `snapshot`; `extra_dirs` are further project folders
    /// the CLI may read (passed where the CLI supports it). A follow-up's
    /// snapshot resumes its session; custom commands have none to resume.
    #[must_use]
    pub fn build(spec: &BackendSpec, snapshot: &RunSnapshot, extra_dirs: &[String]) -> CommandLine {
        let prompt = snapshot.prompt.clone();
        let model = snapshot.model.clone();
        // A follow-up resumes its CLI's session (ids are checked: never an option).
        let resumed = snapshot.resume.as_ref().map(|r| r.session_id.as_str().to_owned());
        let s = |v: &str| v.to_owned();
        let mut args: Vec<String> = Vec::new();
        let program = match spec {
            BackendSpec::Builtin(BackendType::Claude) => {
                args.extend([s("-p"), s("--output-format"), s("stream-json"), s("--verbose")]);
                args.push(s("--allowedTools"));
                args.push(snapshot.allowed_tools.clone().unwrap_or_else(|| DEFAULT_CLAUDE_TOOLS.to_owned()));
                if let Some(m) = model {
                    args.extend([s("--model"), m]);
                }
                if let Some(session) = resumed {
                    args.extend([s("--resume"), session]);
                }
                for dir in extra_dirs {
                    args.extend([s("--add-dir"), dir.clone()]);
                }
                // `--` ends the variadic options, so any prompt text is the prompt.
                args.extend([s("--"), prompt]);
                "claude"
            }
            BackendSpec::Builtin(BackendType::Codex) if resumed.is_some() => {
                // `codex exec resume` takes only `-c` overrides after its name: no
                // `--sandbox`, `--model` or `--add-dir` (checked against its `--help`).
                args.extend([s("exec"), s("--json"), s("--skip-git-repo-check"), s("resume")]);
                args.extend([s("-c"), s("sandbox_mode=\"workspace-write\"")]);
                if let Some(m) = model {
                    args.extend([s("-c"), format!("model={}", serde_json::Value::String(m))]);
                }
                args.extend(resumed);
                args.extend([s("--"), prompt]);
                "codex"
            }
            BackendSpec::Builtin(BackendType::Codex) => {
                args.extend([s("exec"), s("--json"), s("--sandbox"), s("workspace-write"), s("--skip-git-repo-check")]);
                if let Some(m) = model {
                    args.extend([s("--model"), m]);
                }
                for dir in extra_dirs {
                    args.extend([s("--add-dir"), dir.clone()]);
                }
                args.extend([s("--"), prompt]);
                "codex"
            }
            BackendSpec::Builtin(BackendType::Gemini) => {
                // Headless gemini refuses a folder it has not been told to trust (0.61).
                args.extend([s("--output-format"), s("stream-json"), s("--skip-trust")]);
                if let Some(m) = model {
                    args.extend([s("--model"), m]);
                }
                if let Some(session) = resumed {
                    args.extend([s("--resume"), session]);
                }
                for dir in extra_dirs {
                    args.extend([s("--include-directories"), dir.clone()]);
                }
                // `=` keeps a prompt starting with '-' a value.
                args.push(format!("--prompt={prompt}"));
                "gemini"
            }
            BackendSpec::Builtin(BackendType::Opencode) => {
                args.extend([s("run"), s("--format"), s("json")]);
                if let Some(m) = model {
                    args.extend([s("--model"), m]);
                }
                if let Some(session) = resumed {
                    args.extend([s("--session"), session]);
                }
                // opencode takes the message positionally; a leading '-' would read as a flag.
                args.push(if prompt.starts_with('-') { format!(" {prompt}") } else { prompt });
                "opencode"
            }
            BackendSpec::Custom(custom) => {
                let model = model.unwrap_or_default();
                let args =
                    custom.args.iter().map(|a| a.replace("{model}", &model).replace("{prompt}", &prompt)).collect();
                return CommandLine {
                    program: custom.command.clone(),
                    args,
                    env: custom.env.clone(),
                    working_dir: custom.working_dir.clone(),
                };
            }
        };
        CommandLine { program: program.to_owned(), args, env: BTreeMap::new(), working_dir: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(backend_type: BackendType) -> RunSnapshot {
        RunSnapshot {
            prompt: "-review the diff".into(),
            backend_type,
            backend_id: None,
            model: Some("m1".into()),
            allowed_tools: None,
            local_paths: vec![],
            repositories: vec![],
            timeout_seconds: 600,
            sigterm_grace_seconds: 10,
            stall_timeout_seconds: None,
            inputs: Vec::new(),
            chain: Vec::new(),
            github: None,
            resume: None,
            setup: None,
            tooling: crate::tooling::RunTooling::default(),
        }
    }

    fn argv_of(snapshot: &RunSnapshot) -> Vec<String> {
        let cmd = CommandBuilder::build(&BackendSpec::Builtin(snapshot.backend_type), snapshot, &["/x".into()]);
        std::iter::once(cmd.program).chain(cmd.args).collect()
    }

    fn argv(backend_type: BackendType) -> Vec<String> {
        argv_of(&snapshot(backend_type))
    }

    fn resumed(backend_type: BackendType) -> Vec<String> {
        let id = agented_kernel::ExecutionId::try_from("exec-trig-abc123-20261207-000000-abcd".to_owned()).unwrap();
        let resume = crate::Resume {
            follow_up_of: id.clone(),
            session_id: crate::SessionId::try_from("sess-1".to_owned()).unwrap(),
            workspace_of: id,
        };
        argv_of(&RunSnapshot { resume: Some(resume), ..snapshot(backend_type) })
    }

    #[test]
    fn a_follow_up_resumes_each_clis_session_with_its_own_flag() {
        let claude = resumed(BackendType::Claude);
        assert!(claude.windows(2).any(|w| w == ["--resume", "sess-1"]), "{claude:?}");
        assert_eq!(claude[claude.len() - 2..], ["--", "-review the diff"]);
        assert_eq!(
            resumed(BackendType::Codex),
            [
                "codex",
                "exec",
                "--json",
                "--skip-git-repo-check",
                "resume",
                "-c",
                "sandbox_mode=\"workspace-write\"",
                "-c",
                "model=\"m1\"",
                "sess-1",
                "--",
                "-review the diff"
            ]
        );
        assert!(resumed(BackendType::Gemini).windows(2).any(|w| w == ["--resume", "sess-1"]));
        assert_eq!(
            resumed(BackendType::Opencode),
            ["opencode", "run", "--format", "json", "--model", "m1", "--session", "sess-1", " -review the diff"]
        );
    }

    #[test]
    fn options_go_before_the_prompt_and_its_separator() {
        let with = |b: BackendType| {
            let cmd =
                CommandBuilder::build(&BackendSpec::Builtin(b), &snapshot(b), &[]).with_options(vec!["-o".into()]);
            cmd.args[cmd.args.len() - 3..].to_vec()
        };
        assert_eq!(with(BackendType::Claude), ["-o", "--", "-review the diff"]);
        assert_eq!(with(BackendType::Codex), ["-o", "--", "-review the diff"]);
        assert_eq!(with(BackendType::Gemini), ["m1", "-o", "--prompt=-review the diff"]);
        assert_eq!(with(BackendType::Opencode), ["m1", "-o", " -review the diff"]);
    }

    #[test]
    fn each_builtin_backend_gets_its_streaming_argv() {
        assert_eq!(
            argv(BackendType::Claude),
            [
                "claude",
                "-p",
                "--output-format",
                "stream-json",
                "--verbose",
                "--allowedTools",
                "Read,Glob,Grep,Bash",
                "--model",
                "m1",
                "--add-dir",
                "/x",
                "--",
                "-review the diff"
            ]
        );
        assert_eq!(
            argv(BackendType::Codex),
            [
                "codex",
                "exec",
                "--json",
                "--sandbox",
                "workspace-write",
                "--skip-git-repo-check",
                "--model",
                "m1",
                "--add-dir",
                "/x",
                "--",
                "-review the diff"
            ]
        );
        assert_eq!(
            argv(BackendType::Gemini),
            [
                "gemini",
                "--output-format",
                "stream-json",
                "--skip-trust",
                "--model",
                "m1",
                "--include-directories",
                "/x",
                "--prompt=-review the diff"
            ]
        );
        assert_eq!(
            argv(BackendType::Opencode),
            ["opencode", "run", "--format", "json", "--model", "m1", " -review the diff"]
        );
    }

    #[test]
    fn custom_backends_fill_their_template() {
        let custom = CustomBackend {
            id: "backend-aider".into(),
            name: "Aider".into(),
            command: "aider".into(),
            args: vec!["--message".into(), "{prompt}".into(), "--model={model}".into()],
            env: BTreeMap::from([("AIDER_X".into(), "1".into())]),
            working_dir: None,
        };
        assert_eq!(custom.validate(), Ok(()));
        let cmd = CommandBuilder::build(&BackendSpec::Custom(custom), &snapshot(BackendType::Claude), &[]);
        assert_eq!(cmd.args, ["--message", "-review the diff", "--model=m1"]);
        assert_eq!(cmd.display("-review the diff"), "aider --message <prompt> --model=m1");
    }

    #[test]
    fn a_custom_backend_without_a_prompt_slot_is_refused() {
        let custom = CustomBackend {
            id: "b".into(),
            name: "x".into(),
            command: "two words".into(),
            args: vec![],
            env: BTreeMap::new(),
            working_dir: Some("rel".into()),
        };
        let errors = custom.validate().unwrap_err();
        assert_eq!(errors.keys().map(String::as_str).collect::<Vec<_>>(), ["args", "command", "working_dir"]);
    }
}
