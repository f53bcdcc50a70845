//! Spend and budget reservations against a real SQLite file or PostgreSQL database:
//! two connection pools stand for two worker processes on one database.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::{ExecutionRepository, ExecutionStatus, Outcome, Usage};
use agented_kernel::{BackendType, ExecutionId, TriggerId, WorkerId};
use agented_orchestration::{Reservation, Spend, SpendFilter, SpendReader};
use agented_store::testing::Scratch;
use agented_store::{SqlBudgets, SqlExecutions};
use chrono::{Duration, Utc};

async fn running(executions: &SqlExecutions, trigger: &TriggerId) -> ExecutionId {
    let new = agented_executions::fakes::new_execution(trigger, Utc::now(), BackendType::Claude, Vec::new());
    let id = executions.insert(&new).await.unwrap().execution_id;
    executions.claim(&id, &WorkerId::generate(), 8, Utc::now()).await.unwrap().claimed().unwrap();
    id
}

async fn spend_usd(executions: &SqlExecutions, id: &ExecutionId, usd: f64) {
    let usage = Usage { total_cost_usd: Some(usd), ..Usage::NONE };
    executions.set_usage(id, &usage).await.unwrap();
}

async fn finish(executions: &SqlExecutions, id: &ExecutionId) {
    let execution = executions.get(id).await.unwrap().unwrap();
    executions.finish(id, &Outcome::closing(&execution, ExecutionStatus::Success, "done", Utc::now())).await.unwrap();
}

fn today(except: Option<&ExecutionId>) -> SpendFilter {
    SpendFilter {
        since: Utc::now() - Duration::hours(1),
        until: Utc::now() + Duration::hours(1),
        trigger_id: None,
        backend_id: None,
        account_id: None,
        except: except.map(|e| e.as_str().to_owned()),
    }
}

fn reservation(id: &ExecutionId, trigger: &TriggerId, estimate_usd: f64) -> Reservation {
    Reservation {
        execution_id: id.as_str().to_owned(),
        trigger_id: trigger.as_str().to_owned(),
        backend_id: "backend-claude".into(),
        account_id: None,
        estimate_usd,
        filters: vec![today(Some(id))],
        at: Utc::now(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_processes_reserving_a_budgets_last_dollar_at_once_exactly_one_gets_it() {
    let dir = Scratch::new();
    let executions = SqlExecutions::new(dir.database());
    let (one, two) = (SqlBudgets::new(dir.database()), SqlBudgets::new(dir.database()));
    let trigger = TriggerId::generate();
    let earlier = running(&executions, &trigger).await;
    spend_usd(&executions, &earlier, 9.0).await;
    finish(&executions, &earlier).await;
    let (a, b) = (running(&executions, &trigger).await, running(&executions, &trigger).await);

    // A $10 hard limit, as the domain's rule: spend plus others' reservations must stay under
    // it. The rule takes its time, so without the write lock both would read before either writes.
    let under_ten = || {
        Box::new(|s: &[Spend]| {
            std::thread::sleep(std::time::Duration::from_millis(200));
            s[0].spent_usd + s[0].reserved_usd < 10.0
        })
    };
    let (ra, rb) = (reservation(&a, &trigger, 1.0), reservation(&b, &trigger, 1.0));
    let (first, second) = tokio::join!(one.reserve(&ra, under_ten()), two.reserve(&rb, under_ten()));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(first.1 ^ second.1, "exactly one reserves: {first:?} {second:?}");
    let (winner, loser) = if first.1 { (&a, &b) } else { (&b, &a) };
    let lost = if first.1 { &second } else { &first };
    assert!(
        close(lost.0[0].spent_usd, 9.0) && close(lost.0[0].reserved_usd, 1.0),
        "the loser saw the winner's: {lost:?}"
    );

    // A run's own reservation does not count against it; another's does, less what it spent.
    assert!(close(one.spend(&today(Some(winner))).await.unwrap().reserved_usd, 0.0));
    spend_usd(&executions, winner, 0.25).await;
    let seen = one.spend(&today(Some(loser))).await.unwrap();
    assert!(close(seen.spent_usd, 9.25) && close(seen.reserved_usd, 0.75), "{seen:?}");
    // A trigger filter of another trigger sees none of it.
    let other = SpendFilter { trigger_id: Some(TriggerId::generate().as_str().to_owned()), ..today(None) };
    assert_eq!(one.spend(&other).await.unwrap(), Spend::default());

    // The reservation ends with its run: the other run may now reserve.
    finish(&executions, winner).await;
    assert!(close(one.spend(&today(None)).await.unwrap().reserved_usd, 0.0));
    let (spends, made) = two.reserve(&reservation(loser, &trigger, 0.5), under_ten()).await.unwrap();
    assert!(made && close(spends[0].spent_usd, 9.25), "{spends:?}");
    // Its next attempt replaces it: what it spent so far plus the new estimate.
    spend_usd(&executions, loser, 0.1).await;
    two.reserve(&reservation(loser, &trigger, 0.3), under_ten()).await.unwrap();
    assert!(close(one.spend(&today(None)).await.unwrap().reserved_usd, 0.3));
    assert!(close(one.spend(&today(None)).await.unwrap().spent_usd, 9.35));

    // The expected cost is the mean of the trigger's finished, costed runs.
    assert!(close(one.expected_cost(trigger.as_str()).await.unwrap().unwrap(), (9.0 + 0.25) / 2.0));
    assert_eq!(one.expected_cost(TriggerId::generate().as_str()).await.unwrap(), None);
}
