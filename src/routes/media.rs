//! `/media` (README "Media"): editors upload, list, describe and delete images; anyone reads their files at
//! `/media/files/...` (immutable, by range).

use actix_web::http::header::{self, ContentEncoding, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::extract::{
    Editor, FromQuery, IdParam, InPath, JsonBody, MediaFileParam, MediaNameParam, NoQuery, Query,
};
use super::list::list_response;
use super::posts::{cursor_param, CURSOR_DOC};
use super::problems::{
    BadRequest, Conflict, InvalidFields, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
};
use super::query::QueryParams;
use super::AppState;
use crate::domain::etag::if_none_match_allows;
use crate::domain::media::{is_media_file, is_media_name, ByteRange, Media, MediaChanges};
use crate::domain::{Page, PageRequest};
use crate::error::ApiError;

/// Room for a multipart body's boundaries, part headers and `alt` beside a file of `MEDIA_MAX_BYTES`.
const MULTIPART_OVERHEAD: usize = 16 * 1024;
/// The most bytes an `alt` part may take (1,000 characters of up to 4 bytes each).
const ALT_PART_MAX: usize = 4 * crate::domain::media::ALT_MAX;
/// Bytes of a file enough to read its type and size from the header.
const HEADER_BYTES: usize = 64 * 1024;

/// `page` or `cursor`, and `per_page`, of the media list.
pub struct MediaListParams {
    page: PageRequest,
    cursor: Option<String>,
}

impl FromQuery for MediaListParams {
    const ALLOWED: &'static [&'static str] = &["page", "per_page", "cursor"];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        Ok(MediaListParams {
            page: PageRequest::parse(params.get("page"), params.get("per_page"))?,
            cursor: cursor_param(params)?,
        })
    }
}

/// The form of `POST /media`, for the document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct MediaUpload {
    /// The image: JPEG, PNG, WebP or GIF (the type is read from the bytes), at most `MEDIA_MAX_BYTES` and
    /// `MEDIA_MAX_PIXELS`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Text for readers who cannot see the image, one line of up to 1,000 characters.
    #[schema(nullable = false)]
    alt: Option<String>,
}

fn too_large(max: usize) -> ApiError {
    ApiError::TooLarge(format!(
        "the file is larger than MEDIA_MAX_BYTES ({max} bytes)"
    ))
}

fn bad_form(why: impl std::fmt::Display) -> ApiError {
    ApiError::BadBody(format!("the form could not be read: {why}"))
}

/// Upload an image
///
/// Needs a token. `multipart/form-data` with a `file` part and an optional `alt` part, as a browser's
/// `FormData` sends them. The type is read from the bytes: JPEG, PNG, WebP and GIF are taken, anything else
/// is a 415. Over `MEDIA_MAX_BYTES` is a 413 before the body is read in full; over `MEDIA_MAX_PIXELS` a 422
/// decided from the header. The answer holds the original and a variant for each width of `MEDIA_WIDTHS`
/// narrower than it (a WebP and one in the original's format), and a blurhash placeholder.
#[utoipa::path(
    post,
    path = "/media",
    tag = "media",
    request_body(content = MediaUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored; `Location` names it", body = Media, headers(("Location" = String))),
        BadRequest, Unauthorized,
        (status = 413, description = "The file is larger than MEDIA_MAX_BYTES", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data, or a file that is not a JPEG, PNG, WebP or GIF image", body = crate::error::Problem, content_type = "application/problem+json"),
        InvalidFields,
        (status = 503, description = "The database or the media store is unavailable, or too many uploads are being processed (`Retry-After`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn upload_media(
    _: Editor,
    _: NoQuery,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let library = &state.media;
    let max = library.max_bytes();
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !is_form {
        return Err(ApiError::UnsupportedMediaType(String::from(
            "send the image as multipart/form-data, with a `file` part",
        )));
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > max.saturating_add(MULTIPART_OVERHEAD)) {
        return Err(too_large(max));
    }
    let (file, alt) = read_form(&request, payload, library).await?;
    let media = library.upload(file, alt).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, format!("/media/{}", media.id)))
        .json(media))
}

