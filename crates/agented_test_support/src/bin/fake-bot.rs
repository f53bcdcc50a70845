//! fake-bot: stands in for claude, codex, gemini and opencode in tests.
//! Installed under those names (symlinks first on `PATH`), it speaks the
//! CLI's output format, chosen by the name it was called by. What it does is
//! read from words in its prompt:
//!
//! - `lines=N` lines of output (default 3), `delay_ms=N` between them
//! - `stderr=N` lines on stderr (`color`: in yellow, with ANSI escapes)
//! - `flood=N` plain lines as fast as possible (or `rate=N` per second)
//! - `sleep_ms=N` before exiting, `exit=N` exit code (default 0)
//! - `ignore_term`: survive SIGTERM; `fork=N`: start N grandchildren that
//!   sleep (and ignore SIGTERM) and print `grandchild pid=P`; `escape`: they
//!   leave the run's process group for a group of their own
//! - `cost=X`, `tokens=IN/OUT` for the usage record, `cached=N` of the input
//!   tokens read from the cache (codex, gemini)
//! - `error_result`: report failure in the structured output (claude `is_error`)
//! - `pwd`: print the working directory; `args`: print argv as JSON; `cat=FILE`: print the
//!   file's first line (relative to the working directory), or `cat=FILE: <error>`
//! - `mcp`: print `mcp=<JSON>`, the MCP configuration it was given where its CLI reads it;
//!   `env_len=NAME`: print how many characters the variable has (never its value)
//! - `given`: print `given=<JSON>`, the skills, commands, hooks and rules it was given where
//!   its CLI reads them (claude's `--plugin-dir` files and `--append-system-prompt-file`,
//!   gemini's included `GEMINI.md` and settings hooks, opencode's config and the files it
//!   names, codex's `developer_instructions` override)
//! - it names a session in its CLI's first record (claude `system/init`, codex
//!   `thread.started`, gemini `init`, opencode `sessionID`): a new one, or the one it was
//!   asked to resume (`--resume`, `exec resume`, `--session`), and then prints `resumed=<id>`
//! - `tool`: one tool call (`ls`) and its result, in the CLI's own records
//! - `steps=N` (with `step_ms=M` between them): N usage records of `cost`
//!   each, streamed as the run goes (opencode `step_finish`, codex
//!   `turn.completed`, claude `assistant` usage then one `result` with the total)
//! - `rate_limit`: fail as a rate-limited API does (a 429 with
//!   `rate_limit_error` on stderr, exit 1); `rate_limit_if=VALUE` only when the
//!   API key it was given (`ANTHROPIC_API_KEY`, `OPENAI_API_KEY`,
//!   `GEMINI_API_KEY`) is VALUE; `retry_after=S` adds `retry-after: S`
//! - it prints `account=<AGENTED_ACCOUNT_ID>` when it runs under an account
//! - `tally=PATH`: appends its prompt's words as one line to PATH when it starts (to
//!   count how often each run really executed, across processes)
//! - `echo=PREFIX`: answers, in one message, PREFIX and then the words of the untrusted
//!   text fenced in its prompt (what a workflow's agent node was given), else of the whole
//!   prompt, leaving out `key=value` directives
//! - `critic=N`: a team's critic that approves on round N: answers `APPROVED` when its
//!   prompt says `Round K of` with K ≥ N, else `REVISE` and what to change
//! - `coordinator`: a team's coordinator: answers its plan prompt with the JSON plan
//!   `{"tasks": {"<agent id>": "part for <agent id>: <task>"}}`, one task per member its
//!   prompt lists (`- agent-…:`); other prompts get what its other words ask
//!
//! Asked by Agented's planning (its prompts name a reply schema), it answers
//! as a model would, in one message: questions for
//! `agented.planning.questions/v1`, a three-phase plan for
//! `agented.planning.proposal/v1`, and a markdown document (with markup a
//! renderer must sanitise) for a research prompt starting `Topic: <kind>`.
//! `malformed_json` in the prompt makes those replies broken JSON;
//! `malformed_once=PATH` does so only while PATH does not exist (and creates it).
//!
//! With a terminal for its standard input (an interactive session) it holds a
//! conversation instead: see `interactive_bot.rs`.
#![allow(clippy::print_stdout, clippy::print_stderr, reason = "a command-line program")]

