extension Node {
    /// The scalar, when this node is one.
    package var scalar: Scalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    /// The items, when this node is a sequence.
    package var sequence: [Node]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The pairs, when this node is a mapping.
    package var mapping: [Pair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// True when the node is a plain, untagged null (`~`, `null`, or nothing at all).
    package var isNull: Bool {
        guard let scalar, scalar.style == .plain else { return tag == YAMLTag.null }
        if let tag { return tag == YAMLTag.null }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.value)
    }

    /// A short name of the node's kind for error messages: "a string", "a list", "a mapping".
    package var kindDescription: String {
        switch content {
        case .scalar: return isNull ? "null" : "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// The YAML 1.1 tags a consumer may want to compare against.
package enum YAMLTag {
    /// `!!str`
    package static let string = "tag:yaml.org,2002:str"
    /// `!!int`
    package static let int = "tag:yaml.org,2002:int"
    /// `!!float`
    package static let float = "tag:yaml.org,2002:float"
    /// `!!bool`
    package static let bool = "tag:yaml.org,2002:bool"
    /// `!!null`
    package static let null = "tag:yaml.org,2002:null"
    /// `!!merge`
    package static let merge = "tag:yaml.org,2002:merge"
}
