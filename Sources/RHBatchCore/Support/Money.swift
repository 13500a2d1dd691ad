/// An exact amount of money in millionths of a currency unit, so that summing thousands of prices
/// never drifts the way binary floating point would.
package struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The amount in millionths (0.14 CNY is 140,000).
    package var micros: Int64

    /// Makes an amount from millionths.
    package init(micros: Int64) {
        self.micros = micros
    }

    /// Zero.
    package static let zero = Money(micros: 0)

    /// Parses a decimal string such as `"0.926"`, `"12"` or `"-0.5"`; `nil` for anything else or
    /// for more than six decimals.
    package init?(_ text: some StringProtocol) {
        var text = Substring(text).trimmingSpaces
        var negative = false
        if text.first == "-" {
            negative = true
            text = text.dropFirst()
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty || parts.count == 2,
            whole.allSatisfy(\.isASCIIDigit), whole.count <= 12
        else { return nil }
        var micros = Int64(whole) ?? 0
        micros *= 1_000_000
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty || !whole.isEmpty, fraction.count <= 6, fraction.allSatisfy(\.isASCIIDigit)
            else { return nil }
            let padded = fraction + String(repeating: "0", count: 6 - fraction.count)
            micros += Int64(padded) ?? 0
        }
        self.micros = negative ? -micros : micros
    }

    /// The amount as a plain decimal string with at least two decimals: `"0.14"`, `"2.948"`, `"12.00"`.
    package var description: String {
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        let whole = magnitude / 1_000_000
        var fraction = String(magnitude % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.count > 2, fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(sign)\(whole).\(fraction)"
    }

    package static func + (lhs: Money, rhs: Money) -> Money { Money(micros: lhs.micros + rhs.micros) }
    package static func += (lhs: inout Money, rhs: Money) { lhs.micros += rhs.micros }
    package static func * (lhs: Money, rhs: Int) -> Money { Money(micros: lhs.micros * Int64(rhs)) }
    package static func < (lhs: Money, rhs: Money) -> Bool { lhs.micros < rhs.micros }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return text
    }
}

extension StringProtocol {
    /// The text without leading and trailing white space and newlines.
    package var trimmed: String { String(Substring(self).trimmingSpaces) }

    /// True when the text is empty or only white space and newlines.
    package var isBlank: Bool { allSatisfy(\.isWhitespace) }
}

extension String {
    /// The text without leading and trailing white space and newlines.
    package var trimmed: String {
        // Most texts start and end with a visible ASCII character: nothing to trim.
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F {
            return self
        }
        return String(Substring(self).trimmingSpaces)
    }
}
