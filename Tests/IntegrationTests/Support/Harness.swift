import Foundation
import Glibc
import Shared
import Synchronization
import XCTest

/// Where the built executables are: DROIDGATE_BIN_DIR, else next to the test bundle
/// (SwiftPM puts products and the .xctest in the same folder).
enum Binaries {
    static let dir: String = {
        if let d = ProcessInfo.processInfo.environment["DROIDGATE_BIN_DIR"] { return d }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return (bundle.bundlePath as NSString).deletingLastPathComponent
        }
        return (CommandLine.arguments[0] as NSString).deletingLastPathComponent
    }()

    static func path(_ name: String) -> String { "\(dir)/\(name)" }
}

/// A temp dir removed at the end of the test.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "droidgate-it-\(UInt32.random(in: 0...UInt32.max))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func write(_ name: String, _ text: String) -> String {
        let p = "\(path)/\(name)"
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A process started by a test, its output collected into a buffer.
final class RunningProcess: @unchecked Sendable {
    let process = Process()
    private let output = Locked<Data>(Data())
    /// The output pipe reached end of file: every writer (the child and anything it started) closed it.
    private let outputEnded = Locked(false)
    private let pipe = Pipe()
    /// The child's stdin when started with `input: true` (else /dev/null).
    private let stdin: Pipe?

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], cwd: String? = nil,
         input: Bool = false) throws {
        stdin = input ? Pipe() : nil
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for k in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "DROIDGATE_ROOT", "DROIDGATE_LISTEN"] { env[k] = nil }
        env.merge(environment) { _, new in new }
        process.environment = env
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = stdin ?? FileHandle.nullDevice
        // Foundation's Process.run is not safe to call from several threads at
        // once on Linux (it crashed in memmove under the signal storm's parallel
        // launches): one launch at a time.
        try RunningProcess.launching.withLock { _ in try process.run() }
        // The output is read by a thread of its own until end of file: Foundation's
        // readabilityHandler on Linux now and then never reports the end (a
        // `runToEnd` then waited out its 5 s for every such child).
        try? pipe.fileHandleForWriting.close()   // ours: only the child's copies remain
        let out = output, ended = outputEnded
        let reader = pipe.fileHandleForReading
        startThread("test-output") {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = Glibc.read(reader.fileDescriptor, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                out.withLock { $0.append(contentsOf: chunk[0..<n]) }
            }
            ended.value = true
        }
    }

    private static let launching = Mutex<Void>(())

    var text: String { String(decoding: output.value, as: UTF8.self) }

    /// Types `line` and a newline on the child's stdin (needs `input: true`).
    func type(_ line: String) {
        stdin?.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Closes the child's stdin (it reads end of input).
    func closeInput() { try? stdin?.fileHandleForWriting.close() }

    /// Polls until the output contains `marker`.
    func waitFor(_ marker: String, timeout: Double = 10) -> Bool {
        eventually(timeout: timeout) { text.contains(marker) }
    }
    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Waits for exit up to `timeout`; returns the status or nil if still running.
    func waitForExit(timeout: Double) -> Int32? {
        guard eventually(timeout: timeout, { !process.isRunning }) else { return nil }
        // Its output, whole: the pipe's end of file (briefly: what the child
        // left running may hold the pipe; `runToEnd` waits longer).
        waitForOutputEnd(timeout: 0.2)
        return process.terminationStatus
    }

    /// Waits until every byte the child wrote has been collected (its output
    /// pipe at end of file), at most `timeout`: after an exit the handler may
    /// not have run yet on a loaded machine.
    func waitForOutputEnd(timeout: Double) {
        _ = eventually(timeout: timeout) { outputEnded.value }
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// SIGKILLs every process whose command line mentions `text` (a test's temp
/// dir): the processes a test started indirectly, such as a new edged
/// generation after a reload, which no RunningProcess tracks.
func killProcesses(mentioning text: String) {
    guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
    for p in pids {
        guard let pid = Int32(p), pid != getpid(),
              let cmdline = FileManager.default.contents(atPath: "/proc/\(p)/cmdline") else { continue }
        if String(decoding: cmdline.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(text) { kill(pid, SIGKILL) }
    }
}

/// Runs a command to completion and returns (status, combined output).
func runToEnd(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 60) throws -> (Int32, String) {
    let p = try RunningProcess(executable, arguments, environment: environment)
    guard let status = p.waitForExit(timeout: timeout) else {
        p.signal(SIGKILL)
        throw TimedOut(what: "\(executable) \(arguments.joined(separator: " "))", seconds: timeout)
    }
    p.waitForOutputEnd(timeout: 5)
    return (status, p.text)
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    let seconds: Double
    var description: String { "\(what) did not finish within \(seconds) s" }
}

/// A loopback port that was free a moment ago, and never one this process
/// was given before: the kernel may hand the same port to two binds in a row
/// once the first socket is closed, and a stack whose listener and backend
/// got the same port cannot start.
func freePort() -> UInt16 {
    while true {
        let s = try! Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:0")!)
        let port = s.localAddress()!.port
        s.close()
        if givenPorts.withLock({ $0.insert(port).inserted }) { return port }
    }
}

private let givenPorts = Locked<Set<UInt16>>([])

/// Polls `condition` until it holds (true) or `timeout` s pass (false): often
/// at first (5 ms), then less (doubling up to every 50 ms), so a condition
/// that is met at once costs no fixed wait and a slow one no busy loop.
func eventually(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    var pause: UInt32 = 5_000
    while Date() < deadline {
        if try condition() { return true }
        usleep(pause)
        pause = min(pause * 2, 50_000)
    }
    return try condition()
}

/// The quick mode for a developer at work (`DROIDGATE_QUICK=1 swift test`):
/// the long loops — restarts under load, signal storms, kills during a
/// refresh — run a few rounds instead of all of them. Every test still runs;
/// CI (`suites/run`) never sets it, so it runs every round.
enum TestScale {
    static let quick = ProcessInfo.processInfo.environment["DROIDGATE_QUICK"] == "1"

    /// `full` rounds, or `quick` in the quick mode.
    static func rounds(_ full: Int, quick: Int) -> Int { Self.quick ? quick : full }
}

/// User + system CPU time of process `pid` in clock ticks (/proc/PID/stat); -1 when unreadable.
func cpuTicks(_ pid: Int32) -> Int {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return -1 }
    // After "pid (comm)": field 3 is the state; utime and stime are fields 14 and 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return -1 }
    return user + system
}

/// The same in seconds.
func cpuSeconds(_ pid: Int32) -> Double {
    let ticks = cpuTicks(pid)
    return ticks < 0 ? -1 : Double(ticks) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
