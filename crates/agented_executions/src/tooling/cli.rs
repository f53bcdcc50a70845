//! Each CLI's way of being given a run's tooling: the files in the run's
//! folder, the options and the variables (docs/tooling.md has the facts
//! checked against each CLI).

use super::items::{HookEvent, hooks_config, rules_document};
use super::mcp::{claude_entry, codex_entry, gemini_entry, opencode_entry};
use super::{GivenMcpServer, GivenToolingItem, Materialised, RunTooling, ToolingFile};
use agented_kernel::{BackendType, ItemKind};
use serde_json::{Map, Value, json};
use std::path::{Component, Path};

/// The file names inside the run's folder.
pub const CLAUDE_MCP_FILE: &str = "claude-mcp.json";
/// Claude Code's plugin folder (`--plugin-dir`): commands, skills, hooks.
pub const CLAUDE_PLUGIN_DIR: &str = "claude-plugin";
/// The plugin's name: its commands are `/agented:NAME`.
pub const CLAUDE_PLUGIN_NAME: &str = "agented";
/// Rules appended to Claude Code's system prompt.
pub const CLAUDE_RULES_FILE: &str = "claude-rules.md";
/// Gemini's system settings (they add to the user's and the project's).
pub const GEMINI_SETTINGS_FILE: &str = "gemini-settings.json";
/// A folder gemini is told to include: it reads the `GEMINI.md` there.
pub const GEMINI_RULES_DIR: &str = "gemini-rules";
/// OpenCode's custom configuration (merged with the user's).
pub const OPENCODE_CONFIG_FILE: &str = "opencode.json";
/// Rules opencode reads (`instructions`).
pub const OPENCODE_RULES_FILE: &str = "opencode-rules.md";
/// Skills opencode reads (`skills.paths`).
pub const OPENCODE_SKILLS_DIR: &str = "opencode-skills";
/// Codex takes its rules as one `-c` argument; Linux caps one argument at 128 KiB.
pub const CODEX_RULES_LIMIT: usize = 100_000;

