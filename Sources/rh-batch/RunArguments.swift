import ArgumentParser
import RHBatchCore
import RunningHubSimulator

/// `MIN:MAX` (or one number) of seconds, with `0 <= MIN <= MAX`: the poll schedule, the
/// simulator's task latency.
struct SecondsRange: ExpressibleByArgument {
    var range: ClosedRange<Double>

    init(_ range: ClosedRange<Double>) {
        self.range = range
    }

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let low = Double(parts[0]), let high = Double(parts.last!), low >= 0,
            low <= high
        else { return nil }
        range = low...high
    }

    var defaultValueDescription: String {
        "\(range.lowerBound.shortText):\(range.upperBound.shortText)"
    }

    /// The lower bound as a duration.
    var minimum: Duration { .milliseconds(Int64(range.lowerBound * 1000)) }
    /// The upper bound as a duration.
    var maximum: Duration { .milliseconds(Int64(range.upperBound * 1000)) }
}

/// An amount of money, `25` or `12.50`, in the account's currency.
struct Amount: ExpressibleByArgument {
    var money: Money

    init?(argument: String) {
        guard let money = Money(argument) else { return nil }
        self.money = money
    }
}

/// Simulator scenarios combined with `+` or `,` (`flaky+multi`).
struct ScenarioList: ExpressibleByArgument {
    var scenarios: Set<Scenario>
    var text: String

    init?(argument: String) {
        guard let scenarios = try? Scenario.parseList(argument) else { return nil }
        self.scenarios = scenarios
        text = argument
    }

    var defaultValueDescription: String { text }

    static var allValueStrings: [String] { Scenario.allCases.map(\.rawValue) }
}

/// `I/N`, or `auto/N` with I (and N) from the array-job engine's environment (``ShardEnvironment``).
struct ShardArgument {
    var index: Int
    var count: Int

    /// Parses `text` once, reading the environment for `auto`: a `ValidationError` that says
    /// what is wrong (the variables looked at, the range of I).
    static func parse(_ text: String) throws -> ShardArgument {
        let (index, count) = try ShardEnvironment.parse(text, environment: Environment.value)
        return ShardArgument(index: index, count: count)
    }
}

extension Double {
    /// `3` for 3.0, `0.25` for 0.25.
    fileprivate var shortText: String {
        rounded() == self ? String(Int(self)) : String(self)
    }
}

/// `ID=FILE`: a workflow of the user's for the simulator, its API-format graph read from FILE.
struct SimulatedWorkflow {
    var id: String
    var text: String

    /// Reads `ID=FILE`, refusing an id that is not digits and a file that is not an API-format
    /// graph (what ComfyUI's "Export (API)" writes), with the reason.
    static func parse(_ argument: String) throws -> SimulatedWorkflow {
        guard let equals = argument.firstIndex(of: "=") else {
            throw ValidationError("'\(argument)' is not ID=FILE (a workflow id, '=', an API-format graph file)")
        }
        let id = String(argument[..<equals])
        let path = String(argument[argument.index(after: equals)...])
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ValidationError("'\(id)' is not a workflow id: ids are digits")
        }
        let bytes: [UInt8]
        switch FileSystem.readAll(path) {
        case .success(let read): bytes = read
        case .missing: throw ValidationError("\(path): no such file")
        case .failure(let reason): throw ValidationError("\(path): \(reason)")
        }
        do {
            _ = try WorkflowDefinition.graph(id: id, bytes: bytes)
        } catch {
            throw ValidationError("\(path): \(error.message)")
        }
        return SimulatedWorkflow(id: id, text: String(decoding: bytes, as: UTF8.self))
    }

    /// Several, by id.
    struct List {
        var entries: [SimulatedWorkflow]
        var files: [String: String] {
            Dictionary(entries.map { ($0.id, $0.text) }, uniquingKeysWith: { _, last in last })
        }
    }
}

/// `--simulate` and `--sim-workflow` for the commands that only read workflows (`plan`,
/// `validate`, `inspect`): the built-in simulator to read them from.
struct WorkflowSimulationOptions: ParsableArguments {
    @Flag(help: "Read workflows and apps from the built-in simulator, not the API or the cache.")
    var simulate = false

    @Option(
        name: .customLong("sim-workflow"),
        help: ArgumentHelp("With --simulate: a workflow of your own, ID=FILE (repeatable).", valueName: "ID=FILE"),
        transform: SimulatedWorkflow.parse)
    var simWorkflows: [SimulatedWorkflow] = []

    /// The simulator `--simulate` reads workflows from, or `nil`.
    var simulator: SimulatorConfiguration? {
        guard simulate else { return nil }
        var configuration = SimulatorConfiguration()
        configuration.workflows = SimulatedWorkflow.List(entries: simWorkflows).files
        return configuration
    }
}

/// `HOST:PORT` for `--listen` (`[::1]:8080` for IPv6; port 0 picks a free one).
struct ListenAddress: ExpressibleByArgument {
    var host: String
    var port: Int

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"), let port = Int(argument[argument.index(after: colon)...]),
            (0...65_535).contains(port)
        else { return nil }
        var host = String(argument[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    /// The host as a URL writes it.
    var urlHost: String { host.contains(":") ? "[\(host)]" : host }
}
