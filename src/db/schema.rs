//! The tables of docs/ARCHITECTURE.md "Data model" in portable column types, shared by both backends.
// Written by hand: `diesel print-schema` on SQLite would print `Nullable<Integer>` ids. The integration tests
// run every query against both migration folders, so a drift between them and this file fails there.

diesel::table! {
    /// The version row (migrations 6, 19 and 22; its `version` column is read by `db::content` in plain SQL).
    content_version (id) {
        id -> SmallInt,
        click_epoch -> BigInt,
        event_seq -> BigInt,
        events_pruned_through -> BigInt,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    authors (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        bio -> Text,
        bio_html -> Text,
        website -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    media (id) {
        id -> BigInt,
        name -> Text,
        original -> Text,
        content_type -> Text,
        width -> BigInt,
        height -> BigInt,
        bytes -> BigInt,
        alt -> Text,
        blurhash -> Text,
        variants -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    post_feature_images (post_id) {
        post_id -> BigInt,
        media_id -> BigInt,
    }
}

diesel::table! {
    post_authors (post_id, author_id) {
        post_id -> BigInt,
        author_id -> BigInt,
        position -> BigInt,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
    }
}

diesel::table! {
    comments (id) {
        id -> BigInt,
        post_id -> BigInt,
        author_name -> Text,
        body -> Text,
        status -> Text,
        created_at -> Timestamp,
        body_html -> Text,
    }
}

diesel::table! {
    counter_batches (batch_id) {
        batch_id -> Text,
        applied_at -> Timestamp,
        fields -> BigInt,
        total -> BigInt,
    }
}

diesel::table! {
    import_sources (kind, source_id) {
        kind -> Text,
        source_id -> BigInt,
        row_id -> BigInt,
    }
}

diesel::table! {
    post_revisions (id) {
        id -> BigInt,
        post_id -> BigInt,
        number -> BigInt,
        created_at -> Timestamp,
        token_name -> Nullable<Text>,
        changed -> Text,
        snapshot -> Text,
    }
}

diesel::table! {
    post_seo (post_id) {
        post_id -> BigInt,
        meta_title -> Nullable<Text>,
        meta_description -> Nullable<Text>,
        canonical_url -> Nullable<Text>,
    }
}

diesel::table! {
    preview_links (id) {
        id -> BigInt,
        post_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    reader_salts (day) {
        day -> BigInt,
        salt -> Text,
    }
}

diesel::table! {
    post_counters (post_id) {
        post_id -> BigInt,
        clicks -> BigInt,
    }
}

diesel::table! {
    post_tags (post_id, tag_id) {
        post_id -> BigInt,
        tag_id -> BigInt,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        slug -> Text,
        title -> Text,
        excerpt -> Text,
        body_markdown -> Text,
        body_html -> Text,
        author -> Text,
        category_id -> Nullable<BigInt>,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        word_count -> Nullable<BigInt>,
        reading_time_minutes -> Nullable<BigInt>,
        announced -> Bool,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
    }
}

diesel::table! {
    parked_clicks (click_id) {
        click_id -> Text,
        post_id -> BigInt,
        parked_at -> Timestamp,
    }
}

diesel::table! {
    server_secrets (name) {
        name -> Text,
        secret -> Text,
    }
}

diesel::table! {
    post_click_hours (post_id, hour) {
        post_id -> BigInt,
        hour -> BigInt,
        clicks -> BigInt,
    }
}

diesel::table! {
    post_click_days (post_id, day) {
        post_id -> BigInt,
        day -> BigInt,
        clicks -> BigInt,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        events -> Text,
        active -> Bool,
        secret -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Text,
        #[sql_name = "type"]
        event_type -> Text,
        payload -> Text,
        created_at -> Timestamp,
        seq -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_id -> Text,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        retry_from -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        claim -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        number -> BigInt,
        started_at -> Timestamp,
        duration_ms -> BigInt,
        response_status -> Nullable<BigInt>,
        error -> Nullable<Text>,
        response_body -> Nullable<Text>,
    }
}

diesel::joinable!(comments -> posts (post_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(parked_clicks -> posts (post_id));
diesel::joinable!(post_click_days -> posts (post_id));
diesel::joinable!(post_click_hours -> posts (post_id));
diesel::joinable!(post_counters -> posts (post_id));
diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(post_tags -> tags (tag_id));
diesel::joinable!(posts -> categories (category_id));
diesel::joinable!(preview_links -> posts (post_id));
diesel::joinable!(post_seo -> posts (post_id));
diesel::joinable!(post_authors -> posts (post_id));
diesel::joinable!(post_authors -> authors (author_id));
diesel::joinable!(post_revisions -> posts (post_id));
diesel::joinable!(post_feature_images -> posts (post_id));
diesel::joinable!(post_feature_images -> media (media_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    authors,
    categories,
    comments,
    content_version,
    counter_batches,
    import_sources,
    media,
    parked_clicks,
    post_authors,
    post_click_days,
    post_click_hours,
    post_counters,
    post_feature_images,
    post_revisions,
    post_seo,
    post_tags,
    posts,
    preview_links,
    reader_salts,
    tags,
    webhook_attempts,
    webhook_deliveries,
    webhook_events,
    webhooks,
);
