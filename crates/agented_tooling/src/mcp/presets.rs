//! The presets: well-known MCP servers with their official package or URL, to add
//! in one step. Secrets they need are named, never filled in.

use super::model::McpServerPatch;
use std::collections::BTreeMap;

/// A preset: its key and the server it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    /// `context7`, `playwright`, `github`, `filesystem` or `fetch`.
    pub key: &'static str,
    /// The server, as a create request.
    pub server: McpServerPatch,
}

fn stdio(
    name: &str,
    display: &str,
    category: &str,
    (command, args): (&str, &[&str]),
    docs: &str,
    package: Option<&str>,
) -> McpServerPatch {
    McpServerPatch {
        name: Some(name.into()),
        display_name: Some(Some(display.into())),
        server_type: Some("stdio".into()),
        command: Some(Some(command.into())),
        args: Some(args.iter().map(|a| (*a).to_owned()).collect()),
        category: Some(category.into()),
        documentation_url: Some(Some(docs.into())),
        npm_package: Some(package.map(str::to_owned)),
        ..McpServerPatch::default()
    }
}

/// Every preset, in the order lists show them.
#[must_use]
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            key: "context7",
            server: McpServerPatch {
                description: Some(Some("Current documentation and code examples of libraries".into())),
                ..stdio(
                    "context7",
                    "Context7",
                    "documentation",
                    ("npx", &["-y", "@upstash/context7-mcp"]),
                    "https://github.com/upstash/context7",
                    Some("@upstash/context7-mcp"),
                )
            },
        },
        Preset {
            key: "playwright",
            server: McpServerPatch {
                description: Some(Some("A browser the agent drives through the page's accessibility tree".into())),
                ..stdio(
                    "playwright",
                    "Playwright",
                    "testing",
                    ("npx", &["-y", "@playwright/mcp@latest"]),
                    "https://github.com/microsoft/playwright-mcp",
                    Some("@playwright/mcp"),
                )
            },
        },
        Preset {
            key: "github",
            server: McpServerPatch {
                name: Some("github".into()),
                display_name: Some(Some("GitHub".into())),
                description: Some(Some(
                    "GitHub's remote MCP server: repositories, issues, pull requests (a token in GITHUB_PERSONAL_ACCESS_TOKEN)"
                        .into(),
                )),
                server_type: Some("http".into()),
                url: Some(Some("https://api.githubcopilot.com/mcp/".into())),
                headers: Some(BTreeMap::from([(
                    "Authorization".to_owned(),
                    "Bearer ${GITHUB_PERSONAL_ACCESS_TOKEN}".to_owned(),
                )])),
                category: Some("vcs".into()),
                documentation_url: Some(Some("https://github.com/github/github-mcp-server".into())),
                ..McpServerPatch::default()
            },
        },
        Preset {
            key: "filesystem",
            server: McpServerPatch {
                description: Some(Some("Files under the run's working directory".into())),
                ..stdio(
                    "filesystem",
                    "Filesystem",
                    "files",
                    ("npx", &["-y", "@modelcontextprotocol/server-filesystem", "."]),
                    "https://github.com/modelcontextprotocol/servers/tree/main/src/filesystem",
                    Some("@modelcontextprotocol/server-filesystem"),
                )
            },
        },
        Preset {
            key: "fetch",
            server: McpServerPatch {
                description: Some(Some("Fetches web pages as markdown".into())),
                ..stdio(
                    "fetch",
                    "Fetch",
                    "web",
                    ("uvx", &["mcp-server-fetch"]),
                    "https://github.com/modelcontextprotocol/servers/tree/main/src/fetch",
                    None,
                )
            },
        },
    ]
}

/// The preset of `key`.
#[must_use]
pub fn preset(key: &str) -> Option<Preset> {
    presets().into_iter().find(|p| p.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_a_valid_server_named_by_its_key() {
        let all = presets();
        assert_eq!(
            all.iter().map(|p| p.key).collect::<Vec<_>>(),
            ["context7", "playwright", "github", "filesystem", "fetch"]
        );
        for p in all {
            let draft = p.server.clone().create().unwrap_or_else(|e| panic!("{}: {e:?}", p.key));
            assert_eq!(draft.name, p.key);
        }
        assert!(
            preset("github").is_some_and(|p| p.server.url == Some(Some("https://api.githubcopilot.com/mcp/".into())))
        );
        assert_eq!(preset("nope"), None);
    }
}
