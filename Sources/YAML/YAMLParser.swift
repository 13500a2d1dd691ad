import CLibYAML

/// Reads one YAML document into a ``Node`` tree through the system libyaml.
///
/// Anchors and aliases are resolved and `<<` merge keys applied while the tree is built, under
/// limits that keep a hostile file (an alias bomb, thousands of nesting levels) from exhausting
/// memory or the stack. Not an error: an empty stream or a document with only comments, which
/// parse to `nil`.
package struct YAMLParser: Sendable {
    /// Bounds on what one document may expand to.
    package struct Limits: Sendable, Hashable {
        /// The deepest nesting of sequences and mappings.
        package var maxDepth: Int
        /// The most nodes the document may hold once every alias is expanded.
        package var maxNodes: Int

        /// Makes limits.
        package init(maxDepth: Int = 200, maxNodes: Int = 2_000_000) {
            self.maxDepth = maxDepth
            self.maxNodes = maxNodes
        }
    }

    /// The limits this parser applies.
    package var limits: Limits

    /// Makes a parser with the given limits.
    package init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Parses UTF-8 bytes into the document's root node, or `nil` for an empty stream.
    ///
    /// - Throws: ``YAMLError`` with the location of the first problem.
    package func parse(_ bytes: [UInt8]) throws(YAMLError) -> Node? {
        if bytes.isEmpty { return nil }
        var builder = TreeBuilder(limits: limits)
        let failure: YAMLError? = bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) != 0 else {
                return YAMLError(.syntax, "libyaml could not allocate a parser", at: .start)
            }
            defer { yaml_parser_delete(&parser) }
            // libyaml reads through this pointer only while `buffer` is alive: inside this closure.
            // It is not empty (checked above), so it has a base address.
            yaml_parser_set_input_string(&parser, buffer.baseAddress!, buffer.count)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) != 0 else {
                    return Self.libyamlError(parser, source: buffer)
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return nil }
                do throws(YAMLError) {
                    try builder.consume(event)
                } catch {
                    return error
                }
            }
        }
        if let failure { throw failure }
        return builder.root
    }

    private static func libyamlError(_ parser: yaml_parser_t, source: UnsafeBufferPointer<UInt8>) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        if parser.error == YAML_READER_ERROR {
            let mark = Self.mark(ofByteOffset: parser.problem_offset, in: source)
            return YAMLError(.encoding, "the file is not UTF-8 text (\(problem))", at: mark)
        }
        let mark = Mark(parser.problem_mark)
        var message = problem
        if problem.contains("tab character")
            || (problem.contains("cannot start any token")
                && Self.character(at: mark, in: source) == UInt8(ascii: "\t"))
        {
            message = "a tab character is not allowed here; YAML indents with spaces"
        } else if let context = parser.context.map({ String(cString: $0) }) {
            let contextMark = Mark(parser.context_mark)
            message += " (\(context) at line \(contextMark.line), column \(contextMark.column))"
        }
        return YAMLError(.syntax, message, at: mark)
    }

    /// The line and column of a byte offset, for reader errors that carry only an offset.
    private static func mark(ofByteOffset offset: Int, in source: UnsafeBufferPointer<UInt8>) -> Mark {
        var line = 1
        var column = 1
        for byte in source.prefix(min(offset, source.count)) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return Mark(line: line, column: column)
    }

    /// The first byte of the character at a mark, when it is ASCII.
    private static func character(at mark: Mark, in source: UnsafeBufferPointer<UInt8>) -> UInt8? {
        var line = 1
        var index = 0
        while line < mark.line, index < source.count {
            if source[index] == UInt8(ascii: "\n") { line += 1 }
            index += 1
        }
        let target = index + mark.column - 1
        return target < source.count ? source[target] : nil
    }
}

extension Mark {
    /// Converts libyaml's 0-based mark.
    init(_ mark: yaml_mark_t) {
        self.init(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }
}
