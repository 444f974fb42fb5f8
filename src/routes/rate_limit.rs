//! Per-client limits, answered with 429 and `Retry-After`: the client is the TCP peer, or what trusted
//! proxies say it is ([`super::client_ip`]); an IPv6 client is limited per /64. The limits themselves are
//! the service's ([`crate::service::rate_limits`]).

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

use super::client_ip::{client_ip, limit_key};
use crate::config::ForwardedHeader;
use crate::error::ApiError;
pub use crate::service::rate_limits::{Action, Limiter, Rates};

/// The limiter, who may name the client, and in which header.
pub struct RateLimits {
    limiter: Limiter,
    trusted_proxies: Vec<IpNet>,
    forwarded_header: ForwardedHeader,
}

impl RateLimits {
    pub fn new(
        limiter: Limiter,
        trusted_proxies: Vec<IpNet>,
        forwarded_header: ForwardedHeader,
    ) -> Self {
        RateLimits {
            limiter,
            trusted_proxies,
            forwarded_header,
        }
    }

    /// The request's client: the TCP peer, or what a trusted proxy says it is.
    pub fn client(&self, request: &HttpRequest) -> Option<IpAddr> {
        let peer = request.peer_addr()?.ip();
        Some(client_ip(
            peer,
            request.headers(),
            &self.trusted_proxies,
            self.forwarded_header,
        ))
    }

    /// `Ok` if the request's client may do `action` now, else `RateLimited` with the seconds to wait.
    pub async fn check(&self, request: &HttpRequest, action: Action) -> Result<(), ApiError> {
        match self.client(request) {
            Some(client) => self.limiter.check(limit_key(client), action).await,
            None => Ok(()),
        }
    }
}
