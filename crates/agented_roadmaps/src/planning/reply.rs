//! Finding the JSON object a bot was asked for in what it said: bots wrap
//! it in prose or a ```json fence, so every top-level object is tried.

use serde_json::Value;

/// The reply did not hold the JSON asked for; the message says why, for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MalformedReply(pub String);

/// The last JSON object in `text` that has the member `key`.
///
/// # Errors
/// [`MalformedReply`] when there is none, naming the first parse error met.
pub fn object_with(text: &str, key: &str) -> Result<Value, MalformedReply> {
    let mut first_error: Option<String> = None;
    let mut found: Option<Value> = None;
    let mut at = 0;
    while let Some(offset) = text[at..].find('{') {
        let start = at + offset;
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => {
                if value.get(key).is_some() {
                    found = Some(value);
                }
                at = start + stream.byte_offset().max(1);
            }
            Some(Err(e)) => {
                first_error.get_or_insert_with(|| e.to_string());
                at = start + 1;
            }
            None => break,
        }
    }
    found.ok_or_else(|| {
        MalformedReply(match first_error {
            Some(e) => format!("the reply holds no valid JSON object with \"{key}\" (JSON error: {e})"),
            None => format!("the reply holds no JSON object with \"{key}\""),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_object_inside_prose_and_fences() {
        let text = "Here you go:\n```json\n{\"questions\": [\"Who uses it?\"]}\n```\nThanks";
        assert_eq!(object_with(text, "questions").unwrap()["questions"][0], "Who uses it?");
    }

    #[test]
    fn skips_objects_without_the_key_and_takes_the_last_match() {
        let text = r#"{"note": 1} then {"questions": [1]} and {"questions": [2]}"#;
        assert_eq!(object_with(text, "questions").unwrap()["questions"][0], 2);
    }

    #[test]
    fn nested_objects_are_not_taken_on_their_own() {
        let text = r#"{"milestones": [{"questions": "inner"}]}"#;
        assert!(object_with(text, "questions").is_err());
        assert!(object_with(text, "milestones").is_ok());
    }

    #[test]
    fn truncated_json_is_reported_with_its_error() {
        let err = object_with(r#"{"questions": ["a", "#, "questions").unwrap_err();
        assert!(err.0.contains("no valid JSON object with \"questions\""), "{err}");
        assert!(err.0.contains("JSON error"), "{err}");
        let err = object_with("no json here", "questions").unwrap_err();
        assert_eq!(err.0, "the reply holds no JSON object with \"questions\"");
    }
}
