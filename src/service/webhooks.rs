//! Webhook subscriptions, managed by editors: their targets are checked (form, and where they resolve),
//! their deliveries listed and retried by hand. Delivery itself is `jobs::webhook_delivery`.

use std::net::IpAddr;
use std::time::Duration;

use crate::db::webhooks::RetryRefused;
use crate::db::{self, run_query, DbPool};
use crate::domain::clock::{Clock, Clocks};
use crate::domain::input::FieldErrors;
use crate::domain::webhook::{
    is_public_address, new_secret, Delivery, Subscription, SubscriptionChanges, TargetUrl,
};
use crate::domain::{Page, PageRequest, ResourceId};
use crate::error::ApiError;

/// How long a target's name may take to resolve when it is checked.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The addresses `url`'s host stands for: itself when it is one, else what the name resolves to.
async fn resolve(url: &TargetUrl) -> Result<Vec<IpAddr>, String> {
    let Some((host, literal)) = url.host() else {
        return Err(String::from("must name a host"));
    };
    if let Some(address) = literal {
        return Ok(vec![address]);
    }
    let lookup = tokio::net::lookup_host((host.clone(), url.port()));
    let resolved = tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await;
    match resolved {
        Ok(Ok(addresses)) => {
            let found: Vec<IpAddr> = addresses.map(|address| address.ip()).collect();
            if found.is_empty() {
                Err(format!("{host} resolves to no address"))
            } else {
                Ok(found)
            }
        }
        Ok(Err(error)) => Err(format!("{host} does not resolve ({error})")),
        Err(_) => Err(format!("{host} did not resolve within 5 s")),
    }
}

/// Refuses a target that is, or resolves to, a loopback, private, link-local or otherwise non-public
/// address, unless `allow_private` (`WEBHOOKS_ALLOW_PRIVATE`).
async fn check_target(url: &TargetUrl, allow_private: bool) -> Result<(), ApiError> {
    let refuse = |message: String| {
        let mut errors = FieldErrors::new();
        errors.insert(String::from("url"), vec![message]);
        ApiError::Validation(errors)
    };
    let addresses = resolve(url).await.map_err(refuse)?;
    if allow_private {
        return Ok(());
    }
    // What the name resolved to is not echoed: the answer must not map the operator's network.
    if addresses.iter().any(|address| !is_public_address(*address)) {
        return Err(refuse(String::from(
            "the host is not public (it is, or resolves to, a loopback, private or reserved address): \
             refused (an operator can allow such targets with WEBHOOKS_ALLOW_PRIVATE=true)",
        )));
    }
    Ok(())
}

/// The webhooks service: editors' subscriptions and their deliveries.
pub struct Webhooks {
    pool: DbPool,
    /// `WEBHOOKS_ALLOW_PRIVATE`: targets on private networks are allowed.
    allow_private: bool,
    clock: Clock,
    /// The clock deliveries are scheduled by (see `Clocks`).
    real_clock: Clock,
}

impl Webhooks {
    pub fn new(pool: DbPool, allow_private: bool, clocks: &Clocks) -> Self {
        Webhooks {
            pool,
            allow_private,
            clock: clocks.requests.clone(),
            real_clock: clocks.real.clone(),
        }
    }

    /// Stores a subscription (its target checked) with a new secret; the answer shows the secret once.
    pub async fn create(&self, changes: SubscriptionChanges) -> Result<Subscription, ApiError> {
        let (Some(url), Some(events)) = (changes.url, changes.events) else {
            // `for_create` requires both; this is not reached with a body it accepted.
            return Err(ApiError::Validation(FieldErrors::new()));
        };
        check_target(&url, self.allow_private).await?;
        let now = self.clock.now();
        let secret = new_secret();
        let active = changes.active.unwrap_or(true);
        Ok(run_query(&self.pool, move |conn| {
            db::webhooks::create(conn, url.as_str(), &events, active, &secret, now)
        })
        .await?)
    }

    pub async fn list(&self) -> Result<Vec<Subscription>, ApiError> {
        Ok(run_query(&self.pool, db::webhooks::list).await?)
    }

    pub async fn get(&self, id: ResourceId) -> Result<Subscription, ApiError> {
        run_query(&self.pool, move |conn| db::webhooks::find(conn, id.get()))
            .await?
            .ok_or(ApiError::NotFound("webhook"))
    }

    /// Changes the target (checked again), the events or whether it is active.
    pub async fn update(
        &self,
        id: ResourceId,
        changes: SubscriptionChanges,
    ) -> Result<Subscription, ApiError> {
        if let Some(url) = &changes.url {
            check_target(url, self.allow_private).await?;
        }
        let now = self.clock.now();
        run_query(&self.pool, move |conn| {
            db::webhooks::update(
                conn,
                id.get(),
                changes.url.as_ref().map(TargetUrl::as_str),
                changes.events.as_deref(),
                changes.active,
                now,
            )
        })
        .await?
        .ok_or(ApiError::NotFound("webhook"))
    }

    /// A new secret; the old one stops signing at once.
    pub async fn rotate_secret(&self, id: ResourceId) -> Result<Subscription, ApiError> {
        let now = self.clock.now();
        let secret = new_secret();
        run_query(&self.pool, move |conn| {
            db::webhooks::rotate_secret(conn, id.get(), &secret, now)
        })
        .await?
        .ok_or(ApiError::NotFound("webhook"))
    }

    pub async fn delete(&self, id: ResourceId) -> Result<(), ApiError> {
        if run_query(&self.pool, move |conn| db::webhooks::delete(conn, id.get())).await? {
            Ok(())
        } else {
            Err(ApiError::NotFound("webhook"))
        }
    }

    /// A page of a subscription's deliveries, newest first, each with its attempts.
    pub async fn deliveries(
        &self,
        id: ResourceId,
        page: PageRequest,
    ) -> Result<Page<Delivery>, ApiError> {
        let (deliveries, total) = run_query(&self.pool, move |conn| {
            db::webhooks::deliveries(conn, id.get(), page)
        })
        .await?
        .ok_or(ApiError::NotFound("webhook"))?;
        Ok(Page::new(deliveries, page, total))
    }

    /// Makes a delivery due now (sent again even when it was delivered), with a fresh `WEBHOOK_MAX_AGE`.
    pub async fn retry(
        &self,
        webhook: ResourceId,
        delivery: ResourceId,
    ) -> Result<Delivery, ApiError> {
        let now = self.real_clock.now();
        match run_query(&self.pool, move |conn| {
            db::webhooks::retry(conn, webhook.get(), delivery.get(), now)
        })
        .await?
        {
            Ok(delivery) => Ok(delivery),
            Err(RetryRefused::NotFound) => Err(ApiError::NotFound("delivery")),
            Err(RetryRefused::InFlight) => Err(ApiError::Conflict(String::from(
                "the delivery is being attempted right now; retry once that attempt is recorded",
            ))),
        }
    }
}
