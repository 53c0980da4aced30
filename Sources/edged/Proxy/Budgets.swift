import Shared
import Synchronization

/// Bytes edged holds for requests being read, over every connection of every
/// loop (issue 25: a few clients trickling 64 MiB bodies took edged from 71 MB
/// to 660 MB). A connection takes from it before its read buffer grows and
/// gives back when the buffer is freed; a request that cannot take what it
/// needs is answered 503. One atomic counter: no lock, nothing held across I/O,
/// and a connection whose buffer keeps its size between requests touches it
/// not at all.
final class BufferBudget: Sendable {
    let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    var inUse: Int { used.load(ordering: .relaxed) }

    /// Takes `n` bytes if the budget has them.
    func take(_ n: Int) -> Bool {
        guard n > 0 else { return true }
        var current = used.load(ordering: .relaxed)
        while true {
            guard current + n <= limit else { return false }
            let (done, now) = used.compareExchange(expected: current, desired: current + n, ordering: .relaxed)
            if done { return true }
            current = now
        }
    }

    func give(_ n: Int) {
        guard n > 0 else { return }
        used.subtract(n, ordering: .relaxed)
    }
}

/// One log line per interval for an event that can repeat thousands of times a
/// second (a refused connection, a failed accept): the first occurrence logs at
/// once, later ones are counted and reported with the next line, at most one a
/// `interval`. Called from any loop thread; the lock guards two integers.
final class RateLimitedLog: Sendable {
    private struct State { var lastLogged: UInt64 = 0; var suppressed = 0 }
    private let state = Mutex(State())
    private let intervalNanos: UInt64

    init(intervalSeconds: Double = 1) { intervalNanos = UInt64(intervalSeconds * 1e9) }

    /// Counts one event; returns the number of events the line should report
    /// (this one and those not logged since the last line), or nil: stay quiet.
    func due(now: UInt64) -> Int? {
        state.withLock { s -> Int? in
            s.suppressed += 1
            guard s.lastLogged == 0 || now >= s.lastLogged + intervalNanos else { return nil }
            s.lastLogged = now
            let n = s.suppressed
            s.suppressed = 0
            return n
        }
    }

    /// Logs `line(count)` as a warning when due.
    func warn(now: UInt64, _ line: (Int) -> String) {
        guard let n = due(now: now) else { return }
        Log.warning(line(n))
    }
}
