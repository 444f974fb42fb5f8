//! The list response: the `{data, meta}` envelope plus RFC 8288 `Link` and `X-Total-Count` headers.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use bytes::BytesMut;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::conditional::with_validator;
use super::query::QueryParams;
use crate::domain::fields::FieldSet;
use crate::domain::rendered::SplicedJson;
use crate::domain::{Page, PageMeta};

/// 200 with the page as its body and headers that let a client walk the list without reading `meta`.
pub fn list_response<T: Serialize>(
    request: &HttpRequest,
    params: &QueryParams,
    page: &Page<T>,
) -> HttpResponse {
    list_headers(request, params, &page.meta).json(page)
}

/// A 200 with the list headers of a page with `meta`.
fn list_headers(
    request: &HttpRequest,
    params: &QueryParams,
    meta: &PageMeta,
) -> HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Total-Count", meta.total.to_string()));
    let link = link_header(request.path(), params, meta);
    if !link.is_empty() {
        response.insert_header(("Link", link));
    }
    response
}

/// [`list_response`] of items kept as JSON around their counts, with `counts` (in their order) spliced in:
/// the `{data, meta}` envelope written around bytes made once, and a validator made from the items' digests,
/// not from the body read again. `None` if `meta` cannot be written (then serialize the page instead).
pub fn spliced_list_response(
    request: &HttpRequest,
    params: &QueryParams,
    meta: &PageMeta,
    items: &[SplicedJson],
    counts: &[i64],
) -> Option<HttpResponse> {
    let meta_json = serde_json::to_vec(meta).ok()?;
    let length = items
        .iter()
        .map(SplicedJson::len_without_count)
        .sum::<usize>()
        + 21 * items.len()
        + meta_json.len()
        + 20;
    let mut body = BytesMut::with_capacity(length);
    let mut digest = Sha256::new();
    body.extend_from_slice(b"{\"data\":[");
    for (index, (item, count)) in items.iter().zip(counts).enumerate() {
        if index > 0 {
            body.extend_from_slice(b",");
        }
        item.write_with(*count, &mut body);
        digest.update(item.digest());
        digest.update(count.to_be_bytes());
    }
    body.extend_from_slice(b"],\"meta\":");
    body.extend_from_slice(&meta_json);
    body.extend_from_slice(b"}");
    digest.update(&meta_json);
    let response = list_headers(request, params, meta)
        .insert_header(ContentType::json())
        .body(body.freeze());
    Some(with_validator(response, None, &digest.finalize()))
}

/// [`list_response`] showing only `fields` of each item.
pub fn sparse_list_response<T: Serialize>(
    request: &HttpRequest,
    params: &QueryParams,
    page: &Page<T>,
    fields: FieldSet,
) -> HttpResponse {
    if fields.is_all() {
        list_response(request, params, page)
    } else {
        let shown = Page {
            data: page.data.iter().map(|item| fields.project(item)).collect(),
            meta: page.meta.clone(),
        };
        list_response(request, params, &shown)
    }
}

fn link_header(path: &str, params: &QueryParams, meta: &PageMeta) -> String {
    let Some(current) = meta.page else {
        return cursor_links(path, params, meta.next_cursor.as_deref());
    };
    let current = u64::from(current);
    let last = meta.total_pages.max(1);
    let mut links = vec![(1, "first")];
    if current > 1 {
        links.push(((current - 1).min(last), "prev"));
    }
    if current < last {
        links.push((current + 1, "next"));
    }
    links.push((last, "last"));
    links
        .iter()
        .map(|(number, rel)| {
            format!(
                "<{path}?{}>; rel=\"{rel}\"",
                params.with("page", &number.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The links of a page reached by cursor: the first page, and the next one when there is one.
fn cursor_links(path: &str, params: &QueryParams, next: Option<&str>) -> String {
    let first = params.without("cursor");
    let mut links = vec![if first.is_empty() {
        format!("<{path}>; rel=\"first\"")
    } else {
        format!("<{path}?{first}>; rel=\"first\"")
    }];
    if let Some(next) = next {
        links.push(format!(
            "<{path}?{}>; rel=\"next\"",
            params.with("cursor", next)
        ));
    }
    links.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rendered::summaries_json;
    use crate::domain::{PageRequest, PostDetail};

    #[actix_web::test]
    async fn a_spliced_page_is_the_page_serde_writes() {
        let mut posts: Vec<_> = (1..=3).map(|id| PostDetail::sample(id).summary).collect();
        let items = summaries_json(&posts).expect("one count each");
        let counts = [5, 0, 123_456_789];
        for (post, count) in posts.iter_mut().zip(counts) {
            post.clicks = count;
        }
        let page = Page::new(posts, PageRequest::default(), 3).with_next_cursor(Some("c".into()));
        let params = QueryParams::parse("", &["page"]).expect("valid");
        let request = actix_web::test::TestRequest::get()
            .uri("/posts")
            .to_http_request();
        let spliced = spliced_list_response(&request, &params, &page.meta, &items, &counts)
            .expect("a response");
        assert_eq!(
            spliced
                .headers()
                .get("x-total-count")
                .map(actix_web::http::header::HeaderValue::as_bytes),
            Some(&b"3"[..])
        );
        let body = actix_web::body::to_bytes(spliced.into_body())
            .await
            .expect("a body");
        assert_eq!(body, serde_json::to_vec(&page).expect("JSON"));
    }

    fn links(query: &str, total: u64) -> String {
        let params = QueryParams::parse(query, &["page", "per_page", "tag"]).expect("valid");
        let request =
            PageRequest::parse(params.get("page"), params.get("per_page")).expect("valid");
        link_header(
            "/posts",
            &params,
            &Page::<()>::new(vec![], request, total).meta,
        )
    }

    #[test]
    fn a_middle_page_links_all_four_ways_keeping_other_parameters() {
        assert_eq!(
            links("tag=x&page=2&per_page=10", 35),
            "</posts?tag=x&page=1&per_page=10>; rel=\"first\", \
             </posts?tag=x&page=1&per_page=10>; rel=\"prev\", \
             </posts?tag=x&page=3&per_page=10>; rel=\"next\", \
             </posts?tag=x&page=4&per_page=10>; rel=\"last\""
        );
    }

    #[test]
    fn the_first_page_has_no_prev_and_the_last_no_next() {
        let first = links("", 45);
        assert!(
            !first.contains("prev") && first.contains("rel=\"next\""),
            "{first}"
        );
        let last = links("page=3", 45);
        assert!(
            !last.contains("next") && last.contains("rel=\"prev\""),
            "{last}"
        );
    }

    #[test]
    fn a_page_past_the_end_points_back_to_the_last_one() {
        let beyond = links("page=9", 45);
        assert!(beyond.contains("</posts?page=3>; rel=\"prev\""), "{beyond}");
        assert!(!beyond.contains("next"), "{beyond}");
    }
}
