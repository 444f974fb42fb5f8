//! `blog-api import FILE.json`.

use std::path::Path;

use super::CliResult;
use crate::config::Settings;
use crate::db::{self, DbError};
use crate::domain::clock;
use crate::service::import;
use crate::service::media::MediaLibrary;

pub fn import_file(settings: &Settings, file: &Path) -> CliResult {
    let plan = import::read_plan(file)?;
    let (pool, _) = db::connect_and_migrate(
        &settings.database_url,
        1,
        settings.database_statement_timeout,
    )?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let now = clock::Clock::system().now();
    // The file's new images are made into their files (in the media store) before the transaction, and
    // removed again if it fails.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let library = (!plan.media.is_empty())
        .then(|| -> Result<MediaLibrary, Box<dyn std::error::Error>> {
            let store =
                crate::media::MediaStore::open(&settings.media.store, settings.media.timeout)?;
            Ok(MediaLibrary::new(
                pool.clone(),
                store,
                &settings.media,
                clock::Clocks {
                    requests: clock::Clock::system(),
                    real: clock::Clock::system(),
                },
                crate::domain::cursor::CursorKey::new(b"import"),
            )?)
        })
        .transpose()?;
    let prepared = match &library {
        None => Vec::new(),
        Some(library) => {
            let known = db::import::known_media(&mut conn).map_err(DbError::from)?;
            runtime.block_on(import::prepare_media(&plan, library, &known))?
        }
    };
    let applied = db::import::apply_with_media(
        &mut conn,
        &plan,
        &prepared,
        now,
        settings.post_revisions_keep,
    );
    let report = match (applied, &library) {
        (Ok(report), _) => report,
        (Err(error), Some(library)) => {
            runtime.block_on(async {
                for (_, stored) in &prepared {
                    library.discard(stored).await;
                }
            });
            return Err(import::ImportError::Database(error).into());
        }
        (Err(error), None) => return Err(import::ImportError::Database(error).into()),
    };
    println!(
        "imported {} into {}: {report}",
        file.display(),
        settings.database_url
    );
    Ok(())
}
