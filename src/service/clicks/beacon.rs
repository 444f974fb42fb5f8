//! The click beacon: a click recorded without reading the post.

use std::future::Future;

use super::{Clicks, Client, Count, ViewSource, Viewed};
use crate::db::{self, run_query};
use crate::domain::ResourceId;
use crate::error::ApiError;

impl Clicks {
    /// The beacon: records a click on a published post without reading it when the request counts (see
    /// [`Clicks::decide`]), else only reads its count, and returns the fresh count. `body` (reading and
    /// dropping the request's body) runs once the policy and (where it is checked apart) the client's limit
    /// allow the click, so a client refused there costs no body read.
    pub async fn beacon<E: From<ApiError>>(
        &self,
        client: &Client,
        post_id: ResourceId,
        body: impl Future<Output = Result<(), E>>,
    ) -> Result<i64, E> {
        let count = self.decide(client, ViewSource::Beacon).await?;
        body.await?;
        let now = self.clock.now();
        Ok(match count {
            Count::Peek => self.counter.click_count(post_id.get(), now).await?,
            Count::Record(recording) => {
                let published = run_query(&self.pool, move |conn| {
                    db::posts::is_published(conn, post_id.get(), now)
                })
                .await
                .map_err(ApiError::from)?;
                if !published {
                    return Err(ApiError::NotFound("post").into());
                }
                match self.record(post_id.get(), now, &recording).await? {
                    Viewed::Counted(count) => count,
                    Viewed::Limited { refusal, .. } => return Err(refusal.into()),
                }
            }
        })
    }
}
