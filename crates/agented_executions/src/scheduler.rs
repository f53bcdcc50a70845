//! Runs `scheduled` triggers when their slots come, through the one
//! `ExecutionService` path (`trigger_type = scheduled`).
//!
//! Exactly once per slot, with any number of server processes on one
//! database: a slot runs only after its key (`schedule:<slot>`) is claimed in
//! the shared [`DedupLedger`], and `next_run_at` only moves by compare and set.
//! A process that dies after claiming but before the run is stored loses that
//! one slot (at most once, never twice).

use crate::intake::TriggerRef;
use crate::model::TriggerType;
use crate::service::{ExecutionService, RunRequest, StartError};
use agented_kernel::Clock;
use agented_triggers::{DedupLedger, SourceRule, Trigger, TriggerRepository, TriggerSource, TriggerStoreError};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use futures::lock::Mutex;
use std::sync::Arc;

/// How long a slot's claim is kept: far longer than any process could still
/// be looking at that slot once `next_run_at` has moved past it.
pub const SLOT_CLAIM_KEPT: TimeDelta = TimeDelta::days(2);

/// What one tick did.
#[derive(Debug, Default)]
pub struct TickReport {
    /// Runs started: trigger, slot, execution or workflow run.
    pub started: Vec<(TriggerRef, DateTime<Utc>, crate::RunRef)>,
    /// Slots skipped because they were missed: trigger, how many, the first.
    pub missed: Vec<(TriggerRef, u32, DateTime<Utc>)>,
    /// Slots another process (or an earlier tick) had already claimed.
    pub taken: Vec<(TriggerRef, DateTime<Utc>)>,
    /// Slots consumed without a run, and why (busy with `reject`, disabled meanwhile).
    pub skipped: Vec<(TriggerRef, String)>,
    /// Runs that could not be stored (their slots stay due and are tried again next tick) or queued.
    pub failed: Vec<(TriggerRef, StartError)>,
}

/// Looks for due slots each time it is ticked.
#[derive(Clone)]
pub struct Scheduler {
    triggers: Arc<dyn TriggerRepository>,
    runs: ExecutionService,
    slots: Arc<dyn DedupLedger>,
    clock: Arc<dyn Clock>,
    // One tick at a time in this process: a tick that returns has seen
    // everything due at its clock reading handled, by itself or the one before.
    serial: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").finish_non_exhaustive()
    }
}

/// The claim key of a slot.
#[must_use]
pub fn slot_key(slot: DateTime<Utc>) -> String {
    format!("schedule:{}", slot.to_rfc3339_opts(SecondsFormat::Secs, true))
}

impl Scheduler {
    /// The scheduler over its ports; `slots` is the ledger shared with webhook dedup.
    #[must_use]
    pub fn new(
        triggers: Arc<dyn TriggerRepository>,
        runs: ExecutionService,
        slots: Arc<dyn DedupLedger>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { triggers, runs, slots, clock, serial: Arc::default() }
    }

    /// Handles every slot due at the clock's current time.
    ///
    /// # Errors
    /// [`TriggerStoreError`] when the triggers or the ledger cannot be read or
    /// written; what was done before the failure stands, the rest is retried
    /// by the next tick.
    pub async fn tick(&self) -> Result<TickReport, TriggerStoreError> {
        let _one_at_a_time = self.serial.lock().await;
        let now = self.clock.now();
        let mut report = TickReport::default();
        for trigger in self.triggers.by_source(TriggerSource::Scheduled).await? {
            self.visit(&trigger, now, &mut report).await?;
        }
        Ok(report)
    }

    async fn visit(
        &self,
        trigger: &Trigger,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), TriggerStoreError> {
        let who = TriggerRef { id: trigger.id.clone(), name: trigger.settings.name.clone() };
        let schedule = match trigger.settings.rule() {
            Ok(SourceRule::Scheduled(schedule)) if trigger.settings.enabled => schedule,
            other => {
                // Disabled, without a schedule or with an invalid one: no next run
                // (said once, when the next run is taken away).
                if trigger.next_run_at.is_some() {
                    if let Err(errors) = other {
                        tracing::warn!(trigger = %who.id, ?errors, "scheduled trigger has an invalid schedule; it will not run");
                    }
                    self.triggers.set_next_run(&trigger.id, trigger.next_run_at, None).await?;
                }
                return Ok(());
            }
        };
        let Some(due) = trigger.next_run_at else {
            self.triggers.set_next_run(&trigger.id, None, schedule.next_after(now)).await?;
            return Ok(());
        };
        let Some(plan) = schedule.plan(due, now, trigger.settings.catch_up) else { return Ok(()) };
        if let Some(first) = plan.first_missed {
            let (trigger_id, name, missed) = (&who.id, &who.name, plan.missed);
            if plan.catching_up {
                tracing::warn!(trigger = %trigger_id, %name, missed, first_missed = %first,
                    "schedule slots missed while the server was not running: running once to catch up");
            } else {
                tracing::warn!(trigger = %trigger_id, %name, missed, first_missed = %first,
                    "schedule slots missed while the server was not running were skipped (set catch_up to run once instead)");
            }
            report.missed.push((who.clone(), plan.missed, first));
        }
        if let Some(slot) = plan.run
            && !self.run_slot(&who, slot, now, report).await?
        {
            // Not stored: the slot stays due, and the next tick tries again.
            return Ok(());
        }
        self.triggers.set_next_run(&trigger.id, Some(due), plan.next).await?;
        Ok(())
    }

    /// Claims `slot` and starts its run; `false` when the run could not be
    /// stored (the claim is released so the slot can be retried).
    async fn run_slot(
        &self,
        who: &TriggerRef,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<bool, TriggerStoreError> {
        let key = slot_key(slot);
        if !self.slots.claim(&who.id, &key, now, slot.max(now) + SLOT_CLAIM_KEPT).await? {
            report.taken.push((who.clone(), slot));
            return Ok(true);
        }
        let request = RunRequest {
            trigger_type: TriggerType::Scheduled,
            message: None,
            values: Vec::new(),
            claims: Vec::new(),
            github: None,
        };
        match self.runs.fire(&who.id, request).await {
            Ok(fired) => {
                let run = fired.run();
                tracing::info!(trigger = %who.id, slot = %slot, %run, "scheduled run started");
                report.started.push((who.clone(), slot, run));
            }
            Err(StartError::Busy(running)) => {
                tracing::warn!(trigger = %who.id, slot = %slot, %running, "scheduled run skipped: the trigger is busy");
                report.skipped.push((who.clone(), format!("busy: execution {running} is running")));
            }
            // A scheduled run claims no dedup key (its slot is claimed in the ledger): never a duplicate.
            Err(
                e
                @ (StartError::NotFound(_) | StartError::Disabled(_) | StartError::Duplicate | StartError::Refused(_)),
            ) => {
                report.skipped.push((who.clone(), e.to_string()));
            }
            Err(e @ StartError::Queue(_)) => {
                // The execution exists, marked failed with the reason: the slot is spent.
                tracing::error!(trigger = %who.id, slot = %slot, error = %e, "scheduled run could not be queued");
                report.failed.push((who.clone(), e));
            }
            Err(e @ StartError::Store(_)) => {
                tracing::error!(trigger = %who.id, slot = %slot, error = %e, "scheduled run could not be stored; retrying");
                self.slots.release(&who.id, &key).await?;
                report.failed.push((who.clone(), e));
                return Ok(false);
            }
        }
        Ok(true)
    }
}
