//! The Python Agented's budget limits: one per entity (`entity_type` +
//! `entity_id`), set by upsert. Here they are ordinary budgets of scope
//! `trigger`, `backend` or `account`; the original's `agent` and `team` limits
//! have no counterpart.

use super::{Orchestration, OrchestrationError};
use crate::budgets::{BudgetPatch, BudgetScope, BudgetState};
use agented_triggers::FieldErrors;

fn invalid(field: &str, message: String) -> OrchestrationError {
    let mut errors = FieldErrors::new();
    errors.insert(field.into(), message);
    OrchestrationError::Invalid(errors)
}

/// The scope an original `entity_type` names.
///
/// # Errors
/// `Invalid` for `agent`, `team` and unknown types.
fn scope_of(entity_type: &str) -> Result<BudgetScope, OrchestrationError> {
    match entity_type.parse::<BudgetScope>() {
        Ok(BudgetScope::Global) | Err(_) => Err(invalid(
            "entity_type",
            format!(
                "'{entity_type}' limits have no counterpart: use trigger, backend or account (or a global budget at /admin/budgets)"
            ),
        )),
        Ok(scope) => Ok(scope),
    }
}

impl Orchestration {
    /// The limit on one entity, with its current spend.
    ///
    /// # Errors
    /// `Invalid` (entity type), `NotFound`, `Store`.
    pub async fn limit_of(&self, entity_type: &str, entity_id: &str) -> Result<BudgetState, OrchestrationError> {
        let scope = scope_of(entity_type)?;
        self.budget_states()
            .await?
            .into_iter()
            .find(|s| s.budget.scope == scope && s.budget.entity_id.as_deref() == Some(entity_id))
            .ok_or(OrchestrationError::NotFound("budget limit"))
    }

    /// Sets the limit on the entity `patch` names: changes its budget if it has one, else creates it.
    ///
    /// # Errors
    /// `Invalid` (fields, entity type, unknown entity), `Store`.
    pub async fn set_limit(&self, patch: BudgetPatch) -> Result<BudgetState, OrchestrationError> {
        let entity_type = patch.scope.clone().ok_or_else(|| invalid("entity_type", "is required".into()))?;
        let entity_id = patch.entity_id.clone().ok_or_else(|| invalid("entity_id", "is required".into()))?;
        if patch.soft_limit_usd.flatten().is_none() && patch.hard_limit_usd.flatten().is_none() {
            return Err(invalid(
                "soft_limit_usd",
                "at least one of soft_limit_usd and hard_limit_usd must be set".into(),
            ));
        }
        let patch = BudgetPatch { period: patch.period.or_else(|| Some("monthly".into())), ..patch };
        match self.limit_of(&entity_type, &entity_id).await {
            Ok(current) => self.update_budget(&current.budget.id, patch).await,
            Err(OrchestrationError::NotFound(_)) => self.create_budget(patch).await,
            Err(e) => Err(e),
        }
    }

    /// Removes the limit on one entity.
    ///
    /// # Errors
    /// `Invalid` (entity type), `NotFound`, `Store`.
    pub async fn delete_limit(&self, entity_type: &str, entity_id: &str) -> Result<(), OrchestrationError> {
        let current = self.limit_of(entity_type, entity_id).await?;
        self.delete_budget(&current.budget.id).await
    }
}
