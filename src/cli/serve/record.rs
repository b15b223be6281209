//! The practice's FHIR server, from `[record]`: copies of correspondence to
//! patients' records go there (`carebot::record::push`).

use std::path::Path;

use carebot::record::push::FhirServer;

use crate::cli::config::RecordConfig;
use crate::cli::error::CliError;

/// The configured FHIR server, if `fhir_base` names one, with its token.
pub fn server(config: &RecordConfig) -> Result<Option<FhirServer>, CliError> {
    let Some(base) = &config.fhir_base else {
        return Ok(None);
    };
    let token = config
        .fhir_token_file
        .as_deref()
        .map(read_token)
        .transpose()?;
    FhirServer::new(base.clone(), token)
        .map(Some)
        .map_err(CliError::failed)
}

fn read_token(path: &Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        CliError::failed(format!(
            "cannot read the FHIR token file {} (record.fhir_token_file): {error}",
            path.display()
        ))
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(CliError::failed(format!(
            "the FHIR token file {} (record.fhir_token_file) is empty",
            path.display()
        )));
    }
    Ok(token.to_string())
}
