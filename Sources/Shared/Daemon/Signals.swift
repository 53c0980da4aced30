import Glibc

/// Signal handling for the daemons: SIGTERM and SIGINT ask for a graceful
/// stop, SIGHUP for a config reload. SIGPIPE is ignored process-wide: a
/// vanished peer is an error from send(), not a death.
///
/// No signal may be lost. A process-directed signal goes to any one thread
/// that does not block it; if that thread merely ignores it, it is gone. So
/// `SignalHandlers.blockEarly()` blocks the three in the main thread before
/// any other thread exists (every thread started later inherits the mask),
/// and one thread takes them with sigwait(3), in order, and runs the handler
/// there — never in a signal context. A signal that arrives during start-up
/// stays pending and is acted on as soon as the handlers exist.
public final class SignalHandlers: Sendable {
    public enum Event: Sendable { case terminate(Int32), reload }

    public static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// First statement of every program that installs handlers (before any thread starts).
    public static func blockEarly() {
        Processes.block(handled)
        Processes.ignore([SIGPIPE])
    }

    /// Starts the signal thread. Also blocks the signals in the calling thread,
    /// for programs that did not call `blockEarly()` (then threads started
    /// before this call may still receive, and lose, one).
    public init(_ handler: @escaping @Sendable (Event) -> Void) {
        Self.blockEarly()
        startThread("signals") {
            while true {
                let sig = Processes.waitForSignal(Self.handled)
                handler(sig == SIGHUP ? .reload : .terminate(sig))
            }
        }
    }

    public static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        case SIGKILL: "SIGKILL"
        default: "signal \(sig)"
        }
    }
}
