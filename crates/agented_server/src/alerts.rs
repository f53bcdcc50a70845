//! Where a budget's soft-limit warning goes: the audit trail, the log, and the notifiers.

use agented_auth::{AuditEntry, AuditLog, Outcome};
use agented_kernel::{Clock, Notices};
use agented_orchestration::{BudgetAlerts, BudgetState};
use async_trait::async_trait;
use std::sync::Arc;

/// Writes each soft-limit warning as an audit entry (`budget.soft_limit`) and tells it as
/// a `budget.warning` notice.
pub struct AuditAlerts {
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    notices: Arc<dyn Notices>,
}

impl AuditAlerts {
    /// Alerts into `audit` and `notices`.
    #[must_use]
    pub fn new(audit: Arc<dyn AuditLog>, clock: Arc<dyn Clock>, notices: Arc<dyn Notices>) -> Self {
        Self { audit, clock, notices }
    }
}

#[async_trait]
impl BudgetAlerts for AuditAlerts {
    async fn soft_limit_reached(&self, state: &BudgetState) {
        let b = &state.budget;
        self.notices.notify(state.warning_notice(self.clock.now()));
        tracing::warn!(budget_id = %b.id, spent_usd = state.spent_usd, soft_limit_usd = ?b.soft_limit_usd, "a budget reached its soft limit");
        let entry = AuditEntry {
            at: self.clock.now(),
            actor: "agented (budgets)".into(),
            action: "budget.soft_limit".into(),
            entity_type: "budget".into(),
            entity_id: Some(b.id.to_string()),
            outcome: Outcome::Success,
            status: 0,
            changes: Some(serde_json::json!({
                "scope": b.scope.as_str(),
                "entity_id": b.entity_id,
                "period": b.period.as_str(),
                "period_start": state.window.start,
                "spent_usd": state.spent_usd,
                "soft_limit_usd": b.soft_limit_usd,
                "hard_limit_usd": b.hard_limit_usd,
                "message": state.explain(),
            })),
            request_id: None,
        };
        if let Err(e) = self.audit.record(entry).await {
            tracing::error!(error = %e, "could not write the budget warning to the audit trail");
        }
    }
}
