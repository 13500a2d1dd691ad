/// One node of a parsed YAML document: a scalar, a sequence or a mapping, with where it was written.
///
/// Aliases are already replaced by the node they refer to and `<<` merge keys already applied, so
/// a consumer never sees either. Scalars keep their text exactly as written (after YAML's own
/// unescaping and folding); deciding whether `16:9` or `yes` is a number, a boolean or a string is
/// left to the consumer, which knows what type it expects.
package struct Node: Sendable {
    /// What the node holds.
    package enum Content: Sendable {
        /// A scalar's text and style.
        case scalar(Scalar)
        /// A sequence's items, in order.
        case sequence([Node])
        /// A mapping's pairs, in the order written (merged pairs where the `<<` key stood).
        case mapping([Pair])
    }

    /// One key and its value in a mapping.
    package struct Pair: Sendable {
        /// The key node (a scalar in every manifest).
        package var key: Node
        /// The value node.
        package var value: Node

        /// Makes a pair.
        package init(key: Node, value: Node) {
            self.key = key
            self.value = value
        }
    }

    /// The node's content.
    package var content: Content
    /// Where the node starts in the source.
    package var mark: Mark
    /// The explicit tag, fully resolved (`tag:yaml.org,2002:str` for `!!str`), or `nil` when the
    /// node carries none.
    package var tag: String?
    /// Whether a sequence was written in flow style (`[a, b]`), where an unquoted comma splits items.
    package var isFlow = false

    /// Makes a node.
    package init(_ content: Content, mark: Mark, tag: String? = nil) {
        self.content = content
        self.mark = mark
        self.tag = tag
    }
}

/// A scalar's text and how it was written.
package struct Scalar: Sendable, Hashable {
    /// The scalar's value after YAML's unescaping and line folding.
    package var value: String
    /// How it was written.
    package var style: ScalarStyle

    /// Makes a scalar.
    package init(_ value: String, style: ScalarStyle = .plain) {
        self.value = value
        self.style = style
    }
}

/// How a scalar was written in the source.
package enum ScalarStyle: Sendable, Hashable {
    /// Unquoted.
    case plain
    /// `'single quoted'`.
    case singleQuoted
    /// `"double quoted"`.
    case doubleQuoted
    /// A `|` block.
    case literal
    /// A `>` block.
    case folded
}
