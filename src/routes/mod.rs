//! HTTP: the route table, one file per resource. Handlers state their preconditions as extractors
//! ([`extract`]), call one service function and shape the reply.

pub mod auth;
pub(crate) mod authors;
pub(crate) mod clicks;
pub mod client_ip;
pub(crate) mod comments;
pub mod conditional;
pub mod extract;
pub(crate) mod feeds;
pub(crate) mod health;
mod list;
pub(crate) mod live;
pub(crate) mod media;
pub mod openapi;
pub(crate) mod posts;
pub(crate) mod previews;
mod problems;
pub mod query;
pub mod related;
pub mod request_id;
pub(crate) mod revisions;
pub mod search;
pub(crate) mod stats;
pub(crate) mod sync;
pub(crate) mod taxonomy;
pub(crate) mod webhooks;

use std::sync::Arc;

use actix_web::web;

use crate::service;

/// What every handler can reach: one service per area, built once at start-up, and the settings of the
/// HTTP layer itself.
#[derive(Clone)]
pub struct AppState {
    pub posts: Arc<service::posts::Posts>,
    pub clicks: Arc<service::clicks::Clicks>,
    pub comments: Arc<service::comments::Comments>,
    pub taxonomy: Arc<service::taxonomy::Terms>,
    pub webhooks: Arc<service::webhooks::Webhooks>,
    pub feeds: Arc<service::feeds::Feeds>,
    pub stats: Arc<service::stats::Stats>,
    pub tokens: Arc<service::tokens::Tokens>,
    pub previews: Arc<service::previews::Previews>,
    pub authors: Arc<service::authors::Authors>,
    pub media: Arc<service::media::MediaLibrary>,
    pub live: Arc<service::live::LiveCounts>,
    pub events: Arc<service::live::LiveEvents>,
    pub sync: Arc<service::sync::DeltaSync>,
    /// Every event stream's place; a stop closes them all.
    pub streams: Arc<service::live::Streams>,
    pub health: Arc<service::health::Health>,
    pub http: Arc<HttpSettings>,
}

/// The settings of the HTTP layer.
pub struct HttpSettings {
    /// `LOG_CLIENT_IP`: the request log line names the client.
    pub log_client_ip: bool,
    /// `MAX_BODY_BYTES`: no body larger is read, whatever a route's own limit.
    pub max_body_bytes: usize,
    /// Who the client is, behind `TRUSTED_PROXIES`.
    pub clients: client_ip::ClientAddresses,
}

/// Adds `handler` to a resource for one method (`get` also answers `HEAD`); an unknown method name in the
/// table is a compile error.
macro_rules! method_route {
    ($resource:expr, get, $handler:path) => {
        $resource
            .route(web::get().to($handler))
            .route(web::head().to($handler))
    };
    ($resource:expr, post, $handler:path) => {
        $resource.route(web::post().to($handler))
    };
    ($resource:expr, patch, $handler:path) => {
        $resource.route(web::patch().to($handler))
    };
    ($resource:expr, delete, $handler:path) => {
        $resource.route(web::delete().to($handler))
    };
}

/// Writes the route table once: [`configure`] registers it, [`api_paths`] makes the OpenAPI document's
/// paths from its handlers (each one's `#[utoipa::path]` operation), and [`ROUTES`] lists it for the test
/// that holds the two to each other (same paths, same methods). Each path is one resource, so a wrong method gets 405 with `Allow`, not 404; every `get`
/// answers `HEAD` too (headers without the body).
macro_rules! route_table {
    ($($path:literal => { $($method:ident: $module:ident::$handler:ident),+ $(,)? })*) => {
        /// The whole route table (and the docs page, which is not an API operation).
        pub fn configure(config: &mut web::ServiceConfig) {
            $(
                let resource = web::resource($path);
                $(let resource = method_route!(resource, $method, $module::$handler);)+
                config.service(resource);
            )*
            config
                .service(web::resource("/docs").route(web::get().to(docs_redirect)))
                .service(
                    utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}").config(
                        utoipa_swagger_ui::Config::from("/openapi.json")
                            .try_it_out_enabled(true)
                            .persist_authorization(false),
                    ),
                );
        }

        pastey::paste! {
            /// The OpenAPI document's paths: every operation of the route table, as its handler documents it.
            pub fn api_paths() -> utoipa::openapi::Paths {
                let paths = utoipa::openapi::path::PathsBuilder::new();
                $($(let paths = openapi::add_operation::<$module::[<__path_ $handler>]>(paths);)+)*
                paths.build()
            }
        }

        /// Every operation of the route table as (method, path), `HEAD` aside.
        pub const ROUTES: &[(&str, &str)] = &[$($((stringify!($method), $path),)+)*];
    };
}

