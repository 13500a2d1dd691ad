import Foundation

/// A RunningHub API key that never prints itself.
///
/// Its description is `***`, so a key passed to a log line, an error message or a report by
/// mistake shows nothing; only ``authorizationHeader`` reveals it, for the one header that needs it.
package struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    /// Wraps a key; `nil` for an empty one.
    package init?(_ value: String) {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        self.value = trimmed
    }

    /// `Bearer <key>`.
    package var authorizationHeader: String { "Bearer " + value }

    package var description: String { "***" }
    package var debugDescription: String { "APIKey(***)" }
}
