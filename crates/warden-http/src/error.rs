//! The errors a wasi:http body or exchange ends with, as WASI error codes:
//! shared by the bodies (`body.rs`) and the client (`client.rs`) without
//! either depending on the other.

use crate::bindings::wasi::http::types::ErrorCode;

/// The error a host body ends with, carrying the WASI error code.
#[derive(Debug, thiserror::Error)]
#[error("body failed: {0:?}")]
pub struct BodyError(pub ErrorCode);

/// The `error-code` for a failure hyper reports.
pub fn hyper_error_code(e: &hyper::Error) -> ErrorCode {
    // A body the guest ended with an error carries its own code.
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(b) = s.downcast_ref::<BodyError>() {
            return b.0.clone();
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return ErrorCode::ConnectionReadTimeout;
            }
            // The peer went away mid-message (reset, or closed before the
            // declared length or the last chunk).
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            ) {
                return ErrorCode::HttpResponseIncomplete;
            }
        }
        source = s.source();
    }
    if e.is_parse() || e.is_parse_status() {
        ErrorCode::HttpProtocolError
    } else if e.is_incomplete_message() || e.is_closed() || e.is_canceled() {
        ErrorCode::HttpResponseIncomplete
    } else if e.is_timeout() {
        ErrorCode::ConnectionReadTimeout
    } else {
        ErrorCode::InternalError(Some(e.to_string()))
    }
}
