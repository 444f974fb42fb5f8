//! `/categories` and `/tags`: the blog's taxonomy with published post counts. The two have the same shape,
//! so one macro writes each one's five handlers (documented under each one's own path).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::extract::{Editor, FieldsOnly, FromQuery, IdParam, InPath, JsonBody, NoQuery, Query};
use super::list::sparse_list_response;
use super::problems::{
    BadRequest, Conflict, InvalidFields, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
};
use super::query::QueryParams;
use super::AppState;
use crate::domain::fields::{FieldSet, TermField, TERM_FIELDS};
use crate::domain::term_input::TermChanges;
use crate::domain::{Page, PageRequest, ResourceId, Taxonomy, TaxonomyItem};
use crate::error::ApiError;

/// `page`, `per_page` and `fields`, the parameters of a taxonomy list.
pub struct PageParams(PageRequest, FieldSet);

impl FromQuery for PageParams {
    const ALLOWED: &'static [&'static str] = &["page", "per_page", "fields"];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        Ok(PageParams(
            PageRequest::parse(params.get("page"), params.get("per_page"))?,
            FieldSet::parse(params.get("fields"), TERM_FIELDS)?,
        ))
    }
}

async fn list(
    request: &HttpRequest,
    taxonomy: Taxonomy,
    query: &Query<PageParams>,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let items = state.taxonomy.list(taxonomy, query.value.0).await?;
    Ok(sparse_list_response(
        request,
        &query.params,
        &items,
        query.value.1,
    ))
}

async fn get_one(
    taxonomy: Taxonomy,
    id: ResourceId,
    fields: FieldSet,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let item = state.taxonomy.get(taxonomy, id).await?;
    Ok(if fields.is_all() {
        HttpResponse::Ok().json(item)
    } else {
        HttpResponse::Ok().json(fields.project(&item))
    })
}

async fn create(
    taxonomy: Taxonomy,
    body: &JsonBody,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let changes = TermChanges::for_create(&body.0)?;
    let item = state.taxonomy.create(taxonomy, changes).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((
            header::LOCATION,
            format!("/{}/{}", taxonomy.path(), item.id),
        ))
        .json(item))
}

async fn update(
    taxonomy: Taxonomy,
    id: ResourceId,
    body: &JsonBody,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let changes = TermChanges::for_update(&body.0)?;
    let item = state.taxonomy.update(taxonomy, id, changes).await?;
    Ok(HttpResponse::Ok().json(item))
}

