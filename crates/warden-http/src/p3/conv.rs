//! The 0.2 and 0.3 `error-code`s have the same cases; the shared client
//! and body code speak 0.2's, and these convert at the 0.3 boundary.

use super::ErrorCode as P3;
use crate::bindings::wasi::http::types as p2;
use crate::ErrorCode as P2;

macro_rules! convert {
    ($from:ident, $to:ident, $fm:ident, $tm:ident) => {
        impl From<$from> for $to {
            fn from(e: $from) -> $to {
                use $from as F;
                use $to as T;
                match e {
                    F::DnsTimeout => T::DnsTimeout,
                    F::DnsError(p) => T::DnsError($tm::DnsErrorPayload {
                        rcode: p.rcode,
                        info_code: p.info_code,
                    }),
                    F::DestinationNotFound => T::DestinationNotFound,
                    F::DestinationUnavailable => T::DestinationUnavailable,
                    F::DestinationIpProhibited => T::DestinationIpProhibited,
                    F::DestinationIpUnroutable => T::DestinationIpUnroutable,
                    F::ConnectionRefused => T::ConnectionRefused,
                    F::ConnectionTerminated => T::ConnectionTerminated,
                    F::ConnectionTimeout => T::ConnectionTimeout,
                    F::ConnectionReadTimeout => T::ConnectionReadTimeout,
                    F::ConnectionWriteTimeout => T::ConnectionWriteTimeout,
                    F::ConnectionLimitReached => T::ConnectionLimitReached,
                    F::TlsProtocolError => T::TlsProtocolError,
                    F::TlsCertificateError => T::TlsCertificateError,
                    F::TlsAlertReceived(p) => T::TlsAlertReceived($tm::TlsAlertReceivedPayload {
                        alert_id: p.alert_id,
                        alert_message: p.alert_message,
                    }),
                    F::HttpRequestDenied => T::HttpRequestDenied,
                    F::HttpRequestLengthRequired => T::HttpRequestLengthRequired,
                    F::HttpRequestBodySize(n) => T::HttpRequestBodySize(n),
                    F::HttpRequestMethodInvalid => T::HttpRequestMethodInvalid,
                    F::HttpRequestUriInvalid => T::HttpRequestUriInvalid,
                    F::HttpRequestUriTooLong => T::HttpRequestUriTooLong,
                    F::HttpRequestHeaderSectionSize(n) => T::HttpRequestHeaderSectionSize(n),
                    F::HttpRequestHeaderSize(p) => T::HttpRequestHeaderSize(p.map(fsp)),
                    F::HttpRequestTrailerSectionSize(n) => T::HttpRequestTrailerSectionSize(n),
                    F::HttpRequestTrailerSize(p) => T::HttpRequestTrailerSize(fsp(p)),
                    F::HttpResponseIncomplete => T::HttpResponseIncomplete,
                    F::HttpResponseHeaderSectionSize(n) => T::HttpResponseHeaderSectionSize(n),
                    F::HttpResponseHeaderSize(p) => T::HttpResponseHeaderSize(fsp(p)),
                    F::HttpResponseBodySize(n) => T::HttpResponseBodySize(n),
                    F::HttpResponseTrailerSectionSize(n) => T::HttpResponseTrailerSectionSize(n),
                    F::HttpResponseTrailerSize(p) => T::HttpResponseTrailerSize(fsp(p)),
                    F::HttpResponseTransferCoding(s) => T::HttpResponseTransferCoding(s),
                    F::HttpResponseContentCoding(s) => T::HttpResponseContentCoding(s),
                    F::HttpResponseTimeout => T::HttpResponseTimeout,
                    F::HttpUpgradeFailed => T::HttpUpgradeFailed,
                    F::HttpProtocolError => T::HttpProtocolError,
                    F::LoopDetected => T::LoopDetected,
                    F::ConfigurationError => T::ConfigurationError,
                    F::InternalError(s) => T::InternalError(s),
                }
            }
        }

        impl From<$fm::FieldSizePayload> for $tm::FieldSizePayload {
            fn from(p: $fm::FieldSizePayload) -> $tm::FieldSizePayload {
                $tm::FieldSizePayload {
                    field_name: p.field_name,
                    field_size: p.field_size,
                }
            }
        }
    };
}

fn fsp<A, B: From<A>>(p: A) -> B {
    B::from(p)
}

use super::bindings::wasi::http::types as p3;
convert!(P2, P3, p2, p3);
convert!(P3, P2, p3, p2);
