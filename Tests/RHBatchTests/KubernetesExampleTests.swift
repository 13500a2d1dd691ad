import ArgumentParser
import Foundation
import Testing
import YAML

@testable import rh_batch

/// The Kubernetes recipes of docs/cli.md are files (docs/examples/) that these tests read: the
/// real Kubernetes API schema accepts them, and the webhook recipe's Job, Services and Ingress
/// fit together the way `--listen` and `--webhook-url` need (issue 29).
@Suite("Kubernetes examples")
struct KubernetesExampleTests {
    static let examples = ["docs/examples/kubernetes-indexed-job.yaml", "docs/examples/kubernetes-webhook.yaml"]

    /// `kubernetes-validate` (PyPI, the Kubernetes OpenAPI schemas bundled, offline) is there (CI
    /// installs it), or the run is CI's, where it must be.
    static let validatorPresent: Bool = {
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        return (try? DocsTests.shell(["kubernetes-validate", "--version"]))?.status == 0
    }()

    @Test(.enabled(if: validatorPresent, "needs kubernetes-validate (CI installs it)"))
    func theKubernetesSchemaAcceptsTheExamples() throws {
        let result = try DocsTests.shell(["kubernetes-validate", "--strict"] + Self.examples)
        #expect(result.status == 0, "\(result.output)")
        // Every resource was checked: a Job, four Services and an Ingress in the webhook recipe.
        #expect(result.output.components(separatedBy: "passed for resource").count - 1 == 7, "\(result.output)")
        // The judge judges: a misspelt field and a wrong type are refused.
        let folder = try TempFolder()
        let text = try DocsTests.read("docs/examples/kubernetes-webhook.yaml")
        let misspelt = try folder.write(
            "misspelt.yaml", text.replacingOccurrences(of: "targetPort:", with: "targetport:"))
        let wrongType = try folder.write(
            "type.yaml", text.replacingOccurrences(of: "completions: 4", with: "completions: four"))
        for file in [misspelt, wrongType] {
            let refused = try DocsTests.shell(["kubernetes-validate", "--strict", file])
            #expect(refused.status != 0, "\(file): \(refused.output)")
        }
    }

    /// The resources of a multi-document YAML file, parsed one by one.
    static func documents(_ path: String) throws -> [Node] {
        let text = try DocsTests.read(path)
        return try text.components(separatedBy: "\n---\n").compactMap { try YAMLParser().parse(Array($0.utf8)) }
    }

    static func value(_ node: Node?, _ path: [String]) -> Node? {
        var node = node
        for key in path {
            node = node?.mapping?.first { $0.key.scalar?.value == key }?.value
        }
        return node
    }

    static func text(_ node: Node?, _ path: [String]) -> String? { value(node, path)?.scalar?.value }

    @Test func theWebhookRecipeFitsTogether() throws {
        let path = "docs/examples/kubernetes-webhook.yaml"
        #expect(
            try DocsTests.read("docs/cli.md").contains(try DocsTests.read(path)), "docs/cli.md shows the file as it is")
        let documents = try Self.documents(path)
        let job = try #require(documents.first { Self.text($0, ["kind"]) == "Job" })
        let name = try #require(Self.text(job, ["metadata", "name"]))
        #expect(Self.text(job, ["spec", "completionMode"]) == "Indexed")
        let completions = try #require(Self.text(job, ["spec", "completions"]).flatMap { Int($0) })
        let container = try #require(Self.value(job, ["spec", "template", "spec", "containers"])?.sequence?.first)
        let command = Self.value(container, ["command"])?.sequence?.compactMap { $0.scalar?.value } ?? []
        func argument(_ option: String) -> String? { command.firstIndex(of: option).map { command[$0 + 1] } }
        #expect(argument("--shard") == "auto/\(completions)")

        // The receiver listens on the container's named port, on every interface.
        let listen = try #require(argument("--listen"))
        #expect(listen.hasPrefix("0.0.0.0:"), "reachable from the Service: \(listen)")
        let ports = Self.value(container, ["ports"])?.sequence ?? []
        let port = try #require(ports.first { Self.text($0, ["containerPort"]) == String(listen.dropFirst(8)) })
        let portName = try #require(Self.text(port, ["name"]))

        // Each shard its own URL, from the index Kubernetes sets.
        let webhook = try #require(argument("--webhook-url"))
        #expect(webhook.hasPrefix("https://") && webhook.contains("$(JOB_COMPLETION_INDEX)"), "\(webhook)")

        // Every shard's command parses as rh-batch's own: `--shard` reads the index Kubernetes
        // sets, and the rest parses with that shard given as I/N (the parser reads this process's
        // environment, which tests do not change).
        for index in 0..<completions {
            let environment = ["JOB_COMPLETION_INDEX": "\(index)"]
            let shard = try ShardEnvironment.parse(try #require(argument("--shard")), environment: { environment[$0] })
            #expect(shard.index == index && shard.count == completions)
            var arguments = command.dropFirst().map {
                $0.replacingOccurrences(of: "$(JOB_COMPLETION_INDEX)", with: "\(index)")
            }
            if let position = arguments.firstIndex(of: "--shard") {
                arguments[position + 1] = "\(index)/\(completions)"
            }
            #expect(throws: Never.self, "\(arguments)") { _ = try RHBatchCommand.parseAsRoot(arguments) }
        }

        // One Service per index, selecting that index's pod of this Job, on the named port.
        let services = documents.filter { Self.text($0, ["kind"]) == "Service" }
        #expect(services.count == completions)
        var serviceByIndex: [Int: (name: String, port: String)] = [:]
        for service in services {
            #expect(Self.text(service, ["spec", "selector", "job-name"]) == name)
            let index = try #require(
                Self.text(service, ["spec", "selector", "batch.kubernetes.io/job-completion-index"]).flatMap { Int($0) }
            )
            let servicePort = try #require(Self.value(service, ["spec", "ports"])?.sequence?.first)
            #expect(Self.text(servicePort, ["targetPort"]) == portName)
            serviceByIndex[index] = (
                try #require(Self.text(service, ["metadata", "name"])), try #require(Self.text(servicePort, ["port"]))
            )
        }
        #expect(Set(serviceByIndex.keys) == Set(0..<completions))

        // The Ingress routes each shard's URL (and the secret segment the run adds) to its Service.
        let ingress = try #require(documents.first { Self.text($0, ["kind"]) == "Ingress" })
        let rule = try #require(Self.value(ingress, ["spec", "rules"])?.sequence?.first)
        let paths = Self.value(rule, ["http", "paths"])?.sequence ?? []
        let tlsHosts = Self.value(ingress, ["spec", "tls"])?.sequence?.first.flatMap {
            Self.value($0, ["hosts"])?.sequence?.compactMap { $0.scalar?.value }
        }
        for index in 0..<completions {
            let url = try #require(
                URL(string: webhook.replacingOccurrences(of: "$(JOB_COMPLETION_INDEX)", with: "\(index)") + "/SECRET"))
            #expect(Self.text(rule, ["host"]) == url.host)
            #expect(tlsHosts?.contains(url.host ?? "") == true, "TLS for \(url.host ?? "")")
            let route = paths.first { entry in
                guard let prefix = Self.text(entry, ["path"]) else { return false }
                return url.path.hasPrefix(prefix + "/") && Self.text(entry, ["pathType"]) == "Prefix"
            }
            let backend = Self.value(route, ["backend", "service"])
            #expect(Self.text(backend, ["name"]) == serviceByIndex[index]?.name, "shard \(index): \(url.path)")
            #expect(Self.text(backend, ["port", "number"]) == serviceByIndex[index]?.port)
        }
    }
}
