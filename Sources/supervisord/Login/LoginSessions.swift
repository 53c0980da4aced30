import Glibc
import IPC
import Shared

/// The logins running now, so the CLI that started one can type into it
/// (`backend.login.input`): the pasted callback address goes to the login
/// process's stdin. Only the IPC connection that started a login may write
/// to it, and only a line `CallbackPaste` accepts.
final class LoginSession: Sendable {
    let number: Int
    let provider: String
    let connection: ServerConnection
    private let stdin: Locked<FileDescriptor?>
    private let authorizationState = Locked<String?>(nil)

    init(number: Int, provider: String, connection: ServerConnection, stdin: FileDescriptor) {
        self.number = number
        self.provider = provider
        self.connection = connection
        self.stdin = Locked(stdin)
    }

    /// Remembers the `state` of the first authorization URL the login prints.
    func saw(outputLine: String) {
        guard authorizationState.value == nil, let s = CallbackPaste.authorizationState(in: outputLine) else { return }
        authorizationState.value = s
    }

    func input(_ line: String) throws(IPCError) {
        switch CallbackPaste.check(line, expectedState: authorizationState.value) {
        case .refuse(let why):
            throw .remote(code: IPCError.Code.badRequest, message: why)
        case .forward(let clean):
            let result: Result<Void, SystemError> = stdin.withLock { fd in
                guard let fd else { return .failure(SystemError("write", errno: EPIPE, subject: "the login's stdin")) }
                do throws(SystemError) { try fd.writeAll(Array((clean + "\n").utf8)) } catch { return .failure(error) }
                return .success(())
            }
            if case .failure = result {
                throw .remote(code: IPCError.Code.failed, message: "the \(provider) login is no longer reading input")
            }
        }
    }

    func closeInput() {
        stdin.withLock { fd in
            fd?.close()
            fd = nil
        }
    }
}

enum LoginSessions {
    private static let running = Locked<[Int: LoginSession]>([:])
    private static let counter = Locked(0)

    static func add(provider: String, connection: ServerConnection, stdin: FileDescriptor) -> LoginSession {
        let n = counter.withLock { c -> Int in
            c += 1
            return c
        }
        let session = LoginSession(number: n, provider: provider, connection: connection, stdin: stdin)
        running.withLock { $0[n] = session }
        return session
    }

    static func remove(_ session: LoginSession) {
        _ = running.withLock { $0.removeValue(forKey: session.number) }
        session.closeInput()
    }

    /// The login `number`, if `connection` started it.
    static func find(_ number: Int, from connection: ServerConnection) throws(IPCError) -> LoginSession {
        guard let s = running.value[number], s.connection === connection else {
            throw .remote(code: IPCError.Code.badRequest, message: "no login \(number) started on this connection (it ended, or another client started it)")
        }
        return s
    }
}
