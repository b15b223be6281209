//! The push: posting copies of correspondence to the practice's FHIR server
//! (`[record] fhir_base`). Each outbox item with `Purpose::RecordCopy` holds
//! a FHIR transaction Bundle, posted as it is with the bearer token from
//! `fhir_token_file`; anything but a 2xx answer is a failed delivery, which
//! the dispatcher retries with back-off, so an outage of the record system
//! delays copies and loses none. The bundle's conditional creates
//! (`ifNoneExist`) make a post repeated after a crash or a lost answer
//! create nothing twice.

use std::time::Duration;

use carebot_chat::{DeliveryError, Outbound};

/// How long one post may take before it counts as failed (and is retried):
/// a transaction of a month's messages is a few hundred kilobytes.
const POST_TIMEOUT: Duration = Duration::from_secs(30);

/// The practice's FHIR server.
#[derive(Debug, Clone)]
pub struct FhirServer {
    client: reqwest::Client,
    base: url::Url,
    /// The bearer token; never logged (see [`FhirServer::post`]).
    token: Option<String>,
}

impl FhirServer {
    /// The server at `base` (transactions are posted to the base itself).
    pub fn new(base: url::Url, token: Option<String>) -> Result<FhirServer, String> {
        let client = reqwest::Client::builder()
            .timeout(POST_TIMEOUT)
            .build()
            .map_err(|error| format!("cannot start an HTTP client: {error}"))?;
        Ok(FhirServer {
            client,
            base,
            token,
        })
    }

    /// Posts the bundle `message` carries; `Ok` once the server took it.
    pub async fn post(&self, message: &Outbound) -> Result<(), DeliveryError> {
        let mut request = self
            .client
            .post(self.base.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/fhir+json")
            .header(reqwest::header::ACCEPT, "application/fhir+json")
            .body(message.reply.text.clone());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        match request.send().await {
            // The answer's body is not read into the log: a server may echo
            // what it was sent.
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(DeliveryError::new(format!(
                "the FHIR server answered {}",
                response.status()
            ))),
            Err(error) => {
                let reason = format!("cannot reach the FHIR server: {}", error.without_url());
                Err(DeliveryError::new(match &self.token {
                    Some(token) => reason.replace(token.as_str(), "…"),
                    None => reason,
                }))
            }
        }
    }
}