use std::io::Write;
use std::time::Duration;

#[derive(Default)]
struct Plan {
    lines: u64,
    delay_ms: u64,
    stderr: u64,
    color: bool,
    flood: u64,
    rate: u64,
    sleep_ms: u64,
    exit: i32,
    ignore_term: bool,
    fork: u32,
    escape: bool,
    cost: f64,
    tokens: (u64, u64),
    cached: u64,
    error_result: bool,
    pwd: bool,
    args: bool,
    tool: bool,
    steps: u64,
    step_ms: u64,
    rate_limit: bool,
    rate_limit_if: Option<String>,
    retry_after: Option<u64>,
    tally: Option<String>,
    cat: Option<String>,
    mcp: bool,
    given: bool,
    env_len: Vec<String>,
}

fn plan(prompt: &str) -> Plan {
    let mut plan = Plan { lines: 3, cost: 0.0123, tokens: (120, 45), ..Plan::default() };
    for word in prompt.split_whitespace() {
        let (key, value) = word.split_once('=').unwrap_or((word, ""));
        let num = || value.parse::<u64>().unwrap_or(0);
        match key {
            "lines" => plan.lines = num(),
            "delay_ms" => plan.delay_ms = num(),
            "stderr" => plan.stderr = num(),
            "color" => plan.color = true,
            "flood" => plan.flood = num(),
            "rate" => plan.rate = num(),
            "sleep_ms" => plan.sleep_ms = num(),
            "exit" => plan.exit = value.parse().unwrap_or(1),
            "ignore_term" => plan.ignore_term = true,
            "fork" => plan.fork = value.parse().unwrap_or(1),
            "escape" => plan.escape = true,
            "cost" => plan.cost = value.parse().unwrap_or(0.0),
            "cached" => plan.cached = num(),
            "tokens" => {
                if let Some((i, o)) = value.split_once('/') {
                    plan.tokens = (i.parse().unwrap_or(0), o.parse().unwrap_or(0));
                }
            }
            "error_result" => plan.error_result = true,
            "pwd" => plan.pwd = true,
            "cat" => plan.cat = Some(value.to_owned()),
            "steps" => plan.steps = num(),
            "step_ms" => plan.step_ms = num(),
            "rate_limit" => plan.rate_limit = true,
            "rate_limit_if" => plan.rate_limit_if = Some(value.to_owned()),
            "retry_after" => plan.retry_after = Some(num()),
            "args" => plan.args = true,
            "mcp" => plan.mcp = true,
            "given" => plan.given = true,
            "env_len" => plan.env_len.push(value.to_owned()),
            "tool" => plan.tool = true,
            "tally" => plan.tally = Some(value.to_owned()),
            _ => {}
        }
    }
    plan
}

/// The untrusted text fenced in the prompt (what a workflow's agent node was given), whole.
fn fenced(prompt: &str) -> Option<&str> {
    let open = prompt.find("<untrusted-input-")?;
    let start = open + prompt[open..].find('>')? + 1;
    let end = start + prompt[start..].find("</untrusted-input-")?;
    Some(&prompt[start..end])
}

/// `critic=N` and `coordinator`: a team member's reply, from the node's prompt.
fn team_reply(prompt: &str) -> Option<String> {
    let words: Vec<&str> = prompt.split_whitespace().collect();
    let task = fenced(prompt).unwrap_or(prompt);
    if let Some(approve_on) = words.iter().find_map(|w| w.strip_prefix("critic=")?.parse::<u32>().ok()) {
        let round = task.split("Round ").nth(1)?.split_whitespace().next()?.parse::<u32>().ok()?;
        return Some(if round >= approve_on {
            format!("APPROVED in round {round}")
        } else {
            format!("REVISE: round {round} needs a sharper ending")
        });
    }
    if !words.contains(&"coordinator") || !task.trim_start().starts_with("Split the task") {
        return None;
    }
    let goal = task.split("The task:").nth(1).unwrap_or_default().trim();
    let tasks: serde_json::Map<String, serde_json::Value> = task
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- ")?.split(':').next().filter(|id| id.starts_with("agent-")))
        .map(|id| (id.to_owned(), serde_json::Value::from(format!("part for {id}: {goal}"))))
        .collect();
    Some(serde_json::json!({ "tasks": tasks }).to_string())
}

