//! What a turn asks, and what a reply says about MEMORY.

use crate::model::{DocKind, Document, SuperAgent};

/// The fence a reply rewrites MEMORY with.
pub const MEMORY_FENCE: &str = "```memory";

/// The prompt of a turn. The first turn of a chat gives the agent its documents;
/// later turns resume its CLI session, which has them, and give MEMORY again only
/// so that a change made meanwhile (by a person, or another chat) reaches it.
#[must_use]
pub fn turn_prompt(agent: &SuperAgent, documents: &[Document], first: bool, message: &str) -> String {
    let text = |kind: DocKind| documents.iter().find(|d| d.kind == kind).map_or("", |d| d.content.trim());
    let mut out = String::new();
    if first {
        out.push_str(&format!(
            "You are \"{}\", a persistent agent of Agented. {}\nYour documents follow; MEMORY holds what you \
             remember from earlier conversations.\n",
            agent.name, agent.description
        ));
        for kind in DocKind::ALL {
            out.push_str(&format!("\n## {}\n{}\n", kind.as_str(), text(kind)));
        }
        out.push_str(&format!(
            "\nTo change what you remember, end a reply with a {MEMORY_FENCE} fenced block holding the whole new \
             MEMORY document; it replaces the old one.\n"
        ));
    } else {
        out.push_str(&format!("(Your MEMORY document now reads:\n{}\n)\n", text(DocKind::Memory)));
    }
    out.push_str("\nThe person says:\n");
    out.push_str(message);
    out
}

/// A reply split into what the person reads and the new MEMORY, when it has a
/// `memory` block (the last one counts; a block never closed is no block).
#[must_use]
pub fn split_reply(reply: &str) -> (String, Option<String>) {
    let Some(start) = reply.rfind(MEMORY_FENCE) else { return (reply.trim().to_owned(), None) };
    let body_start = reply[start..].find('\n').map_or(reply.len(), |i| start + i + 1);
    let Some(end) = reply[body_start..].find("```") else { return (reply.trim().to_owned(), None) };
    let memory = reply[body_start..body_start + end].trim_end().to_owned();
    let rest = format!("{}{}", &reply[..start], &reply[body_start + end + 3..]);
    (rest.trim().to_owned(), Some(memory))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_block_is_taken_out_of_the_reply() {
        let (text, memory) = split_reply("Noted.\n```memory\n- likes blue\n- lives in Oslo\n```\n");
        assert_eq!(text, "Noted.");
        assert_eq!(memory.as_deref(), Some("- likes blue\n- lives in Oslo"));
        assert_eq!(split_reply("no block"), ("no block".to_owned(), None));
        assert_eq!(split_reply("```memory\nnever closed").1, None);
    }
}
