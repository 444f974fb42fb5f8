//! HTTP: the route table, one file per resource. Handlers parse, call one service function, shape the reply.

pub mod auth;
mod body;
pub(crate) mod clicks;
pub(crate) mod comments;
pub(crate) mod health;
mod list;
pub(crate) mod posts;
pub mod query;
pub mod rate_limit;
pub(crate) mod taxonomy;

use actix_web::web;

use std::sync::Arc;

pub use clicks::ViewPolicy;

use crate::db::{DbPool, QueryCounter};
use crate::service::clicks::ClickCounter;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub queries: QueryCounter,
    pub clicks: ClickCounter,
    pub views: Arc<ViewPolicy>,
    pub limits: Arc<rate_limit::RateLimits>,
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// The whole route table. Each path is one resource, so a wrong method gets 405 with `Allow`, not 404.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(read("/posts", posts::list_posts).route(web::post().to(posts::create_post)))
        .service(read("/posts/slug/{slug}", posts::get_post_by_slug))
        .service(
            read("/posts/{id}", posts::get_post)
                .route(web::patch().to(posts::update_post))
                .route(web::delete().to(posts::delete_post)),
        )
        .service(
            read("/posts/{id}/comments", comments::list_comments)
                .route(web::post().to(comments::create_comment)),
        )
        .service(
            web::resource("/comments/{id}")
                .route(web::patch().to(comments::moderate_comment))
                .route(web::delete().to(comments::delete_comment)),
        )
        .service(web::resource("/posts/{id}/clicks").route(web::post().to(clicks::record_click)))
        .service(
            read("/categories", taxonomy::list_categories)
                .route(web::post().to(taxonomy::create_category)),
        )
        .service(
            read("/categories/{id}", taxonomy::get_category)
                .route(web::patch().to(taxonomy::update_category))
                .route(web::delete().to(taxonomy::delete_category)),
        )
        .service(read("/tags", taxonomy::list_tags).route(web::post().to(taxonomy::create_tag)))
        .service(
            read("/tags/{id}", taxonomy::get_tag)
                .route(web::patch().to(taxonomy::update_tag))
                .route(web::delete().to(taxonomy::delete_tag)),
        )
        .service(read("/healthz", health::healthz))
        .service(read("/readyz", health::readyz))
        .service(read("/metrics", health::metrics))
        .service(read("/openapi.json", openapi_json))
        .service(web::resource("/docs").route(web::get().to(docs_redirect)))
        .service(
            utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}").config(
                utoipa_swagger_ui::Config::from("/openapi.json")
                    .try_it_out_enabled(true)
                    .persist_authorization(true),
            ),
        );
}

/// `GET /openapi.json`: this API's OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn openapi_json() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(crate::openapi::document_json())
}

/// `GET /docs`: the interactive docs (Swagger UI, compiled into the binary) live at `/docs/`.
async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

/// A resource answering GET and HEAD with `handler` (HEAD gets the headers without the body).
fn read<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args> + Clone,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
}
