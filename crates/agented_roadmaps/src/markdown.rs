//! The small markdown vocabulary of `.planning/` files: sections, bold field
//! lines, check lists, numbered lists and pipe tables. Lenient by design.

use crate::ids::{PhaseNumber, RequirementId};

/// A heading and the lines up to the next heading (fenced code blocks are not split).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// 0 for the text before the first heading, else the number of `#`.
    pub level: usize,
    /// The heading's text.
    pub title: String,
    /// The lines under it.
    pub body: Vec<String>,
}

impl Section {
    /// The section as it was written: heading line and body, trimmed.
    #[must_use]
    pub fn text(&self) -> String {
        let mut lines = Vec::with_capacity(self.body.len() + 1);
        if self.level > 0 {
            lines.push(format!("{} {}", "#".repeat(self.level), self.title));
        }
        lines.extend(self.body.iter().cloned());
        lines.join("\n").trim().to_owned()
    }

    /// Whether the body holds anything but blank lines.
    #[must_use]
    pub fn has_content(&self) -> bool {
        self.body.iter().any(|l| !l.trim().is_empty())
    }
}

/// Splits a document at every heading.
#[must_use]
pub fn sections(text: &str) -> Vec<Section> {
    let mut out = vec![Section { level: 0, title: String::new(), body: Vec::new() }];
    let mut fenced = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            fenced = !fenced;
        }
        let level = trimmed.bytes().take_while(|b| *b == b'#').count();
        if !fenced && (1..=6).contains(&level) && trimmed[level..].starts_with(' ') {
            out.push(Section { level, title: trimmed[level..].trim().to_owned(), body: Vec::new() });
        } else if let Some(last) = out.last_mut() {
            last.body.push(line.trim_end().to_owned());
        }
    }
    out
}

/// A bold field line, `**Name:** value`, `**Name**: value` or `**Name** (note): value`:
/// the name in lower case and the value.
#[must_use]
pub fn field(line: &str) -> Option<(String, String)> {
    let rest = line.trim().strip_prefix("- ").unwrap_or(line.trim()).trim_start();
    let rest = rest.strip_prefix("**")?;
    let end = rest.find("**")?;
    let name = &rest[..end];
    let after = &rest[end + 2..];
    let value = if let Some(name) = name.strip_suffix(':') {
        return Some((name.trim().to_lowercase(), after.trim().to_owned()));
    } else {
        let after = after.trim_start();
        let after = if after.starts_with('(') { &after[after.find(')')? + 1..] } else { after };
        after.trim_start().strip_prefix(':')?
    };
    Some((name.trim().to_lowercase(), value.trim().to_owned()))
}

/// A check list line, `- [x] text`: (checked, text).
#[must_use]
pub fn check_item(line: &str) -> Option<(bool, String)> {
    let rest = line.trim().strip_prefix("- [")?;
    let (mark, text) = rest.split_once(']')?;
    let done = match mark {
        "x" | "X" => true,
        " " | "" => false,
        _ => return None,
    };
    Some((done, text.trim().to_owned()))
}

/// A numbered list line, `1. text`: the text.
#[must_use]
pub fn numbered_item(line: &str) -> Option<String> {
    let t = line.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let rest = t[digits..].strip_prefix('.').or_else(|| t[digits..].strip_prefix(')'))?;
    rest.starts_with(' ').then(|| rest.trim().to_owned())
}

/// A bullet line, `- text` or `* text` (not a check list): the text.
#[must_use]
pub fn bullet(line: &str) -> Option<String> {
    let t = line.trim();
    let rest = t.strip_prefix("- ").or_else(|| t.strip_prefix("* "))?;
    (!rest.starts_with('[')).then(|| rest.trim().to_owned())
}

/// A pipe table in `lines`: its header cells (lower case) and rows.
#[must_use]
pub fn table(lines: &[String]) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let rows: Vec<Vec<String>> = lines.iter().map(|l| l.trim()).filter(|l| l.starts_with('|')).map(cells).collect();
    let (header, rest) = rows.split_first()?;
    let body = rest
        .iter()
        .filter(|r| !r.iter().all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' '))))
        .cloned()
        .collect();
    Some((header.iter().map(|h| h.to_lowercase()).collect(), body))
}

/// The cells of one table row (`\|` is a pipe inside a cell).
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').filter(|s| !s.ends_with('\\')).unwrap_or(inner);
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => out.push(std::mem::take(&mut cell).trim().to_owned()),
            other => cell.push(other),
        }
    }
    out.push(cell.trim().to_owned());
    out
}

