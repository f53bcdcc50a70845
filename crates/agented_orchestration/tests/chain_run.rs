//! The fallback-chain policy, case by case, on a manual clock: each case gives the
//! facts of the chain's entries and how its attempts end, and the steps `ChainRun` takes.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::BackendSpec;
use agented_kernel::{AccountId, BackendType, BudgetId, Clock, ManualClock};
use agented_orchestration::{
    Account, AttemptEnd, Backoff, Budget, BudgetCheck, BudgetPeriod, BudgetScope, BudgetState, ChainRun, ChainStep,
    EntryFacts, RunScope, Window,
};
use agented_triggers::FallbackEntry;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// How one entry looks when it comes up.
#[derive(Clone, Copy)]
enum Entry {
    /// Free, with an account of its own.
    Free,
    /// Its account is rate-limited for this many minutes from the start.
    LimitedFor(i64),
    /// A budget of its backend is spent.
    BackendBudgetSpent,
    /// The global budget is spent.
    GlobalBudgetSpent,
    /// Its backend was deleted.
    Gone,
}

fn account(backend: &str, limited_until: Option<DateTime<Utc>>) -> Account {
    Account {
        id: AccountId::generate(),
        backend_id: backend.to_owned(),
        name: format!("{backend}-team"),
        api_key_env: None,
        config_dir: None,
        is_default: true,
        plan: None,
        rate_limited_until: limited_until,
        rate_limit_reason: None,
        rate_limit_hits: 0,
        created_at: start(),
        updated_at: start(),
    }
}

fn spent(scope: BudgetScope, entity: Option<&str>) -> BudgetCheck {
    let budget = Budget {
        id: BudgetId::generate(),
        scope,
        entity_id: entity.map(str::to_owned),
        period: BudgetPeriod::Daily,
        timezone: chrono_tz::UTC,
        soft_limit_usd: None,
        hard_limit_usd: Some(5.0),
        warned_period: None,
        created_at: start(),
        updated_at: start(),
    };
    let window = Window { start: start(), end: start() + Duration::days(1) };
    BudgetCheck { states: vec![BudgetState::new(budget, window, 5.0, 0.0)] }
}

fn facts(backend: &str, entry: Entry) -> EntryFacts {
    let limited = match entry {
        Entry::LimitedFor(minutes) => Some(start() + Duration::minutes(minutes)),
        _ => None,
    };
    let account = account(backend, limited);
    let scope = RunScope {
        trigger_id: "trig-chain".into(),
        backend_id: backend.to_owned(),
        account_id: Some(account.id.to_string()),
    };
    let budgets = match entry {
        Entry::BackendBudgetSpent => spent(BudgetScope::Backend, Some(backend)),
        Entry::GlobalBudgetSpent => spent(BudgetScope::Global, None),
        _ => BudgetCheck::default(),
    };
    let spec = match entry {
        Entry::Gone => Err(format!("backend '{backend}' no longer exists")),
        _ => Ok(BackendSpec::Builtin(BackendType::Claude)),
    };
    EntryFacts { spec, account: Ok(Some(account)), scope, budgets, env: Ok(Vec::new()) }
}

/// One step, written down for comparison; times are minutes (or seconds) after the start.
fn show(step: &ChainStep, now: DateTime<Utc>) -> String {
    match step {
        ChainStep::Run { attempt, .. } => format!("run {}", attempt.scope.backend_id),
        ChainStep::Skip { note } => format!("skip: {note}"),
        ChainStep::Defer { at, attempts, .. } => {
            format!("defer attempt {attempts} until +{}s", (*at - now).num_seconds())
        }
        ChainStep::Finish { end, message, .. } => format!("finish {end:?}: {message}"),
    }
}

