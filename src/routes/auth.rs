//! Who is asking. A request without `Authorization` is anonymous; one with a valid `Bearer` token is an
//! editor's; any other `Authorization` is refused with 401 on every route, so a client never mistakes a
//! rejected token for an anonymous read.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use super::AppState;
use crate::domain::Viewer;
use crate::error::ApiError;

/// The name of the token a request was made with (an editor's), for the revisions it makes.
#[derive(Debug, Clone)]
pub struct TokenName(pub String);

/// Middleware: checks the `Authorization` header when there is one and records the [`Viewer`] that the
/// extractors of [`super::extract`] hand to handlers.
pub async fn authenticate(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let viewer = match request.headers().get(header::AUTHORIZATION) {
        None => Viewer::Anonymous,
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
            let name = state.tokens.verify(token).await?;
            request.extensions_mut().insert(TokenName(name));
            Viewer::Editor
        }
    };
    request.extensions_mut().insert(viewer);
    next.call(request).await
}