/// How `cli` gets `tooling`, its files in `dir`; `None`, a custom command, gets nothing.
///
/// # Errors
/// What this CLI cannot be given, naming the item (codex takes no sse server, no
/// reference in a command, argument or URL, and at most [`CODEX_RULES_LIMIT`] of rules).
pub fn materialise(cli: Option<BackendType>, tooling: &RunTooling, dir: &Path) -> Result<Materialised, String> {
    let mut out = Materialised::default();
    let Some(cli) = cli else { return Ok(out) };
    if tooling.is_empty() {
        return Ok(out);
    }
    let servers = &tooling.mcp_servers;
    let by_name = |entry: fn(&GivenMcpServer) -> Value| {
        Value::Object(servers.iter().map(|s| (s.name.clone(), entry(s))).collect::<Map<_, _>>())
    };
    let (skills, commands, hooks, rules) = (
        tooling.of(ItemKind::Skill),
        tooling.of(ItemKind::Command),
        tooling.of(ItemKind::Hook),
        tooling.of(ItemKind::Rule),
    );
    if !servers.is_empty() && cli != BackendType::Codex {
        out.secret_env = tooling.secret_names().into_iter().map(|n| (n.clone(), format!("${{{n}}}"))).collect();
    }
    let path = |name: &str| dir.join(name).display().to_string();
    match cli {
        BackendType::Claude => {
            if !servers.is_empty() {
                out.files.push(json_file(dir.join(CLAUDE_MCP_FILE), &json!({ "mcpServers": by_name(claude_entry) })));
                out.args.extend(["--strict-mcp-config".into(), "--mcp-config".into(), path(CLAUDE_MCP_FILE)]);
            }
            if !(skills.is_empty() && commands.is_empty() && hooks.is_empty()) {
                claude_plugin(&mut out, &dir.join(CLAUDE_PLUGIN_DIR), &skills, &commands, &hooks)?;
                out.args.extend(["--plugin-dir".into(), path(CLAUDE_PLUGIN_DIR)]);
            }
            if !rules.is_empty() {
                out.files.push(ToolingFile { path: dir.join(CLAUDE_RULES_FILE), content: rules_document(&rules) });
                out.args.extend(["--append-system-prompt-file".into(), path(CLAUDE_RULES_FILE)]);
            }
        }
        BackendType::Gemini => {
            let mut settings = Map::new();
            if !servers.is_empty() {
                settings.insert("mcpServers".into(), by_name(gemini_entry));
                out.args.extend(servers.iter().map(|s| format!("--allowed-mcp-server-names={}", s.name)));
            }
            for hook in hooks.iter().filter(|h| h.event.and_then(HookEvent::gemini).is_none()) {
                out.skipped.push(format!("hook '{}': gemini has no {} event", hook.name, event_name(hook)));
            }
            let gemini_hooks = hooks_config(&hooks, HookEvent::gemini);
            if gemini_hooks.as_object().is_some_and(|h| !h.is_empty()) {
                settings.insert("hooks".into(), gemini_hooks);
            }
            if !settings.is_empty() {
                out.files.push(json_file(dir.join(GEMINI_SETTINGS_FILE), &Value::Object(settings)));
                out.env.insert("GEMINI_CLI_SYSTEM_SETTINGS_PATH".into(), path(GEMINI_SETTINGS_FILE));
            }
            if !rules.is_empty() {
                let rules_dir = dir.join(GEMINI_RULES_DIR);
                out.files.push(ToolingFile { path: rules_dir.join("GEMINI.md"), content: rules_document(&rules) });
                out.args.push(format!("--include-directories={}", rules_dir.display()));
            }
            skip(&mut out, &skills, "gemini reads skills only from its home or the repository");
            skip(&mut out, &commands, "gemini reads commands only from its home or the repository");
        }
        BackendType::Opencode => {
            let mut config = Map::new();
            config.insert("$schema".into(), "https://opencode.ai/config.json".into());
            if !servers.is_empty() {
                config.insert("mcp".into(), by_name(opencode_entry));
            }
            if !rules.is_empty() {
                out.files.push(ToolingFile { path: dir.join(OPENCODE_RULES_FILE), content: rules_document(&rules) });
                config.insert("instructions".into(), json!([path(OPENCODE_RULES_FILE)]));
            }
            if !commands.is_empty() {
                let entries = commands.iter().map(|c| {
                    let template = super::split_frontmatter(&c.content).1;
                    (c.name.clone(), json!({ "template": template, "description": c.description }))
                });
                config.insert("command".into(), Value::Object(entries.collect()));
            }
            if !skills.is_empty() {
                for skill in &skills {
                    out.files.extend(skill_files(&dir.join(OPENCODE_SKILLS_DIR), skill)?);
                }
                config.insert("skills".into(), json!({ "paths": [path(OPENCODE_SKILLS_DIR)] }));
            }
            if config.len() > 1 {
                out.files.push(json_file(dir.join(OPENCODE_CONFIG_FILE), &Value::Object(config)));
                out.env.insert("OPENCODE_CONFIG".into(), path(OPENCODE_CONFIG_FILE));
            }
            skip(&mut out, &hooks, "opencode takes hooks only as JavaScript plugins");
        }
        BackendType::Codex => {
            for server in servers {
                let table = codex_entry(server, &mut out.secret_env)?;
                out.args.extend(["-c".to_owned(), format!("mcp_servers.{}={table}", server.name)]);
            }
            if !rules.is_empty() {
                let text = rules_document(&rules);
                if text.len() > CODEX_RULES_LIMIT {
                    return Err(format!(
                        "codex takes rules as one argument: these are {} bytes, at most {CODEX_RULES_LIMIT}",
                        text.len()
                    ));
                }
                out.args.extend(["-c".to_owned(), format!("developer_instructions={}", toml::Value::String(text))]);
            }
            skip(&mut out, &skills, "codex reads skills only from its home or the repository");
            skip(&mut out, &commands, "codex exec runs no custom commands");
            skip(&mut out, &hooks, "codex runs only hooks a person has trusted, and Agented does not bypass that");
        }
    }
    Ok(out)
}

