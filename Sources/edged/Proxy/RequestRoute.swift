/// What answers a request once edged has read it and the planner chose its
/// route: the backend relay (`BackendForward`), the Factory route
/// (`FactoryExchange`), or edged's merged model list (`ModelListRoute`). The
/// client connection holds the one in flight and knows nothing of its
/// state; each route owns what it needs and reports through the
/// connection's sink and `responseFinished`/`fail`.
protocol RequestRoute: AnyObject {
    /// The route's name in access-log lines and metrics.
    var label: Route { get }
    /// The loop's tick while the request is out: timeouts, held retries.
    func tick(now: UInt64)
    /// The client left or the request is given up: stop, deliver nothing more.
    func abort()
}

extension BackendForward: RequestRoute {
    var label: Route { .backend }
}

extension FactoryExchange: RequestRoute {
    var label: Route { .factory }
    /// libcurl keeps the transfer's own timeouts (connect, idle: factory.timeoutSeconds).
    func tick(now: UInt64) {}
    func abort() { cancel() }
}
