//! PromptRenderer: fills a trigger's `{placeholders}` in one pass, so a value
//! that itself contains `{message}` is never expanded again.

use std::collections::BTreeMap;

/// The placeholders Agented knows, in the order the docs list them.
pub const PLACEHOLDERS: [&str; 10] = [
    "trigger_id",
    "bot_id",
    "paths",
    "message",
    "pr_url",
    "pr_number",
    "pr_title",
    "pr_author",
    "repo_url",
    "repo_full_name",
];

/// Values available to one rendering; a placeholder without a value stays as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromptValues(BTreeMap<String, String>);

impl PromptValues {
    /// Values for a run of `trigger_id` over `paths` with an optional message.
    #[must_use]
    pub fn for_run(trigger_id: &str, paths: &[String], message: Option<&str>) -> Self {
        let mut values = BTreeMap::new();
        values.insert("trigger_id".to_owned(), trigger_id.to_owned());
        values.insert("bot_id".to_owned(), trigger_id.to_owned());
        values.insert("paths".to_owned(), paths.join(", "));
        if let Some(message) = message {
            values.insert("message".to_owned(), message.to_owned());
        }
        Self(values)
    }

    /// Adds or replaces a value.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }
}

/// A rendered prompt and the placeholders left unfilled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPrompt {
    /// The prompt handed to the CLI.
    pub text: String,
    /// `{word}` placeholders with no value, each once, in order of appearance.
    pub unresolved: Vec<String>,
}

/// Renders prompt templates.
#[derive(Debug, Clone, Copy, Default)]
pub struct PromptRenderer;

impl PromptRenderer {
    /// Fills `template` from `values`; prefixes `skill_command` when the prompt
    /// does not already start with it.
    #[must_use]
    pub fn render(template: &str, skill_command: Option<&str>, values: &PromptValues) -> RenderedPrompt {
        let mut text = String::with_capacity(template.len());
        let mut unresolved: Vec<String> = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let name_len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            let name = &after[..name_len];
            if !name.is_empty() && after[name_len..].starts_with('}') {
                match values.0.get(name) {
                    Some(value) => text.push_str(value),
                    None => {
                        text.push('{');
                        text.push_str(name);
                        text.push('}');
                        if !unresolved.iter().any(|u| u == name) {
                            unresolved.push(name.to_owned());
                        }
                    }
                }
                rest = &after[name_len + 1..];
            } else {
                text.push('{');
                rest = after;
            }
        }
        text.push_str(rest);
        if let Some(skill) = skill_command.filter(|s| !s.is_empty())
            && !text.trim_start().starts_with(skill)
        {
            text = format!("{skill} {text}");
        }
        RenderedPrompt { text, unresolved }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_are_filled_and_unknown_ones_reported_once() {
        let values = PromptValues::for_run("trig-abc123", &["/srv/a".into(), "/srv/b".into()], Some("fix it"));
        let rendered = PromptRenderer::render(
            "{bot_id} on {paths}: {message} ({pr_url}) {nope} {nope} {not closed { x }",
            None,
            &values,
        );
        assert_eq!(rendered.text, "trig-abc123 on /srv/a, /srv/b: fix it ({pr_url}) {nope} {nope} {not closed { x }");
        assert_eq!(rendered.unresolved, vec!["pr_url".to_owned(), "nope".to_owned()]);
    }

    #[test]
    fn values_are_never_expanded_twice() {
        let values = PromptValues::for_run("trig-abc123", &[], Some("{trigger_id}"));
        assert_eq!(PromptRenderer::render("say {message}", None, &values).text, "say {trigger_id}");
    }

    #[test]
    fn the_skill_command_is_prefixed_once() {
        let values = PromptValues::default();
        assert_eq!(PromptRenderer::render("review", Some("/review"), &values).text, "/review review");
        assert_eq!(PromptRenderer::render("/review now", Some("/review"), &values).text, "/review now");
    }
}
