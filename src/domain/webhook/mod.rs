//! Webhooks (README "Webhooks"): the event types, the events written to the outbox, the subscription body,
//! the Standard Webhooks signature, and the rules for retrying and for which addresses may be called.

mod address;
mod delivery;
mod events;
mod subscription;

pub use address::*;
pub use delivery::*;
pub use events::*;
pub use subscription::*;
