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
