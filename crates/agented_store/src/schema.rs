//! Diesel table definitions, matching `migrations/` (see docs/architecture.md
//! for how to regenerate with `diesel print-schema`).
#![expect(missing_docs, reason = "the table! macro generates undocumented items")]

diesel::table! {
    backends (id) {
        id -> Text,
        name -> Text,
        backend_type -> Text,
        command -> Text,
        description -> Text,
        is_builtin -> Bool,
        created_at -> Timestamp,
        args -> Nullable<Text>,
        env -> Nullable<Text>,
        working_dir -> Nullable<Text>,
    }
}

diesel::table! {
    triggers (id) {
        id -> Text,
        name -> Text,
        prompt_template -> Text,
        backend_type -> Text,
        trigger_source -> Text,
        enabled -> Bool,
        is_predefined -> Bool,
        match_field_path -> Nullable<Text>,
        match_field_value -> Nullable<Text>,
        text_field_path -> Text,
        detection_keyword -> Nullable<Text>,
        schedule_type -> Nullable<Text>,
        schedule_time -> Nullable<Text>,
        schedule_day -> Nullable<Integer>,
        schedule_timezone -> Nullable<Text>,
        next_run_at -> Nullable<Timestamp>,
        last_run_at -> Nullable<Timestamp>,
        skill_command -> Nullable<Text>,
        model -> Nullable<Text>,
        timeout_seconds -> Integer,
        sigterm_grace_seconds -> Integer,
        allowed_tools -> Nullable<Text>,
        webhook_secret -> Nullable<Text>,
        created_at -> Timestamp,
        backend_id -> Nullable<Text>,
        max_concurrent -> Integer,
        concurrency_policy -> Text,
        github_repos -> Text,
        github_events -> Text,
        schedule_cron -> Nullable<Text>,
        catch_up -> Bool,
        fallback_chain -> Text,
        stall_timeout_seconds -> Nullable<Integer>,
        required_labels -> Text,
        execution_mode -> Text,
        team_id -> Nullable<Text>,
        workflow_id -> Nullable<Text>,
        post_result -> Text,
        setup_script -> Nullable<Text>,
        setup_secrets -> Text,
        tooling -> Text,
    }
}