fn skip(out: &mut Materialised, items: &[&GivenToolingItem], why: &str) {
    out.skipped.extend(items.iter().map(|i| format!("{} '{}': {why}", i.kind(), i.name)));
}

fn event_name(hook: &GivenToolingItem) -> &'static str {
    hook.event.map_or("unknown", HookEvent::as_str)
}

/// Claude Code's plugin: `.claude-plugin/plugin.json`, `commands/NAME.md`,
/// `skills/NAME/SKILL.md` with the skill's files, `hooks/hooks.json`.
fn claude_plugin(
    out: &mut Materialised,
    root: &Path,
    skills: &[&GivenToolingItem],
    commands: &[&GivenToolingItem],
    hooks: &[&GivenToolingItem],
) -> Result<(), String> {
    let manifest = json!({
        "name": CLAUDE_PLUGIN_NAME,
        "description": "The skills, commands and hooks Agented gives this run",
        "version": "1.0.0",
        "author": { "name": "Agented" },
    });
    out.files.push(json_file(root.join(".claude-plugin").join("plugin.json"), &manifest));
    for command in commands {
        let path = root.join("commands").join(format!("{}.md", command.name));
        out.files.push(ToolingFile { path, content: command.markdown() });
    }
    for skill in skills {
        out.files.extend(skill_files(&root.join("skills"), skill)?);
    }
    if !hooks.is_empty() {
        let config = json!({ "hooks": hooks_config(hooks, |e| Some(e.as_str())) });
        out.files.push(json_file(root.join("hooks").join("hooks.json"), &config));
    }
    Ok(())
}

/// A skill's folder under `root`: `NAME/SKILL.md` and its files.
///
/// # Errors
/// A file path that would leave the skill's folder (stored definitions are checked;
/// this holds even for one that was not).
fn skill_files(root: &Path, skill: &GivenToolingItem) -> Result<Vec<ToolingFile>, String> {
    let folder = root.join(&skill.name);
    let mut files = vec![ToolingFile { path: folder.join("SKILL.md"), content: skill.markdown() }];
    for (relative, content) in &skill.files {
        let inside = Path::new(relative).components().all(|c| matches!(c, Component::Normal(_)));
        if !inside || relative == "SKILL.md" {
            return Err(format!("skill '{}': file '{relative}' is not a path inside its folder", skill.name));
        }
        files.push(ToolingFile { path: folder.join(relative), content: content.clone() });
    }
    Ok(files)
}

