//! The route table, written once and expanded twice: into utoipa's
//! configuration, which collects the OpenAPI spec while it registers (done
//! once, when the spec is built), and into actix's own, which only serves
//! (done by every worker). Each worker collecting its own copy of the spec
//! was most of the server's idle memory: 14 of 16 MiB of heap (heaptrack).

macro_rules! route_table {
    () => {
        use crate::middleware::require_principal::require_principal;
        use crate::routes::{
            accounts, agents, api_keys, audit, backends, budgets, context, deliveries, events, executions, follow_ups,
            health, history, mcp_servers, metrics, notifiers, phases, planning, plugins, pr_reviews, project_tooling,
            projects, research, schedules, session, streams, teams, tooling_items, tooling_preview, triggers, usage,
            webhooks, workers, workflow_runs, workflows, workspaces,
        };
        use actix_web::middleware::from_fn;

        /// Every API route. The `/admin` and `/api` scopes carry their own guard: a handler
        /// there never runs without a permitted caller, whatever the middleware outside decided.
        pub fn api_routes(cfg: &mut ServiceConfig) {
            // Public routes first: `/api/webhooks/github` must be matched before the `/api` scope.
            cfg.service(health::liveness)
                .service(health::readiness)
                .service(workflows::workflow_schema)
                .service(webhooks::generic_webhook)
                .service(webhooks::github_webhook);
            cfg.service(scope("/admin").wrap(from_fn(require_principal)).configure(admin_routes))
                .service(scope("/api").wrap(from_fn(require_principal)).configure(project_routes))
                .service(scope("/metrics").wrap(from_fn(require_principal)).service(metrics::metrics));
        }

        /// Routes under `/admin` (their macros give the path below it).
        fn admin_routes(cfg: &mut ServiceConfig) {
            cfg.service(session::session)
                .service(api_keys::list_keys)
                .service(api_keys::create_key)
                .service(api_keys::revoke_key)
                .service(audit::list_audit)
                .service(streams::stream_token)
                .service(streams::events_token)
                .service(events::list_events)
                .service(triggers::list_triggers)
                .service(triggers::create_trigger)
                .service(triggers::get_trigger)
                .service(triggers::update_trigger)
                .service(triggers::delete_trigger)
                .service(triggers::list_paths)
                .service(triggers::add_path)
                .service(triggers::remove_path)
                .service(triggers::trigger_status)
                .service(triggers::run_trigger)
                .service(triggers::preview_prompt)
                .service(triggers::trigger_executions)
                .service(schedules::preview_schedule)
                .service(executions::list_executions)
                .service(executions::get_execution)
                .service(executions::execution_logs)
                .service(executions::cancel_execution)
                .service(executions::delete_execution)
                .service(executions::retry_execution)
                .service(follow_ups::follow_up_execution)
                .service(executions::try_now)
                .service(executions::stream_execution)
                .service(backends::list_backends)
                .service(backends::create_backend)
                .service(backends::check_backend)
                .service(backends::delete_backend)
                .service(accounts::all_accounts)
                .service(accounts::list_accounts)
                .service(accounts::create_account)
                .service(accounts::get_account)
                .service(accounts::update_account)
                .service(accounts::delete_account)
                .service(accounts::clear_rate_limit)
                .service(accounts::get_chain)
                .service(accounts::put_chain)
                .service(usage::usage_report)
                .service(budgets::check_budget)
                .service(budgets::list_budgets)
                .service(budgets::create_budget)
                .service(budgets::get_budget)
                .service(budgets::update_budget)
                .service(budgets::delete_budget)
                .service(deliveries::trigger_deliveries)
                .service(deliveries::all_deliveries)
                .service(deliveries::test_match)
                .service(workers::list_workers)
                .service(workspaces::list_workspaces)
                .service(mcp_servers::list_mcp_servers)
                .service(mcp_servers::list_mcp_presets)
                .service(mcp_servers::add_mcp_preset)
                .service(mcp_servers::create_mcp_server)
                .service(mcp_servers::get_mcp_server)
                .service(mcp_servers::update_mcp_server)
                .service(mcp_servers::delete_mcp_server)
                .service(mcp_servers::test_mcp_server)
                .service(plugins::list_plugins)
                .service(plugins::import_plugin)
                .service(plugins::export_marketplace)
                .service(plugins::get_plugin)
                .service(plugins::export_plugin)
                .service(plugins::delete_plugin)
                .service(project_tooling::get_project_tooling)
                .service(project_tooling::set_project_tooling)
                .service(tooling_items::skills::list)
                .service(tooling_items::skills::create)
                .service(tooling_items::skills::get)
                .service(tooling_items::skills::update)
                .service(tooling_items::skills::delete)
                .service(tooling_items::commands::list)
                .service(tooling_items::commands::create)
                .service(tooling_items::commands::get)
                .service(tooling_items::commands::update)
                .service(tooling_items::commands::delete)
                .service(tooling_items::hooks::list)
                .service(tooling_items::hooks::create)
                .service(tooling_items::hooks::get)
                .service(tooling_items::hooks::update)
                .service(tooling_items::hooks::delete)
                .service(tooling_items::rules::list)
                .service(tooling_items::rules::create)
                .service(tooling_items::rules::get)
                .service(tooling_items::rules::update)
                .service(tooling_items::rules::delete)
                .service(tooling_preview::tooling_preview)
                .service(notifiers::list_notifiers)
                .service(notifiers::create_notifier)
                .service(notifiers::get_notifier)
                .service(notifiers::update_notifier)
                .service(notifiers::delete_notifier)
                .service(notifiers::rotate_notifier_secret)
                .service(notifiers::test_notifier)
                .service(notifiers::notifier_deliveries)
                .service(notifiers::redeliver)
                .service(workflows::import_workflow)
                .service(workflows::validate_workflow)
                .service(workflows::export_workflow)
                .service(workflows::list_workflows)
                .service(workflows::create_workflow)
                .service(workflows::get_workflow)
                .service(workflows::update_workflow)
                .service(workflows::delete_workflow)
                .service(workflows::list_versions)
                .service(workflows::add_version)
                .service(workflows::get_version)
                .service(workflows::publish_version)
                .service(workflow_runs::run_workflow)
                .service(workflow_runs::get_run)
                .service(workflow_runs::list_runs)
                .service(workflow_runs::cancel_run)
                .service(workflow_runs::approve_node)
                .service(workflow_runs::reject_node)
                .service(workflow_runs::run_stream_token)
                .service(workflow_runs::stream_run)
                .service(agents::list_agents)
                .service(agents::create_agent)
                .service(agents::get_agent)
                .service(agents::update_agent)
                .service(agents::delete_agent)
                .service(agents::run_agent)
                .service(teams::list_teams)
                .service(teams::import_team)
                .service(teams::create_team)
                .service(teams::get_team)
                .service(teams::update_team)
                .service(teams::delete_team)
                .service(teams::list_members)
                .service(teams::add_member)
                .service(teams::remove_member)
                .service(teams::set_topology)
                .service(teams::team_graph)
                .service(teams::run_team)
                .service(teams::export_team);
        }

        /// Routes under `/api`: projects and roadmaps (their macros give the path below it).
        fn project_routes(cfg: &mut ServiceConfig) {
            cfg.service(pr_reviews::list_pr_reviews)
                .service(pr_reviews::pr_review_stats)
                .service(pr_reviews::pr_review_history)
                .service(pr_reviews::get_pr_review)
                .service(pr_reviews::create_pr_review)
                .service(pr_reviews::update_pr_review)
                .service(pr_reviews::delete_pr_review)
                .service(projects::list_projects)
                .service(projects::import_project)
                .service(projects::create_project)
                .service(projects::get_project)
                .service(projects::update_project)
                .service(projects::delete_project)
                .service(projects::get_roadmap)
                .service(projects::export_project)
                .service(history::roadmap_history)
                .service(history::restore_roadmap)
                .service(phases::create_milestone)
                .service(phases::update_milestone)
                .service(phases::create_phase)
                .service(phases::update_phase)
                .service(phases::delete_phase)
                .service(phases::create_requirement)
                .service(phases::update_requirement)
                .service(phases::delete_requirement)
                .service(context::create_decision)
                .service(context::delete_decision)
                .service(context::create_todo)
                .service(context::update_todo)
                .service(context::delete_todo)
                .service(context::put_research)
                .service(context::delete_research)
                .service(research::research_templates)
                .service(planning::start_session)
                .service(planning::list_sessions)
                .service(planning::get_session)
                .service(planning::answer_session)
                .service(planning::retry_session)
                .service(planning::accept_session)
                .service(planning::discard_session)
                .service(research::start_research)
                .service(research::list_research)
                .service(research::get_research)
                .service(research::retry_research);
        }
    };
}

/// Registered through utoipa: each route also goes into the spec.
pub mod documented {
    use utoipa_actix_web::scope;
    use utoipa_actix_web::service_config::ServiceConfig;
    route_table!();
}

/// Registered with actix alone, to serve.
pub mod served {
    use actix_web::web::{ServiceConfig, scope};
    route_table!();
}