/// A persistent agent's turn ("The person says:"): `remember=WORD` adds `- WORD` to the
/// MEMORY it was given, in a `memory` block; `recall` says that MEMORY; anything else is
/// echoed (a resumed session's `resumed=<id>` line comes first, as for every run).
fn chat_reply(prompt: &str) -> Option<String> {
    let (context, said) = prompt.rsplit_once("The person says:\n")?;
    let memory = context
        .split_once("## MEMORY\n")
        .map(|(_, rest)| rest.split("\n\nTo change what you remember").next().unwrap_or_default())
        .or_else(|| context.split_once("now reads:\n").map(|(_, rest)| rest.trim_end().trim_end_matches(')')))
        .unwrap_or_default()
        .trim();
    let reply = if let Some(word) = said.split_whitespace().find_map(|w| w.strip_prefix("remember=")) {
        format!(
            "I will remember {word}.\n```memory\n{}- {word}\n```",
            if memory.is_empty() { String::new() } else { format!("{memory}\n") }
        )
    } else if said.contains("recall") {
        format!("I remember: {}", memory.lines().collect::<Vec<_>>().join(" "))
    } else {
        format!("you said: {}", said.trim())
    };
    Some(reply)
}

/// `echo=PREFIX`: PREFIX and the fenced input (the text between the fence tags), else
/// the prompt's words other than its directives.
fn echo_reply(prompt: &str) -> Option<String> {
    let prefix = prompt.split_whitespace().find_map(|w| w.strip_prefix("echo="))?;
    let fenced =
        fenced(prompt).map(|text| text.split_whitespace().filter(|w| !w.contains('=')).collect::<Vec<_>>().join(" "));
    let body =
        fenced.unwrap_or_else(|| prompt.split_whitespace().filter(|w| !w.contains('=')).collect::<Vec<_>>().join(" "));
    Some(format!("{prefix}{body}"))
}

/// The prompt, found where each CLI's argv puts it.
fn prompt_of(flavour: &str, args: &[String]) -> String {
    if let Some(p) = args.iter().find_map(|a| a.strip_prefix("--prompt=")) {
        return p.to_owned();
    }
    if let Some(i) = args.iter().position(|a| a == "--") {
        return args[i + 1..].join(" ");
    }
    let _ = flavour;
    args.last().cloned().unwrap_or_default()
}

/// The MCP configuration this run was given, where its CLI reads it: claude's
/// `--mcp-config` file (and whether `--strict-mcp-config` came), gemini's system
/// settings and allowed names, opencode's `OPENCODE_CONFIG`, codex's `-c mcp_servers.…`.
fn mcp_config(flavour: &str, args: &[String]) -> serde_json::Value {
    let file = |path: Option<String>| {
        path.and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
    };
    let after = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    match flavour {
        "claude" => serde_json::json!({
            "file": file(after("--mcp-config")),
            "strict": args.iter().any(|a| a == "--strict-mcp-config"),
        }),
        "gemini" => serde_json::json!({
            "file": file(std::env::var("GEMINI_CLI_SYSTEM_SETTINGS_PATH").ok()),
            "allowed": args.iter().filter_map(|a| a.strip_prefix("--allowed-mcp-server-names=")).collect::<Vec<_>>(),
        }),
        "opencode" => serde_json::json!({ "file": file(std::env::var("OPENCODE_CONFIG").ok()) }),
        _ => serde_json::json!({
            "overrides": args.windows(2).filter(|w| w[0] == "-c" && w[1].starts_with("mcp_servers.")).map(|w| &w[1]).collect::<Vec<_>>(),
        }),
    }
}

/// Every file under `dir`, by path relative to it.
fn tree(dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let mut files = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(next) = todo.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if let (Ok(rel), Ok(text)) = (path.strip_prefix(dir), std::fs::read_to_string(&path)) {
                files.insert(rel.display().to_string(), text);
            }
        }
    }
    files
}

