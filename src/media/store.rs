//! The media store: a directory or an S3-compatible bucket, through `object_store`. Files are written once
//! under a new name and never changed, so any copy (a CDN's, a browser's) stays right forever.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectStore, ObjectStoreExt, RetryConfig,
};

/// Where media files live (`MEDIA_STORE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// `file://PATH`: a directory, made when missing.
    Directory(PathBuf),
    /// `s3://BUCKET`: an S3-compatible bucket.
    S3(S3Location),
}

/// An S3-compatible bucket and how to reach it (`MEDIA_S3_ENDPOINT`, `AWS_*`).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// `MEDIA_S3_ENDPOINT`: a `MinIO`, Ceph or R2 server's URL. Unset: AWS itself.
    pub endpoint: Option<String>,
    /// `AWS_REGION` (default `us-east-1`).
    pub region: String,
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`); unset: the instance's role.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Location")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "***"),
            )
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the media store failed: {0}")]
    Failed(#[from] object_store::Error),
    #[error("the media directory {path} cannot be made: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
}

/// A file's bytes, as a stream, and which of them.
pub struct FileRead {
    /// The whole file's size.
    pub size: u64,
    /// The bytes sent (the whole file unless a range was asked for).
    pub range: Range<u64>,
    pub body: BoxStream<'static, Result<Bytes, StoreError>>,
}

/// The media store.
#[derive(Debug, Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    /// The directory of a `file://` store (a bucket has no folders to tidy).
    root: Option<PathBuf>,
}

impl MediaStore {
    /// Opens the store; a directory is made when missing. `timeout` bounds each request to a bucket.
    pub fn open(location: &StoreLocation, timeout: Duration) -> Result<Self, StoreError> {
        let root = match location {
            StoreLocation::Directory(path) => Some(path.clone()),
            StoreLocation::S3(_) => None,
        };
        let inner: Arc<dyn ObjectStore> = match location {
            StoreLocation::Directory(path) => {
                std::fs::create_dir_all(path).map_err(|source| StoreError::Directory {
                    path: path.display().to_string(),
                    source,
                })?;
                Arc::new(LocalFileSystem::new_with_prefix(path)?)
            }
            StoreLocation::S3(s3) => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_client_options(
                        ClientOptions::new()
                            .with_timeout(timeout)
                            .with_connect_timeout(timeout.min(Duration::from_secs(5))),
                    )
                    // A store that fails fails the upload soon: the editor retries, nothing half-made stays.
                    .with_retry(RetryConfig {
                        backoff: BackoffConfig {
                            init_backoff: Duration::from_millis(100),
                            max_backoff: Duration::from_secs(2),
                            base: 2.0,
                        },
                        max_retries: 3,
                        retry_timeout: timeout.saturating_mul(2),
                    });
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                if let (Some(key), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
                    builder = builder
                        .with_access_key_id(key)
                        .with_secret_access_key(secret);
                }
                if let Some(token) = &s3.session_token {
                    builder = builder.with_token(token);
                }
                Arc::new(builder.build()?)
            }
        };
        Ok(MediaStore { inner, root })
    }

    /// Removes a media's folder once its files are gone (a directory store leaves it behind otherwise); a
    /// folder that still holds a file stays.
    pub fn tidy(&self, folder: &str) {
        if let Some(root) = &self.root {
            let _ = std::fs::remove_dir(root.join(folder));
        }
    }

    fn path(folder: &str, file: &str) -> Path {
        Path::from(format!("{folder}/{file}"))
    }

    /// Writes one file.
    pub async fn put(&self, folder: &str, file: &str, bytes: Bytes) -> Result<(), StoreError> {
        self.inner
            .put(&Self::path(folder, file), bytes.into())
            .await?;
        Ok(())
    }

    /// Removes one file; one already gone is no error.
    pub async fn delete(&self, folder: &str, file: &str) -> Result<(), StoreError> {
        match self.inner.delete(&Self::path(folder, file)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// The size of a file, `None` when there is none.
    pub async fn size(&self, folder: &str, file: &str) -> Result<Option<u64>, StoreError> {
        match self.inner.head(&Self::path(folder, file)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// A file's bytes, or those of `range` (within the file), `None` when there is no such file.
    pub async fn read(
        &self,
        folder: &str,
        file: &str,
        range: Option<Range<u64>>,
    ) -> Result<Option<FileRead>, StoreError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        match self
            .inner
            .get_opts(&Self::path(folder, file), options)
            .await
        {
            Ok(result) => Ok(Some(FileRead {
                size: result.meta.size,
                range: result.range.clone(),
                body: result
                    .into_stream()
                    .map(|chunk| chunk.map_err(StoreError::from))
                    .boxed(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}
