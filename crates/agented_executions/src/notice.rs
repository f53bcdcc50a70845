//! The notice a run's end gives: which event it is (a worker lost, a failure,
//! an ordinary end), a readable sentence, and the facts a receiver needs.

use crate::{Execution, ExecutionStatus, Outcome, WORKER_LOST};
use agented_kernel::{Notice, NoticeEvent, NoticeValue};

/// The event a run that ended with `outcome` is.
#[must_use]
pub fn run_event(outcome: &Outcome) -> NoticeEvent {
    match outcome.status {
        ExecutionStatus::Interrupted if outcome.error_message.as_deref() == Some(WORKER_LOST) => {
            NoticeEvent::WorkerLost
        }
        ExecutionStatus::Success | ExecutionStatus::Cancelled => NoticeEvent::RunFinished,
        _ => NoticeEvent::RunFailed,
    }
}

/// The notice of `execution`'s end with `outcome`.
#[must_use]
pub fn run_notice(execution: &Execution, outcome: &Outcome) -> Notice {
    let event = run_event(outcome);
    let id = &execution.execution_id;
    let seconds = outcome.duration_ms / 1000;
    let mut summary = match outcome.status {
        ExecutionStatus::Success => format!("Run {id} succeeded in {seconds} s"),
        ExecutionStatus::Cancelled => format!("Run {id} was cancelled after {seconds} s"),
        ExecutionStatus::Timeout => format!("Run {id} timed out after {seconds} s"),
        status => format!("Run {id} ended {status} after {seconds} s"),
    };
    if event != NoticeEvent::RunFinished
        && let Some(error) = &outcome.error_message
    {
        summary = format!("{summary}: {error}");
    }
    let mut notice = Notice::new(event, format!("{event}:{id}"), summary, outcome.finished_at)
        .text("execution_id", id.as_str())
        .text("trigger_id", execution.trigger_id.as_str())
        .text("trigger_type", execution.trigger_type.as_str())
        .text("status", outcome.status.as_str())
        .text("backend", execution.snapshot.backend_type.as_str())
        .fact("exit_code", outcome.exit_code.map(|c| NoticeValue::Integer(c.into())))
        .fact("error", outcome.error_message.clone().map(NoticeValue::Text))
        .fact("duration_ms", Some(NoticeValue::Integer(outcome.duration_ms)))
        .fact("cost_usd", outcome.usage.total_cost_usd.map(NoticeValue::Number))
        .fact("worker", execution.worker.as_ref().map(|w| NoticeValue::Text(w.to_string())));
    if let Some(github) = &execution.snapshot.github {
        notice = notice
            .text("repository", github.repository.clone())
            .fact("number", github.number.map(|n| NoticeValue::Integer(i64::try_from(n).unwrap_or(i64::MAX))));
    }
    notice.trigger_id = Some(execution.trigger_id.clone());
    notice.link = Some(format!("/executions/{id}"));
    notice
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{new_execution, queued_execution};
    use chrono::Utc;

    fn outcome(status: ExecutionStatus, error: Option<&str>) -> Outcome {
        Outcome {
            status,
            exit_code: (status == ExecutionStatus::Failed).then_some(2),
            error_message: error.map(str::to_owned),
            finished_at: Utc::now(),
            duration_ms: 12_345,
            usage: crate::Usage { total_cost_usd: Some(0.5), ..crate::Usage::default() },
        }
    }

    #[test]
    fn each_end_is_its_event_and_says_why() {
        let trigger = agented_kernel::TriggerId::try_from("trig-nightly".to_owned()).unwrap();
        let run =
            queued_execution(&new_execution(&trigger, Utc::now(), agented_kernel::BackendType::Claude, Vec::new()));
        let ok = run_notice(&run, &outcome(ExecutionStatus::Success, None));
        assert_eq!(ok.event, NoticeEvent::RunFinished);
        assert_eq!(ok.summary, format!("Run {} succeeded in 12 s", run.execution_id));
        assert_eq!(ok.key, format!("run.finished:{}", run.execution_id));
        assert_eq!(ok.link, Some(format!("/executions/{}", run.execution_id)));
        assert_eq!(ok.trigger_id.as_ref(), Some(&run.trigger_id));
        assert_eq!(ok.data["cost_usd"], NoticeValue::Number(0.5));

        let failed = run_notice(&run, &outcome(ExecutionStatus::Failed, Some("exited with code 2")));
        assert_eq!(failed.event, NoticeEvent::RunFailed);
        assert!(failed.summary.ends_with("ended failed after 12 s: exited with code 2"), "{}", failed.summary);
        assert_eq!(failed.data["exit_code"], NoticeValue::Integer(2));

        assert_eq!(run_event(&outcome(ExecutionStatus::Timeout, None)), NoticeEvent::RunFailed);
        assert_eq!(run_event(&outcome(ExecutionStatus::Cancelled, None)), NoticeEvent::RunFinished);
        assert_eq!(run_event(&outcome(ExecutionStatus::BudgetBlocked, None)), NoticeEvent::RunFailed);
        assert_eq!(run_event(&outcome(ExecutionStatus::Interrupted, Some("server restarted"))), NoticeEvent::RunFailed);
        assert_eq!(run_event(&outcome(ExecutionStatus::Interrupted, Some(WORKER_LOST))), NoticeEvent::WorkerLost);
    }
}