/// The skills, commands, hooks and rules this run was given, where its CLI reads them.
fn given_items(flavour: &str, args: &[String]) -> serde_json::Value {
    let after = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let json_file = |path: Option<String>| {
        path.and_then(|p| read(&p)).and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    };
    match flavour {
        "claude" => serde_json::json!({
            "plugin": after("--plugin-dir").map(|d| tree(std::path::Path::new(&d))),
            "rules": after("--append-system-prompt-file").and_then(|p| read(&p)),
        }),
        "gemini" => {
            let included = args.iter().filter_map(|a| a.strip_prefix("--include-directories="));
            let rules: Vec<String> = included.filter_map(|d| read(&format!("{d}/GEMINI.md"))).collect();
            let settings = json_file(std::env::var("GEMINI_CLI_SYSTEM_SETTINGS_PATH").ok());
            serde_json::json!({ "rules": rules, "hooks": settings.map(|s| s["hooks"].clone()) })
        }
        "opencode" => {
            let config = json_file(std::env::var("OPENCODE_CONFIG").ok()).unwrap_or_default();
            let texts = |key: &str| -> Vec<serde_json::Value> {
                config[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.as_str())
                    .map(|p| read(p).into())
                    .collect()
            };
            let skills: Vec<_> = config["skills"]["paths"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str())
                .map(|p| tree(std::path::Path::new(p)))
                .collect();
            serde_json::json!({ "rules": texts("instructions"), "commands": config["command"], "skills": skills })
        }
        _ => serde_json::json!({
            "rules": args.windows(2).find(|w| w[0] == "-c" && w[1].starts_with("developer_instructions=")).map(|w| &w[1]["developer_instructions=".len()..]),
        }),
    }
}

/// The session a follow-up asked to resume, where each CLI's argv puts it:
/// claude and gemini `--resume ID`, opencode `--session ID`, codex `exec … resume [-c K=V]… ID`.
fn resumed_session(flavour: &str, args: &[String]) -> Option<String> {
    let after = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    match flavour {
        "claude" | "gemini" => after("--resume"),
        "opencode" => after("--session"),
        "codex" => {
            let start = args.iter().position(|a| a == "resume")? + 1;
            let mut rest = args[start..].iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "-c" => {
                        rest.next();
                    }
                    "--" => return None,
                    id => return Some(id.to_owned()),
                }
            }
            None
        }
        _ => None,
    }
}