fn json_file(path: impl Into<std::path::PathBuf>, value: &Value) -> ToolingFile {
    let mut content = serde_json::to_string_pretty(value).unwrap_or_default();
    content.push('\n');
    ToolingFile { path: path.into(), content }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tooling::{GivenMcpServer, McpTransport, Resolved, ToolingPreview};
    use agented_kernel::McpServerId;
    use std::collections::BTreeMap;

    fn server(name: &str, server_type: McpTransport) -> GivenMcpServer {
        GivenMcpServer {
            id: McpServerId::generate(),
            name: name.into(),
            version: "2026-12-07T10:00:00Z".into(),
            server_type,
            command: None,
            args: vec![],
            env: BTreeMap::new(),
            url: None,
            headers: BTreeMap::new(),
            timeout_ms: 20_000,
        }
    }

    fn stdio() -> GivenMcpServer {
        GivenMcpServer {
            command: Some("npx".into()),
            args: vec!["-y".into(), "@upstash/context7-mcp".into()],
            env: BTreeMap::from([("API_KEY".into(), "${C7_KEY}".into()), ("MODE".into(), "fast".into())]),
            ..server("context7", McpTransport::Stdio)
        }
    }

    fn http() -> GivenMcpServer {
        GivenMcpServer {
            url: Some("https://api.githubcopilot.com/mcp/".into()),
            headers: BTreeMap::from([
                ("Authorization".into(), "Bearer ${GH_PAT}".into()),
                ("X-Team".into(), "core".into()),
                ("X-Key".into(), "${TEAM_KEY}".into()),
            ]),
            ..server("github", McpTransport::Http)
        }
    }

    fn both() -> RunTooling {
        RunTooling { mcp_servers: vec![stdio(), http()], items: Vec::new() }
    }

    fn the_json(m: &Materialised) -> Value {
        assert_eq!(m.files.len(), 1);
        serde_json::from_str(&m.files[0].content).expect("the file is JSON")
    }

    #[test]
    fn claude_gets_a_strict_mcp_config_with_references_left_for_it_to_expand() {
        let m = materialise(Some(BackendType::Claude), &both(), Path::new("/run")).unwrap();
        assert_eq!(m.args, ["--strict-mcp-config", "--mcp-config", "/run/claude-mcp.json"]);
        assert_eq!(
            the_json(&m),
            json!({"mcpServers": {
                "context7": {"command": "npx", "args": ["-y", "@upstash/context7-mcp"], "env": {"API_KEY": "${C7_KEY}", "MODE": "fast"}},
                "github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/", "headers": {"Authorization": "Bearer ${GH_PAT}", "X-Key": "${TEAM_KEY}", "X-Team": "core"}},
            }})
        );
        let names: Vec<&str> = m.secret_env.keys().map(String::as_str).collect();
        assert_eq!(names, ["C7_KEY", "GH_PAT", "TEAM_KEY"]);
    }

    #[test]
    fn gemini_gets_system_settings_and_only_the_attached_names_allowed() {
        let m = materialise(Some(BackendType::Gemini), &both(), Path::new("/run")).unwrap();
        assert_eq!(m.args, ["--allowed-mcp-server-names=context7", "--allowed-mcp-server-names=github"]);
        assert_eq!(m.env["GEMINI_CLI_SYSTEM_SETTINGS_PATH"], "/run/gemini-settings.json");
        let settings = the_json(&m);
        assert_eq!(settings["mcpServers"]["context7"]["env"]["API_KEY"], "${C7_KEY}");
        assert_eq!(settings["mcpServers"]["github"]["httpUrl"], "https://api.githubcopilot.com/mcp/");
        assert_eq!(settings["mcpServers"]["github"]["timeout"], 20_000);
        let sse = RunTooling {
            mcp_servers: vec![GivenMcpServer { url: Some("https://x/sse".into()), ..server("old", McpTransport::Sse) }],
            items: Vec::new(),
        };
        let m = materialise(Some(BackendType::Gemini), &sse, Path::new("/run")).unwrap();
        assert_eq!(the_json(&m)["mcpServers"]["old"]["url"], "https://x/sse");
    }

    #[test]
    fn opencode_gets_a_config_file_with_its_own_reference_syntax() {
        let m = materialise(Some(BackendType::Opencode), &both(), Path::new("/run")).unwrap();
        assert_eq!(m.env["OPENCODE_CONFIG"], "/run/opencode.json");
        assert!(m.args.is_empty());
        let config = the_json(&m);
        assert_eq!(
            config["mcp"]["context7"],
            json!({"type": "local", "command": ["npx", "-y", "@upstash/context7-mcp"], "environment": {"API_KEY": "{env:C7_KEY}", "MODE": "fast"}, "enabled": true, "timeout": 20_000})
        );
        assert_eq!(config["mcp"]["github"]["headers"]["Authorization"], "Bearer {env:GH_PAT}");
        assert_eq!(config["mcp"]["github"]["type"], "remote");
    }

    #[test]
    fn codex_gets_one_toml_override_per_server_and_variables_by_name() {
        let m = materialise(Some(BackendType::Codex), &both(), Path::new("/run")).unwrap();
        assert!(m.files.is_empty());
        let overrides: Vec<&String> = m.args.iter().skip(1).step_by(2).collect();
        assert_eq!(m.args.iter().step_by(2).collect::<Vec<_>>(), ["-c", "-c"]);
        // `-c key=value` overrides, one per line, make a TOML document of dotted keys.
        let document: Vec<&str> = overrides.iter().map(|o| o.as_str()).collect();
        let parsed: toml::Table = toml::from_str(&document.join("\n")).expect("each override is TOML");
        let servers = &parsed["mcp_servers"];
        assert_eq!(servers["context7"]["command"].as_str(), Some("npx"));
        assert_eq!(servers["context7"]["env"]["MODE"].as_str(), Some("fast"));
        assert_eq!(servers["context7"]["env_vars"].as_array().unwrap(), &vec![toml::Value::from("API_KEY")]);
        assert_eq!(servers["context7"]["startup_timeout_ms"].as_integer(), Some(20_000));
        assert_eq!(servers["github"]["bearer_token_env_var"].as_str(), Some("GH_PAT"));
        assert_eq!(servers["github"]["env_http_headers"]["X-Key"].as_str(), Some("TEAM_KEY"));
        assert_eq!(servers["github"]["http_headers"]["X-Team"].as_str(), Some("core"));
        assert_eq!(servers.as_table().unwrap().len(), 2);
        let env: Vec<(&str, &str)> = m.secret_env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(env, [("API_KEY", "${C7_KEY}"), ("GH_PAT", "${GH_PAT}"), ("TEAM_KEY", "${TEAM_KEY}")]);
    }

    #[test]
    fn what_codex_cannot_take_is_refused_with_the_servers_name() {
        let codex = Some(BackendType::Codex);
        let one = |s: GivenMcpServer| {
            materialise(codex, &RunTooling { mcp_servers: vec![s], items: Vec::new() }, Path::new("/run"))
        };
        let sse = GivenMcpServer { url: Some("https://x/sse".into()), ..server("old", McpTransport::Sse) };
        assert!(one(sse).unwrap_err().contains("'old' is an sse server"));
        let arg = GivenMcpServer { args: vec!["--token=${T}".into()], ..stdio() };
        assert!(one(arg).unwrap_err().contains("cannot read a variable in its arguments"));
        let mut partial = http();
        partial.headers.insert("X-Key".into(), "key ${TEAM_KEY}".into());
        assert!(one(partial).unwrap_err().contains("header X-Key"));
        let home = GivenMcpServer { env: BTreeMap::from([("HOME".into(), "/srv/${USER_DIR}".into())]), ..stdio() };
        assert!(one(home).unwrap_err().contains("would change codex's own HOME"));
        let mut twice = stdio();
        twice.name = "second".into();
        twice.env.insert("API_KEY".into(), "${OTHER}".into());
        let clash = RunTooling { mcp_servers: vec![stdio(), twice], items: Vec::new() };
        assert!(materialise(codex, &clash, Path::new("/run")).unwrap_err().contains("another server sets it"));
    }

    #[test]
    fn custom_commands_and_runs_without_tooling_get_nothing() {
        assert_eq!(materialise(None, &both(), Path::new("/run")).unwrap(), Materialised::default());
        let custom = ToolingPreview::of(None, &Resolved { tooling: both(), left_out: Vec::new() });
        assert_eq!((custom.backend.as_str(), custom.given.len()), ("custom", 0));
        assert_eq!(custom.left_out, ["everything attached: a custom command backend gets no tooling"]);
        let none = materialise(Some(BackendType::Claude), &RunTooling::default(), Path::new("/run"));
        assert_eq!(none.unwrap(), Materialised::default());
    }

    #[test]
    fn secret_values_are_resolved_for_the_run_and_a_missing_one_is_named() {
        let m = materialise(
            Some(BackendType::Codex),
            &RunTooling { mcp_servers: vec![stdio()], items: Vec::new() },
            Path::new("/r"),
        )
        .unwrap();
        let values = m.secret_values(&|n| (n == "C7_KEY").then(|| "k-1".to_owned())).unwrap();
        assert_eq!(values, BTreeMap::from([("API_KEY".to_owned(), "k-1".to_owned())]));
        let missing = m.secret_values(&|_| None).unwrap_err();
        assert!(missing.contains("needs API_KEY") && missing.contains("C7_KEY is not set"), "{missing}");
        assert_eq!(both().secret_names(), ["C7_KEY", "GH_PAT", "TEAM_KEY"]);
        assert_eq!(both().given()[1].name, "github");
    }
    fn item(kind: ItemKind, name: &str, content: &str) -> GivenToolingItem {
        GivenToolingItem {
            id: agented_kernel::ItemId::generate(kind),
            name: name.into(),
            version: 2,
            description: Some(format!("{name} things")),
            content: content.into(),
            files: BTreeMap::new(),
            event: None,
            matcher: None,
            arguments: None,
        }
    }

    /// One of each kind, and a hook gemini has no event for.
    fn items() -> RunTooling {
        let skill = GivenToolingItem {
            files: BTreeMap::from([("scripts/check.sh".into(), "echo ok\n".into())]),
            ..item(ItemKind::Skill, "review", "Review the diff.\n")
        };
        let hook = |name: &str, event| GivenToolingItem {
            event: Some(event),
            matcher: Some("Bash".into()),
            ..item(ItemKind::Hook, name, &format!("echo {name}"))
        };
        RunTooling {
            mcp_servers: Vec::new(),
            items: vec![
                skill,
                item(ItemKind::Command, "hello", "---\ndescription: Greets\n---\nSay hello to $ARGUMENTS\n"),
                hook("guard", HookEvent::PreToolUse),
                hook("sub", HookEvent::SubagentStop),
                item(ItemKind::Rule, "style", "Use tabs."),
                item(ItemKind::Rule, "tests", "Test everything."),
            ],
        }
    }

    fn file<'a>(m: &'a Materialised, path: &str) -> &'a str {
        let found = m.files.iter().find(|f| f.path == Path::new(path));
        &found.unwrap_or_else(|| panic!("{path} is not among {:?}", m.files)).content
    }

    const RULES: &str = "## style\n\nUse tabs.\n\n## tests\n\nTest everything.\n";

    #[test]
    fn claude_gets_a_plugin_with_the_skills_commands_and_hooks_and_the_rules_appended() {
        let m = materialise(Some(BackendType::Claude), &items(), Path::new("/run")).unwrap();
        assert_eq!(
            m.args,
            ["--plugin-dir", "/run/claude-plugin", "--append-system-prompt-file", "/run/claude-rules.md"]
        );
        let manifest: Value = serde_json::from_str(file(&m, "/run/claude-plugin/.claude-plugin/plugin.json")).unwrap();
        assert_eq!(manifest["name"], "agented");
        assert_eq!(
            file(&m, "/run/claude-plugin/skills/review/SKILL.md"),
            "---\nname: review\ndescription: \"review things\"\n---\nReview the diff.\n"
        );
        assert_eq!(file(&m, "/run/claude-plugin/skills/review/scripts/check.sh"), "echo ok\n");
        assert_eq!(file(&m, "/run/claude-plugin/commands/hello.md"), items().items[1].content);
        let hooks: Value = serde_json::from_str(file(&m, "/run/claude-plugin/hooks/hooks.json")).unwrap();
        assert_eq!(hooks["hooks"].as_object().unwrap().keys().collect::<Vec<_>>(), ["PreToolUse", "SubagentStop"]);
        assert_eq!(
            hooks["hooks"]["PreToolUse"],
            json!([{"matcher": "Bash", "hooks": [{"type": "command", "command": "echo guard", "name": "guard"}]}])
        );
        assert_eq!(file(&m, "/run/claude-rules.md"), RULES);
        assert_eq!(m.files.len(), 6);
        assert!(m.skipped.is_empty() && m.secret_env.is_empty());
    }

    #[test]
    fn gemini_gets_hooks_in_its_settings_and_rules_in_an_included_folder() {
        let m = materialise(Some(BackendType::Gemini), &items(), Path::new("/run")).unwrap();
        assert_eq!(m.args, ["--include-directories=/run/gemini-rules"]);
        assert_eq!(m.env["GEMINI_CLI_SYSTEM_SETTINGS_PATH"], "/run/gemini-settings.json");
        let settings: Value = serde_json::from_str(file(&m, "/run/gemini-settings.json")).unwrap();
        assert_eq!(
            settings,
            json!({"hooks": {"BeforeTool": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "echo guard", "name": "guard"}]}]}})
        );
        assert_eq!(file(&m, "/run/gemini-rules/GEMINI.md"), RULES);
        assert_eq!(m.files.len(), 2);
        assert_eq!(
            m.skipped,
            [
                "hook 'sub': gemini has no SubagentStop event",
                "skill 'review': gemini reads skills only from its home or the repository",
                "command 'hello': gemini reads commands only from its home or the repository",
            ]
        );
    }

    #[test]
    fn opencode_gets_rules_commands_and_skills_in_its_config() {
        let mut tooling = items();
        tooling.mcp_servers.push(stdio());
        let m = materialise(Some(BackendType::Opencode), &tooling, Path::new("/run")).unwrap();
        let config: Value = serde_json::from_str(file(&m, "/run/opencode.json")).unwrap();
        assert_eq!(config["instructions"], json!(["/run/opencode-rules.md"]));
        assert_eq!(
            config["command"],
            json!({"hello": {"template": "Say hello to $ARGUMENTS\n", "description": "hello things"}})
        );
        assert_eq!(config["skills"], json!({"paths": ["/run/opencode-skills"]}));
        assert_eq!(config["mcp"].as_object().unwrap().keys().collect::<Vec<_>>(), ["context7"]);
        assert_eq!(file(&m, "/run/opencode-rules.md"), RULES);
        assert!(file(&m, "/run/opencode-skills/review/SKILL.md").starts_with("---\nname: review\n"));
        assert_eq!(file(&m, "/run/opencode-skills/review/scripts/check.sh"), "echo ok\n");
        assert_eq!(
            m.skipped,
            [
                "hook 'guard': opencode takes hooks only as JavaScript plugins",
                "hook 'sub': opencode takes hooks only as JavaScript plugins"
            ]
        );
    }

    #[test]
    fn codex_gets_the_rules_as_developer_instructions_and_is_told_what_it_cannot_take() {
        let m = materialise(Some(BackendType::Codex), &items(), Path::new("/run")).unwrap();
        assert!(m.files.is_empty());
        assert_eq!(m.args[0], "-c");
        let parsed: toml::Table = toml::from_str(&m.args[1]).expect("the override is TOML");
        assert_eq!(parsed["developer_instructions"].as_str(), Some(RULES));
        assert_eq!(m.skipped.len(), 4);
        assert!(m.skipped[0].starts_with("skill 'review': codex"));
        let huge = RunTooling {
            mcp_servers: Vec::new(),
            items: vec![item(ItemKind::Rule, "big", &"x".repeat(CODEX_RULES_LIMIT))],
        };
        assert!(
            materialise(Some(BackendType::Codex), &huge, Path::new("/run")).unwrap_err().contains("at most 100000")
        );
    }

    #[test]
    fn a_skill_file_outside_its_folder_is_refused_and_only_skipped_hooks_write_nothing() {
        let mut bad = items();
        bad.items[0].files.insert("../../escape".into(), "x".into());
        let err = materialise(Some(BackendType::Claude), &bad, Path::new("/run")).unwrap_err();
        assert_eq!(err, "skill 'review': file '../../escape' is not a path inside its folder");
        let hooks_only = RunTooling { mcp_servers: Vec::new(), items: vec![items().items[2].clone()] };
        let m = materialise(Some(BackendType::Opencode), &hooks_only, Path::new("/run")).unwrap();
        assert!(m.files.is_empty() && m.env.is_empty() && m.skipped.len() == 1);
        let preview =
            ToolingPreview::of(Some(BackendType::Opencode), &Resolved { tooling: hooks_only, left_out: Vec::new() });
        assert_eq!(preview.left_out, m.skipped);
        assert_eq!(preview.given[0].kind, "hook");
        assert_eq!(preview.given[0].version, "2");
    }
}
