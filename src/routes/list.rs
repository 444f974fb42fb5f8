//! The list response: the `{data, meta}` envelope plus RFC 8288 `Link` and `X-Total-Count` headers.

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::query::QueryParams;
use crate::domain::fields::FieldSet;
use crate::domain::Page;

/// 200 with the page as its body and headers that let a client walk the list without reading `meta`.
pub fn list_response<T: Serialize>(
    request: &HttpRequest,
    params: &QueryParams,
    page: &Page<T>,
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Total-Count", page.meta.total.to_string()));
    let link = link_header(request.path(), params, page);
    if !link.is_empty() {
        response.insert_header(("Link", link));
    }
    response.json(page)
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

fn link_header<T>(path: &str, params: &QueryParams, page: &Page<T>) -> String {
    let Some(current) = page.meta.page else {
        return cursor_links(path, params, page.meta.next_cursor.as_deref());
    };
    let current = u64::from(current);
    let last = page.meta.total_pages.max(1);
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
    use crate::domain::PageRequest;

    fn links(query: &str, total: u64) -> String {
        let params = QueryParams::parse(query, &["page", "per_page", "tag"]).expect("valid");
        let request =
            PageRequest::parse(params.get("page"), params.get("per_page")).expect("valid");
        link_header("/posts", &params, &Page::<()>::new(vec![], request, total))
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