/// The record that names the run's session (the resumed one, else a new one), in the CLI's format.
fn session_record(flavour: &str, resumed: Option<&str>) -> Option<String> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let prefix = if flavour == "opencode" { "ses_" } else { "" };
    let id = resumed.map_or_else(|| format!("{prefix}fake-{}-{nanos}", std::process::id()), str::to_owned);
    Some(match flavour {
        "claude" => format!(r#"{{"type":"system","subtype":"init","session_id":"{id}","model":"fake-model"}}"#),
        "codex" => format!(r#"{{"type":"thread.started","thread_id":"{id}"}}"#),
        "gemini" => format!(r#"{{"type":"init","session_id":"{id}"}}"#),
        "opencode" => format!(r#"{{"type":"step_start","sessionID":"{id}","part":{{"type":"step-start"}}}}"#),
        _ => return None,
    })
}

fn json_line(flavour: &str, text: &str) -> String {
    let text = serde_json::Value::String(text.to_owned());
    match flavour {
        "claude" => format!(r#"{{"type":"assistant","message":{{"content":[{{"type":"text","text":{text}}}]}}}}"#),
        "codex" => format!(r#"{{"type":"item.completed","item":{{"type":"agent_message","text":{text}}}}}"#),
        "gemini" => format!(r#"{{"type":"message","role":"assistant","content":{text}}}"#),
        "opencode" => format!(r#"{{"type":"text","part":{{"text":{text}}}}}"#),
        _ => text.as_str().unwrap_or_default().to_owned(),
    }
}

/// The reply to a planning or research prompt, if the prompt is one.
fn planning_reply(prompt: &str) -> Option<String> {
    let malformed = prompt.split_whitespace().any(|w| w == "malformed_json")
        || prompt.split_whitespace().filter_map(|w| w.strip_prefix("malformed_once=")).any(|path| {
            let path = path.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '/');
            !std::path::Path::new(path).exists() && std::fs::write(path, "replied malformed once").is_ok()
        });
    if let Some(topic) = prompt.strip_prefix("Topic: ") {
        let topic = topic.lines().next().unwrap_or("research").trim();
        return Some(format!(
            "# {} research\n\nFindings on the {topic} of this milestone.\n\n- **first** point about {topic}\n\
             - second point\n\n<script>window.__pwned = true</script><img src=\"x\" onerror=\"window.__pwned = true\">\n",
            topic[..1].to_uppercase() + &topic[1..]
        ));
    }
    let json = if prompt.contains("agented.planning.questions/v1") {
        r#"{"questions": [
  {"id": "q1", "text": "Who will use it first?", "why": "It decides the first milestone.", "options": ["just me", "a team"]},
  {"id": "q2", "text": "Which platform comes first?"}
]}"#
        .to_owned()
    } else if prompt.contains("agented.planning.proposal/v1") {
        let answered = prompt.lines().filter(|l| l.starts_with("A: ") && !l.contains("(no preference)")).count();
        format!(
            r#"{{"summary": "A plan in three phases ({answered} answers used).",
 "milestones": [{{"version": "v1.0", "name": "Foundations", "goal": "A first usable version",
  "phases": [
   {{"number": 1, "name": "Accounts", "goal": "People can sign in", "type": "implement", "requirements": ["AUTH-01"], "success_criteria": ["A user signs in"]}},
   {{"number": 2, "name": "Lists", "goal": "People keep lists", "type": "implement", "depends_on": [1], "requirements": ["LIST-01"]}},
   {{"number": 3, "name": "Sharing", "goal": "Lists are shared", "type": "integrate", "depends_on": ["2"], "requirements": ["LIST-02"], "verification_level": "full"}}
  ]}}],
 "requirements": [
  {{"id": "AUTH-01", "category": "Accounts", "text": "Users sign in with email", "priority": "P0"}},
  {{"id": "LIST-01", "category": "Lists", "text": "Users create and edit lists"}},
  {{"id": "LIST-02", "category": "Lists", "text": "Users share a list", "tier": "v1"}}
 ]}}"#
        )
    } else {
        return None;
    };
    Some(if malformed {
        format!("Here it is:\n```json\n{}\n```", &json[..json.len() / 2])
    } else {
        format!("Here it is:\n```json\n{json}\n```")
    })
}

/// A tool call that lists the working directory, and its result, as `flavour` prints them.
fn tool_records(flavour: &str) -> Vec<String> {
    let (call, result) = match flavour {
        "claude" => (
            r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"toolu_fake1","name":"Bash","input":{"command":"ls","description":"List files"}}]}}"#,
            r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"toolu_fake1","content":"README.md\nsrc","is_error":false}]}}"#,
        ),
        "codex" => (
            r#"{"type":"item.started","item":{"id":"item_fake1","type":"command_execution","command":"ls","aggregated_output":"","exit_code":null,"status":"in_progress"}}"#,
            r#"{"type":"item.completed","item":{"id":"item_fake1","type":"command_execution","command":"ls","aggregated_output":"README.md\nsrc","exit_code":0,"status":"completed"}}"#,
        ),
        "gemini" => (
            r#"{"type":"tool_use","tool_name":"run_shell_command","tool_id":"fake1","parameters":{"command":"ls"}}"#,
            r#"{"type":"tool_result","tool_id":"fake1","status":"success","output":"README.md\nsrc"}"#,
        ),
        "opencode" => (
            r#"{"type":"tool_use","part":{"type":"tool","callID":"fake1","tool":"bash","state":{"status":"running","input":{"command":"ls"}}}}"#,
            r#"{"type":"tool_use","part":{"type":"tool","callID":"fake1","tool":"bash","state":{"status":"completed","input":{"command":"ls"},"output":"README.md\nsrc"}}}"#,
        ),
        _ => ("$ ls", "README.md\nsrc"),
    };
    vec![call.to_owned(), result.to_owned()]
}

