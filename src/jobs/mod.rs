//! Background work: the click sync (a public step that tests call, and the actor that schedules it), and
//! the webhook delivery worker.

mod actor;
mod pacing;
mod sync;
mod webhooks;

pub use actor::{ClickSyncActor, FinalSync, SyncNow, SyncSchedule};
pub use sync::{
    forget_old_reader_salts, roll_up_old_clicks, sync_once, sync_once_with, SyncError, SyncReport,
    SyncStage,
};
pub use webhooks::WebhookWorker;
