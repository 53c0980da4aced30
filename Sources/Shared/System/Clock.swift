import Glibc

/// Monotonic time for timeouts and uptimes (never jumps with the wall clock).
public enum Monotonic {
    /// Nanoseconds since an arbitrary fixed point.
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public static func seconds() -> Double { Double(nanoseconds()) / 1e9 }
}

public enum WallClock {
    /// Seconds since the Unix epoch.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// "2026-11-21T23:59:00.123Z"
    public static func iso8601(_ t: Double = now(), milliseconds: Bool = true) -> String {
        var secs = time_t(t.rounded(.down))
        var parts = tm()
        gmtime_r(&secs, &parts)
        func pad(_ v: Int, _ w: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        let base = "\(parts.tm_year + 1900)-\(pad(Int(parts.tm_mon) + 1))-\(pad(Int(parts.tm_mday)))T\(pad(Int(parts.tm_hour))):\(pad(Int(parts.tm_min))):\(pad(Int(parts.tm_sec)))"
        guard milliseconds else { return base + "Z" }
        let ms = Int((t - t.rounded(.down)) * 1000)
        return base + "." + pad(min(ms, 999), 3) + "Z"
    }
}

/// Sleeps the calling thread (daemon threads and tests only, never an event loop).
public func sleepSeconds(_ s: Double) {
    guard s > 0 else { return }
    var req = timespec(tv_sec: Int(s), tv_nsec: Int((s - Double(Int(s))) * 1e9))
    var rem = timespec()
    while nanosleep(&req, &rem) == -1 && errno == EINTR { req = rem }
}