/// The `file` and `alt` parts of an upload's form: 413 as soon as the file passes `MEDIA_MAX_BYTES`, 415
/// or 422 as soon as its header shows it is no image taken, 422 for a missing file or a bad or unknown part.
async fn read_form(
    request: &HttpRequest,
    payload: web::Payload,
    library: &crate::service::media::MediaLibrary,
) -> Result<(web::Bytes, String), ApiError> {
    let max = library.max_bytes();
    let mut form = actix_multipart::Multipart::new(request.headers(), payload.into_inner());
    let mut file: Option<web::BytesMut> = None;
    let mut alt: Option<String> = None;
    let mut unknown = Vec::new();
    while let Some(part) = form.next().await {
        let mut part = part.map_err(bad_form)?;
        let name = part.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" if file.is_none() => {
                let mut bytes = web::BytesMut::new();
                let mut checked = false;
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(bad_form)?;
                    if bytes.len() + chunk.len() > max {
                        return Err(too_large(max));
                    }
                    bytes.extend_from_slice(&chunk);
                    if !checked && bytes.len() >= HEADER_BYTES {
                        library.check_start(&bytes)?;
                        checked = true;
                    }
                }
                file = Some(bytes);
            }
            "alt" if alt.is_none() => {
                let mut bytes = Vec::new();
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(bad_form)?;
                    if bytes.len() + chunk.len() > ALT_PART_MAX {
                        return Err(ApiError::Validation(
                            [(
                                String::from("alt"),
                                vec![String::from("must be 0 to 1000 characters long")],
                            )]
                            .into(),
                        ));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                alt = Some(String::from_utf8(bytes).map_err(|_| {
                    ApiError::Validation(
                        [(
                            String::from("alt"),
                            vec![String::from("must be UTF-8 text")],
                        )]
                        .into(),
                    )
                })?);
            }
            _ => {
                // Drained, so the parts after it are read.
                while let Some(chunk) = part.next().await {
                    chunk.map_err(bad_form)?;
                }
                unknown.push(name);
            }
        }
    }
    let mut errors = std::collections::BTreeMap::new();
    for name in unknown {
        errors.insert(
            if name.is_empty() {
                String::from("(unnamed)")
            } else {
                name
            },
            vec![String::from(
                "unknown or repeated part; send one `file` and at most one `alt`",
            )],
        );
    }
    let alt = match alt.map(|alt| MediaChanges::from_part(&alt)).transpose() {
        Ok(alt) => alt.map(|changes| changes.alt).unwrap_or_default(),
        Err(error) => {
            if let ApiError::Validation(more) = ApiError::from(error) {
                errors.extend(more);
            }
            String::new()
        }
    };
    let Some(file) = file.filter(|file| !file.is_empty()) else {
        errors.insert(
            String::from("file"),
            vec![String::from("is required: the image")],
        );
        return Err(ApiError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok((file.freeze(), alt))
}

/// List media
///
/// Needs a token. Newest first, by cursor or page.
#[utoipa::path(
    get,
    path = "/media",
    tag = "media",
    params(
        ("page" = Option<u32>, Query, description = "Page number, from 1", minimum = 1),
        ("per_page" = Option<u32>, Query, description = "Media per page, 1 to 100 (default 20)", minimum = 1),
        ("cursor" = Option<String>, Query, description = CURSOR_DOC, max_length = 4096, pattern = "^[A-Za-z0-9_-]+$"),
    ),
    responses(
        (status = 200, description = "One page of media, newest first", body = Page<Media>),
        BadRequest, Unauthorized, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn list_media(
    request: HttpRequest,
    _: Editor,
    query: Query<MediaListParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .media
        .list(query.value.page, query.value.cursor.as_deref())
        .await?;
    Ok(list_response(&request, &query.params, &page))
}

/// Get a media
///
/// Needs a token.
#[utoipa::path(
    get,
    path = "/media/{id}",
    tag = "media",
    params(("id" = i64, Path, description = "Media id", minimum = 1)),
    responses(
        (status = 200, description = "The media", body = Media),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn get_media(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.media.get(id).await?))
}

/// Describe a media
///
/// Needs a token. Sets `alt`.
#[utoipa::path(
    patch,
    path = "/media/{id}",
    tag = "media",
    params(("id" = i64, Path, description = "Media id", minimum = 1)),
    request_body(content = MediaChanges, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = Media),
        BadRequest, Unauthorized, NotFound, PayloadTooLarge, InvalidFields, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn update_media(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    body: JsonBody,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let changes = MediaChanges::read(&body.0)?;
    Ok(HttpResponse::Ok().json(state.media.set_alt(id, changes.alt).await?))
}

/// Delete a media
///
/// Needs a token. 204, and every file of it goes; 409 while a post uses it as its feature image.
#[utoipa::path(
    delete,
    path = "/media/{id}",
    tag = "media",
    params(("id" = i64, Path, description = "Media id", minimum = 1)),
    responses(
        (status = 204, description = "Deleted, with its files"),
        BadRequest, Unauthorized, NotFound, Conflict, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn delete_media(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.media.delete(id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read a media file
///
/// Public. A media's original or variant, as its `url` names it. Files never change under their names:
/// `Cache-Control: public, max-age=31536000, immutable`, a strong `ETag`, and one byte range by `Range`
/// (206; 416 for a range past the end).
#[utoipa::path(
    get,
    path = "/media/files/{name}/{file}",
    tag = "media",
    params(
        ("name" = String, Path, description = "The media's folder: 32 hex digits"),
        ("file" = String, Path, description = "`original.jpg`, `640.webp` and the like"),
        ("Range" = Option<String>, Header, description = "One range of bytes, like `bytes=0-1023`"),
    ),
    responses(
        (status = 200, description = "The file", content_type = "image/*", body = Vec<u8>),
        (status = 206, description = "The range asked for; `Content-Range` says which", content_type = "image/*", body = Vec<u8>),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        NotFound,
        (status = 416, description = "The range names no byte of the file", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The media store is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn media_file(
    request: HttpRequest,
    InPath(name): InPath<MediaNameParam>,
    InPath(file): InPath<MediaFileParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // The name is new for every upload and a file never changes under it.
    let tag = format!("\"{name}-{}\"", file.replace('.', "-"));
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let sent_tag = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok());
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .and_then(ByteRange::parse);
    // A file never changes under its name: a client holding this tag has these bytes, and the store need
    // not be asked (a name no upload could have made is still a 404).
    let servable = is_media_name(&name) && is_media_file(&file);
    if servable && sent_tag.is_some_and(|sent| if_none_match_allows(sent, &tag)) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish());
    }
    let found = state.media.file(&name, &file, range).await?;
    let mut answer = match &found.range {
        Some(range) => {
            let mut partial = HttpResponse::PartialContent();
            partial.insert_header((
                header::CONTENT_RANGE,
                format!(
                    "bytes {}-{}/{}",
                    range.start,
                    range.end.saturating_sub(1),
                    found.size
                ),
            ));
            partial
        }
        None => HttpResponse::Ok(),
    };
    let length = found
        .range
        .as_ref()
        .map_or(found.size, |range| range.end - range.start);
    answer
        .insert_header((header::CONTENT_TYPE, found.content_type))
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header(ContentEncoding::Identity)
        .no_chunking(length);
    Ok(answer.streaming(found.body))
}
