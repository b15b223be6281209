//! Every message and DM channel the adapter asks Discord for goes through
//! [`Rest`], rate limited whatever the REST base.
//!
//! Against Discord itself, serenity's rate limiter does it. That limiter
//! can only talk to discord.com: serenity reaches any other base (an egress
//! proxy, a test fake) only with the limiter switched off. So for another
//! base the adapter keeps the same books itself, with serenity's own
//! per-bucket [`Ratelimit`]: it waits for an exhausted bucket to reset before
//! sending, and after a 429 waits `Retry-After` and sends again. A practice
//! behind a proxy then never hammers Discord, and a rate-limited reply is
//! delayed, not lost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serenity::all::{ApplicationId, ErrorResponse, Http, HttpBuilder, HttpError};
use serenity::http::{Ratelimit, RatelimitInfo, RatelimitingBucket, Request};

use crate::components::mentions;
use crate::{DiscordError, DiscordSettings};

/// serenity's REST client for `settings`: with serenity's rate limiter
/// against Discord itself; through serenity's proxy (which works only with
/// that limiter off) for any other base, where [`Rest`] keeps the limits.
pub(crate) fn http_client(settings: &DiscordSettings) -> Result<Http, DiscordError> {
    let mut builder =
        HttpBuilder::new(settings.token.expose()).default_allowed_mentions(mentions(None));
    if let Some(proxy) = settings.proxy()? {
        builder = builder.proxy(proxy).ratelimiter_disabled(true);
    }
    if let Some(id) = settings.application_id.filter(|id| *id != 0) {
        builder = builder.application_id(ApplicationId::new(id));
    }
    Ok(builder.build())
}

/// The REST client the adapter sends with.
pub(crate) struct Rest {
    /// serenity's client: with its limiter against Discord, through its
    /// proxy setting (limiter off) for another base.
    pub http: Arc<Http>,
    /// The books kept for another base; `None` against Discord itself.
    proxied: Option<Proxied>,
}

struct Proxied {
    client: reqwest::Client,
    /// What every request's Authorization header says. Never printed.
    authorization: String,
    /// What replaces `https://discord.com` in request URLs.
    base: String,
    /// Taken while a global 429 is waited out, so nothing else goes meanwhile.
    global: tokio::sync::Mutex<()>,
    buckets: Mutex<HashMap<RatelimitingBucket, Arc<tokio::sync::Mutex<Ratelimit>>>>,
}

impl Rest {
    /// The client for `settings`: serenity's alone against Discord, with the
    /// adapter's books for another base.
    pub(crate) fn new(settings: &DiscordSettings) -> Result<Rest, DiscordError> {
        let http = Arc::new(http_client(settings)?);
        let Some(base) = settings.proxy()? else {
            return Ok(Rest {
                http,
                proxied: None,
            });
        };
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .build()
            .map_err(|error| DiscordError::Settings {
                reason: format!("cannot set up an HTTPS client: {error}"),
            })?;
        Ok(Rest {
            http,
            proxied: Some(Proxied {
                client,
                authorization: format!("Bot {}", settings.token.expose()),
                base,
                global: tokio::sync::Mutex::new(()),
                buckets: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Sends `request` once its bucket allows, waiting out 429s; a 2xx
    /// response, or serenity's error for anything else.
    pub(crate) async fn request(
        &self,
        request: Request<'_>,
    ) -> serenity::Result<reqwest::Response> {
        let Some(proxied) = &self.proxied else {
            return self.http.request(request).await;
        };
        let method = request.method_ref().reqwest_method();
        let response = proxied.perform(request).await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            let error = ErrorResponse::from_response(response, method).await;
            Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(error)))
        }
    }
}

impl Proxied {
    fn bucket(&self, bucket: RatelimitingBucket) -> Arc<tokio::sync::Mutex<Ratelimit>> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        buckets.entry(bucket).or_default().clone()
    }

    /// serenity's `Ratelimiter::perform`, with the base it leaves out.
    async fn perform(&self, request: Request<'_>) -> serenity::Result<reqwest::Response> {
        loop {
            drop(self.global.lock().await);
            let bucket = request.route_ref().ratelimiting_bucket();
            let limit = self.bucket(bucket);
            limit.lock().await.pre_hook(&request, &log_wait).await;
            let built = request
                .clone()
                .build(&self.client, &self.authorization, Some(&self.base))?
                .build()?;
            let response = self.client.execute(built).await?;
            if bucket.is_none() {
                return Ok(response);
            }
            let again = if response.headers().contains_key("x-ratelimit-global") {
                let _everything_waits = self.global.lock().await;
                match retry_after(&response) {
                    Some(wait) => {
                        tracing::info!(
                            wait_ms = wait.as_millis() as u64,
                            "Discord asked everything to wait"
                        );
                        tokio::time::sleep(wait).await;
                        true
                    }
                    None => false,
                }
            } else {
                limit
                    .lock()
                    .await
                    .post_hook(&response, &request, &log_wait, false)
                    .await?
            };
            if !again {
                return Ok(response);
            }
        }
    }
}

fn log_wait(info: RatelimitInfo) {
    tracing::info!(
        wait_ms = info.timeout.as_millis() as u64,
        global = info.global,
        "Discord rate limit: waiting"
    );
}

/// A 429's `Retry-After`, in seconds as Discord writes it (fractions allowed).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds: f64 = response
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    Duration::try_from_secs_f64(seconds).ok()
}
