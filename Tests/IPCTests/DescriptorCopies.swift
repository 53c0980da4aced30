import Foundation
import Shared

/// How many descriptors of this process refer to the same file as `fd`
/// (itself included; both ends of a pipe name the same "pipe:[inode]"). Counting copies of one test-made pipe, rather than all
/// of /proc/self/fd, stays exact while other tests' threads open and close
/// descriptors of their own.
func openCopies(of fd: FileDescriptor) -> Int {
    let fm = FileManager.default
    guard let target = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd.rawValue)"),
          let entries = try? fm.contentsOfDirectory(atPath: "/proc/self/fd") else { return -1 }
    return entries.filter { (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == target }.count
}

/// A pipe whose read end the tests pass around (a "pipe:[inode]" no one else has); both ends closed by `close()`.
struct TestPipe {
    let passed: FileDescriptor
    let other: FileDescriptor

    init() throws {
        (passed, other) = try FileDescriptor.pipe()
    }

    func close() {
        passed.close()
        other.close()
    }
}
