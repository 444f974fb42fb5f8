//! What counts as a view: a pure rule over a few signals of the request, which the HTTP layer gathers
//! into [`ViewSignals`].

use std::net::IpAddr;

use crate::domain::Viewer;

/// How a view reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewSource {
    /// `GET /posts/{id}` or `GET /posts/slug/{slug}`.
    Read,
    /// `POST /posts/{id}/clicks`.
    Beacon,
}

/// The parts of a request that decide whether it counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewSignals {
    /// A `HEAD` request (headers only: nobody saw the post).
    pub head: bool,
    pub viewer: Viewer,
    /// The `User-Agent`, trimmed; empty when absent or not text.
    pub user_agent: String,
    /// `Purpose`, `Sec-Purpose` or `X-Moz` said `prefetch`.
    pub prefetch: bool,
}

/// Who a request comes from, as the view decision, the per-client limits and the unique-reader count see
/// it: read once per request by the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The client's address: the TCP peer, or what a trusted proxy says it is (canonical: an IPv4-mapped
    /// address is its IPv4). `None` when the peer is unknown.
    pub address: Option<IpAddr>,
    pub signals: ViewSignals,
}

/// Decides whether a request counts as a click.
pub struct ViewPolicy {
    bots: isbot::Bots,
    clicks_on_get: bool,
}

impl ViewPolicy {
    /// Compiles the bot list once (it is a large regular expression).
    pub fn new(clicks_on_get: bool) -> Self {
        ViewPolicy {
            bots: isbot::Bots::default(),
            clicks_on_get,
        }
    }

    /// A view counts unless it is a HEAD, a read while `CLICKS_ON_GET=false`, an editor's (a valid token),
    /// a known bot or crawler (the isbot crate's list), a request with no User-Agent, or a prefetch.
    pub fn counts(&self, signals: &ViewSignals, source: ViewSource) -> bool {
        if signals.head
            || (source == ViewSource::Read && !self.clicks_on_get)
            || signals.viewer == Viewer::Editor
            || signals.prefetch
        {
            return false;
        }
        !signals.user_agent.is_empty() && !self.bots.is_bot(&signals.user_agent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0";

    fn browser() -> ViewSignals {
        ViewSignals {
            head: false,
            viewer: Viewer::Anonymous,
            user_agent: FIREFOX.to_owned(),
            prefetch: false,
        }
    }

    #[test]
    fn an_anonymous_browser_counts_and_an_editor_does_not() {
        let policy = ViewPolicy::new(true);
        assert!(policy.counts(&browser(), ViewSource::Read));
        let editor = ViewSignals {
            viewer: Viewer::Editor,
            ..browser()
        };
        assert!(!policy.counts(&editor, ViewSource::Beacon));
    }

    #[test]
    fn heads_prefetches_and_empty_agents_never_count() {
        let policy = ViewPolicy::new(true);
        for signals in [
            ViewSignals {
                head: true,
                ..browser()
            },
            ViewSignals {
                prefetch: true,
                ..browser()
            },
            ViewSignals {
                user_agent: String::new(),
                ..browser()
            },
        ] {
            assert!(!policy.counts(&signals, ViewSource::Beacon), "{signals:?}");
        }
    }
}
