/// A weak reference to a loop-owned object, carried across threads only to
/// be dereferenced back on that loop (inside `loop.execute`).
struct LoopBound<T: AnyObject>: @unchecked Sendable {
    weak var object: T?
}
