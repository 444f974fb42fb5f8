//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and the types'
//! `ToSchema`. Served at `/openapi.json`, printed by `blog-api openapi`, committed as `openapi/openapi.json`
//! (a test fails when the committed copy drifts, and another when its operations differ from the route
//! table, [`super::ROUTES`]). Its paths are the route table's handlers ([`super::api_paths`]). Length limits and patterns of request bodies come from the domain's
//! constants ([`Limits`]), not from literals repeated here.

use utoipa::openapi::path::{PathItemBuilder, PathsBuilder};
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi, ToSchema};

use crate::domain::author::{Author, AuthorChanges};
use crate::domain::comment_input::{Moderation, NewComment};
use crate::domain::fields::{CommentField, PostField, PostSummaryField, TermField};
use crate::domain::input::{BodyField, FieldRule, MULTILINE_TEXT_PATTERN, TEXT_PATTERN};
use crate::domain::media::{Media, MediaChanges, MediaVariant};
use crate::domain::post_input::{NewPost, PostChanges};
use crate::domain::preview::{CreatedPreviewLink, PreviewLink, PreviewLinkRequest};
use crate::domain::revision::{Revision, RevisionPost, RevisionSummary};
use crate::domain::search::highlight::Highlights;
use crate::domain::search::index::{FacetCount, Facets, Suggestion, SuggestionKind};
use crate::domain::stats::{Interval, PostStats, StatsMeta, StatsPoint};
use crate::domain::term_input::TermChanges;
use crate::domain::webhook::SubscriptionChanges;
use crate::domain::webhook::{AttemptRecord, Delivery, DeliveryStatus, EventType, Subscription};
use crate::domain::{comment_input, post_input, term_input, PageRequest, Slug};
use crate::domain::{
    CategoryRef, CommentView, Page, PageMeta, PostDetail, PostSummary, TaxonomyItem,
};
use crate::error::Problem;
use crate::routes;

/// A request body's schema, and the fields its parser reads (with their limits).
trait Body: ToSchema {
    const FIELDS: &'static [BodyField];
}

impl Body for NewPost {
    const FIELDS: &'static [BodyField] = &post_input::FIELDS;
}

impl Body for PostChanges {
    const FIELDS: &'static [BodyField] = &post_input::FIELDS;
}

impl Body for TermChanges {
    const FIELDS: &'static [BodyField] = &term_input::FIELDS;
}

impl Body for NewComment {
    const FIELDS: &'static [BodyField] = &comment_input::FIELDS;
}

impl Body for PreviewLinkRequest {
    const FIELDS: &'static [BodyField] = &crate::domain::preview::FIELDS;
}

impl Body for AuthorChanges {
    const FIELDS: &'static [BodyField] = &crate::domain::author::FIELDS;
}

impl Body for Moderation {
    const FIELDS: &'static [BodyField] = &[];
}

impl Body for SubscriptionChanges {
    const FIELDS: &'static [BodyField] = &[crate::domain::webhook::URL];
}

/// Each request body's schema name with its fields.
fn bodies() -> [(String, &'static [BodyField]); 8] {
    fn entry<B: Body>() -> (String, &'static [BodyField]) {
        (B::name().into_owned(), B::FIELDS)
    }
    [
        entry::<NewPost>(),
        entry::<PostChanges>(),
        entry::<TermChanges>(),
        entry::<NewComment>(),
        entry::<Moderation>(),
        entry::<SubscriptionChanges>(),
        entry::<PreviewLinkRequest>(),
        entry::<AuthorChanges>(),
    ]
}

fn slug_pattern() -> String {
    format!("^[a-z0-9-]{{1,{}}}$", Slug::MAX_LEN)
}

/// The operations of a path (the route table uses these four methods).
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}

/// Writes the body fields' rules ([`Body`]) into the document's body schemas, and the slug pattern and paging limits into its
/// parameters.
struct Limits;

