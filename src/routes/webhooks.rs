//! `/webhooks`: editors' subscriptions to content events, their delivery log and manual retries
//! (README "Webhooks"). Every route needs a token.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{
    DeliveryIdParam, Editor, FromQuery, IdParam, InPath, JsonBody, NoQuery, Query,
};
use super::list::list_response;
use super::problems::{
    BadRequest, Conflict, InvalidFields, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
};
use super::query::QueryParams;
use super::AppState;
use crate::domain::webhook::{Delivery, Subscription, SubscriptionChanges};
use crate::domain::{Page, PageRequest};
use crate::error::ApiError;

/// Every subscription.
#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    /// Oldest first, without secrets.
    pub data: Vec<Subscription>,
}

/// `page` and `per_page` of the delivery log.
pub struct DeliveryPage(PageRequest);

impl FromQuery for DeliveryPage {
    const ALLOWED: &'static [&'static str] = &["page", "per_page"];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        Ok(DeliveryPage(PageRequest::parse(
            params.get("page"),
            params.get("per_page"),
        )?))
    }
}

/// Subscribe a webhook
///
/// Needs a token. Subscribes a URL to events; 201 with the signing `secret`, shown only here.
#[utoipa::path(
    post,
    path = "/webhooks",
    tag = "webhooks",
    request_body(content = SubscriptionChanges, content_type = "application/json"),
    responses(
        (status = 201, description = "Subscribed; `Location` names it; `secret` is shown this once", body = Subscription, headers(("Location" = String))),
        BadRequest, Unauthorized, PayloadTooLarge, InvalidFields, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn create_webhook(
    _: Editor,
    _: NoQuery,
    body: JsonBody,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let changes = SubscriptionChanges::for_create(&body.0)?;
    let created = state.webhooks.create(changes).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, format!("/webhooks/{}", created.id)))
        .json(created))
}

/// List webhook subscriptions
///
/// Needs a token. Every subscription, without secrets.
#[utoipa::path(
    get,
    path = "/webhooks",
    tag = "webhooks",
    responses(
        (status = 200, description = "Every subscription, oldest first", body = WebhookList),
        BadRequest, Unauthorized, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn list_webhooks(
    _: Editor,
    _: NoQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let data = state.webhooks.list().await?;
    Ok(HttpResponse::Ok().json(WebhookList { data }))
}

/// Get a webhook subscription
///
/// Needs a token. One subscription, without its secret.
#[utoipa::path(
    get,
    path = "/webhooks/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, description = "The subscription", body = Subscription),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn get_webhook(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.webhooks.get(id).await?))
}

/// Update a webhook subscription
///
/// Needs a token. Changes `url`, `events` or `active`.
#[utoipa::path(
    patch,
    path = "/webhooks/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, minimum = 1)),
    request_body(content = SubscriptionChanges, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = Subscription),
        BadRequest, Unauthorized, NotFound, PayloadTooLarge, InvalidFields, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn update_webhook(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    body: JsonBody,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let changes = SubscriptionChanges::for_update(&body.0)?;
    let updated = state.webhooks.update(id, changes).await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// Delete a webhook subscription
///
/// Needs a token. Unsubscribes, dropping its pending deliveries and its log; 204.
#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 204, description = "Deleted"),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn delete_webhook(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.webhooks.delete(id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate a webhook's signing secret
///
/// Needs a token. A new signing secret, shown in this answer only; the old one signs nothing from now on.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/rotate-secret",
    tag = "webhooks",
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, description = "The subscription with its new `secret`", body = Subscription),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn rotate_webhook_secret(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.webhooks.rotate_secret(id).await?))
}

/// List a webhook's deliveries
///
/// Needs a token. The delivery log, newest first, each with every attempt.
#[utoipa::path(
    get,
    path = "/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(
        ("id" = i64, Path, minimum = 1),
        ("page" = Option<u32>, Query, description = "Page number, from 1", minimum = 1),
        ("per_page" = Option<u32>, Query, description = "Items per page, 1 to 100 (default 20)", minimum = 1),
    ),
    responses(
        (status = 200, description = "One page of deliveries", body = Page<Delivery>, headers(("Link" = String, description = "RFC 8288 first/prev/next/last"), ("X-Total-Count" = u64))),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn list_deliveries(
    request: HttpRequest,
    _: Editor,
    query: Query<DeliveryPage>,
    InPath(id): InPath<IdParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let page = state.webhooks.deliveries(id, query.value.0).await?;
    Ok(list_response(&request, &query.params, &page))
}

/// Retry a webhook delivery
///
/// Needs a token. Sends the delivery again now, with the same event id (a delivered one too), retried for a
/// fresh `WEBHOOK_MAX_AGE`; 202.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/deliveries/{delivery_id}/retry",
    tag = "webhooks",
    params(("id" = i64, Path, minimum = 1), ("delivery_id" = i64, Path, minimum = 1)),
    responses(
        (status = 202, description = "Due now; the worker attempts it within `WEBHOOK_POLL_INTERVAL_MS`", body = Delivery),
        BadRequest, Unauthorized, NotFound, Conflict, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn retry_delivery(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    InPath(delivery): InPath<DeliveryIdParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let delivery = state.webhooks.retry(id, delivery).await?;
    Ok(HttpResponse::build(StatusCode::ACCEPTED).json(delivery))
}
