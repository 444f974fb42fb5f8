//! Background work, each a step and what schedules it: the click sync (`sync_once`, a public step that tests
//! call, and the actor that schedules it) and webhook delivery (`webhook_delivery::Deliverer::pass`, and the
//! worker that schedules it).

mod actor;
mod pacing;
mod sync;
pub mod webhook_delivery;
mod webhooks;

pub use actor::{ClickSyncActor, FinalSync, SyncNow, SyncSchedule};
pub use sync::{
    forget_old_reader_salts, roll_up_old_clicks, sync_once, sync_once_with, sync_pass, SyncError,
    SyncReport, SyncStage,
};
pub use webhooks::WebhookWorker;
