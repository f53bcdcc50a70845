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

diesel::allow_tables_to_appear_in_same_query!(api_keys, audit_log, backends, triggers);
