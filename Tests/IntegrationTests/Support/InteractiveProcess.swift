import Foundation
import Shared
import XCTest

/// A process started by a test with a pipe on its stdin (for prompts that
/// read a line), its stdout and stderr collected into one buffer.
final class InteractiveProcess: @unchecked Sendable {
    let process = Process()
    private let output = Locked<Data>(Data())
    private let outPipe = Pipe()
    private let inPipe = Pipe()

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for k in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "DROIDGATE_ROOT", "DROIDGATE_LISTEN"] { env[k] = nil }
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardOutput = outPipe
        process.standardError = outPipe
        process.standardInput = inPipe
        let out = output
        outPipe.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            if !d.isEmpty { out.withLock { $0.append(d) } }
        }
        try process.run()
    }

    var text: String { String(decoding: output.value, as: UTF8.self) }

    /// Writes `line` and a newline to the process's stdin.
    func send(line: String) {
        inPipe.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Closes stdin (the process reads end of input).
    func closeInput() { try? inPipe.fileHandleForWriting.close() }

    /// Polls until the output contains `marker`.
    func waitFor(_ marker: String, timeout: Double = 10) -> Bool {
        eventually(timeout: timeout) { text.contains(marker) }
    }

    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { return nil }
        usleep(50_000)   // let the output drain
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        outPipe.fileHandleForReading.readabilityHandler = nil
    }
}
