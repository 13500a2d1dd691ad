import Testing

@testable import YAML

@Suite("YAML parser")
struct YAMLParserTests {
    func parse(_ text: String, limits: YAMLParser.Limits = .init()) throws -> Node {
        try #require(try YAMLParser(limits: limits).parse(Array(text.utf8)))
    }

    func failure(_ text: String, limits: YAMLParser.Limits = .init()) -> YAMLError? {
        do {
            _ = try YAMLParser(limits: limits).parse(Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func marksAreOneBased() throws {
        let root = try parse("version: 1\nmatrix:\n  model: [a, b]\n")
        let pairs = try #require(root.mapping)
        #expect(root.mark == Mark(line: 1, column: 1))
        #expect(pairs[0].key.mark == Mark(line: 1, column: 1))
        #expect(pairs[0].value.mark == Mark(line: 1, column: 10))
        let matrix = try #require(pairs[1].value.mapping)
        #expect(matrix[0].key.mark == Mark(line: 3, column: 3))
        let models = try #require(matrix[0].value.sequence)
        #expect(models[0].mark == Mark(line: 3, column: 11))
        #expect(models[1].mark == Mark(line: 3, column: 14))
    }

    @Test func mappingsKeepOrder() throws {
        let root = try parse("z: 1\na: 2\nm: 3\n")
        #expect(root.mapping?.map { $0.key.scalar?.value } == ["z", "a", "m"])
    }

    @Test func scalarStylesAndTags() throws {
        let root = try parse(
            """
            plain: 16:9
            single: 'it''s'
            double: "a\\tb"
            literal: |
              line one
              line two
            folded: >
              one
              two
            tagged: !!str 12
            """
        )
        let values = try #require(root.mapping).map(\.value)
        #expect(values[0].scalar == Scalar("16:9", style: .plain))
        #expect(values[1].scalar == Scalar("it's", style: .singleQuoted))
        #expect(values[2].scalar == Scalar("a\tb", style: .doubleQuoted))
        #expect(values[3].scalar == Scalar("line one\nline two\n", style: .literal))
        #expect(values[4].scalar == Scalar("one two\n", style: .folded))
        #expect(values[5].tag == YAMLTag.string)
        #expect(values[5].scalar?.value == "12")
    }

    @Test func nullsAreRecognised() throws {
        let root = try parse("a: ~\nb:\nc: null\nd: 'null'\n")
        let values = try #require(root.mapping).map(\.value)
        #expect(values.map(\.isNull) == [true, true, true, false])
    }

    @Test func anchorsAndAliasesResolve() throws {
        let root = try parse("base: &b [x, y]\ncopy: *b\n")
        let pairs = try #require(root.mapping)
        #expect(pairs[1].value.sequence?.compactMap { $0.scalar?.value } == ["x", "y"])
    }

    @Test func mergeKeyWithOneMapping() throws {
        let root = try parse(
            """
            base: &base {resolution: 2k, quality: low}
            job:
              <<: *base
              quality: high
            """
        )
        let job = try #require(root.mapping?[1].value.mapping)
        let dictionary = Dictionary(uniqueKeysWithValues: job.map { ($0.key.scalar!.value, $0.value.scalar!.value) })
        #expect(dictionary == ["resolution": "2k", "quality": "high"])
        #expect(job.count == 2)
    }

    @Test func mergeKeyWithListGivesEarlierMappingsPrecedence() throws {
        let root = try parse(
            """
            a: &a {x: 1, y: 1}
            b: &b {y: 2, z: 2}
            c:
              <<: [*a, *b]
              w: 0
            """
        )
        let c = try #require(root.mapping?[2].value.mapping)
        let dictionary = Dictionary(uniqueKeysWithValues: c.map { ($0.key.scalar!.value, $0.value.scalar!.value) })
        #expect(dictionary == ["x": "1", "y": "1", "z": "2", "w": "0"])
    }

    @Test func mergeOfAScalarIsAnError() throws {
        let error = try #require(failure("a: 1\nb:\n  <<: 3\n"))
        #expect(error.code == .badMerge)
        #expect(error.mark == Mark(line: 3, column: 7))
    }

    @Test func quotedMergeKeyIsAnOrdinaryKey() throws {
        let root = try parse("'<<': {a: 1}\n")
        #expect(root.mapping?.first?.key.scalar?.value == "<<")
    }

    @Test func duplicateKeysAreErrors() throws {
        let error = try #require(failure("model: a\nprompt: x\nmodel: b\n"))
        #expect(error.code == .duplicateKey)
        #expect(error.mark == Mark(line: 3, column: 1))
        #expect(error.message.contains("'model'"))
        #expect(error.message.contains("line 1"))
    }

    @Test func severalDocumentsAreRefused() throws {
        let error = try #require(failure("a: 1\n---\nb: 2\n"))
        #expect(error.code == .multipleDocuments)
        #expect(error.mark.line == 2)
    }

    @Test func tabsInIndentationAreNamed() throws {
        let error = try #require(failure("a:\n\tb: 1\n"))
        #expect(error.code == .syntax)
        #expect(error.mark == Mark(line: 2, column: 1))
        #expect(error.message.contains("tab"))
    }

    @Test func syntaxErrorsAreLocated() throws {
        let error = try #require(failure("a: \"unclosed\nb: 2\n"))
        #expect(error.code == .syntax)
        #expect(error.mark.line >= 1)
        #expect(error.message.contains("quoted scalar"))
    }

    @Test func unknownAliasIsAnError() throws {
        let error = try #require(failure("a: *nothing\n"))
        #expect(error.code == .unknownAlias)
        #expect(error.mark == Mark(line: 1, column: 4))
    }

    @Test func emptyInputIsNoDocument() throws {
        #expect(try YAMLParser().parse([]) == nil)
        #expect(try YAMLParser().parse(Array("# only a comment\n".utf8)) == nil)
    }

    @Test func binaryGarbageIsAnEncodingError() throws {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = [0xFF, 0xFE, 0x00, 0x81]
        for _ in 0..<4096 { bytes.append(UInt8.random(in: 0...255, using: &generator)) }
        let error = try #require(failureOfBytes(bytes))
        #expect(error.code == .encoding || error.code == .syntax)
    }

    @Test func nulByteIsRefused() throws {
        let error = try #require(failureOfBytes(Array("a: b\u{0}c\n".utf8)))
        #expect(error.code == .encoding || error.code == .syntax)
        #expect(error.mark.line == 1)
    }

    func failureOfBytes(_ bytes: [UInt8]) -> YAMLError? {
        do {
            _ = try YAMLParser().parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: ["[", "{a: "])
    func deepNestingStopsAtTheLimit(opener: String) throws {
        let text = String(repeating: opener, count: 10_000)
        let error = try #require(failure(text))
        #expect(error.code == .tooDeep)
        #expect(error.message.contains("200 levels"))
    }

    @Test func deepBlockNestingStopsAtTheLimit() throws {
        var text = ""
        for level in 0..<10_000 {
            text += String(repeating: " ", count: level) + "k:\n"
        }
        let error = try #require(failure(text))
        #expect(error.code == .tooDeep)
    }

    @Test func aliasBombIsRefused() throws {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let items = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(items)]\n"
        }
        let error = try #require(failure(text))
        #expect(error.code == .tooLarge)
        #expect(error.message.contains("alias"))
    }

    @Test func aliasesWithinTheLimitAreFine() throws {
        let root = try parse("a: &a [1, 2, 3]\nb: [*a, *a, *a]\n", limits: .init(maxNodes: 100))
        #expect(root.mapping?[1].value.sequence?.count == 3)
    }
}