struct Case {
    name: &'static str,
    chain: &'static [(&'static str, Entry)],
    /// Earlier passes that were all limited.
    prior_passes: u32,
    /// Minutes the clock moves before the pass.
    later_by: i64,
    /// How each attempt that runs ends: `Some(minutes)` = rate-limited for that long.
    attempts: &'static [Option<i64>],
    steps: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "skip a limited account",
        chain: &[("backend-claude", Entry::LimitedFor(10)), ("backend-codex", Entry::Free)],
        prior_passes: 0,
        later_by: 0,
        attempts: &[None],
        steps: &[
            "skip: skipping backend-claude: backend-claude under account 'backend-claude-team' is rate-limited until 2026-03-02T09:10:00+00:00",
            "run backend-codex",
        ],
    },
    Case {
        name: "a limit that has passed no longer skips",
        chain: &[("backend-claude", Entry::LimitedFor(10)), ("backend-codex", Entry::Free)],
        prior_passes: 0,
        later_by: 11,
        attempts: &[None],
        steps: &["run backend-claude"],
    },
    Case {
        name: "skip a budget-blocked entry",
        chain: &[("backend-claude", Entry::BackendBudgetSpent), ("backend-codex", Entry::Free)],
        prior_passes: 0,
        later_by: 0,
        attempts: &[None],
        steps: &["skip: skipping backend-claude: BUDGET", "run backend-codex"],
    },
    Case {
        name: "a global budget blocks the whole run",
        chain: &[("backend-claude", Entry::GlobalBudgetSpent), ("backend-codex", Entry::Free)],
        prior_passes: 0,
        later_by: 0,
        attempts: &[],
        steps: &["finish BudgetBlocked: BUDGET"],
    },
    Case {
        name: "rotate on a rate limit",
        chain: &[("backend-claude", Entry::Free), ("backend-codex", Entry::Free)],
        prior_passes: 0,
        later_by: 0,
        attempts: &[Some(30), None],
        steps: &["run backend-claude", "run backend-codex"],
    },
    Case {
        name: "defer when all entries are limited: not before the first account is free",
        chain: &[("backend-claude", Entry::LimitedFor(10)), ("backend-codex", Entry::Free)],
        prior_passes: 0,
        later_by: 0,
        attempts: &[Some(30)],
        steps: &[
            "skip: skipping backend-claude: backend-claude under account 'backend-claude-team' is rate-limited until 2026-03-02T09:10:00+00:00",
            "run backend-codex",
            "defer attempt 1 until +600s",
        ],
    },
    Case {
        name: "defer by the backoff when it is longer than the limits",
        chain: &[("backend-claude", Entry::Free)],
        prior_passes: 2,
        later_by: 0,
        attempts: &[Some(1)],
        steps: &["run backend-claude", "defer attempt 3 until +240s"],
    },
    Case {
        name: "give up after the maximum attempts",
        chain: &[("backend-claude", Entry::LimitedFor(10))],
        prior_passes: 4,
        later_by: 0,
        attempts: &[],
        steps: &[
            "skip: skipping backend-claude: backend-claude under account 'backend-claude-team' is rate-limited until 2026-03-02T09:10:00+00:00",
            "finish Failed: every entry of the chain was rate-limited on all 5 attempts; giving up",
        ],
    },
    Case {
        name: "nothing usable fails the run",
        chain: &[("backend-gone", Entry::Gone)],
        prior_passes: 0,
        later_by: 0,
        attempts: &[],
        steps: &[
            "skip: skipping backend-gone: backend 'backend-gone' no longer exists",
            "finish Failed: no entry of the chain could run: backend 'backend-gone' no longer exists",
        ],
    },
];

#[test]
fn the_chain_policy_case_by_case() {
    for case in CASES {
        let clock = ManualClock::new(start());
        clock.advance(Duration::minutes(case.later_by));
        let entries: Vec<FallbackEntry> =
            case.chain.iter().map(|(b, _)| FallbackEntry { backend_id: (*b).to_owned(), account_id: None }).collect();
        let backoff = Backoff { base: Duration::seconds(60), cap: Duration::hours(1), max_attempts: 5 };
        let mut chain = ChainRun::new(entries, case.prior_passes, backoff);
        let mut attempts = case.attempts.iter();
        let mut steps = Vec::new();
        loop {
            let facts = chain.upcoming().map(|entry| {
                let (_, kind) = case.chain.iter().find(|(b, _)| *b == entry.backend_id).unwrap();
                facts(&entry.backend_id, *kind)
            });
            let now = clock.now();
            let step = chain.next(facts, now, 0.0);
            let shown = show(&step, now);
            // Budget explanations are the budget's own words; the case names the kind.
            steps.push(if shown.contains("budget (budget-") { budget_kind(&shown) } else { shown });
            match step {
                ChainStep::Run { .. } => {
                    let end = match attempts.next().copied().flatten() {
                        Some(minutes) => {
                            AttemptEnd::RateLimited { until: now + Duration::minutes(minutes), pattern: "429".into() }
                        }
                        None => AttemptEnd::Done,
                    };
                    if chain.on_attempt_end(&end).is_none() {
                        break;
                    }
                }
                ChainStep::Skip { .. } => {}
                ChainStep::Defer { .. } | ChainStep::Finish { .. } => break,
            }
        }
        assert_eq!(steps, case.steps, "case: {}", case.name);
        assert!(attempts.next().is_none(), "case {}: an attempt end was not used", case.name);
    }
}

fn budget_kind(shown: &str) -> String {
    let (head, _) = shown.split_once("the daily").unwrap();
    format!("{head}BUDGET")
}

#[test]
fn a_rate_limit_note_names_the_attempt_and_the_limit() {
    let mut chain = ChainRun::new(
        vec![FallbackEntry { backend_id: "backend-claude".into(), account_id: None }],
        0,
        Backoff::default(),
    );
    let step = chain.next(Some(facts("backend-claude", Entry::Free)), start(), 0.0);
    let ChainStep::Run { note, .. } = step else { panic!("expected a run, got {step:?}") };
    assert_eq!(note.as_deref(), Some("running on backend-claude under account 'backend-claude-team'"));
    let until = start() + Duration::minutes(5);
    let line = chain.on_attempt_end(&AttemptEnd::RateLimited { until, pattern: "rate_limit_error".into() });
    assert_eq!(
        line.as_deref(),
        Some(
            "rate limit on backend-claude under account 'backend-claude-team' (matched 'rate_limit_error'); \
             limited until 2026-03-02T09:05:00+00:00"
        )
    );
}
