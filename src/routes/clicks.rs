//! What counts as a view (DESIGN §6), and `POST /posts/{id}/clicks`, the beacon for clients that cache
//! post bodies.

use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};

use super::auth::Caller;
use super::query::QueryParams;
use super::AppState;
use crate::domain::ResourceId;
use crate::error::{ApiError, Problem};
use crate::service;

/// The answer of the beacon.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 1, "clicks": 1158}))]
pub struct ClickCount {
    pub id: i64,
    /// Fresh: every click recorded so far, this one included when it counted.
    pub clicks: i64,
}

/// How a view reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewSource {
    /// `GET /posts/{id}` or `GET /posts/slug/{slug}`.
    Read,
    /// `POST /posts/{id}/clicks`.
    Beacon,
}

/// Decides whether a request counts as a click.
pub struct ViewPolicy {
    bots: isbot::Bots,
    clicks_on_get: bool,
}

impl ViewPolicy {
    /// Compiles the bot list once (it is a large regular expression).
    pub fn new(clicks_on_get: bool) -> Self {
        ViewPolicy {
            bots: isbot::Bots::default(),
            clicks_on_get,
        }
    }

    /// A view counts unless it is a HEAD, a read while `CLICKS_ON_GET=false`, an editor's (a valid token),
    /// a known bot or crawler (the isbot crate's list), a request with no User-Agent, or a prefetch.
    pub fn counts(&self, request: &HttpRequest, source: ViewSource) -> bool {
        if request.method() == Method::HEAD
            || (source == ViewSource::Read && !self.clicks_on_get)
            || Caller::of(request) == Caller::Editor
        {
            return false;
        }
        let user_agent = request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .unwrap_or_default();
        if user_agent.is_empty() || self.bots.is_bot(user_agent) {
            return false;
        }
        !is_prefetch(request)
    }
}

fn is_prefetch(request: &HttpRequest) -> bool {
    let says_prefetch = |name: &str| {
        request
            .headers()
            .get_all(name)
            .filter_map(|value| value.to_str().ok())
            .any(|value| value.to_ascii_lowercase().contains("prefetch"))
    };
    says_prefetch("purpose") || says_prefetch("sec-purpose") || says_prefetch("x-moz")
}

/// `POST /posts/{id}/clicks`: records one click on a published post and returns `{"id", "clicks"}` with the
/// fresh count. A request that does not count (a bot, a prefetch) gets the count without adding to it.
#[utoipa::path(
    post,
    path = "/posts/{id}/clicks",
    tag = "clicks",
    params(("id" = i64, Path, description = "Post id", minimum = 1)),
    responses(
        (status = 200, description = "The post's fresh count, including this click when it counts", body = ClickCount),
        (status = 400, description = "A malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post, or not published", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many clicks from this client; see Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds"))),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub async fn record_click(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let post_id = ResourceId::parse("id", &id)?;
    let clicks = if state.views.counts(&request, ViewSource::Beacon) {
        state
            .limits
            .check(&request, super::rate_limit::Action::Beacon)?;
        service::posts::record_click(&state.pool, &state.clicks, post_id).await?
    } else {
        service::posts::get_post(
            &state.pool,
            &state.clicks,
            crate::domain::PostKey::Id(post_id),
            false,
            false,
        )
        .await?
        .summary
        .clicks
    };
    Ok(HttpResponse::Ok().json(ClickCount {
        id: post_id.get(),
        clicks,
    }))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0";
    const SAFARI: &str =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
                          (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

    fn counts(request: TestRequest, source: ViewSource, clicks_on_get: bool) -> bool {
        ViewPolicy::new(clicks_on_get).counts(&request.to_http_request(), source)
    }

    #[test]
    fn browsers_count_on_read_and_beacon() {
        for agent in [FIREFOX, SAFARI, "Mozilla/5.0"] {
            let request = || TestRequest::get().insert_header(("User-Agent", agent));
            assert!(counts(request(), ViewSource::Read, true), "{agent}");
            assert!(counts(request(), ViewSource::Beacon, true), "{agent}");
        }
    }

    #[test]
    fn bots_heads_prefetches_and_missing_agents_do_not_count() {
        let cases = [
            ("no agent", TestRequest::get()),
            (
                "blank agent",
                TestRequest::get().insert_header(("User-Agent", "  ")),
            ),
            (
                "Googlebot",
                TestRequest::get().insert_header((
                    "User-Agent",
                    "Googlebot/2.1 (+http://www.google.com/bot.html)",
                )),
            ),
            (
                "crawler",
                TestRequest::get().insert_header(("User-Agent", "AhrefsBot/7.0")),
            ),
            (
                "curl",
                TestRequest::get().insert_header(("User-Agent", "curl/8.5.0")),
            ),
            (
                "HEAD",
                TestRequest::default()
                    .method(Method::HEAD)
                    .insert_header(("User-Agent", FIREFOX)),
            ),
            (
                "Purpose",
                TestRequest::get()
                    .insert_header(("User-Agent", FIREFOX))
                    .insert_header(("Purpose", "prefetch")),
            ),
            (
                "Sec-Purpose",
                TestRequest::get()
                    .insert_header(("User-Agent", FIREFOX))
                    .insert_header(("Sec-Purpose", "prefetch;prerender")),
            ),
            (
                "X-Moz",
                TestRequest::get()
                    .insert_header(("User-Agent", FIREFOX))
                    .insert_header(("X-Moz", "prefetch")),
            ),
        ];
        for (case, request) in cases {
            assert!(!counts(request, ViewSource::Read, true), "{case}");
        }
    }

    #[test]
    fn clicks_on_get_false_leaves_only_the_beacon() {
        let request = || TestRequest::get().insert_header(("User-Agent", FIREFOX));
        assert!(!counts(request(), ViewSource::Read, false));
        assert!(counts(request(), ViewSource::Beacon, false));
    }
}
