import ArgumentParser
import Foundation
import RHBatchCore

/// `rh-batch view DIR`: (re)writes the folder's `report.html` from its `report.json`.
struct ViewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Write an output folder's report.html (the contact sheet) from its report.json.",
        discussion: """
            Every run writes report.html by itself; this rebuilds it, for example after copying a \
            folder or upgrading rh-batch. The page is one self-contained file: open it from disk, \
            no server or network needed. --open opens it with the system's opener (xdg-open or open).
            """
    )

    @Argument(help: "The output folder.", completion: .directory)
    var folder: String

    @Flag(help: "Open the page once written.")
    var open = false

    func run() throws {
        let report: ReportFile
        do {
            report = try ReportFile.read(folder + "/report.json")
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(.invalid)
        }
        let sheet = Self.sheet(report: report, inputs: ContactSheet.placedInputs(in: folder))
        let page = folder + "/report.html"
        do {
            try AtomicFile.write(Array(sheet.html.utf8), to: page, durable: false)
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(.failed)
        }
        print("wrote \(page) (\(sheet.jobs.count) jobs)")
        if open {
            let opener = Process()
            opener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            #if os(macOS)
                opener.arguments = ["open", page]
            #else
                opener.arguments = ["xdg-open", page]
            #endif
            do { try opener.run() } catch { Console.error("could not open it: \(error)") }
        }
    }

    /// The contact sheet of a report read back.
    static func sheet(report: ReportFile, inputs: [String: String]) -> ContactSheet {
        let currency = report.totals.cost.currency
        return ContactSheet(
            header: ContactSheet.Header(report),
            jobs: report.jobs.map { ContactSheet.Job($0, placedInputs: inputs, currency: currency) })
    }
}
