#if canImport(Glibc)
    import Glibc
#endif

/// ISO 8601 UTC timestamps with milliseconds (`2026-11-21T05:30:00.123Z`), made without Foundation.
package enum Timestamp {
    /// Now.
    package static func now() -> String {
        format(epochMilliseconds: epochMilliseconds())
    }

    /// The wall clock in milliseconds since 1970.
    package static func epochMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec / 1_000_000)
    }

    /// Seconds since 1970 (with fraction) of a timestamp this type wrote; `nil` for anything else.
    ///
    /// Pure arithmetic (no `timegm`): reports call it twice per job.
    package static func parse(_ text: String) -> Double? {
        var utf8 = text.utf8.makeIterator()
        var digits: [Int] = []
        digits.reserveCapacity(24)
        while let byte = utf8.next() { digits.append(Int(byte) - 48) }
        guard digits.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard (0...9).contains(digits[index]) else { return nil }
                value = value * 10 + digits[index]
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let millis = digits.count >= 23 ? Double(number(20..<23) ?? 0) / 1000 : 0
        return Double(daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second)
            + millis
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// A timestamp as a job's record holds it: milliseconds since 1970 when it is one rh-batch wrote
/// (no heap string per job), else the text as it was read, so it always comes back unchanged.
package enum StoredTimestamp: Sendable, Hashable {
    case milliseconds(Int64)
    case text(String)

    /// `text` as milliseconds when it is exactly `YYYY-MM-DDTHH:MM:SS.mmmZ` of a real date and
    /// time (so writing it back gives the same text), else as text.
    package init(_ text: String) {
        var text = text
        self = text.withUTF8 { Self.parse($0) }.map(StoredTimestamp.milliseconds) ?? .text(text)
    }

    /// The same from the text's bytes.
    package init(utf8: UnsafeBufferPointer<UInt8>) {
        self = Self.parse(utf8).map(StoredTimestamp.milliseconds) ?? .text(String(decoding: utf8, as: UTF8.self))
    }

    /// The text.
    package var text: String {
        switch self {
        case .text(let text): text
        case .milliseconds(let value): Timestamp.format(epochMilliseconds: value)
        }
    }

    /// Seconds since 1970, when it is a timestamp.
    package var seconds: Double? {
        switch self {
        case .text(let text): Timestamp.parse(text)
        case .milliseconds(let value): Double(value) / 1000
        }
    }

    private static func parse(_ utf8: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard utf8.count == 24, utf8[4] == 45, utf8[7] == 45, utf8[10] == 84, utf8[13] == 58, utf8[16] == 58,
            utf8[19] == 46, utf8[23] == 90
        else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for byte in utf8[start..<start + count] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), let millis = number(20, 3),
            year >= 1970, (1...12).contains(month), hour < 24, minute < 60, second < 60
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = month == 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].contains(month) ? 30 : 31
        guard (1...monthDays).contains(day) else { return nil }
        let seconds =
            Timestamp.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return Int64(seconds) * 1000 + Int64(millis)
    }
}

extension Timestamp {
    /// Milliseconds since 1970 as a timestamp, without the C library's calendar (the report
    /// writes two per job).
    package static func format(epochMilliseconds value: Int64) -> String {
        String(unsafeUninitializedCapacity: 24) { write(epochMilliseconds: value, into: $0) }
    }

    /// The same text written into `buffer` (room for 24 bytes); returns 24.
    package static func write(epochMilliseconds value: Int64, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let millis = Int(value % 1000)
        let seconds = Int(value / 1000)
        var days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        // Howard Hinnant's civil_from_days.
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func put(_ number: Int, _ start: Int, _ width: Int) {
            var number = number
            for position in stride(from: start + width - 1, through: start, by: -1) {
                buffer[position] = UInt8(48 + number % 10)
                number /= 10
            }
        }
        put(year, 0, 4)
        buffer[4] = 45
        put(month, 5, 2)
        buffer[7] = 45
        put(day, 8, 2)
        buffer[10] = 84
        put(secondOfDay / 3600, 11, 2)
        buffer[13] = 58
        put(secondOfDay / 60 % 60, 14, 2)
        buffer[16] = 58
        put(secondOfDay % 60, 17, 2)
        buffer[19] = 46
        put(millis, 20, 3)
        buffer[23] = 90
        return 24
    }
}
