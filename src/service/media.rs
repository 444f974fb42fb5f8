//! The media library (README "Media"): uploads made into their files off the event loop (on low-priority
//! workers of their own, a few at a time, so a burst of uploads cannot starve reads), stored in full before
//! their row is written, listed, described and deleted with their files; and the files themselves, read by
//! range.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use crate::config::MediaSettings;
use crate::db::{self, run_blocking, run_query, DbPool};
use crate::domain::clock::Clocks;
use crate::domain::cursor::{After, CursorKey};
use crate::domain::media::{
    self as media_domain, ByteRange, Media, MediaUrls, StoredMedia, StoredVariant,
};
use crate::domain::{InvalidValue, Page, PageRequest, ResourceId};
use crate::error::ApiError;
use crate::media::{process, MediaStore, Processed, Refused, Rules, StoreError, Workers};

/// Uploads waiting for a turn beyond those being made, per worker, before more are refused (503).
const QUEUE_PER_WORKER: usize = 4;
/// Files of one upload written to the store at once.
const PUTS_AT_ONCE: usize = 4;

pub struct MediaLibrary {
    pool: DbPool,
    store: MediaStore,
    urls: MediaUrls,
    rules: Arc<Rules>,
    max_bytes: usize,
    clocks: Clocks,
    cursors: CursorKey,
    /// `MEDIA_WORKERS` threads scheduled as `MEDIA_WORKER_NICE` says: images are made this many at a time.
    workers: Workers,
    /// Uploads being made or waiting for a worker.
    in_line: Arc<AtomicUsize>,
}

/// A media file, or the part of it asked for.
pub struct MediaFile {
    pub content_type: &'static str,
    pub size: u64,
    /// `Some` when a range was asked for: the bytes sent.
    pub range: Option<Range<u64>>,
    pub body: BoxStream<'static, Result<Bytes, ApiError>>,
}

/// Leaves the line when dropped, however the upload ends.
struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn store_failed(error: StoreError) -> ApiError {
    ApiError::StoreUnavailable(Box::new(error))
}

fn refused(error: Refused) -> ApiError {
    match error {
        Refused::Unsupported => ApiError::UnsupportedMediaType(error.to_string()),
        Refused::TooManyPixels { .. } | Refused::Undecodable(_) => {
            ApiError::Validation([(String::from("file"), vec![error.to_string()])].into())
        }
        Refused::Encoding(_) => ApiError::Internal(Box::new(error)),
    }
}

