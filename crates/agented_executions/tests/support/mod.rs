//! One in-memory world for the execution services' unit tests.

#![allow(dead_code, reason = "each test file uses part of the world")]

use agented_executions::fakes::{MemoryExecutions, MemoryQueue, RecordingControl, RecordingStarter};
use agented_executions::{ExecutionService, RepeatWindows, WebhookIntake};
use agented_kernel::{Clock, ManualClock, TriggerId};
use agented_triggers::fakes::{MemoryDedup, MemoryDeliveries, MemoryTriggers};
use agented_triggers::{Trigger, TriggerPatch, TriggerRepository, TriggerSettings};
use chrono::{TimeZone, Utc};
use std::sync::Arc;
use std::time::Duration;

pub struct World {
    pub clock: Arc<ManualClock>,
    pub triggers: Arc<MemoryTriggers>,
    pub executions: Arc<MemoryExecutions>,
    pub queue: Arc<MemoryQueue>,
    pub control: Arc<RecordingControl>,
    pub dedup: Arc<MemoryDedup>,
    pub deliveries: Arc<MemoryDeliveries>,
    pub starter: Arc<RecordingStarter>,
    pub service: ExecutionService,
}

pub fn world() -> World {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()));
    let triggers = Arc::new(MemoryTriggers::default());
    let executions = Arc::new(MemoryExecutions::default());
    let queue = Arc::new(MemoryQueue::default());
    let control = Arc::new(RecordingControl::default());
    let starter = Arc::new(RecordingStarter::default());
    let service =
        ExecutionService::new(triggers.clone(), executions.clone(), queue.clone(), control.clone(), clock.clone())
            .with_workflows(starter.clone());
    World {
        clock,
        triggers,
        executions,
        queue,
        control,
        dedup: Arc::new(MemoryDedup::default()),
        deliveries: Arc::new(MemoryDeliveries::default()),
        starter,
        service,
    }
}

impl World {
    /// A trigger made from `patch` on top of a name and a prompt.
    pub async fn trigger(&self, name: &str, patch: TriggerPatch) -> Trigger {
        let base = TriggerPatch {
            name: Some(name.into()),
            prompt_template: Some("Handle {message}".into()),
            ..TriggerPatch::default()
        };
        let settings = base.apply(&TriggerSettings::default()).unwrap();
        let settings = patch.apply(&settings).unwrap();
        self.triggers.insert(&TriggerId::generate(), &settings, None, &[], self.clock.now()).await.unwrap()
    }

    pub fn intake(&self) -> WebhookIntake {
        let windows = RepeatWindows {
            payload: Duration::from_secs(10),
            message_id: Duration::from_secs(600),
            github_body: Duration::from_secs(3600),
        };
        WebhookIntake::new(self.triggers.clone(), self.service.clone(), self.dedup.clone(), self.clock.clone(), windows)
    }
}
