import Shared

/// authd's state dir holds refresh tokens: it must be ours and closed to
/// everyone else. Like ssh with a too-open key file, we refuse to run otherwise
/// and say how to fix it.
enum StateDirectory {
    struct Unsafe: Error, CustomStringConvertible {
        let description: String
    }

    static func prepare(_ path: String) throws -> Void {
        if !Files.exists(path) {
            try Files.makeDirectory(path, mode: 0o700)
            return
        }
        let st = try Files.status(path)
        guard st.isDirectory else { throw Unsafe(description: "state dir \(path) is not a directory") }
        if st.uid != Users.currentUID {
            throw Unsafe(description: "state dir \(path) is owned by \(Users.name(of: st.uid)), not by \(Users.name(of: Users.currentUID)) who runs authd; fix: chown \(Users.name(of: Users.currentUID)) \(path)")
        }
        if st.mode & 0o077 != 0 {
            throw Unsafe(description: "state dir \(path) has mode \(String(st.mode, radix: 8)), open to group or others; fix: chmod 700 \(path)")
        }
    }
}
