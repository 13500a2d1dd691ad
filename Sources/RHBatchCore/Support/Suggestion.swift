/// "Did you mean" hints for misspelt keys and names.
///
/// The work any one value can cause is bounded: a word or candidate longer than
/// ``longestWord`` scalars gets no hint, and a candidate whose length differs from the word's
/// by more than the allowed distance is never compared (the edit distance is at least that
/// difference). A 100 KB model name used to cost seconds of edit distance per catalog name.
package enum Suggestion {
    /// The longest word (in Unicode scalars) that gets a hint: longer than any key, field or model name.
    package static let longestWord = 200

    /// The candidate closest to `word`, when it is close enough to be a likely typo.
    ///
    /// Distances are counted in Unicode scalars of the lowercased names (every key, field and
    /// model name is ASCII), and a comparison stops as soon as it cannot beat the best so far:
    /// a misspelt model name is compared with every catalog name, so this is on the path of
    /// every manifest with a typo.
    package static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        // A scalar is at most 4 bytes of UTF-8 and at least one: the byte count bounds it.
        guard word.utf8.count <= longestWord * 4 else { return nil }
        let target = Array(word.lowercased().unicodeScalars)
        guard target.count <= longestWord else { return nil }
        var best: (name: String, distance: Int)?
        var other: [Unicode.Scalar] = []
        // No candidate is allowed a larger distance than this; a candidate has at most as many
        // scalars as bytes, so one whose bytes are too few is skipped before it is read.
        let widest = max(2, target.count / 3)
        for candidate in candidates {
            let bytes = candidate.utf8.count
            guard bytes <= longestWord * 4, bytes + widest >= target.count else { continue }
            // Names are ASCII: lowercased byte by byte, without making a string.
            other.removeAll(keepingCapacity: true)
            var ascii = true
            for byte in candidate.utf8 {
                guard byte < 0x80 else {
                    ascii = false
                    break
                }
                other.append(Unicode.Scalar((0x41...0x5A).contains(byte) ? byte + 0x20 : byte))
            }
            if !ascii {
                other.removeAll(keepingCapacity: true)
                other.append(contentsOf: candidate.lowercased().unicodeScalars)
            }
            // Allowed: the typo threshold, and below the best so far (the first of equals wins).
            let allowed = min(max(2, min(target.count, other.count) / 3), (best?.distance ?? Int.max) - 1)
            guard allowed >= 0, abs(target.count - other.count) <= allowed else { continue }
            if let distance = editDistance(target, other, atMost: allowed) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// A ` (did you mean 'x'?)` suffix, or the empty string.
    package static func hint(for word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// The edit distance of `a` and `b` when it is at most `limit`, else `nil`: a row of the
    /// table whose every cell is over the limit ends the comparison (cells never decrease
    /// along a diagonal, and every path to the end crosses each row).
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], atMost limit: Int) -> Int? {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) <= limit ? max(a.count, b.count) : nil }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var smallest = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                smallest = min(smallest, current[j])
            }
            if smallest > limit { return nil }
            swap(&previous, &current)
        }
        return previous[b.count] <= limit ? previous[b.count] : nil
    }
}
