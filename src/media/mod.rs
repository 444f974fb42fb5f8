//! Media files (README "Media"): what an upload is made into (`process`, CPU only, on `workers` of their own) and where the files are
//! kept (`store`, a directory or an S3-compatible bucket). Beside `db` and `cache` on the second floor: it
//! knows the domain and nothing above.

pub mod process;
pub mod store;
pub mod workers;

pub use process::{Format, Processed, Refused, Rendition, Rules};
pub use store::{FileRead, MediaStore, S3Location, StoreError, StoreLocation};
pub use workers::{WorkerFailed, WorkerPriority, Workers};
