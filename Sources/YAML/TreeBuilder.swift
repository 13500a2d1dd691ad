import CLibYAML

/// Turns libyaml's event stream into a ``Node`` tree.
///
/// Works with an explicit stack, never recursion, so nesting depth is bounded by
/// ``YAMLParser/Limits/maxDepth`` rather than by the thread's stack.
struct TreeBuilder {
    private struct Frame {
        enum Kind { case sequence, mapping }
        var kind: Kind
        var mark: Mark
        var tag: String?
        var anchor: String?
        var flow = false
        var children: [Node] = []
    }

    let limits: YAMLParser.Limits
    private(set) var root: Node?
    private var stack: [Frame] = []
    private var anchors: [String: (node: Node, size: Int)] = [:]
    private var sizes: [Int] = []
    private var nodeCount = 0
    private var documents = 0

    init(limits: YAMLParser.Limits) {
        self.limits = limits
    }

    mutating func consume(_ event: yaml_event_t) throws(YAMLError) {
        let mark = Mark(event.start_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw YAMLError(
                    .multipleDocuments,
                    "a second YAML document starts here; a manifest is a single document (remove the extra '---')",
                    at: mark
                )
            }
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let value = Self.string(data.value, length: data.length)
            let scalar = Scalar(value, style: ScalarStyle(data.style))
            let node = Node(.scalar(scalar), mark: mark, tag: Self.optionalString(data.tag))
            try add(node, size: 1, anchor: Self.optionalString(data.anchor))
        case YAML_SEQUENCE_START_EVENT:
            let data = event.data.sequence_start
            try open(
                .sequence, mark: mark, tag: Self.optionalString(data.tag), anchor: Self.optionalString(data.anchor),
                flow: data.style == YAML_FLOW_SEQUENCE_STYLE)
        case YAML_MAPPING_START_EVENT:
            let data = event.data.mapping_start
            try open(.mapping, mark: mark, tag: Self.optionalString(data.tag), anchor: Self.optionalString(data.anchor))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            try close()
        case YAML_ALIAS_EVENT:
            let name = Self.optionalString(event.data.alias.anchor) ?? ""
            guard let anchored = anchors[name] else {
                throw YAMLError(
                    .unknownAlias,
                    "alias '*\(name)' names no anchor '&\(name)' defined before it",
                    at: mark
                )
            }
            try add(anchored.node, size: anchored.size, anchor: nil, at: mark)
        default:
            break
        }
    }

    private mutating func open(
        _ kind: Frame.Kind, mark: Mark, tag: String?, anchor: String?, flow: Bool = false
    ) throws(YAMLError) {
        if stack.count >= limits.maxDepth {
            throw YAMLError(
                .tooDeep,
                "the document nests lists and mappings more than \(limits.maxDepth) levels deep",
                at: mark
            )
        }
        stack.append(Frame(kind: kind, mark: mark, tag: tag, anchor: anchor, flow: flow))
        sizes.append(1)
    }

    private mutating func close() throws(YAMLError) {
        guard let frame = stack.popLast(), let size = sizes.popLast() else { return }
        var node: Node
        switch frame.kind {
        case .sequence:
            node = Node(.sequence(frame.children), mark: frame.mark, tag: frame.tag)
            node.isFlow = frame.flow
        case .mapping:
            node = Node(.mapping(try Self.pairs(frame.children)), mark: frame.mark, tag: frame.tag)
        }
        try attach(node, size: size, anchor: frame.anchor)
    }

    private mutating func add(_ node: Node, size: Int, anchor: String?, at mark: Mark? = nil) throws(YAMLError) {
        nodeCount += size
        if nodeCount > limits.maxNodes {
            throw YAMLError(
                .tooLarge,
                "aliases expand the document past \(limits.maxNodes) nodes; refusing it (an alias bomb?)",
                at: mark ?? node.mark
            )
        }
        try attach(node, size: size, anchor: anchor)
    }

    private mutating func attach(_ node: Node, size: Int, anchor: String?) throws(YAMLError) {
        if let anchor { anchors[anchor] = (node, size) }
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].children.append(node)
            sizes[sizes.count - 1] += size
        }
    }

    /// Pairs up a mapping's children, applies `<<` merges and refuses duplicate keys.
    private static func pairs(_ children: [Node]) throws(YAMLError) -> [Node.Pair] {
        var written: [Node.Pair] = []
        written.reserveCapacity(children.count / 2)
        var index = 0
        while index + 1 < children.count {
            written.append(Node.Pair(key: children[index], value: children[index + 1]))
            index += 2
        }
        var explicitKeys: [String: Mark] = [:]
        var hasMerge = false
        for pair in written {
            if isMergeKey(pair.key) {
                hasMerge = true
                continue
            }
            guard let key = pair.key.scalar?.value else { continue }
            if let first = explicitKeys[key] {
                throw YAMLError(
                    .duplicateKey,
                    "duplicate key '\(key)' (first written at line \(first.line), column \(first.column))",
                    at: pair.key.mark
                )
            }
            explicitKeys[key] = pair.key.mark
        }
        guard hasMerge else { return written }

        var result: [Node.Pair] = []
        var seen = Set(explicitKeys.keys)
        for pair in written {
            guard isMergeKey(pair.key) else {
                result.append(pair)
                continue
            }
            for source in try mergeSources(pair.value) {
                for merged in source {
                    if let key = merged.key.scalar?.value {
                        if seen.contains(key) { continue }
                        seen.insert(key)
                    }
                    result.append(merged)
                }
            }
        }
        return result
    }

    private static func isMergeKey(_ key: Node) -> Bool {
        guard let scalar = key.scalar, scalar.value == "<<" else { return false }
        return key.tag == YAMLTag.merge || (key.tag == nil && scalar.style == .plain)
    }

    private static func mergeSources(_ value: Node) throws(YAMLError) -> [[Node.Pair]] {
        switch value.content {
        case .mapping(let pairs):
            return [pairs]
        case .sequence(let items):
            var sources: [[Node.Pair]] = []
            for item in items {
                guard let pairs = item.mapping else {
                    throw YAMLError(
                        .badMerge, "a '<<' merge list may hold only mappings, not \(item.kindDescription)",
                        at: item.mark)
                }
                sources.append(pairs)
            }
            return sources
        case .scalar:
            throw YAMLError(
                .badMerge,
                "a '<<' merge key needs a mapping or a list of mappings, not \(value.kindDescription)",
                at: value.mark
            )
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    private static func optionalString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }
}

extension ScalarStyle {
    init(_ style: yaml_scalar_style_t) {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: self = .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: self = .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: self = .literal
        case YAML_FOLDED_SCALAR_STYLE: self = .folded
        default: self = .plain
        }
    }
}
