import Testing

@testable import RHBatchCore

/// "Did you mean": typos get a hint, and no value, however long, makes the work unbounded
/// (issue 27: a 100 KB model name took 12.5 s of edit distance against every catalog name).
@Suite("Suggestion")
struct SuggestionTests {
    @Test func aTypoGetsTheNearestName() {
        #expect(Suggestion.closest(to: "concurency", in: ["concurrency", "prompts", "matrix"]) == "concurrency")
        #expect(Suggestion.closest(to: "Gpt-Image-3", in: ["gpt-image-2", "grok-imagine"]) == "gpt-image-2")
        #expect(Suggestion.closest(to: "zzz", in: ["concurrency", "prompts"]) == nil)
    }

    /// A candidate within the allowed distance is suggested even when a nearer one of another
    /// length fails its own bound.
    @Test func theNearestPassingCandidateWins() {
        #expect(Suggestion.closest(to: "seedd", in: ["seed", "sed"]) == "seed")
        #expect(Suggestion.closest(to: "sead", in: ["seed", "sound", "shot_type"]) == "seed")
    }

    /// The bounded distance is the full distance whenever that is within the bound, and `nil`
    /// otherwise, over every pair of short words of a small alphabet.
    @Test func theBoundedDistanceIsExact() {
        let words = ["", "a", "b", "ab", "ba", "abc", "acb", "bca", "aabb", "abab", "cabba", "bbbbb"]
        func full(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
            var table = (0...a.count).map { i in (0...b.count).map { j in i == 0 ? j : (j == 0 ? i : 0) } }
            for i in a.indices {
                for j in b.indices {
                    table[i + 1][j + 1] = min(
                        table[i][j + 1] + 1, table[i + 1][j] + 1, table[i][j] + (a[i] == b[j] ? 0 : 1))
                }
            }
            return table[a.count][b.count]
        }
        for first in words {
            for second in words {
                let a = Array(first.unicodeScalars)
                let b = Array(second.unicodeScalars)
                let distance = full(a, b)
                for limit in 0...5 {
                    #expect(Suggestion.editDistance(a, b, atMost: limit) == (distance <= limit ? distance : nil))
                }
            }
        }
    }

    @Test func aLongWordGetsNoHint() {
        let long = String(repeating: "gpt-image-2", count: 10_000)
        #expect(Suggestion.closest(to: long, in: ["gpt-image-2"]) == nil)
        #expect(Suggestion.closest(to: "gpt-image-2", in: [long, "gpt-image-3"]) == "gpt-image-3")
        let atLimit = String(repeating: "a", count: Suggestion.longestWord)
        #expect(Suggestion.closest(to: atLimit + "b", in: [atLimit]) == nil)
        #expect(Suggestion.closest(to: String(atLimit.dropLast()) + "b", in: [atLimit]) == atLimit)
    }

    /// The manifest frontend: a 100 KB model name is a located error without a hint.
    @Test func aHugeModelNameIsALocatedError() throws {
        let name = String(repeating: "x", count: 100_000)
        let errors = try Fixture().errors(
            """
            version: 1
            jobs:
              - {prompt: One., model: \(name)}

            """
        )
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("m.yaml:3:") == true)
        #expect(errors.first?.contains("did you mean") == false)
    }
}