async fn delete(
    taxonomy: Taxonomy,
    id: ResourceId,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    state.taxonomy.delete(taxonomy, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The five handlers of one taxonomy, each with its OpenAPI operation.
macro_rules! taxonomy_handlers {
    (
        $taxonomy:expr, $collection:tt, $item:tt,
        $list:ident: ($list_summary:literal, $list_doc:literal),
        $get:ident: ($get_summary:literal, $get_doc:literal),
        $create:ident: ($create_summary:literal, $create_doc:literal),
        $update:ident: ($update_summary:literal, $update_doc:literal),
        $delete:ident: ($delete_summary:literal, $delete_doc:literal) $(,)?
    ) => {
        #[doc = $list_summary]
        #[doc = ""]
        #[doc = $list_doc]
        #[utoipa::path(
            get,
            path = $collection,
            tag = "taxonomy",
            params(
                ("page" = Option<u32>, Query, description = "Page number, from 1", minimum = 1),
                ("per_page" = Option<u32>, Query, description = "Items per page, 1 to 100 (default 20)", minimum = 1),
                ("fields" = Option<Vec<TermField>>, Query, style = Form, explode = false, min_items = 1, description = "Only these fields of each item (comma-separated; `id` is always included)"),
            ),
            responses(
                (status = 200, description = "One page, by name, each with its published post count", body = Page<TaxonomyItem>, headers(("Link" = String, description = "RFC 8288 first/prev/next/last"), ("X-Total-Count" = u64))),
                BadRequest, Unauthorized, Unavailable,
            ),
            security((), ("bearer" = []))
        )]
        pub async fn $list(
            request: HttpRequest,
            query: Query<PageParams>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            list(&request, $taxonomy, &query, &state).await
        }

        #[doc = $get_summary]
        #[doc = ""]
        #[doc = $get_doc]
        #[utoipa::path(
            get,
            path = $item,
            tag = "taxonomy",
            params(("id" = i64, Path, minimum = 1),
                ("fields" = Option<Vec<TermField>>, Query, style = Form, explode = false, min_items = 1, description = "Only these fields (comma-separated; `id` is always included)")),
            responses(
                (status = 200, description = "With its published post count", body = TaxonomyItem),
                BadRequest, Unauthorized, NotFound, Unavailable,
            ),
            security((), ("bearer" = []))
        )]
        pub async fn $get(
            query: Query<FieldsOnly<TermField>>,
            InPath(id): InPath<IdParam>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            get_one($taxonomy, id, query.value.0, &state).await
        }

        #[doc = $create_summary]
        #[doc = ""]
        #[doc = $create_doc]
        #[utoipa::path(
            post,
            path = $collection,
            tag = "taxonomy",
            request_body(content = TermChanges, content_type = "application/json"),
            responses(
                (status = 201, description = "Created; `Location` names it", body = TaxonomyItem, headers(("Location" = String))),
                BadRequest, Unauthorized, Conflict, PayloadTooLarge, InvalidFields, Unavailable,
            ),
            security(("bearer" = []))
        )]
        pub async fn $create(
            _: Editor,
            _: NoQuery,
            body: JsonBody,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            create($taxonomy, &body, &state).await
        }

        #[doc = $update_summary]
        #[doc = ""]
        #[doc = $update_doc]
        #[utoipa::path(
            patch,
            path = $item,
            tag = "taxonomy",
            params(("id" = i64, Path, minimum = 1)),
            request_body(content = TermChanges, content_type = "application/json"),
            responses(
                (status = 200, description = "Changed", body = TaxonomyItem),
                BadRequest, Unauthorized, NotFound, Conflict, PayloadTooLarge, InvalidFields, Unavailable,
            ),
            security(("bearer" = []))
        )]
        pub async fn $update(
            _: Editor,
            _: NoQuery,
            InPath(id): InPath<IdParam>,
            body: JsonBody,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            update($taxonomy, id, &body, &state).await
        }

        #[doc = $delete_summary]
        #[doc = ""]
        #[doc = $delete_doc]
        #[utoipa::path(
            delete,
            path = $item,
            tag = "taxonomy",
            params(("id" = i64, Path, minimum = 1)),
            responses(
                (status = 204, description = "Deleted"),
                BadRequest, Unauthorized, NotFound, Unavailable,
            ),
            security(("bearer" = []))
        )]
        pub async fn $delete(
            _: Editor,
            _: NoQuery,
            InPath(id): InPath<IdParam>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            delete($taxonomy, id, &state).await
        }
    };
}

taxonomy_handlers!(
    Taxonomy::Categories, "/categories", "/categories/{id}",
    list_categories: (
        "List categories",
        "Categories by name, each with `post_count`."
    ),
    get_category: (
        "Get a category",
        "One category with `post_count`."
    ),
    create_category: (
        "Create a category",
        "Needs a token. `{\"name\", \"slug\"?}`; 201 with `Location`; 409 when the slug is taken."
    ),
    update_category: (
        "Update a category",
        "Needs a token. Renames or re-slugs it."
    ),
    delete_category: (
        "Delete a category",
        "Needs a token. Its posts stay, with no category; 204."
    ),
);

taxonomy_handlers!(
    Taxonomy::Tags, "/tags", "/tags/{id}",
    list_tags: (
        "List tags",
        "Tags by name, each with `post_count`."
    ),
    get_tag: (
        "Get a tag",
        "One tag with `post_count`."
    ),
    create_tag: (
        "Create a tag",
        "Needs a token. `{\"name\", \"slug\"?}`; 201 with `Location`; 409 when the slug is taken."
    ),
    update_tag: (
        "Update a tag",
        "Needs a token. Renames or re-slugs it."
    ),
    delete_tag: (
        "Delete a tag",
        "Needs a token. Removes it from its posts; 204."
    ),
);
