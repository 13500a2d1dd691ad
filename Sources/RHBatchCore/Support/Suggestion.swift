/// "Did you mean" hints for misspelt keys and names.
///
/// The work any one value can cause is bounded: a word or candidate longer than
/// ``longestWord`` characters gets no hint, and a candidate whose length differs from the word's
/// by more than the allowed distance is never compared (the edit distance is at least that
/// difference). A 100 KB model name used to cost seconds of edit distance per catalog name.
package enum Suggestion {
    /// The longest word (in characters) that gets a hint: longer than any key, field or model name.
    package static let longestWord = 200

    /// The candidate closest to `word`, when it is close enough to be a likely typo.
    package static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        // A character is at most 4 bytes of UTF-8 and at least one: the byte count bounds it.
        guard word.utf8.count <= longestWord * 4 else { return nil }
        let target = Array(word.lowercased())
        guard target.count <= longestWord else { return nil }
        var best: (name: String, distance: Int)?
        for candidate in candidates where candidate.utf8.count <= longestWord * 4 {
            let other = Array(candidate.lowercased())
            let allowed = max(2, min(target.count, other.count) / 3)
            guard abs(target.count - other.count) <= allowed else { continue }
            let distance = editDistance(target, other)
            if distance <= allowed, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// A ` (did you mean 'x'?)` suffix, or the empty string.
    package static func hint(for word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
