//! What a session may run: one of the four CLIs, or a command the
//! configuration allows by name, each found on the runner's `PATH`. A name is
//! never a path, so a request cannot reach a program the operator did not allow.

use agented_kernel::BackendType;
use std::collections::BTreeSet;

/// Arguments at most.
pub const MAX_ARGS: usize = 64;
/// Bytes of one argument at most.
pub const MAX_ARG_BYTES: usize = 4096;

/// The program a request names, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramRequest {
    /// A CLI's or an allowed command's name.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
}

/// A checked program and its arguments, ready to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// A plain name, looked up on the runner's `PATH`.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
}

/// The programs sessions may run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Programs {
    commands: BTreeSet<String>,
}

impl Programs {
    /// The CLIs, and `commands` (configuration's `sessions.commands`).
    ///
    /// # Errors
    /// A command that is not a plain program name.
    pub fn new(commands: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let commands: BTreeSet<String> = commands.into_iter().collect();
        if let Some(bad) = commands.iter().find(|c| !is_plain_name(c)) {
            return Err(format!("'{bad}' is not a program name (letters, digits, '.', '-', '_'; no path)"));
        }
        Ok(Self { commands })
    }

    /// Every name a session may run: the CLIs, then the configured commands.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        BackendType::ALL.iter().map(|b| b.as_str().to_owned()).chain(self.commands.iter().cloned()).collect()
    }

    /// The request, checked.
    ///
    /// # Errors
    /// The field at fault (`program` or `args`) and why.
    pub fn resolve(&self, request: ProgramRequest) -> Result<Launch, (&'static str, String)> {
        let ProgramRequest { program, args } = request;
        let allowed = program.parse::<BackendType>().is_ok() || self.commands.contains(&program);
        if !allowed {
            let names = self.names().join(", ");
            return Err(("program", format!("'{program}' may not run in a session; allowed: {names}")));
        }
        check_args(&args).map_err(|m| ("args", m))?;
        Ok(Launch { program, args })
    }

    /// `claude "/grd:<command> <args…>"`: the planning command as the first
    /// prompt of an interactive Claude Code session (GRD is a Claude Code plugin).
    ///
    /// # Errors
    /// The field at fault (`command` or `args`) and why.
    pub fn planning(command: &str, args: &[String]) -> Result<Launch, (&'static str, String)> {
        let valid = command.len() <= 48
            && command.starts_with(|c: char| c.is_ascii_lowercase())
            && command.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(("command", format!("'{command}' is not a GRD command name (like plan-phase)")));
        }
        if let Some(bad) = args.iter().find(|a| a.chars().any(char::is_control) || a.len() > 1000) {
            return Err(("args", format!("argument '{}' has control characters or is over 1000 bytes", short(bad))));
        }
        let prompt =
            std::iter::once(format!("/grd:{command}")).chain(args.iter().cloned()).collect::<Vec<_>>().join(" ");
        Ok(Launch { program: BackendType::Claude.as_str().to_owned(), args: vec![prompt] })
    }
}

fn check_args(args: &[String]) -> Result<(), String> {
    if args.len() > MAX_ARGS {
        return Err(format!("at most {MAX_ARGS} arguments, not {}", args.len()));
    }
    match args.iter().find(|a| a.len() > MAX_ARG_BYTES || a.contains('\0')) {
        Some(bad) => Err(format!("argument '{}' is over {MAX_ARG_BYTES} bytes or holds a NUL", short(bad))),
        None => Ok(()),
    }
}

fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['-', '.'])
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(program: &str, args: &[&str]) -> ProgramRequest {
        ProgramRequest { program: program.into(), args: args.iter().map(|a| (*a).to_owned()).collect() }
    }

    #[test]
    fn the_clis_and_the_configured_commands_run_and_nothing_else() {
        let programs = Programs::new(["bash".to_owned()]).unwrap();
        assert!(programs.resolve(request("claude", &["--model", "opus"])).is_ok());
        assert!(programs.resolve(request("bash", &[])).is_ok());
        for bad in ["sh", "/bin/bash", "../bash", ""] {
            let (field, message) = programs.resolve(request(bad, &[])).unwrap_err();
            assert_eq!(field, "program");
            assert!(message.contains("allowed: claude, opencode, gemini, codex, bash"), "{message}");
        }
    }

    #[test]
    fn a_configured_command_must_be_a_plain_name() {
        for bad in ["/bin/sh", "a b", "-rf", ".hidden", ""] {
            assert!(Programs::new([bad.to_owned()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn arguments_are_bounded() {
        let programs = Programs::default();
        let many: Vec<String> = (0..65).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(programs.resolve(request("codex", &refs)).unwrap_err().0, "args");
        assert_eq!(programs.resolve(request("codex", &["a\0b"])).unwrap_err().0, "args");
    }

    #[test]
    fn a_planning_command_becomes_claudes_first_prompt() {
        let launch = Programs::planning("plan-phase", &["3".into(), "--research".into()]).unwrap();
        assert_eq!(launch, Launch { program: "claude".into(), args: vec!["/grd:plan-phase 3 --research".into()] });
        for bad in ["Plan", "plan phase", "", "-x", "a/b"] {
            assert_eq!(Programs::planning(bad, &[]).unwrap_err().0, "command", "{bad}");
        }
        assert_eq!(Programs::planning("plan-phase", &["a\nb".into()]).unwrap_err().0, "args");
    }
}
