import Dispatch

/// A DispatchSemaphore with a seconds-based timed wait.
public final class DispatchSemaphoreBox: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    public init() {}
    public func signal() { semaphore.signal() }
    /// True if signalled before the timeout.
    public func wait(seconds: Double) -> Bool {
        semaphore.wait(timeout: .now() + seconds) == .success
    }
}
