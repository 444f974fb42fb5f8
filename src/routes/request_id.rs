//! The request id, the request's log line and its metrics: a client's sane `X-Request-Id` is kept (else one
//! is made), set on the response and on the request's span, so every log line of the request carries it; one
//! line per request when it ends (5xx at `error`, 4xx at `debug`, the rest at `info`); its latency in the
//! request histogram of `/metrics`, labelled by route template.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

/// The longest client-sent request id kept.
pub const MAX_LEN: usize = 128;

const HEADER: &str = "x-request-id";

/// This request's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// A client's id is kept when it is 1 to [`MAX_LEN`] characters of ASCII letters, digits and `-_.:`, so it
/// can neither forge log lines nor carry anything odd into them.
pub fn sane(id: &str) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn request_id(request: &ServiceRequest) -> RequestId {
    let sent = request
        .headers()
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| sane(id));
    RequestId(sent.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned))
}

/// The root span of every request: method, route template (never the raw path), request id, status, and
/// the client's address only with `LOG_CLIENT_IP=true`.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = request_id(request);
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            route = request.match_pattern().as_deref().unwrap_or("unmatched"),
            request_id = %id.0,
            status = tracing::field::Empty,
            client_ip = tracing::field::Empty,
        );
        // Client addresses are personal data: logged only when LOG_CLIENT_IP=true.
        if let Some(state) = request.app_data::<actix_web::web::Data<super::AppState>>() {
            if state.http.log_client_ip {
                if let Some(client) = state.http.clients.of(request.request()) {
                    span.record("client_ip", tracing::field::display(client));
                }
            }
        }
        request.extensions_mut().insert(id);
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("status", status.as_u16());
        let _entered = span.enter();
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), "request failed");
        } else if status.is_client_error() {
            tracing::debug!(status = status.as_u16(), "request refused");
        } else {
            tracing::info!(status = status.as_u16(), "request served");
        }
    }
}

/// Times the request into `/metrics`, labelled by method, route template and status.
pub async fn measure(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = std::time::Instant::now();
    let metrics = request
        .app_data::<actix_web::web::Data<super::AppState>>()
        .map(|state| state.health.metrics().clone());
    let method = method_label(request.method());
    let route = request
        .match_pattern()
        .unwrap_or_else(|| String::from("unmatched"));
    let response = next.call(request).await;
    if let Some(metrics) = metrics {
        let status = match &response {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        let labels = crate::metrics::RequestLabels {
            method,
            route,
            status: status.as_u16(),
        };
        metrics.observe_request(labels, started.elapsed());
    }
    response
}

/// Puts the request's id on its response.
pub async fn request_id_header(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request.extensions().get::<RequestId>().cloned();
    let mut response = next.call(request).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id.0).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
    Ok(response)
}

/// The method label: the standard ones, else `other` (a client cannot mint series with made-up methods).
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_plain_ids_are_kept_and_long_or_odd_ones_are_not() {
        assert!(sane("7f9c-req.42:a_b"));
        assert!(sane(&"a".repeat(MAX_LEN)));
        assert!(!sane(&"a".repeat(300)));
        assert!(!sane(""));
        assert!(!sane("caf\u{e9}"));
        assert!(!sane("a b"));
        assert!(!sane("line\nbreak"));
    }
}
