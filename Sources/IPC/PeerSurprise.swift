/// What the server does with a request no well-behaved peer of its class
/// sends: an op the server does not have, an op the peer may not call, or
/// `args` that are not an object.
///
/// From edged (and any peer that is not an admin) each is fatal for the
/// connection, like OpenSSH's monitor treats any message its unprivileged
/// child should not send: edged faces the network, and an edged that sends
/// what no edged build sends has been subverted or is broken; answering
/// would let it probe the op table and its permissions at leisure. Today no edged build sends an
/// op authd or supervisord lacks — edged calls `token.get`, `token.refresh`,
/// `token.subscribe` and `backend.subscribe`, each in authd or supervisord
/// before any edged called it — and no client code looks at the
/// `unknown_op` code.
/// Version skew between daemons (a newer edged beside an older supervisord
/// during an upgrade) therefore costs nothing today; an edged that ever
/// calls a new op must check the peer's version first, because an older
/// daemon will hang up on it (its `ReconnectingClient` then backs off
/// instead of reconnecting in a loop).
///
/// The one peer that does send ops a daemon may lack is the operator's CLI:
/// `make install` replaces the binaries while the old daemons keep running,
/// and a newer `droidgate backend …` may ask an older supervisord for an op
/// it does not have yet. The `unknown_op` reply names the ops the daemon
/// has, which is what the operator needs to see, so an admin peer that says
/// it is the CLI keeps getting it. That costs nothing: an admin may call
/// every op anyway. The role is the peer's own word, which is why it only
/// ever makes things stricter — a peer that is not an admin gets no reply
/// whatever it says, and edged (which says "edged") gets the fatal path even
/// in dev mode, where it runs as the operator's uid and so counts as admin.
enum PeerSurprise {
    static let lenientRole = IPCRole.cli

    /// true: close the connection; false: reply with the error and go on.
    static func isFatal(peerClass: PeerClass, hello: Hello) -> Bool {
        !(peerClass.contains(.admin) && hello.role == lenientRole)
    }
}