route_table! {
    "/posts" => { get: posts::list_posts, post: posts::create_post }
    // Tried in this order, each dynamic path by a regular expression: the most read path comes first.
    "/posts/{id}" => { get: posts::get_post, patch: posts::update_post, delete: posts::delete_post }
    "/posts/slug/{slug}" => { get: posts::get_post_by_slug }
    "/posts/{id}/related" => { get: related::related_posts }
    "/search/suggest" => { get: search::suggest }
    "/posts/{id}/stats" => { get: stats::post_stats }
    "/posts/{id}/comments" => { get: comments::list_comments, post: comments::create_comment }
    "/comments/{id}" => { patch: comments::moderate_comment, delete: comments::delete_comment }
    "/posts/{id}/clicks" => { post: clicks::record_click }
    "/posts/{id}/live" => { get: live::live_count }
    "/posts/{id}/preview-links" => {
        get: previews::list_preview_links,
        post: previews::create_preview_link,
    }
    "/posts/{id}/preview-links/{link_id}" => { delete: previews::delete_preview_link }
    "/preview/{token}" => { get: previews::read_preview }
    "/authors" => { get: authors::list_authors, post: authors::create_author }
    "/authors/{slug}" => {
        get: authors::get_author,
        patch: authors::update_author,
        delete: authors::delete_author,
    }
    "/media" => { get: media::list_media, post: media::upload_media }
    "/media/{id}" => { get: media::get_media, patch: media::update_media, delete: media::delete_media }
    "/media/files/{name}/{file}" => { get: media::media_file }
    "/posts/{id}/revisions" => { get: revisions::list_revisions }
    "/posts/{id}/revisions/{number}" => { get: revisions::get_revision }
    "/posts/{id}/revisions/{number}/restore" => { post: revisions::restore_revision }
    "/categories" => { get: taxonomy::list_categories, post: taxonomy::create_category }
    "/categories/{id}" => {
        get: taxonomy::get_category,
        patch: taxonomy::update_category,
        delete: taxonomy::delete_category,
    }
    "/tags" => { get: taxonomy::list_tags, post: taxonomy::create_tag }
    "/tags/{id}" => { get: taxonomy::get_tag, patch: taxonomy::update_tag, delete: taxonomy::delete_tag }
    "/feed.rss" => { get: feeds::blog_rss }
    "/feed.atom" => { get: feeds::blog_atom }
    "/categories/{slug}/feed.rss" => { get: feeds::category_rss }
    "/categories/{slug}/feed.atom" => { get: feeds::category_atom }
    "/tags/{slug}/feed.rss" => { get: feeds::tag_rss }
    "/tags/{slug}/feed.atom" => { get: feeds::tag_atom }
    "/authors/{slug}/feed.rss" => { get: feeds::author_rss }
    "/authors/{slug}/feed.atom" => { get: feeds::author_atom }
    "/sync" => { get: sync::sync_content }
    "/events" => { get: live::content_events }
    "/sitemap.xml" => { get: feeds::sitemap }
    "/sitemap-{n}.xml" => { get: feeds::sitemap_file }
    "/webhooks" => { get: webhooks::list_webhooks, post: webhooks::create_webhook }
    "/webhooks/{id}" => {
        get: webhooks::get_webhook,
        patch: webhooks::update_webhook,
        delete: webhooks::delete_webhook,
    }
    "/webhooks/{id}/rotate-secret" => { post: webhooks::rotate_webhook_secret }
    "/webhooks/{id}/deliveries" => { get: webhooks::list_deliveries }
    "/webhooks/{id}/deliveries/{delivery_id}/retry" => { post: webhooks::retry_delivery }
    "/healthz" => { get: health::healthz }
    "/readyz" => { get: health::readyz }
    "/metrics" => { get: health::metrics }
    "/openapi.json" => { get: openapi::openapi_json }
}

/// `GET /docs`: the interactive docs (Swagger UI, compiled into the binary) live at `/docs/`.
async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}
