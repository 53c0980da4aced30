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
    /// At a level decided at run time (another program's line relayed at its own priority).
    public static func log(_ level: Level, _ message: @autoclosure () -> String) { emit(level, message) }

    private static func emit(_ level: Level, _ message: () -> String) {
        guard enabled(level) else { return }
        write(format(level, message(), journal: journal.load(ordering: .relaxed)))
    }

    /// Builds the line. Every C0 control byte and DEL in the message is
    /// written as `\xNN`, on bytes (CR LF is one Swift Character, and NUL
    /// splits a journal entry): a value a client controls — a model name, a
    /// path — can neither end the line nor start a forged one.
    static func format(_ level: Level, _ message: String, journal: Bool) -> String {
        let flat = escapingControls(message)
        if journal { return "<\(level.rawValue)>\(flat)\n" }
        return "\(timestamp()) \(level.name): \(flat)\n"
    }

    /// `s` with every byte below 0x20 and 0x7f replaced by `\xNN`.
    public static func escapingControls(_ s: String) -> String {
        let utf8 = s.utf8
        guard utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return s }
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 16)
        for b in utf8 {
            if b < 0x20 || b == 0x7f {
                out += [0x5c, 0x78, hex[Int(b >> 4)], hex[Int(b & 0xf)]]
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
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
}
