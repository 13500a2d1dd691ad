import Foundation
import Testing

@testable import RunningHubAPI

/// Results are recognised by their first bytes and must be of the kind the model makes.
@Suite("Result kinds")
struct ResultKindTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
    static let mp4: [UInt8] = [0, 0, 0, 0x18] + Array("ftypisom".utf8) + [0, 0, 2, 0]
    static let mov: [UInt8] = [0, 0, 0, 0x14] + Array("ftypqt  ".utf8) + [0, 0, 2, 0]
    static let m4a: [UInt8] = [0, 0, 0, 0x1C] + Array("ftypM4A ".utf8) + [0, 0, 2, 0]
    static let webm: [UInt8] = [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81]
    static let wav: [UInt8] = Array("RIFF".utf8) + [36, 0, 0, 0] + Array("WAVEfmt ".utf8)
    static let mp3: [UInt8] = Array("ID3".utf8) + [4, 0, 0, 0, 0, 0, 0]
    static let frame: [UInt8] = [0xFF, 0xFB, 0x90, 0x64, 0, 0]
    static let flac: [UInt8] = Array("fLaC".utf8) + [0, 0, 0, 34]
    static let ogg: [UInt8] = Array("OggS".utf8) + [0, 2, 0, 0]
    static let glb: [UInt8] = Array("glTF".utf8) + [2, 0, 0, 0, 100, 0, 0, 0]
    static let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 20, 0, 0, 0]
    static let fbx: [UInt8] = Array("Kaydara FBX Binary  ".utf8) + [0, 0x1A, 0]

    @Test(arguments: [
        (png, OutputKind.image, "png"), (mp4, .video, "mp4"), (mov, .video, "mov"), (webm, .video, "webm"),
        (png, .video, "png"), // a video model's still frame (returnLastFrame)
        (wav, .audio, "wav"), (mp3, .audio, "mp3"), (frame, .audio, "mp3"), (flac, .audio, "flac"),
        (ogg, .audio, "ogg"), (m4a, .audio, "m4a"),
        (glb, .model3D, "glb"), (zip, .model3D, "zip"), (fbx, .model3D, "fbx"),
        (bytes("# Blender\nv 0 0 0\n"), .model3D, "obj"),
        (bytes("A room with a green sofa."), .text, "txt"),
    ])
    func resultsOfTheRightKindAreNamedByTheirBytes(head: [UInt8], kind: OutputKind, ext: String) throws {
        let format = try RunningHubClient.format(of: head, received: head.count, expecting: kind)
        #expect(format.fileExtension == ext)
    }

    @Test(arguments: [
        (mp4, OutputKind.image, "not-an-image"), (png, .audio, "not-audio"), (wav, .video, "not-a-video"),
        (png, .model3D, "not-a-3d-model"), (bytes("<html>expired</html>\u{0}"), .image, "not-an-image"),
        (bytes("just text"), .image, "not-an-image"), ([0, 1, 2, 3], .text, "not-text"),
    ])
    func resultsOfAnotherKindFailWithTheKindsCode(head: [UInt8], kind: OutputKind, code: String) {
        #expect {
            _ = try RunningHubClient.format(of: head, received: head.count, expecting: kind)
        } throws: { error in
            guard let error = error as? DownloadError else { return false }
            return error.reason == .wrongKind && error.expected?.mismatchCode == code && !error.isRetryable
        }
    }

    @Test func base64RoundTripsForTextResults() {
        for text in ["", "a", "ab", "abc", "Zürich — 東京 ✓", String(repeating: "xyz", count: 1000)] {
            #expect(RunningHubClient.inlineBytes(RunningHubClient.textResult(text).url) == Array(text.utf8))
        }
        #expect(RunningHubClient.textResult("hello").url.hasSuffix(",aGVsbG8="))
        #expect(RunningHubClient.inlineBytes("data:text/plain;base64,not base64!") == nil)
        let result = RunningHubClient.textResult("An answer.")
        #expect(result.url.hasPrefix("data:text/plain;charset=utf-8;base64,") && result.outputType == "txt")
    }
}
