//! A trigger's `tooling` field, checked by the kernel's [`ToolingInput`].

use crate::trigger::FieldErrors;
use agented_kernel::ToolingRefs;
pub use agented_kernel::tooling::ToolingInput;

/// The attachments `input` asks for; errors under `tooling`.
pub fn apply_tooling(errors: &mut FieldErrors, input: ToolingInput) -> ToolingRefs {
    input.refs().unwrap_or_else(|why| {
        errors.insert("tooling".into(), why);
        ToolingRefs::default()
    })
}
