import Synchronization

/// One line per event on stderr. Under journald (JOURNAL_STREAM names our
/// stderr) each line starts with a `<N>` priority prefix and carries no
/// timestamp (the journal adds one); otherwise it starts with a UTC time and the level.
/// Never pass a token, a key or a request body to these functions.
public enum Log {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case error = 3, warning = 4, notice = 5, info = 6, debug = 7

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        public var name: String {
            switch self {
            case .error: "error"
            case .warning: "warning"
            case .notice: "notice"
            case .info: "info"
            case .debug: "debug"
            }
        }

        public init?(name: String) {
            guard let l = Level.allCases.first(where: { $0.name == name }) else { return nil }
            self = l
        }
    }

    private static let threshold = Atomic<Int>(Level.info.rawValue)
    private static let journal = Atomic<Bool>(Log.stderrIsJournal())

    public static func setLevel(_ level: Level) { threshold.store(level.rawValue, ordering: .relaxed) }

    public static func enabled(_ level: Level) -> Bool { level.rawValue <= threshold.load(ordering: .relaxed) }

    public static func error(_ message: @autoclosure () -> String) { emit(.error, message) }
    public static func warning(_ message: @autoclosure () -> String) { emit(.warning, message) }
    public static func notice(_ message: @autoclosure () -> String) { emit(.notice, message) }
    public static func info(_ message: @autoclosure () -> String) { emit(.info, message) }
    public static func debug(_ message: @autoclosure () -> String) { emit(.debug, message) }

    private static func emit(_ level: Level, _ message: () -> String) {
        guard enabled(level) else { return }
        write(format(level, message(), journal: journal.load(ordering: .relaxed)))
    }

    /// Builds the line; newlines inside a message are flattened so one event stays one line.
    static func format(_ level: Level, _ message: String, journal: Bool) -> String {
        let flat = message.contains(where: { $0 == "\n" || $0 == "\r" })
            ? String(message.map { $0 == "\n" || $0 == "\r" ? " " : $0 }) : message
        if journal { return "<\(level.rawValue)>\(flat)\n" }
        return "\(timestamp()) \(level.name): \(flat)\n"
    }

    private static func write(_ line: String) {
        // One write per line, so lines from several threads never interleave.
        try? FileDescriptor.standardError.writeAll(Array(line.utf8))
    }

    private static func timestamp() -> String { WallClock.iso8601() }

    /// JOURNAL_STREAM is "device:inode" of the stream systemd connected to our
    /// stderr; it only counts if stderr is still that stream (not redirected).
    static func stderrIsJournal() -> Bool {
        guard let v = Environment.get("JOURNAL_STREAM") else { return false }
        let parts = v.split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        guard let id = Files.identity(of: .standardError) else { return false }
        return id.device == dev && id.inode == ino
    }

    /// Re-reads JOURNAL_STREAM (tests, and after stderr was redirected).
    public static func redetectJournal() { journal.store(stderrIsJournal(), ordering: .relaxed) }
}
