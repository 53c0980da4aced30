import Foundation

/// Starts a named background thread (daemon work that may block: IPC
/// connections, child-process watchers). Never used on edged's hot path.
public func startThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
    let t = Thread { body() }
    t.name = name
    t.stackSize = 1 << 20
    t.start()
}

/// exit(3), in one place.
public func exitProcess(_ code: Int32) -> Never {
    exit(code)
}
