import EdgeCore

/// How a connection is reading its current request's body: owned by the
/// `ClientConnection` (one per connection, reset for each request).
struct RequestBodyRead {
    /// A chunked body's decoder (nil: the body has a length, or none).
    var chunked: ChunkedDecoder? = nil
    /// A chunked body, de-chunked (a body with a length stays in the input buffer).
    var dechunked: [UInt8] = []
    /// Bytes of the chunked encoding consumed so far.
    var receivedFromChunks = 0
    /// `100 Continue` was sent for this request.
    var sentContinue = false
    /// When the head was complete and the body began (monotonic ns).
    var started: UInt64 = 0
    /// The latest the whole body may arrive (monotonic ns).
    var deadline: UInt64 = 0
}
