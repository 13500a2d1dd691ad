// ThreadSanitizer and Synchronization.Mutex on Linux (README, "Sanitizers"): four threads append to
// an array only inside Mutex.withLock; ThreadSanitizer still reports a race, as it does not see
// that mutex's locking. Run: swiftc -sanitize=thread -O Scripts/tsan-mutex-repro.swift -o /tmp/m && /tmp/m
import Dispatch
import Synchronization

final class Box: Sendable {
    let state = Mutex<[Int]>([])
}
let box = Box()
let group = DispatchGroup()
for t in 0..<4 {
    DispatchQueue.global().async(group: group) {
        for i in 0..<200_000 {
            box.state.withLock { values in
                values.append(i &+ t)
                if values.count > 64 { values.removeAll(keepingCapacity: true) }
            }
        }
    }
}
group.wait()
print("done", box.state.withLock { $0.count })
