import EdgeCore
import Glibc
import Shared

/// The per-tick checks: header, body and idle deadlines, and the hold for the backend.
extension ClientConnection {
    // MARK: Timeouts

    /// Called by the loop's tick: phase deadlines and held backend retries.
    func tick(now: UInt64) {
        if state == .forwarding {
            activeRoute?.tick(now: now)
            return
        }
        if state == .idle && inBuf.isEmpty && outBuf.isEmpty && (inBuf.capacity > 0 || outBuf.capacity > 0) {
            // Idle at a tick: an idle keep-alive connection holds no buffer. One
            // that is busy keeps its buffers between requests (no allocation per request).
            inBuf.release()
            outBuf.release()
            settleBudget()
        }
        guard now >= deadline else { return }
        switch state {
        case .idle:
            close()
        case .readingHead, .readingBody:
            let message = state == .readingHead ? "request head not received within \(context.config.limits.headerTimeoutSeconds) s" : (now >= bodyRead.deadline ? "request body arrived slower than \(context.config.limits.minBodyBytesPerSecond) bytes/s on average (limits.minBodyBytesPerSecond)" : "request body stalled: nothing received for \(context.config.limits.headerTimeoutSeconds) s")
            reject(HTTPError(408, "request_timeout", message))
        case .closing:
            close()
        case .forwarding, .closed:
            break
        }
    }
}
