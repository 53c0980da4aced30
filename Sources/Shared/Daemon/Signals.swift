import Dispatch
import Glibc

/// Signal handling for the daemons: SIGTERM and SIGINT ask for a graceful
/// stop, SIGHUP for a config reload. Handlers run on a private serial queue,
/// never inside a signal context. SIGPIPE is ignored process-wide: a vanished
/// peer is an error from send(), not a death.
public final class SignalHandlers: Sendable {
    public enum Event: Sendable { case terminate(Int32), reload }

    private let queue = DispatchQueue(label: "droidgate.signals")
    private nonisolated(unsafe) var sources: [DispatchSourceSignal] = []   // written once in init

    public init(_ handler: @escaping @Sendable (Event) -> Void) {
        Processes.ignore([SIGPIPE])
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            Processes.ignore([sig])   // Dispatch sources need the default action off
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { handler(sig == SIGHUP ? .reload : .terminate(sig)) }
            source.resume()
            sources.append(source)
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
