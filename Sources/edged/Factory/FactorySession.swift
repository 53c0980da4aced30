import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Shared

/// The one URLSession edged uses for Factory (HTTPS). A delegate session so
/// response bytes are handed on as they arrive (streams stay streams); each
/// task's callbacks go to its `FactoryExchange`.
final class FactorySession: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: `handlers` is guarded by its lock; URLSession calls the
    // delegate on its own serial queue.
    private let handlers = Locked<[Int: FactoryExchange]>([:])
    private(set) var session: URLSession!

    init(timeout: Double) {
        super.init()
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = 24 * 3600
        config.httpMaximumConnectionsPerHost = 64
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        session = URLSession(configuration: config, delegate: self, delegateQueue: queue)
    }

    func start(_ request: URLRequest, for exchange: FactoryExchange) -> URLSessionDataTask {
        let task = session.dataTask(with: request)
        handlers.withLock { $0[task.taskIdentifier] = exchange }
        task.resume()
        return task
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let h = handlers.withLock { $0[dataTask.taskIdentifier] }
        h?.received(response: response as? HTTPURLResponse)
        completionHandler(.allow)
    }

    /// Never follow a redirect: the repeated request would carry its Authorization (authd's
    /// Factory token or the client's own key) to the Location's host. The 3xx itself reaches
    /// the exchange, which answers 502 naming it.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        handlers.withLock { $0[dataTask.taskIdentifier] }?.received(data: data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        let h = handlers.withLock { $0.removeValue(forKey: task.taskIdentifier) }
        h?.completed(error: error)
    }
}
