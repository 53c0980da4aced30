import Synchronization

/// A Mutex-protected value in a reference, so closures can share it
/// (a `Mutex` itself cannot be captured or copied).
public final class Locked<Value: Sendable>: Sendable {
    // Inlinable so that each use is specialized for its Value: an unspecialized call
    // looks up the generic type's metadata at run time (edged reads one per request).
    @usableFromInline let mutex: Mutex<Value>

    @inlinable public init(_ value: Value) { mutex = Mutex(value) }

    @inlinable public func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }

    @inlinable public var value: Value {
        get { mutex.withLock { $0 } }
        set { mutex.withLock { $0 = newValue } }
    }
}