impl MediaLibrary {
    pub fn new(
        pool: DbPool,
        store: MediaStore,
        settings: &MediaSettings,
        clocks: Clocks,
        cursors: CursorKey,
    ) -> std::io::Result<Self> {
        Ok(MediaLibrary {
            pool,
            store,
            urls: MediaUrls::new(settings.public_url.as_deref()),
            rules: Arc::new(settings.rules.clone()),
            max_bytes: settings.max_bytes,
            clocks,
            cursors,
            workers: Workers::start(settings.workers, settings.worker_priority)?,
            in_line: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// `MEDIA_MAX_BYTES`: the largest file an upload may carry.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    pub fn urls(&self) -> &MediaUrls {
        &self.urls
    }

    /// Checks an upload's first bytes as soon as they arrive: its type (415) and declared size (422), so a
    /// decompression bomb is refused before it is even read in full.
    pub fn check_start(&self, first_bytes: &[u8]) -> Result<(), ApiError> {
        process::inspect(first_bytes, &self.rules)
            .map(|_| ())
            .or_else(|error| match error {
                // Too few bytes yet to read the header: decided on the whole file.
                Refused::Undecodable(_) => Ok(()),
                other => Err(refused(other)),
            })
    }

    /// Makes an upload into its files, stores them all, then writes its row; a failure on the way leaves no
    /// row and removes what was stored.
    pub async fn upload(&self, file: Bytes, alt: String) -> Result<Media, ApiError> {
        let new = self.store_upload(file, alt).await?;
        let row = new.clone();
        match run_query(&self.pool, move |conn| db::media::insert(conn, &row)).await {
            Ok(media) => Ok(self.urls.media(&media)),
            Err(error) => {
                self.discard(&new).await;
                Err(error.into())
            }
        }
    }

    /// Makes an upload into its files and stores them all; returns its row, not yet written (`id` 0).
    pub async fn store_upload(&self, file: Bytes, alt: String) -> Result<StoredMedia, ApiError> {
        process::inspect(&file, &self.rules).map_err(refused)?;
        let place = Place(self.in_line.clone());
        let room = self.workers.count() * (QUEUE_PER_WORKER + 1);
        if self.in_line.fetch_add(1, Ordering::SeqCst) >= room {
            drop(place);
            return Err(ApiError::Busy("too many uploads are being processed", 2));
        }
        let rules = self.rules.clone();
        let processed = self
            .workers
            .run(move || process::process(file, &rules))
            .await
            .map_err(|error| ApiError::Internal(Box::new(error)))?
            .map_err(refused)?;
        drop(place);
        let name = uuid::Uuid::new_v4().simple().to_string();
        self.put_all(&name, &processed).await?;
        Ok(stored(name, &processed, alt, self.clocks.requests.now()))
    }

    /// Removes the files of a media whose row was never written (or is gone).
    pub async fn discard(&self, media: &StoredMedia) {
        let variants: Vec<String> = media.variants.iter().map(|v| v.file.clone()).collect();
        self.remove_files(&media.name, &media.original, &variants)
            .await;
    }

    async fn put_all(&self, name: &str, processed: &Processed) -> Result<(), ApiError> {
        // The smallest first: a store failing part-way has taken the least.
        let renditions = processed
            .variants
            .iter()
            .chain(std::iter::once(&processed.original));
        let puts = renditions.map(|rendition| {
            let file = rendition.file();
            let bytes = rendition.bytes.clone();
            async move { self.store.put(name, &file, bytes).await }
        });
        let results: Vec<Result<(), StoreError>> = futures_util::stream::iter(puts)
            .buffered(PUTS_AT_ONCE)
            .collect()
            .await;
        if let Some(error) = results.into_iter().find_map(Result::err) {
            self.remove_files(name, &processed.original.file(), &files_of(processed))
                .await;
            return Err(store_failed(error));
        }
        Ok(())
    }

    /// Removes a media's files. Those the store refuses now (it may be what failed) are removed in the
    /// background, retried with growing waits for about ten minutes; no row names them meanwhile, and their
    /// names were never shown.
    async fn remove_files(&self, name: &str, original: &str, variants: &[String]) {
        let files = std::iter::once(original.to_owned()).chain(variants.iter().cloned());
        let mut left = Vec::new();
        for file in files {
            if self.store.delete(name, &file).await.is_err() {
                left.push(file);
            }
        }
        if left.is_empty() {
            self.store.tidy(name);
            return;
        }
        let (store, name) = (self.store.clone(), name.to_owned());
        tokio::spawn(async move {
            let mut wait = std::time::Duration::from_millis(500);
            for _ in 0..11 {
                tokio::time::sleep(wait).await;
                let mut still = Vec::new();
                for file in left {
                    if store.delete(&name, &file).await.is_err() {
                        still.push(file);
                    }
                }
                left = still;
                if left.is_empty() {
                    store.tidy(&name);
                    return;
                }
                wait = (wait * 2).min(std::time::Duration::from_secs(120));
            }
            tracing::error!(name, files = ?left, "media files could not be removed from the store");
        });
    }

    /// A page of media, newest first; with `cursor` (a `meta.next_cursor` of this list) the page starts
    /// after the media it names.
    pub async fn list(
        &self,
        page: PageRequest,
        cursor: Option<&str>,
    ) -> Result<Page<Media>, ApiError> {
        let before = match cursor
            .map(|raw| self.cursors.open("media", raw))
            .transpose()?
        {
            None => None,
            Some(After::Created(_, id)) => Some(id),
            Some(_) => return Err(InvalidValue::new("cursor", "made for another list").into()),
        };
        let (rows, more, total) = run_query(&self.pool, move |conn| {
            db::media::list(conn, before, page.limit(), page.offset())
        })
        .await?;
        let next_cursor = rows.last().filter(|_| more).map(|last| {
            self.cursors
                .seal("media", &After::Created(last.created_at, last.id))
        });
        let media = rows.iter().map(|row| self.urls.media(row)).collect();
        Ok(Page::new(media, page, total)
            .by_cursor(before.is_some())
            .with_next_cursor(next_cursor))
    }

    pub async fn get(&self, id: ResourceId) -> Result<Media, ApiError> {
        let id = id.get();
        run_query(&self.pool, move |conn| db::media::find(conn, id))
            .await?
            .map(|media| self.urls.media(&media))
            .ok_or(ApiError::NotFound("media"))
    }

    /// Sets a media's `alt` text.
    pub async fn set_alt(&self, id: ResourceId, alt: String) -> Result<Media, ApiError> {
        let id = id.get();
        let at = self.clocks.requests.now();
        run_query(&self.pool, move |conn| {
            db::media::set_alt(conn, id, &alt, at)
        })
        .await?
        .map(|media| self.urls.media(&media))
        .ok_or(ApiError::NotFound("media"))
    }

    /// Deletes a media no post uses (409 otherwise), then its files.
    pub async fn delete(&self, id: ResourceId) -> Result<(), ApiError> {
        let id = id.get();
        let gone = run_blocking(&self.pool, move |conn| {
            db::media::delete(conn, id).map_err(ApiError::from)
        })
        .await?;
        self.discard(&gone).await;
        Ok(())
    }

    /// A stored file (a media's folder and file name), or the `range` of it asked for.
    pub async fn file(
        &self,
        name: &str,
        file: &str,
        range: Option<ByteRange>,
    ) -> Result<MediaFile, ApiError> {
        let content_type = file
            .rsplit_once('.')
            .and_then(|(_, extension)| media_domain::content_type_of(extension))
            .filter(|_| media_domain::is_media_name(name) && media_domain::is_media_file(file))
            .ok_or(ApiError::NotFound("file"))?;
        let wanted = match range {
            None => None,
            Some(range) => {
                let size = self
                    .store
                    .size(name, file)
                    .await
                    .map_err(store_failed)?
                    .ok_or(ApiError::NotFound("file"))?;
                Some(
                    range
                        .within(size)
                        .ok_or(ApiError::RangeNotSatisfiable(size))?,
                )
            }
        };
        let read = self
            .store
            .read(name, file, wanted.clone())
            .await
            .map_err(store_failed)?
            .ok_or(ApiError::NotFound("file"))?;
        Ok(MediaFile {
            content_type,
            size: read.size,
            range: wanted.map(|_| read.range.clone()),
            body: read.body.map(|chunk| chunk.map_err(store_failed)).boxed(),
        })
    }
}

fn files_of(processed: &Processed) -> Vec<String> {
    processed
        .variants
        .iter()
        .map(process::Rendition::file)
        .collect()
}

/// The row of an upload whose files are stored under `name`.
fn stored(
    name: String,
    processed: &Processed,
    alt: String,
    now: chrono::NaiveDateTime,
) -> StoredMedia {
    let original = &processed.original;
    StoredMedia {
        id: 0,
        name,
        original: original.file(),
        content_type: original.format.content_type().to_owned(),
        width: original.width,
        height: original.height,
        bytes: original.bytes.len() as u64,
        alt,
        blurhash: processed.blurhash.clone(),
        variants: processed
            .variants
            .iter()
            .map(|variant| StoredVariant {
                width: variant.width,
                height: variant.height,
                format: variant.format.name().to_owned(),
                file: variant.file(),
            })
            .collect(),
        created_at: now,
        updated_at: now,
    }
}