impl Modify for Limits {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                for parameter in operation.parameters.iter_mut().flatten() {
                    let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut() else {
                        continue;
                    };
                    match parameter.name.as_str() {
                        "category" | "tag" | "author" | "slug" => {
                            schema.pattern = Some(slug_pattern());
                        }
                        "page" => schema.maximum = Some(PageRequest::MAX_PAGE.into()),
                        "per_page" => schema.maximum = Some(PageRequest::MAX_PER_PAGE.into()),
                        _ => {}
                    }
                }
            }
        }
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (schema_name, fields) in bodies() {
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&schema_name)
            else {
                continue;
            };
            // Every body parser refuses a field it does not know.
            object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            for field in fields {
                let rule = &field.rule;
                match (rule, object.properties.get_mut(field.name)) {
                    (
                        FieldRule::Text { min, max } | FieldRule::Multiline { min, max },
                        Some(RefOr::T(Schema::Object(property))),
                    ) => {
                        property.min_length = Some(*min);
                        property.max_length = Some(*max);
                        property.pattern =
                            Some(String::from(if matches!(rule, FieldRule::Text { .. }) {
                                TEXT_PATTERN
                            } else {
                                MULTILINE_TEXT_PATTERN
                            }));
                    }
                    (FieldRule::Slug, Some(RefOr::T(Schema::Object(property)))) => {
                        property.pattern = Some(slug_pattern());
                    }
                    (FieldRule::Slugs { max }, Some(RefOr::T(Schema::Array(property)))) => {
                        property.max_items = Some(*max);
                        if let ArrayItems::RefOrSchema(item) = &mut property.items {
                            if let RefOr::T(Schema::Object(item)) = item.as_mut() {
                                item.pattern = Some(slug_pattern());
                            }
                        }
                    }
                    (FieldRule::Url { max }, Some(RefOr::T(Schema::Object(property)))) => {
                        property.max_length = Some(*max);
                    }
                    (FieldRule::Id, Some(RefOr::T(Schema::Object(property)))) => {
                        property.minimum = Some(utoipa::Number::Int(1));
                    }
                    _ => {}
                }
            }
        }
    }
}

/// What every operation carries beyond its own attribute: `X-Request-Id` (sent back, or made), and for JSON
/// reads the conditional-request contract of [`super::conditional`]: `If-None-Match`, 304, `ETag` and
/// `Cache-Control`.
struct HttpHeaders;