/// A table cell as written: pipes escaped, newlines folded.
#[must_use]
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Every requirement id in `text` (`STOR-01`, with or without brackets).
#[must_use]
pub fn requirement_ids(text: &str) -> Vec<RequirementId> {
    let mut out: Vec<RequirementId> = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        if let Ok(id) = RequirementId::parse(token.trim_matches('-'))
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

/// Every `Phase N` mentioned in `text`, with where it starts.
fn phase_mentions(text: &str) -> Vec<(usize, PhaseNumber)> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find("phase") {
        let at = from + i;
        let rest = &text[at + 5..];
        let number: String =
            rest.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect::<String>();
        if let Ok(n) = PhaseNumber::parse(number.trim_end_matches('.')) {
            out.push((at, n));
        }
        from = at + 5;
    }
    out
}

/// The phases a `Depends on` / `Dependencies` value names: every `Phase N`
/// except those it says it is independent of. "Nothing", "None" or
/// "independent" alone mean none.
#[must_use]
pub fn dependencies(text: &str) -> Vec<PhaseNumber> {
    let lower = text.to_lowercase();
    // Mentions after "independent of", up to the end of that clause, are not dependencies.
    let mut excluded: Vec<(usize, usize)> = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find("independent") {
        let start = from + i;
        let end = lower[start..].find([')', ';', '.']).map_or(lower.len(), |e| start + e);
        excluded.push((start, end));
        from = start + 11;
    }
    let mut out: Vec<PhaseNumber> = phase_mentions(text)
        .into_iter()
        .filter(|(at, _)| !excluded.iter().any(|(s, e)| at > s && at < e))
        .map(|(_, n)| n)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The first phase number in `text` (`3`, `Phase 2.1 — Hotfix`, `3 - Alerting`, `3 of 5`).
#[must_use]
pub fn first_phase_number(text: &str) -> Option<PhaseNumber> {
    if let Some((_, n)) = phase_mentions(text).into_iter().next() {
        return Some(n);
    }
    let number: String = text.trim().chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    PhaseNumber::parse(number.trim_end_matches('.')).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> PhaseNumber {
        PhaseNumber::parse(s).unwrap()
    }

    #[test]
    fn the_three_field_spellings_are_one_field() {
        for line in ["**Goal:** Jobs survive", "**Goal**: Jobs survive", "**Goal** (what must be TRUE): Jobs survive"] {
            assert_eq!(field(line), Some(("goal".into(), "Jobs survive".into())), "{line}");
        }
        assert_eq!(field("**Depends on**: Nothing"), Some(("depends on".into(), "Nothing".into())));
        assert_eq!(field("**Phase 1: Storage** - x"), None, "a bold phrase without a colon after it");
        assert_eq!(field("plain text"), None);
    }

    #[test]
    fn dependencies_skip_what_the_text_calls_independent() {
        let cases: [(&str, Vec<PhaseNumber>); 7] = [
            ("Nothing (first phase)", vec![]),
            ("None", vec![]),
            ("independent", vec![]),
            ("Phase 1", vec![n("1")]),
            ("Phase 1, Phase 2 (independent of Phase 4)", vec![n("1"), n("2")]),
            ("Phase 2.1 and phase 3", vec![n("2.1"), n("3")]),
            ("Phases 1-2? no: Phase 2; independent of Phase 1", vec![n("2")]),
        ];
        for (text, expected) in cases {
            assert_eq!(dependencies(text), expected, "{text}");
        }
    }

    #[test]
    fn tables_lists_and_ids_are_read() {
        let lines: Vec<String> = [
            "| REQ-ID | Phase | Status |",
            "|--------|-------|--------|",
            "| STOR-01 | Phase 1 — Storage | Done |",
            r"| a \| b | 2 | x |",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let (header, rows) = table(&lines).unwrap();
        assert_eq!(header, ["req-id", "phase", "status"]);
        assert_eq!(rows, vec![vec!["STOR-01", "Phase 1 — Storage", "Done"], vec!["a | b", "2", "x"]]);
        assert_eq!(check_item("- [x] **STOR-01**: text"), Some((true, "**STOR-01**: text".into())));
        assert_eq!(check_item("- [ ] todo"), Some((false, "todo".into())));
        assert_eq!(numbered_item("  1. A job runs"), Some("A job runs".into()));
        assert_eq!(numbered_item("2026 was"), None);
        let ids: Vec<String> =
            requirement_ids("[STOR-01, STOR-02] and ALRT-10").iter().map(ToString::to_string).collect();
        assert_eq!(ids, ["STOR-01", "STOR-02", "ALRT-10"]);
        assert_eq!(first_phase_number("3 - Alerting"), Some(n("3")));
        assert_eq!(first_phase_number("Phase 2.1 — Hotfix"), Some(n("2.1")));
    }

    #[test]
    fn sections_split_at_headings_but_not_inside_code() {
        let doc = "intro\n# Title\ntext\n```\n# not a heading\n```\n## Two\nmore";
        let s = sections(doc);
        let titles: Vec<&str> = s.iter().map(|x| x.title.as_str()).collect();
        assert_eq!(titles, ["", "Title", "Two"]);
        assert_eq!(s[1].text(), "# Title\ntext\n```\n# not a heading\n```");
    }
}