diesel::table! {
    trigger_paths (id) {
        id -> BigInt,
        trigger_id -> Text,
        kind -> Text,
        path -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    executions (execution_id) {
        execution_id -> Text,
        trigger_id -> Text,
        trigger_type -> Text,
        status -> Text,
        queued_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        duration_ms -> Nullable<BigInt>,
        prompt -> Text,
        backend_type -> Text,
        backend_id -> Nullable<Text>,
        model -> Nullable<Text>,
        allowed_tools -> Nullable<Text>,
        local_paths -> Text,
        repositories -> Text,
        timeout_seconds -> Integer,
        sigterm_grace_seconds -> Integer,
        message -> Nullable<Text>,
        command -> Nullable<Text>,
        exit_code -> Nullable<Integer>,
        error_message -> Nullable<Text>,
        input_tokens -> Nullable<BigInt>,
        output_tokens -> Nullable<BigInt>,
        total_cost_usd -> Nullable<Double>,
        account_id -> Nullable<Text>,
        pgid -> Nullable<Integer>,
        retry_of -> Nullable<Text>,
        log_lines -> BigInt,
        prompt_inputs -> Text,
        next_attempt_at -> Nullable<Timestamp>,
        rate_limit_attempts -> Integer,
        fallback_chain -> Text,
        stall_timeout_seconds -> Nullable<Integer>,
        cost_source -> Nullable<Text>,
        worker_id -> Nullable<Text>,
        session_id -> Nullable<Text>,
        github -> Nullable<Text>,
        resume -> Nullable<Text>,
        setup -> Nullable<Text>,
        tooling -> Nullable<Text>,
    }
}

diesel::table! {
    workers (worker_id) {
        worker_id -> Text,
        host -> Text,
        pid -> Integer,
        labels -> Text,
        capacity -> Integer,
        running -> Integer,
        version -> Text,
        started_at -> Timestamp,
        heartbeat_at -> Timestamp,
        stopped_at -> Nullable<Timestamp>,
        lost_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        received_at -> Timestamp,
        source -> Text,
        event -> Nullable<Text>,
        trigger_id -> Nullable<Text>,
        decision -> Text,
        reason -> Nullable<Text>,
        execution_id -> Nullable<Text>,
        headers -> Text,
        body -> Text,
        body_bytes -> BigInt,
    }
}

diesel::table! {
    webhook_dedup (trigger_id, dedup_key) {
        trigger_id -> Text,
        dedup_key -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    execution_logs (execution_id, seq) {
        execution_id -> Text,
        seq -> BigInt,
        at -> Timestamp,
        stream -> Text,
        content -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        scope -> Text,
        prefix -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> Nullable<Text>,
        outcome -> Text,
        status -> Integer,
        changes -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::joinable!(trigger_paths -> triggers (trigger_id));
diesel::table! {
    pr_reviews (id) {
        id -> BigInt,
        trigger_id -> Text,
        project_name -> Text,
        github_repo_url -> Nullable<Text>,
        pr_number -> BigInt,
        pr_url -> Text,
        pr_title -> Text,
        pr_author -> Nullable<Text>,
        pr_status -> Text,
        review_status -> Text,
        review_comment -> Nullable<Text>,
        fixes_applied -> BigInt,
        fix_comment -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notifiers (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        url -> Text,
        secret -> Nullable<Text>,
        trigger_id -> Nullable<Text>,
        events -> Text,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notification_deliveries (id) {
        id -> BigInt,
        notifier_id -> Text,
        event -> Text,
        event_key -> Text,
        message_id -> Text,
        body -> Text,
        status -> Text,
        attempts -> BigInt,
        response_status -> Nullable<BigInt>,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    mcp_servers (id) {
        id -> Text,
        name -> Text,
        display_name -> Nullable<Text>,
        description -> Nullable<Text>,
        server_type -> Text,
        command -> Nullable<Text>,
        args -> Text,
        env_json -> Text,
        url -> Nullable<Text>,
        headers_json -> Text,
        timeout_ms -> BigInt,
        enabled -> Bool,
        category -> Text,
        is_preset -> Bool,
        documentation_url -> Nullable<Text>,
        npm_package -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    plugins (id) {
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        version -> Nullable<Text>,
        author -> Nullable<Text>,
        manifest -> Text,
        components_json -> Text,
        files_json -> Text,
        marketplace_json -> Nullable<Text>,
        source -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tooling_items (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        description -> Nullable<Text>,
        content -> Text,
        files_json -> Text,
        event -> Nullable<Text>,
        matcher -> Nullable<Text>,
        arguments -> Nullable<Text>,
        rule_type -> Nullable<Text>,
        enabled -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(notification_deliveries -> notifiers (notifier_id));
diesel::joinable!(execution_logs -> executions (execution_id));
diesel::joinable!(planning_work -> projects (project_id));
diesel::allow_tables_to_appear_in_same_query!(
    mcp_servers,
    tooling_items,
    plugins,
    notifiers,
    notification_deliveries,
    api_keys,
    audit_log,
    backends,
    triggers,
    trigger_paths,
    executions,
    webhook_dedup,
    webhook_deliveries,
    execution_logs,
    projects,
    planning_work,
    roadmap_versions
);

diesel::table! {
    projects (id) {
        id -> Text,
        name -> Text,
        roadmap -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        tooling -> Text,
    }
}

diesel::table! {
    roadmap_versions (id) {
        id -> BigInt,
        project_id -> Text,
        label -> Text,
        roadmap -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    planning_work (id) {
        id -> Text,
        project_id -> Text,
        kind -> Text,
        state -> Text,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        backend_id -> Text,
        name -> Text,
        api_key_env -> Nullable<Text>,
        config_dir -> Nullable<Text>,
        is_default -> Bool,
        plan -> Nullable<Text>,
        rate_limited_until -> Nullable<Timestamp>,
        rate_limit_reason -> Nullable<Text>,
        rate_limit_hits -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    budgets (id) {
        id -> Text,
        scope -> Text,
        entity_id -> Nullable<Text>,
        period -> Text,
        timezone -> Text,
        soft_limit_usd -> Nullable<Double>,
        hard_limit_usd -> Nullable<Double>,
        warned_period -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(accounts -> backends (backend_id));
diesel::allow_tables_to_appear_in_same_query!(accounts, backends);

diesel::table! {
    budget_reservations (execution_id) {
        execution_id -> Text,
        backend_id -> Text,
        account_id -> Nullable<Text>,
        amount_usd -> Double,
        reserved_at -> Timestamp,
    }
}

diesel::joinable!(budget_reservations -> executions (execution_id));
diesel::allow_tables_to_appear_in_same_query!(budget_reservations, executions);

diesel::table! {
    workflows (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    workflow_versions (workflow_id, version) {
        workflow_id -> Text,
        version -> BigInt,
        graph_json -> Text,
        is_draft -> Bool,
        created_at -> Timestamp,
    }
}

diesel::joinable!(workflow_versions -> workflows (workflow_id));
diesel::allow_tables_to_appear_in_same_query!(workflows, workflow_versions);

diesel::table! {
    workflow_executions (id) {
        id -> Text,
        workflow_id -> Text,
        version -> BigInt,
        status -> Text,
        input_json -> Text,
        output_json -> Nullable<Text>,
        error -> Nullable<Text>,
        origin -> Text,
        driver -> Nullable<Text>,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    workflow_node_executions (execution_id, node_id) {
        execution_id -> Text,
        position -> Integer,
        node_id -> Text,
        node_type -> Text,
        status -> Text,
        attempt -> Integer,
        retry_at -> Nullable<Timestamp>,
        input_json -> Nullable<Text>,
        output_json -> Nullable<Text>,
        error -> Nullable<Text>,
        started_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        children -> Text,
        cost_usd -> Nullable<Double>,
        decision -> Nullable<Text>,
    }
}

diesel::joinable!(workflow_node_executions -> workflow_executions (execution_id));
diesel::allow_tables_to_appear_in_same_query!(workflow_executions, workflow_node_executions);

diesel::table! {
    agents (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        role -> Text,
        goals -> Text,
        context -> Text,
        backend_type -> Text,
        system_prompt -> Text,
        model -> Nullable<Text>,
        allowed_tools -> Text,
        skills -> Text,
        documents -> Text,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        tooling -> Text,
    }
}

diesel::table! {
    teams (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        topology -> Text,
        topology_config -> Text,
        leader_id -> Nullable<Text>,
        enabled -> Bool,
        members -> Text,
        workflow_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        tooling -> Text,
    }
}

diesel::table! {
    client_settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    terminal_sessions (id) {
        id -> Text,
        project_id -> Nullable<Text>,
        purpose -> Text,
        program -> Text,
        args -> Text,
        status -> Text,
        exit_code -> Nullable<Integer>,
        reason -> Nullable<Text>,
        created_by -> Text,
        host -> Text,
        term_cols -> Integer,
        term_rows -> Integer,
        output_seq -> BigInt,
        created_at -> Timestamp,
        last_activity_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    terminal_output (session_id, seq) {
        session_id -> Text,
        seq -> BigInt,
        at -> Timestamp,
        data -> Text,
    }
}

diesel::table! {
    super_agents (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        backend -> Text,
        model -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    super_agent_documents (agent_id, kind, version) {
        agent_id -> Text,
        kind -> Text,
        version -> BigInt,
        content -> Text,
        changed_by -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    super_agent_chats (id) {
        id -> Text,
        agent_id -> Text,
        status -> Text,
        turn_execution -> Nullable<Text>,
        last_execution -> Nullable<Text>,
        cli_session -> Nullable<Text>,
        message_seq -> BigInt,
        created_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    super_agent_chat_messages (chat_id, seq) {
        chat_id -> Text,
        seq -> BigInt,
        role -> Text,
        content -> Text,
        execution_id -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    super_agent_messages (id) {
        id -> BigInt,
        from_agent -> Text,
        to_agent -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}