impl Modify for HttpHeaders {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{
            header::HeaderBuilder, ObjectBuilder, Required, ResponseBuilder, Type,
        };
        let text = |pattern: Option<String>| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(pattern)
                .build()
        };
        let header = |description: &str| {
            HeaderBuilder::new()
                .schema(text(None))
                .description(Some(description))
                .build()
        };
        let request_id = ParameterBuilder::new()
            .name("X-Request-Id")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Your id for this request, kept on the response and the log line when it is 1-128 \
                 characters of letters, digits and `-_.:` (else a new one is made).",
            ))
            .schema(Some(text(Some(String::from("^[A-Za-z0-9._:-]{1,128}$")))))
            .build();
        let if_none_match = ParameterBuilder::new()
            .name("If-None-Match")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "An `ETag` from an earlier answer: 304 with no body while the representation (counts \
                 included) is unchanged.",
            ))
            .schema(Some(text(None)))
            .build();
        let not_modified = ResponseBuilder::new()
            .description("Not Modified: the representation is the one your `If-None-Match` named")
            .header("ETag", header("The representation's validator"))
            .header("Cache-Control", header("As on the 200"))
            .build();
        for item in openapi.paths.paths.values_mut() {
            let is_read =
                |operation: &utoipa::openapi::path::Operation| {
                    operation.responses.responses.get("200").is_some_and(
                        |response| match response {
                            RefOr::T(response) => response.content.contains_key("application/json"),
                            RefOr::Ref(_) => false,
                        },
                    )
                };
            if let Some(get) = item.get.as_mut().filter(|get| is_read(get)) {
                get.parameters
                    .get_or_insert_with(Vec::new)
                    .push(if_none_match.clone());
                if let Some(RefOr::T(ok)) = get.responses.responses.get_mut("200") {
                    // A post documents its own (the content version `If-Match` takes, with a token too).
                    ok.headers.entry(String::from("ETag")).or_insert_with(|| {
                        header("Validator of this representation (absent when a token was sent)")
                    });
                    ok.headers.insert(
                        String::from("Cache-Control"),
                        header(
                            "`public, max-age=CACHE_MAX_AGE` (default 0: revalidate each time), or \
                             `private, no-store` when a token was sent",
                        ),
                    );
                }
                get.responses
                    .responses
                    .insert(String::from("304"), RefOr::T(not_modified.clone()));
            }
            for operation in operations(item) {
                operation
                    .parameters
                    .get_or_insert_with(Vec::new)
                    .push(request_id.clone());
                for response in operation.responses.responses.values_mut() {
                    if let RefOr::T(response) = response {
                        response.headers.insert(
                            String::from("X-Request-Id"),
                            header("The request's id: yours when it was sane, else a new one"),
                        );
                    }
                }
            }
        }
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `blog-api token create NAME`."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "blog-api",
        description = "JSON REST API of a headless blog, with an exact post click counter. \
                       Errors are RFC 9457 `application/problem+json`.",
        license(name = "MIT")
    ),
    components(schemas(
        PostSummary, PostDetail, CategoryRef, TaxonomyItem, CommentView, PageMeta, Problem,
        Page<PostSummary>, Page<CommentView>, Page<TaxonomyItem>,
        NewPost, PostChanges, TermChanges, NewComment, Moderation, routes::clicks::ClickCount,
        routes::related::RelatedPosts, routes::search::Suggestions, Suggestion, SuggestionKind,
        routes::live::LiveCount, routes::live::StreamReset,
        crate::domain::sync::SyncPage, crate::domain::sync::SyncData, crate::domain::sync::SyncDeleted,
        crate::domain::sync::SyncMeta,
        Highlights, Facets, FacetCount, PostSummaryField, PostField, CommentField, TermField,
        PostStats, StatsPoint, StatsMeta, Interval,
        routes::health::Health, routes::health::Readiness, routes::health::CacheState,
        SubscriptionChanges, routes::webhooks::WebhookList, Subscription, EventType,
        Delivery, DeliveryStatus, AttemptRecord, Page<Delivery>,
        PreviewLinkRequest, PreviewLink, CreatedPreviewLink, routes::previews::PreviewLinkList,
        RevisionSummary, Revision, RevisionPost, Page<RevisionSummary>,
        Author, AuthorChanges, Page<Author>,
        Media, MediaVariant, MediaChanges, Page<Media>, routes::media::MediaUpload,
    )),
    tags(
        (name = "posts", description = "Posts: lists, single posts, and editors' writes"),
        (name = "clicks", description = "The click beacon"),
        (name = "sync", description = "Delta sync for offline apps"),
        (name = "comments", description = "Readers' comments and their moderation"),
        (name = "taxonomy", description = "Categories and tags"),
        (name = "feeds", description = "RSS and Atom feeds, and the sitemap"),
        (name = "webhooks", description = "Signed, retried notifications of content changes, for editors"),
        (name = "authors", description = "Who writes the posts: name, bio, website, avatar"),
        (name = "revisions", description = "Every version of a post, for editors: read one, restore one"),
        (name = "previews", description = "Secret links that show a post, draft or not, to a reviewer without a token"),
        (name = "media", description = "Images: uploads, their responsive variants and placeholders, and their files"),
        (name = "operations", description = "Health, readiness and this document"),
    )
)]
pub struct ApiDoc;

/// Adds `P`'s operation (a handler's `#[utoipa::path]`) to `paths`, under its path and method, with its tag.
pub fn add_operation<P>(paths: PathsBuilder) -> PathsBuilder
where
    P: utoipa::Path + utoipa::__dev::Tags<'static>,
{
    let mut operation = P::operation();
    let tags = P::tags();
    if !tags.is_empty() {
        operation.tags = Some(tags.into_iter().map(String::from).collect());
    }
    let item = P::methods()
        .into_iter()
        .fold(PathItemBuilder::new(), |item, method| {
            item.operation(method, operation.clone())
        })
        .build();
    paths.path(P::path(), item)
}

/// The document: the components and tags above, the paths of the route table ([`super::api_paths`]), then
/// what the modifiers add to every operation.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.paths = super::api_paths();
    for modifier in [&BearerAuth as &dyn Modify, &Limits, &HttpHeaders] {
        modifier.modify(&mut document);
    }
    document
}

/// The document as pretty JSON, ending with a newline (the committed file's exact form).
///
/// # Panics
///
/// Never: the document is plain data (see the `expect` below).
#[expect(
    clippy::expect_used,
    reason = "the document is plain strings, maps and numbers: serializing it cannot fail, and a \
              fallback would serve a wrong document silently"
)]
pub fn document_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    json.push('\n');
    json
}

/// Get this OpenAPI document
///
/// This API's OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn openapi_json() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(document_json())
}
