/// The output path template: `{model}/{image}/{prompt}/{aspect_ratio}_{resolution}_{quality}_{sample}.{ext}`.
///
/// A placeholder whose field the job's model does not take is left out together with one
/// separator beside it, so a grok-imagine result lands at `grok-imagine/room/greenhouse/1.png`.
/// `{ext}` and `{index}` are only known once a task has finished; rendering leaves them in place
/// for ``PlannedJob/outputPath(index:fileExtension:)``.
package struct OutputLayout: Sendable {
    /// A template placeholder.
    package enum Placeholder: Sendable, Hashable {
        case model, endpoint, image, prompt, sample, index, key, ext
        /// The workflow node that made a result (left out for standard models).
        case node
        /// A model field by its snake_case name: `{aspect_ratio}`, `{duration}`, `{seed}`.
        case field(String)

        /// The placeholders that are not fields.
        static let fixed: [(String, Placeholder)] = [
            ("model", .model), ("endpoint", .endpoint), ("image", .image), ("prompt", .prompt),
            ("sample", .sample), ("index", .index), ("key", .key), ("ext", .ext), ("node", .node),
        ]
    }

    enum Token: Sendable {
        case literal(String)
        case placeholder(Placeholder)
    }

    /// The default template of the manifest format.
    package static let defaultTemplate = "{model}/{image}/{prompt}/{aspect_ratio}_{resolution}_{quality}_{sample}.{ext}"

    /// The template's path components, each a list of tokens.
    let components: [[Token]]
    /// Whether the template places `{index}` itself.
    package let hasIndex: Bool

    /// Parses a template.
    ///
    /// - Throws: a message when a placeholder is unknown, a brace is unbalanced, or the template
    ///   could leave the output folder.
    package init(_ template: String, fieldNames: Set<String> = ["aspect_ratio", "resolution", "quality"])
        throws(LayoutError)
    {
        var text = template.trimmed
        if text.hasPrefix("/") { throw LayoutError("the layout must be a relative path, not start with '/'") }
        if !text.contains("{ext}") { text += ".{ext}" }
        var components: [[Token]] = []
        for component in text.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty {
                throw LayoutError("the layout has an empty path component ('//' or a trailing '/')")
            }
            if component == ".." || component == "." {
                throw LayoutError("the layout may not use '\(component)' as a path component")
            }
            components.append(try Self.tokens(component, fieldNames: fieldNames))
        }
        self.components = components
        self.hasIndex = components.joined().contains {
            if case .placeholder(.index) = $0 { return true }
            return false
        }
    }

    private static func tokens(_ component: Substring, fieldNames: Set<String>) throws(LayoutError) -> [Token] {
        var tokens: [Token] = []
        var rest = component
        while let open = rest.firstIndex(of: "{") {
            if open > rest.startIndex { tokens.append(.literal(String(rest[..<open]))) }
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw LayoutError("the layout has a '{' without its '}'")
            }
            let name = String(rest[rest.index(after: open)..<close])
            let placeholder: Placeholder
            if let fixed = Placeholder.fixed.first(where: { $0.0 == name }) {
                placeholder = fixed.1
            } else if fieldNames.contains(name) || fieldNames.contains(FieldSpec.snakeCase(name)) {
                placeholder = .field(FieldSpec.snakeCase(name))
            } else {
                let known =
                    Placeholder.fixed.map { "{\($0.0)}" }.joined(separator: " ")
                    + " and any model field ({aspect_ratio}, {duration}, {seed}, ...)"
                let hint =
                    Suggestion.closest(to: name, in: Placeholder.fixed.map(\.0) + fieldNames.sorted()).map {
                        " (did you mean '{\($0)}'?)"
                    } ?? ""
                throw LayoutError("unknown placeholder '{\(name)}'\(hint); known: \(known)")
            }
            tokens.append(.placeholder(placeholder))
            rest = rest[rest.index(after: close)...]
        }
        if rest.contains("}") { throw LayoutError("the layout has a '}' without its '{'") }
        if !rest.isEmpty { tokens.append(.literal(String(rest))) }
        return tokens
    }

    /// Renders the path for a job's values, which the caller has made safe with ``safe(_:)``; a
    /// `nil` value is a field the model does not take. `{ext}` and `{index}` stay in the result as
    /// written.
    package func render(_ value: (Placeholder) -> String?) -> String {
        var path = ""
        for (position, component) in components.enumerated() {
            if position > 0 { path += "/" }
            // Most components have every value: written straight, no pieces to trim.
            var rendered = ""
            var complete = true
            for token in component where complete {
                switch token {
                case .literal(let text): rendered += text
                case .placeholder(.ext): rendered += "{ext}"
                case .placeholder(.index): rendered += "{index}"
                case .placeholder(let placeholder):
                    if let text = value(placeholder) { rendered += text } else { complete = false }
                }
            }
            if complete {
                path += Self.component(rendered)
                continue
            }
            var pieces: [String] = []
            var missing: [Bool] = []
            for token in component {
                switch token {
                case .literal(let text):
                    pieces.append(text)
                    missing.append(false)
                case .placeholder(.ext):
                    pieces.append("{ext}")
                    missing.append(false)
                case .placeholder(.index):
                    pieces.append("{index}")
                    missing.append(false)
                case .placeholder(let placeholder):
                    if let text = value(placeholder) {
                        pieces.append(text)
                        missing.append(false)
                    } else {
                        pieces.append("")
                        missing.append(true)
                    }
                }
            }
            for index in pieces.indices where missing[index] {
                if index > 0, let last = pieces[index - 1].last, Self.separators.contains(last) {
                    pieces[index - 1].removeLast()
                } else if index + 1 < pieces.count, let first = pieces[index + 1].first, Self.separators.contains(first)
                {
                    pieces[index + 1].removeFirst()
                }
            }
            path += Self.component(pieces.joined())
        }
        return path
    }

    private static let separators: Set<Character> = ["_", "-"]

    /// A rendered path component as written: an empty one or one that starts with "." (by
    /// characters: a dot with a combining mark is not ".") gets a leading "_".
    static func component(_ rendered: String) -> String {
        rendered.isEmpty || rendered.hasPrefix(".") ? "_" + rendered : rendered
    }

    /// The placeholders whose values differ from job to job of one fitting: everything else
    /// (the model, the endpoint, the fields, the node) is the same for all of its jobs.
    static let perJob: Set<Placeholder> = [.image, .prompt, .sample, .key]

    /// The layout with the values that a fitting's jobs share already in place, and the
    /// separators beside its missing values already dropped: what ``render(_:)`` does for each
    /// job, done once. `nil` when a missing value sits next to a job's own value (which
    /// separator goes then depends on the job): such a layout is rendered whole for each job.
    package func prepared(_ shared: (Placeholder) -> String?) -> Prepared? {
        var prepared: [[Prepared.Piece]] = []
        for component in components {
            var pieces: [Prepared.Piece] = []
            var missing: [Bool] = []
            for token in component {
                switch token {
                case .literal(let text): pieces.append(.text(text))
                case .placeholder(.ext): pieces.append(.text("{ext}"))
                case .placeholder(.index): pieces.append(.text("{index}"))
                case .placeholder(let placeholder) where Self.perJob.contains(placeholder):
                    pieces.append(.value(placeholder))
                case .placeholder(let placeholder):
                    let value = shared(placeholder)
                    pieces.append(.text(value ?? ""))
                    missing.append(value == nil)
                    continue
                }
                missing.append(false)
            }
            // The same trimming as `render`, on pieces whose text is known.
            for index in pieces.indices where missing[index] {
                if index > 0 {
                    guard case .text(var before) = pieces[index - 1] else { return nil }
                    if let last = before.last, Self.separators.contains(last) {
                        before.removeLast()
                        pieces[index - 1] = .text(before)
                        continue
                    }
                }
                if index + 1 < pieces.count {
                    guard case .text(var after) = pieces[index + 1] else { return nil }
                    if let first = after.first, Self.separators.contains(first) {
                        after.removeFirst()
                        pieces[index + 1] = .text(after)
                    }
                }
            }
            // Neighbouring texts joined, empty ones left out.
            var joined: [Prepared.Piece] = []
            for piece in pieces {
                if case .text(let text) = piece {
                    if text.isEmpty { continue }
                    if case .text(let previous)? = joined.last {
                        joined[joined.count - 1] = .text(previous + text)
                        continue
                    }
                }
                joined.append(piece)
            }
            prepared.append(joined)
        }
        return Prepared(components: prepared)
    }

    /// A layout prepared for the jobs of one fitting (``prepared(_:)``).
    package struct Prepared: Sendable {
        enum Piece: Sendable {
            case text(String)
            /// One of ``OutputLayout/perJob``.
            case value(Placeholder)
        }

        let components: [[Piece]]

        /// A job's path: the same as ``OutputLayout/render(_:)`` with the shared values it was
        /// prepared with; `value` gives the job's own (the image, the prompt, the sample, the key).
        package func render(_ value: (Placeholder) -> String) -> String {
            // Made in one string (a million jobs make a million paths): each component is put
            // in place, then given its `_` when ``OutputLayout/component(_:)`` would give it one.
            // The string gets the room it needs and no more (the plan holds every path): the
            // job's values are short texts it already has, so they are asked for twice.
            func text(_ piece: Piece) -> String {
                switch piece {
                case .text(let text): text
                case .value(let placeholder): value(placeholder)
                }
            }
            var path = ""
            path.reserveCapacity(components.joined().reduce(components.count * 2) { $0 + text($1).utf8.count })
            for (position, component) in components.enumerated() {
                if position > 0 { path += "/" }
                let start = path.utf8.count
                for piece in component { path += text(piece) }
                let first = path.utf8.index(path.utf8.startIndex, offsetBy: start)
                // A leading "." as ``OutputLayout/component(_:)`` sees it: a character, so not
                // one that a combining mark follows.
                if first == path.utf8.endIndex || path.utf8[first] == UInt8(ascii: ".") && path[first...].hasPrefix(".")
                {
                    path.insert("_", at: first)
                }
            }
            return path
        }
    }

    /// True for short ASCII names that need no change: letters, digits, `.`, `_`, `-`, `+`, no `..`.
    static func isPlainSafe(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= 80, utf8.first != UInt8(ascii: ".") else { return false }
        var previousDot = false
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"):
                previousDot = false
            case UInt8(ascii: "."):
                if previousDot { return false }
                previousDot = true
            default:
                return false
            }
        }
        return true
    }

    /// Makes a value safe as (part of) one file name: no `/`, no `..`, no control characters,
    /// `:` written as `x`, at most 80 characters.
    package static func safe(_ text: String) -> String {
        if isPlainSafe(text) { return text }
        var out = ""
        var length = 0
        var lastWasDash = false
        for scalar in text.unicodeScalars {
            let replacement: Unicode.Scalar?
            switch scalar {
            case ":": replacement = "x"
            case "/", "\\", "*", "?", "\"", "<", ">", "|", "{", "}", "%": replacement = "-"
            case _ where scalar.properties.isWhitespace: replacement = "-"
            case _ where scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format:
                replacement = nil
            default: replacement = scalar
            }
            guard let replacement else { continue }
            if replacement == "-" {
                if lastWasDash { continue }
                lastWasDash = true
            } else {
                lastWasDash = false
            }
            out.unicodeScalars.append(replacement)
            length += 1
            if length >= 80 { break }
        }
        while out.contains("..") { out = out.replacingAll("..", with: "_") }
        if out.hasPrefix(".") { out = "_" + out.dropFirst() }
        return out.isEmpty ? "_" : out
    }
}

/// A layout template that cannot be used.
package struct LayoutError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One sentence saying what is wrong.
    package var message: String

    init(_ message: String) {
        self.message = message
    }

    package var description: String { message }
}

extension String {
    /// Replaces every occurrence of `target`.
    package func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        // Room for one replacement up front: the result is kept per job (a result's path), and
        // growing by appends would leave it up to twice the room it needs.
        out.reserveCapacity(utf8.count + max(0, replacement.utf8.count - target.utf8.count))
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        out += rest
        return out
    }
}
