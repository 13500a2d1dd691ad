import ArgumentParser
import RHBatchCore
import RunningHubSimulator

/// `rh-batch inspect workflow ID` / `inspect app ID`: the inputs a manifest can set.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a workflow's or AI app's inputs a manifest can set, and a workflows: entry to paste.",
        discussion: """
            Reads the workflow's API graph (getJsonApiFormat) or the app's field list (apiCallDemo): free \
            reads, with RH_API_KEY, or from the built-in simulator with --simulate. A copy is kept in the \
            user cache ($XDG_CACHE_HOME/rh-batch/workflows), which is read when no key is set.
            """
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case workflow, app
    }

    @Argument(help: "workflow or app.")
    var kind: Kind

    @Argument(help: "The workflowId or webappId (digits).")
    var id: String

    @OptionGroup var simulation: WorkflowSimulationOptions

    @Flag(help: "Print the inputs as JSON.")
    var json = false

    func validate() throws {
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ValidationError("'\(id)' is not an id: workflow and app ids are digits")
        }
    }

    func run() async throws {
        let declaration = WorkflowDeclaration(reading: kind == .workflow ? .workflow : .app, id: id)
        let definitions = await WorkflowReading.definitions(
            [declaration], outputFolder: nil, simulator: simulation.simulator, preferSource: true)
        for (_, message) in definitions.changed { Console.error("warning: \(message)") }
        guard let definition = definitions[declaration] else {
            let key = WorkflowDefinitions.key(declaration.kind, id)
            Console.error("error: cannot read \(kind.rawValue) \(id): \(definitions.problems[key] ?? "not found")")
            throw ExitCode(.stopped)
        }
        if json {
            let inputs = definition.inputs.map { input in
                JSONValue.object([
                    ("node", .string(input.target.node)), ("field", .string(input.target.field)),
                    ("class", .string(input.classType)), ("title", .string(input.title)),
                    ("type", .string(input.type.name)), ("settable", .boolean(input.type.isOverridable)),
                    ("current", input.current),
                    (
                        "options",
                        {
                            if case .choice(let options) = input.type {
                                return .array(
                                    options.map { .object([("name", .string($0.name)), ("value", .string($0.index))]) })
                            }
                            return .null
                        }()
                    ),
                ])
            }
            let object = JSONValue.object([
                ("kind", .string(kind.rawValue)), ("id", .string(id)), ("title", .string(definition.title)),
                ("sha256", .string(definition.sha256)), ("inputs", .array(inputs)),
                ("outputNodes", .array(definition.outputNodes.map(JSONValue.string))),
            ])
            print(object.pretty)
        } else {
            print(definition.inspection())
        }
    }
}
