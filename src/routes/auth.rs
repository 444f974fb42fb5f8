//! Who is asking. A request without `Authorization` is anonymous; one with a valid `Bearer` token is an
//! editor's; any other `Authorization` is refused with 401 on every route, so a client never mistakes a
//! rejected token for an anonymous read.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};

use super::AppState;
use crate::error::ApiError;
use crate::service;

/// The caller of a request, set by [`authenticate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// Presented a live API token.
    Editor,
}

impl Caller {
    pub fn of(request: &HttpRequest) -> Caller {
        request
            .extensions()
            .get::<Caller>()
            .copied()
            .unwrap_or(Caller::Anonymous)
    }
}

/// Middleware: checks the `Authorization` header when there is one and records the [`Caller`].
pub async fn authenticate(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let caller = match request.headers().get(header::AUTHORIZATION) {
        None => Caller::Anonymous,
        Some(value) => {
            let token = value
                .to_str()
                .ok()
                .and_then(|value| value.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token.trim())
                .filter(|token| !token.is_empty())
                .ok_or(ApiError::Unauthorized(
                    "the Authorization header must be `Bearer <token>`",
                ))?;
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal("no application state".into()))?;
            service::tokens::verify(&state.pool, token).await?;
            Caller::Editor
        }
    };
    request.extensions_mut().insert(caller);
    next.call(request).await
}
