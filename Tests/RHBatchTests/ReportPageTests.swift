import Foundation
import RHBatchCore
import RunningHubSimulator
import Testing

@testable import rh_batch

/// `report.html`, the contact sheet: written by every run and by `rh-batch view`, safe with
/// hostile text, and checked in a real browser (headless Chromium through Selenium, installed by
/// `.ci/run`).
@Suite("report.html")
struct ReportPageTests {
    static let browserPresent: Bool = {
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        let probe = try? DocsTests.shell([
            "python3", "-c",
            "import selenium, shutil, sys; sys.exit(0 if shutil.which('chromium') and shutil.which('chromedriver') else 1)",
        ])
        return probe?.status == 0
    }()

    static let hostile =
        #"<img src=x onerror="window.__pwned=2"><script>window.__pwned=1</script><b class="injected" data-injected>x</b> & "onerror=alert(1) x=""#

    /// Three prompts (one hostile, one refused by moderation) on three models: 9 jobs.
    static let manifest = """
        version: 1
        name: sheet
        output: out
        concurrency: 6
        prompts:
          green: Make it green.
          evil: '\(hostile.replacingOccurrences(of: "'", with: "''"))'
          bad: Make it FORBIDDEN.
        matrix:
          prompt: [green, evil, bad]
          image: room.png
          model: [gpt-image-2, nano-banana-pro, grok-imagine]
          aspect_ratio: ["16:9"]

        """

    @Test func everyRunWritesThePageAndHostileTextStaysData() async throws {
        let harness = try RunHarness()
        let result = try await harness.run(
            Self.manifest, simulator: .init(scenarios: [.moderation], latency: 0.02...0.05))
        #expect(result.outcome.summary.contains("see them: \(result.output)/report.html"))
        let page = try String(contentsOfFile: result.output + "/report.html", encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        // Exactly the page's own two script elements; the hostile prompt only as escaped data.
        #expect(page.components(separatedBy: "<script").count - 1 == 2)
        #expect(!page.contains("<b class"))
        #expect(!page.contains("<img src=x"))
        #expect(page.contains(#"\u003cscript\u003ewindow.__pwned=1\u003c/script\u003e"#))
        // No network: nothing loads from another origin.
        #expect(!page.contains("http://") && !page.contains("https://"))
        // Results and inputs by relative paths inside the folder.
        for job in result.plan.jobs where !job.prompt.text.contains("FORBIDDEN") {
            #expect(page.contains("\"" + job.outputPath(fileExtension: "png") + "\""))
        }
        #expect(page.contains("\"inputs/"))

        // rh-batch view rebuilds it from report.json.
        try FileManager.default.removeItem(atPath: result.output + "/report.html")
        let view = try await offPool { try CLI.run(["view", result.output]) }
        #expect(view.status == 0, "\(view.stderr)")
        #expect(view.stdout.contains("(9 jobs)"))
        let rebuilt = try String(contentsOfFile: result.output + "/report.html", encoding: .utf8)
        #expect(rebuilt.components(separatedBy: "<script").count - 1 == 2)
        #expect(rebuilt.contains(#"\u003cscript\u003ewindow.__pwned=1"#))
        let missing = try await offPool { try CLI.run(["view", harness.folder.path + "/nowhere"]) }
        #expect(missing.status == 64)
    }

    struct Seen: Decodable {
        struct Filtered: Decodable {
            var jobs: Int
            var models: [String]?
            var statuses: [String]?
            var prompts: [String]?
        }

        var jobs: Int
        var media: Int
        var failed: Int
        var reasons: [String]
        var prompts: [String]
        var scripts: Int
        var injected: [Int?]
        var simulated: Bool
        var firstImageWidth: Int
        var inputImages: Int
        var afterModelFilter: Filtered
        var afterStatusFilter: Filtered
        var afterSearch: Filtered
        var sameDocument: Bool
        var dialogOpen: Bool
        var dialogText: String
        var dialogMedia: Int
        var injectedAfterAll: Int?
        var styled: Bool
    }

    @Test(.enabled(if: browserPresent, "needs chromium, chromium-driver and Python's selenium (CI installs them)"))
    func aRealBrowserShowsEveryJobFiltersAndRunsNoInjectedScript() async throws {
        let harness = try RunHarness()
        let result = try await harness.run(
            Self.manifest, simulator: .init(scenarios: [.moderation, .multi], latency: 0.02...0.05))
        #expect(result.outcome.totals.failed == 3 && result.outcome.totals.succeeded == 6)
        let screenshot = harness.folder.path + "/sheet.png"
        let run = try await offPool {
            try DocsTests.shell([
                "python3", DocsTests.root + "/Tests/Tools/check_report_page.py", result.output + "/report.html",
                "--screenshot", screenshot, "--filter-model", "grok-imagine", "--search", "green",
            ])
        }
        #expect(run.status == 0, "\(run.output)")
        let line = try #require(run.output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(run.output)")
        let seen = try JSONDecoder().decode(Seen.self, from: Data(line.utf8))
        // One cell per job, one picture per result (multi: two per task), the failures' reasons.
        #expect(seen.jobs == 9)
        #expect(seen.media == 12)
        #expect(seen.failed == 3)
        #expect(seen.reasons.count == 3 && seen.reasons.allSatisfy { $0.contains("1501") })
        #expect(seen.simulated)
        #expect(seen.firstImageWidth > 0, "result images load from file://")
        #expect(seen.inputImages == 3)
        // The hostile prompt is shown as its text, and nothing it carries ran or exists.
        #expect(seen.prompts.contains(Self.hostile))
        #expect(seen.scripts == 2)
        #expect(seen.injected == [nil, 0])
        #expect(seen.injectedAfterAll == nil)
        // Filters change what is visible, in the same document.
        #expect(seen.afterModelFilter.jobs == 3 && seen.afterModelFilter.models == ["grok-imagine"])
        #expect(seen.afterStatusFilter.jobs == 3 && seen.afterStatusFilter.statuses == ["failed"])
        #expect(seen.afterSearch.jobs == 3 && seen.afterSearch.prompts == ["Make it green."])
        #expect(seen.sameDocument)
        #expect(seen.styled)
        // The style sheet and script are files of the project (Sources/RHBatchCore/Resources):
        // the page embeds them exactly, and the browser runs the page with them loaded as files.
        let files = try await offPool {
            try DocsTests.shell([
                "python3", DocsTests.root + "/Tests/Tools/check_report_page.py", result.output + "/report.html",
                "--resources", DocsTests.root + "/Sources/RHBatchCore/Resources", "--filter-model", "grok-imagine",
                "--search", "green",
            ])
        }
        #expect(files.status == 0, "\(files.output)")
        let fromFiles = try #require(files.output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(files.output)")
        let seenFromFiles = try JSONDecoder().decode(Seen.self, from: Data(fromFiles.utf8))
        #expect(seenFromFiles.jobs == 9 && seenFromFiles.media == 12 && seenFromFiles.styled)
        #expect(seenFromFiles.injected == [nil, 0] && seenFromFiles.dialogOpen)
        // A click opens the job's detail: its results, prompt and task.
        #expect(seen.dialogOpen && seen.dialogMedia == 2)
        #expect(seen.dialogText.contains("task id"))
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000)
    }
}
