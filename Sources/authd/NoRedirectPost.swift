import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Shared

/// One blocking HTTP request through URLSession that never follows a redirect.
/// A 307/308 repeats the POST, body and all, to wherever `Location` points:
/// followed, it would hand the refresh token to another host. The redirect
/// answer itself comes back as the result (status 3xx and its `Location`).
///
/// Why a delegate and no completion handler: swift-corelibs-foundation follows
/// redirects of a task created with a completion handler without asking the
/// session's delegate (`_HTTPURLProtocol.redirectFor`, behaviour
/// `.dataCompletionHandler`); only a delegate-driven task reaches
/// `willPerformHTTPRedirection`, where we answer nil.
enum NoRedirectPost {
    struct Answer: Sendable {
        let status: Int
        let body: [UInt8]
        /// The `Location` of a 3xx answer.
        let location: String?
    }

    static let maxBody = 1 << 20

    static func send(_ request: URLRequest, timeout: Double) -> Result<Answer, any Error> {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        let collector = Collector()
        let session = URLSession(configuration: config, delegate: collector, delegateQueue: nil)
        let task = session.dataTask(with: request)
        task.resume()
        if !collector.done.wait(seconds: timeout + AuthLimits.workosTimeoutGrace) {
            task.cancel()
            session.invalidateAndCancel()
            return .failure(URLError(.timedOut))
        }
        session.finishTasksAndInvalidate()
        return collector.result.value ?? .failure(URLError(.badServerResponse))
    }

    private final class Collector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let done = DispatchSemaphoreBox()
        let data = Locked<[UInt8]>([])
        let result = Locked<Result<Answer, any Error>?>(nil)

        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
            completionHandler(nil)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            self.data.withLock { d in
                if d.count < NoRedirectPost.maxBody { d.append(contentsOf: data.prefix(NoRedirectPost.maxBody - d.count)) }
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            if let error {
                result.value = .failure(error)
            } else if let http = task.response as? HTTPURLResponse {
                let location = http.value(forHTTPHeaderField: "Location")
                result.value = .success(Answer(status: http.statusCode, body: data.value, location: location))
            } else {
                result.value = .failure(URLError(.badServerResponse))
            }
            done.signal()
        }
    }
}
