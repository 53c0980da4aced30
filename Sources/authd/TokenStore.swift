import Foundation
import Glibc
import Shared

/// tokens.json in authd's state dir: the WorkOS refresh token and the current
/// Factory access token. Written atomically (temp file in the same dir with
/// its space reserved first, write, fsync, rename, fsync dir): a crash at any
/// moment leaves the previous pair or the new one, whole. `tokens.lock`
/// (flock) serialises every writer, including refresh workers that outlive a
/// killed authd.
struct TokenStore: Sendable {
    let dir: String
    var file: String { dir + "/tokens.json" }
    var lockFile: String { dir + "/tokens.lock" }

    struct Tokens: Sendable, Equatable {
        var refreshToken: String
        var accessToken: String?
        var accessExpiresAt: Double?
        var lastRefresh: Double?      // wall-clock seconds
        var source: String            // "device-login", "import", "DROID_REFRESH_KEY", "refresh"
    }

    struct Unsafe: Error, CustomStringConvertible {
        let description: String
    }

    /// Refuses a store or state dir that others can read or that someone
    /// else owns, saying how to fix it (as ssh does for key files).
    func checkPermissions() throws {
        if !Files.exists(dir) {
            try Files.makeDirectory(dir, mode: 0o700)
        }
        let me = Users.currentUID
        let who = Users.name(of: me)
        let d = try Files.status(dir)
        guard d.isDirectory else { throw Unsafe(description: "state dir \(dir) is not a directory") }
        if d.uid != me {
            throw Unsafe(description: "state dir \(dir) is owned by \(Users.name(of: d.uid)), not \(who) who runs authd; fix: chown \(who) \(dir)")
        }
        if d.mode & 0o077 != 0 {
            throw Unsafe(description: "state dir \(dir) has mode \(String(d.mode, radix: 8)): group or others can reach the tokens; fix: chmod 700 \(dir)")
        }
        for path in [file, lockFile] where Files.exists(path) {
            let f = try Files.status(path)
            if f.uid != me {
                throw Unsafe(description: "\(path) is owned by \(Users.name(of: f.uid)), not \(who); fix: chown \(who) \(path)")
            }
            if f.mode & 0o077 != 0 {
                throw Unsafe(description: "\(path) has mode \(String(f.mode, radix: 8)): group or others can read the tokens; fix: chmod 600 \(path)")
            }
        }
    }

    func load() throws -> Tokens? {
        guard Files.exists(file) else { return nil }
        let bytes = try Files.read(file, maxBytes: 1 << 20)
        guard let t = Tokens(json: try JSONValue(parsing: bytes)) else {
            throw Unsafe(description: "\(file) has no refresh_token; remove it and log in again (`droidgate login`)")
        }
        return t
    }

    /// Reserves the temp file first: a full disk fails here, before a refresh
    /// rotates the token at WorkOS (when the old pair is still good).
    func prepareWrite() throws -> PendingWrite {
        let tmp = dir + "/.tokens.json.tmp-\(Users.currentPID)"
        let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        do {
            try Files.reserve(fd, bytes: 16 * 1024)
        } catch {
            fd.close()
            Files.remove(tmp)
            throw error
        }
        return PendingWrite(fd: fd, tmp: tmp, store: self)
    }

    /// A reserved temp file, committed with `commit` or dropped with `abandon`.
    struct PendingWrite {
        let fd: FileDescriptor
        let tmp: String
        let store: TokenStore

        func commit(_ t: Tokens) throws {
            var bytes = t.json.prettyPrinted().utf8.map { $0 } + [0x0a]
            // Pad with spaces to the reserved size: the write then needs no new blocks.
            if bytes.count < 16 * 1024 { bytes += [UInt8](repeating: 0x20, count: 16 * 1024 - bytes.count) }
            do {
                try fd.writeAll(bytes)
                try fd.sync()
            } catch {
                abandon()
                throw error
            }
            fd.close()
            _ = try syscall("rename", subject: store.file) { rename(tmp, store.file) }
            let d = try FileDescriptor.open(store.dir, O_RDONLY | O_DIRECTORY)
            defer { d.close() }
            try d.sync()
        }

        func abandon() {
            fd.close()
            Files.remove(tmp)
        }
    }

    func save(_ t: Tokens) throws {
        try prepareWrite().commit(t)
    }

    func delete() {
        Files.remove(file)
    }

    /// Removes temp files left by a writer that died.
    func cleanTempFiles() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for n in names where n.hasPrefix(".tokens.json.tmp-") { Files.remove(dir + "/" + n) }
    }
}

extension TokenStore.Tokens {
    /// tokens.json's content (also what authd hands a refresh worker on its stdin).
    var json: JSONValue {
        var o: JSONObject = ["refresh_token": .string(refreshToken)]
        o["access_token"] = accessToken.map { .string($0) } ?? .null
        o["access_expires_at"] = accessExpiresAt.map { .number(JSONNumber($0)) } ?? .null
        o["last_refresh"] = lastRefresh.map { .number(JSONNumber($0)) } ?? .null
        o["source"] = .string(source)
        return .object(o)
    }

    init?(json v: JSONValue) {
        guard let refresh = v["refresh_token"]?.stringValue, !refresh.isEmpty else { return nil }
        self.init(refreshToken: refresh, accessToken: v["access_token"]?.stringValue,
                  accessExpiresAt: v["access_expires_at"]?.doubleValue, lastRefresh: v["last_refresh"]?.doubleValue,
                  source: v["source"]?.stringValue ?? "unknown")
    }
}
