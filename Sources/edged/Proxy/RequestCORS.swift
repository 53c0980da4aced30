import EdgeCore

/// The current request's CORS headers, where they are in the input buffer:
/// set when `clients.allowedOrigins` lets its `Origin` in, and then every
/// answer carries edged's own CORS headers (see `RelayedHead`).
struct RequestCORS {
    var origin: ByteRange? = nil
    /// A preflight's Access-Control-Request-Method and -Headers (with `origin`).
    var requestMethod: ByteRange? = nil
    var requestHeaders: ByteRange? = nil
}
