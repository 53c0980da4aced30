import Glibc
import XCTest
@testable import IPC
@testable import Shared

/// The IPC side of the trust boundaries (issue 25): a client checks who
/// serves a socket before it sends a byte; a reply too large for a frame is
/// an error reply, not a crash; a daemon running as its own system account
/// does not trust that account.
final class TrustBoundaryIPCTests: XCTestCase {
    var dir = ""
    var path: String { dir + "/t.sock" }

    override func setUp() {
        dir = NSTemporaryDirectory() + "ipc-trust-\(UInt32.random(in: 0...UInt32.max))"
        try? Files.makeDirectory(dir, mode: 0o700)
    }

    override func tearDown() {
        Files.remove(path)
        rmdir(dir)
    }

    /// A listener that counts what any client sends it (never answers).
    final class Recorder: @unchecked Sendable {
        let listener: Socket
        let received = Locked(0)
        init(path: String) throws {
            listener = try Socket.listenUnix(path: path)
            startThread("recorder") { [self] in
                guard let c = try? listener.accept() else { return }
                var buf = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = (try? buf.withUnsafeMutableBytes { (b) throws(SystemError) in try c.fd.read(into: b) }) ?? 0
                    if n <= 0 { break }
                    received.withLock { $0 += n }
                }
                c.close()
            }
        }
    }

    func testAClientRefusesAServerOutsideItsListBeforeSendingAByte() throws {
        let rec = try Recorder(path: path)
        defer { rec.listener.close() }
        let stranger = geteuid() &+ 4242
        XCTAssertThrowsError(try IPCClient(path: path, role: "cli", timeout: 1, servedBy: [stranger])) { error in
            guard case .untrustedServer(let why)? = error as? IPCError else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("uid \(geteuid())"), why)
            XCTAssertTrue(why.contains("nothing was sent"), why)
        }
        usleep(100_000)
        XCTAssertEqual(rec.received.value, 0, "the client sent bytes to a server it does not trust")
    }

    func testTheDevRootAndSystemExpectations() {
        XCTAssertEqual(ServerIdentity.devRoot(), [geteuid()])
        XCTAssertTrue(ServerIdentity.system(.authd).isSuperset(of: [0, geteuid()]))
        XCTAssertEqual(ServerIdentity.systemUser(.supervisord), "droidgate-backend")
    }

    /// supervisord under the units runs as droidgate-backend, the backend's own
    /// user: that uid gets nothing, while an operator's own uid (dev mode) keeps both classes.
    func testADaemonOnItsSystemAccountDoesNotTrustThatAccount() {
        let sys = PeerPolicy.standard(me: 990, myName: "droidgate-backend", edgeUID: 991, adminGID: 992)
        XCTAssertEqual(sys.classify(PeerCredentials(pid: 1, uid: 990, gid: 990), groups: []), [])
        XCTAssertEqual(sys.classify(PeerCredentials(pid: 1, uid: 991, gid: 991), groups: []), .edge)
        XCTAssertEqual(sys.classify(PeerCredentials(pid: 1, uid: 0, gid: 0), groups: []), .admin)
        XCTAssertEqual(sys.classify(PeerCredentials(pid: 1, uid: 1000, gid: 1000), groups: [992]), .admin)
        let dev = PeerPolicy.standard(me: 1000, myName: "alice", edgeUID: nil, adminGID: nil)
        XCTAssertEqual(dev.classify(PeerCredentials(pid: 1, uid: 1000, gid: 1000), groups: []), [.edge, .admin])
    }

    func testEncodingAnOversizedMessageThrowsInsteadOfTrapping() {
        let big = String(repeating: "x", count: Frame.maxPayload + 1)
        XCTAssertThrowsError(try Frame.encode(["line": .string(big)])) { error in
            guard case .frameTooLarge(let n)? = error as? IPCError else { return XCTFail("\(error)") }
            XCTAssertGreaterThan(n, Frame.maxPayload)
        }
    }

    /// A handler whose reply cannot fit (a 1.1 MB backend log line, a long
    /// upstream error): the caller gets an error reply, the server lives on.
    func testAReplyTooLargeForAFrameBecomesAnErrorReply() throws {
        let listener = try Socket.listenUnix(path: path)
        let server = IPCServer(name: "testd", listener: listener, policy: .standard(), ops: [
            Op("huge", .anyPeer) { _ in IPCReply(result: .string(String(repeating: "y", count: Frame.maxPayload + 100))) },
            Op("echo", .anyPeer) { r in IPCReply(result: .object(r.args)) },
        ])
        server.start()
        defer { server.stop() }
        let c = try IPCClient(path: path, role: "cli")
        defer { c.close() }
        XCTAssertThrowsError(try c.call("huge", timeout: 5)) { error in
            guard case .remote(_, let message)? = error as? IPCError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("exceeds"), message)
        }
        XCTAssertEqual(try c.call("echo", ["after": true]).result["after"], true, "the connection and the server survive")
    }
}
