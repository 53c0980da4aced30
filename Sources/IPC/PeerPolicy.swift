import Shared

/// What a connected peer may do, decided from its SO_PEERCRED identity.
public struct PeerClass: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// edged: may fetch tokens and backend state.
    public static let edge = PeerClass(rawValue: 1)
    /// root, members of droidgate-admin, the operator in dev mode: may log in, import, restart.
    public static let admin = PeerClass(rawValue: 2)
}

/// A socket's allow-list. A peer that matches no rule is refused before a
/// single byte is read from it.
public struct PeerPolicy: Sendable {
    public var edgeUIDs: Set<UInt32> = []
    public var adminUIDs: Set<UInt32> = []
    public var adminGIDs: Set<UInt32> = []

    public init(edgeUIDs: Set<UInt32> = [], adminUIDs: Set<UInt32> = [], adminGIDs: Set<UInt32> = []) {
        self.edgeUIDs = edgeUIDs
        self.adminUIDs = adminUIDs
        self.adminGIDs = adminGIDs
    }

    /// The classes this peer has; empty means not allowed to connect at all.
    public func classify(_ peer: PeerCredentials, groups: [UInt32]) -> PeerClass {
        var c: PeerClass = []
        if edgeUIDs.contains(peer.uid) { c.insert(.edge) }
        if adminUIDs.contains(peer.uid) || adminGIDs.contains(peer.gid)
            || groups.contains(where: { adminGIDs.contains($0) }) {
            c.insert(.admin)
        }
        return c
    }

    /// The standard policy: root is admin; under the unit set the
    /// `droidgate-edge` user is edge and the `droidgate-admin` group is admin.
    /// Our own uid is edge and admin only when it is an operator's (in dev
    /// mode every daemon runs as the operator, who may do anything anyway).
    /// A daemon running as its own system account (`droidgate-*`) does not
    /// trust that account: supervisord's is shared with the backend it runs,
    /// and a compromised backend must not reach the admin ops (log in, import,
    /// restart) even if it could reach the socket.
    public static func standard() -> PeerPolicy {
        standard(me: Users.currentUID, myName: Users.name(of: Users.currentUID),
                 edgeUID: Users.uid(named: "droidgate-edge"), adminGID: Users.gid(named: "droidgate-admin"))
    }

    /// `standard()` with the look-ups given (pure, for tests).
    public static func standard(me: UInt32, myName: String, edgeUID: UInt32?, adminGID: UInt32?) -> PeerPolicy {
        let systemAccount = me != 0 && myName.hasPrefix(systemAccountPrefix)
        var p = systemAccount ? PeerPolicy(edgeUIDs: [], adminUIDs: [0]) : PeerPolicy(edgeUIDs: [me], adminUIDs: [0, me])
        if let edgeUID { p.edgeUIDs.insert(edgeUID) }
        if let adminGID { p.adminGIDs.insert(adminGID) }
        return p
    }

    /// The unit set's accounts (systemd/sysusers.d): droidgate-auth, -backend, -edge.
    public static let systemAccountPrefix = "droidgate-"
}
