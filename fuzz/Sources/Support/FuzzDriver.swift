// Shared by the libFuzzer targets (built only by fuzz/run, with -sanitize=fuzzer).
// SwiftPM gives every executable its own main, so each target's main.swift
// hands control to libFuzzer's driver through `runFuzzer`.
import Shared

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The function under test; set once before the driver starts.
nonisolated(unsafe) private var testOne: (UnsafeRawBufferPointer) -> Void = { _ in }

public func runFuzzer(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    testOne = body
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exitProcess(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        testOne(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    })
}

/// An invariant broken: report and crash so libFuzzer saves the input.
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        printError("fuzz invariant broken: \(message())")
        fatalError(message())
    }
}

/// True when the bytes are one valid JSON document.
public func isValidJSON(_ bytes: UnsafeRawBufferPointer) -> Bool {
    (try? JSONValue(parsing: bytes, maxDepth: 100_000)) != nil
}