fn final_record(flavour: &str, plan: &Plan) -> Option<String> {
    let (i, o) = plan.tokens;
    let (cost, cached) = (plan.cost, plan.cached);
    Some(match flavour {
        "claude" if plan.error_result => format!(
            r#"{{"type":"result","subtype":"error_during_execution","is_error":true,"result":"fake failure: the model refused","total_cost_usd":{cost},"usage":{{"input_tokens":{i},"output_tokens":{o}}}}}"#
        ),
        "claude" => format!(
            r#"{{"type":"result","subtype":"success","is_error":false,"result":"done","total_cost_usd":{cost},"usage":{{"input_tokens":{i},"output_tokens":{o}}}}}"#
        ),
        "codex" if plan.error_result => {
            r#"{"type":"turn.failed","error":{"message":"fake failure: the model refused"}}"#.to_owned()
        }
        "codex" => format!(
            r#"{{"type":"turn.completed","usage":{{"input_tokens":{i},"cached_input_tokens":{cached},"output_tokens":{o}}}}}"#
        ),
        "gemini" => format!(
            r#"{{"type":"result","status":"{}","stats":{{"total_tokens":{},"input_tokens":{i},"output_tokens":{o},"cached":{cached}}}}}"#,
            if plan.error_result { "error" } else { "success" },
            i + o
        ),
        "opencode" => {
            format!(r#"{{"type":"step_finish","part":{{"cost":{cost},"tokens":{{"input":{i},"output":{o}}}}}}}"#)
        }
        _ => return None,
    })
}

#[path = "../interactive_bot.rs"]
mod interactive;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let name = std::path::Path::new(&argv[0]).file_name().and_then(|n| n.to_str()).unwrap_or("fake-bot").to_owned();
    let args = &argv[1..];
    if args.first().map(String::as_str) == Some("--version") {
        println!("{name} 9.9.9 (fake-bot)");
        return;
    }
    if args.first().map(String::as_str) == Some("--grandchild") {
        let _term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
        tokio::time::sleep(Duration::from_secs(600)).await;
        return;
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        std::process::exit(interactive::run(&name, args).await);
    }
    let flavour = match name.as_str() {
        "claude" | "codex" | "gemini" | "opencode" => name.as_str(),
        _ => "plain",
    };
    let prompt = prompt_of(flavour, args);
    let reply = planning_reply(&prompt)
        .or_else(|| team_reply(&prompt))
        .or_else(|| chat_reply(&prompt))
        .or_else(|| echo_reply(&prompt));
    let mut plan = plan(&prompt);
    if reply.is_some() && !prompt.split_whitespace().any(|w| w.starts_with("lines=")) {
        plan.lines = 0;
    }
    if let Some(path) = &plan.tally {
        // One write of one line with O_APPEND: lines of concurrent bots never interleave.
        let words: Vec<&str> = prompt.split_whitespace().collect();
        let tallied = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| file.write_all(format!("{}\n", words.join(" ")).as_bytes()));
        if let Err(e) = tallied {
            eprintln!("fake-bot: cannot tally to {path}: {e}");
            std::process::exit(3);
        }
    }
    // Registering a handler means SIGTERM no longer ends the process.
    let _term = plan.ignore_term.then(|| tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()));
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let resumed = resumed_session(flavour, args);
    if let Some(record) = session_record(flavour, resumed.as_deref()) {
        let _ = writeln!(out, "{record}");
    }
    if let Some(id) = &resumed {
        let _ = writeln!(out, "{}", json_line(flavour, &format!("resumed={id}")));
    }
    if plan.pwd {
        let cwd = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default();
        let _ = writeln!(out, "{}", json_line(flavour, &format!("pwd={cwd}")));
    }
    if let Some(file) = &plan.cat {
        let text = std::fs::read_to_string(file)
            .map_or_else(|e| format!("cat={file}: {e}"), |t| t.lines().next().unwrap_or_default().to_owned());
        let _ = writeln!(out, "{}", json_line(flavour, &text));
    }
    if plan.args {
        let _ = writeln!(out, "{}", json_line(flavour, &format!("args={}", serde_json::json!(args))));
    }
    if plan.mcp {
        let _ = writeln!(out, "{}", json_line(flavour, &format!("mcp={}", mcp_config(flavour, args))));
    }
    if plan.given {
        let _ = writeln!(out, "{}", json_line(flavour, &format!("given={}", given_items(flavour, args))));
    }
    for name in &plan.env_len {
        let len = std::env::var(name).map_or_else(|_| "unset".to_owned(), |v| v.chars().count().to_string());
        let _ = writeln!(out, "{}", json_line(flavour, &format!("env_len {name}={len}")));
    }
    for _ in 0..plan.fork {
        let grandchild = std::env::current_exe().map(|exe| {
            let mut cmd = std::process::Command::new(exe);
            cmd.arg("--grandchild");
            if plan.escape {
                std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
            }
            cmd
        });
        if let Ok(mut cmd) = grandchild
            && let Ok(child) = cmd.spawn()
        {
            let _ = writeln!(out, "grandchild pid={}", child.id());
        }
    }
    if let Ok(account) = std::env::var("AGENTED_ACCOUNT_ID") {
        let _ = writeln!(out, "account={account}");
    }
    let _ = out.flush();
    let given_key =
        ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"].iter().find_map(|v| std::env::var(v).ok());
    if plan.rate_limit || plan.rate_limit_if.as_ref().is_some_and(|k| given_key.as_ref() == Some(k)) {
        let _ = writeln!(
            err,
            r#"API Error: 429 {{"type":"error","error":{{"type":"rate_limit_error","message":"This request would exceed your organization's rate limit"}}}}"#
        );
        if let Some(seconds) = plan.retry_after {
            let _ = writeln!(err, "retry-after: {seconds}");
        }
        let _ = err.flush();
        std::process::exit(1);
    }
    for step in 1..=plan.steps {
        let (i, o, cost) = (plan.tokens.0, plan.tokens.1, plan.cost);
        let record = match flavour {
            "opencode" => {
                format!(r#"{{"type":"step_finish","part":{{"cost":{cost},"tokens":{{"input":{i},"output":{o}}}}}}}"#)
            }
            "codex" => format!(r#"{{"type":"turn.completed","usage":{{"input_tokens":{i},"output_tokens":{o}}}}}"#),
            "claude" => {
                format!(r#"{{"type":"assistant","message":{{"usage":{{"input_tokens":{i},"output_tokens":{o}}}}}}}"#)
            }
            _ => format!("step {step}"),
        };
        let _ = writeln!(out, "{record}");
        let _ = out.flush();
        if plan.step_ms > 0 {
            tokio::time::sleep(Duration::from_millis(plan.step_ms)).await;
        }
    }
    if let Some(reply) = &reply {
        let _ = writeln!(out, "{}", json_line(flavour, reply));
    }
    if plan.tool {
        for record in tool_records(flavour) {
            let _ = writeln!(out, "{record}");
        }
        let _ = out.flush();
    }
    for i in 1..=plan.lines {
        let _ = writeln!(out, "{}", json_line(flavour, &format!("line {i}")));
        let _ = out.flush();
        if plan.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(plan.delay_ms)).await;
        }
    }
    for i in 1..=plan.stderr {
        if plan.color {
            let _ = writeln!(err, "\x1b[33mwarning {i}\x1b[0m");
        } else {
            let _ = writeln!(err, "warning {i}");
        }
    }
    let pause = (plan.rate > 0).then(|| Duration::from_secs_f64(1.0 / plan.rate as f64));
    let flood_start = tokio::time::Instant::now();
    for i in 1..=plan.flood {
        let _ = writeln!(out, "flood {i} {}", "x".repeat(40));
        if let Some(pause) = pause {
            let _ = out.flush();
            // Paced against the start, not line by line: the timer ticks in milliseconds.
            let due = flood_start + pause.mul_f64(i as f64);
            if tokio::time::Instant::now() < due {
                tokio::time::sleep_until(due).await;
            }
        }
    }
    let _ = out.flush();
    if plan.sleep_ms > 0 {
        tokio::time::sleep(Duration::from_millis(plan.sleep_ms)).await;
    }
    if plan.steps > 0 && flavour == "claude" {
        #[allow(clippy::cast_precision_loss, reason = "a handful of steps")]
        let total = plan.cost * plan.steps as f64;
        plan.cost = total;
        if let Some(record) = final_record(flavour, &plan) {
            let _ = writeln!(out, "{record}");
        }
    } else if plan.steps > 0 {
        // The streamed records were the usage.
    } else if let Some(record) = final_record(flavour, &plan) {
        let _ = writeln!(out, "{record}");
    }
    let _ = out.flush();
    std::process::exit(plan.exit);
}
