import Foundation
import IPC
import Shared

/// `droidgate login`: the WorkOS device authorization flow. authd starts it,
/// the CLI shows the URL and code, and polls through authd, which keeps the
/// device code and receives the tokens: the refresh token never leaves authd.
final class DeviceLogins: Sendable {
    private let pending = Locked<[String: (start: WorkOS.DeviceStart, expires: Double)]>([:])
    let workos: WorkOS

    init(workos: WorkOS) { self.workos = workos }

    func start() throws(IPCError) -> JSONValue {
        switch workos.startDevice() {
        case .failure(let e):
            throw .remote(code: IPCError.Code.unavailable, message: "cannot start the WorkOS device login: \(e)")
        case .success(let d):
            let id = (try? Random.hex(16)) ?? UUID().uuidString
            pending.withLock { $0[id] = (d, Monotonic.seconds() + Double(d.expiresIn)) }
            return DeviceLoginStarted(loginId: id, userCode: d.userCode, verificationUri: d.verificationURI,
                                      verificationUriComplete: d.verificationURIComplete, interval: d.interval, expiresIn: d.expiresIn).json
        }
    }

    /// One poll: pending, or done (tokens adopted), or a terminal error.
    func poll(_ id: String, refresher: Refresher) throws(IPCError) -> JSONValue {
        guard let entry = pending.withLock({ $0[id] }) else {
            throw .remote(code: IPCError.Code.badRequest, message: "no login in progress with that id (it may have expired): run `droidgate login` again")
        }
        if Monotonic.seconds() > entry.expires {
            pending.withLock { $0[id] = nil }
            throw .remote(code: .expired, message: "the login code expired before it was confirmed: run `droidgate login` again")
        }
        switch workos.pollDevice(entry.start.deviceCode) {
        case .pending: return DeviceLoginPoll(status: .pending).json
        case .slowDown: return DeviceLoginPoll(status: .slowDown).json
        case .tokens(let access, let refresh):
            pending.withLock { $0[id] = nil }
            do {
                try refresher.adopt(.issued(access: access, refresh: refresh, source: "device-login", now: WallClock.now()))
            } catch {
                throw .remote(code: IPCError.Code.failed, message: "logged in, but cannot store the tokens: \(error)")
            }
            Log.info("authd: device login completed; tokens stored")
            return DeviceLoginPoll(status: .ok, report: refresher.report).json
        case .expired:
            pending.withLock { $0[id] = nil }
            throw .remote(code: .expired, message: "the login code expired: run `droidgate login` again")
        case .denied:
            pending.withLock { $0[id] = nil }
            throw .remote(code: .denied, message: "the login was denied in the browser")
        case .invalidGrant(let why):
            pending.withLock { $0[id] = nil }
            throw .remote(code: .failed, message: "WorkOS refused the login: \(why)")
        case .failed(let why):
            return DeviceLoginPoll(status: .pending, warning: why).json
        }
    }
}
