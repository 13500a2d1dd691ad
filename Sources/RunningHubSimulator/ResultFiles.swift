import Foundation

/// The files the simulator serves as results, one kind per model output type: small, real and
/// valid for the usual readers.
///
/// PNG (``PNGEncoder``), WAV and GLB are made here; the MP4 and MP3 are tiny files the project
/// makes with ffmpeg (`Scripts/make-simulator-media.sh`) and ships as resources.
package enum ResultFiles {
    /// The result for a model's registry output type: bytes, extension and content type. The
    /// image is made by the caller (its colours depend on the job).
    static func file(output: String, seed: UInt64) -> (bytes: [UInt8], ext: String, contentType: String)? {
        switch output {
        case "video": video.map { ($0, "mp4", "video/mp4") }
        case "audio":
            seed % 2 == 0
                ? (wav(seed: seed), "wav", "audio/wav")
                : mp3.map { ($0, "mp3", "audio/mpeg") } ?? (wav(seed: seed), "wav", "audio/wav")
        case "3d": (glb(), "glb", "model/gltf-binary")
        default: nil
        }
    }

    /// A text model's answer.
    static func text(endpoint: String, seed: UInt64) -> String {
        "Simulated answer \(String(seed, radix: 16)) from \(endpoint): a short description of the input."
    }

    package static let video: [UInt8]? = resource("result", "mp4")
    package static let mp3: [UInt8]? = resource("result", "mp3")

    static func resource(_ name: String, _ ext: String) -> [UInt8]? {
        Bundle.module.url(forResource: name, withExtension: ext).flatMap { try? Data(contentsOf: $0) }.map { Array($0) }
    }

    /// Half a second of a sine tone as 16-bit mono PCM WAV; the pitch depends on the seed.
    package static func wav(seed: UInt64) -> [UInt8] {
        let rate = 8000
        let samples = rate / 2
        let frequency = 220.0 + Double(seed % 440)
        var data: [UInt8] = []
        data.reserveCapacity(samples * 2)
        for index in 0..<samples {
            let value = Int16(sin(2 * Double.pi * frequency * Double(index) / Double(rate)) * 8000)
            data += littleEndian(UInt16(bitPattern: value))
        }
        var file = Array("RIFF".utf8) + littleEndian(UInt32(36 + data.count)) + Array("WAVE".utf8)
        file += Array("fmt ".utf8) + littleEndian(UInt32(16)) + littleEndian(UInt16(1)) + littleEndian(UInt16(1))
        file +=
            littleEndian(UInt32(rate)) + littleEndian(UInt32(rate * 2)) + littleEndian(UInt16(2))
            + littleEndian(UInt16(16))
        file += Array("data".utf8) + littleEndian(UInt32(data.count)) + data
        return file
    }

    /// A binary glTF 2.0 file holding one triangle.
    package static func glb() -> [UInt8] {
        var positions: [UInt8] = []
        for value: Float in [0, 0, 0, 1, 0, 0, 0, 1, 0] { positions += littleEndian(value.bitPattern) }
        let json = """
            {"asset":{"version":"2.0","generator":"rh-batch simulator"},"scene":0,"scenes":[{"nodes":[0]}],\
            "nodes":[{"mesh":0}],"meshes":[{"primitives":[{"attributes":{"POSITION":0}}]}],\
            "buffers":[{"byteLength":36}],"bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":36}],\
            "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]}]}
            """
        var jsonChunk = Array(json.utf8)
        while jsonChunk.count % 4 != 0 { jsonChunk.append(0x20) }
        let total = 12 + 8 + jsonChunk.count + 8 + positions.count
        var file = Array("glTF".utf8) + littleEndian(UInt32(2)) + littleEndian(UInt32(total))
        file += littleEndian(UInt32(jsonChunk.count)) + Array("JSON".utf8) + jsonChunk
        file += littleEndian(UInt32(positions.count)) + [0x42, 0x49, 0x4E, 0x00] + positions
        return file
    }

    /// The upper-case format name of an uploaded file, by its first bytes (`PNG`, `MP4`, ...).
    static func format(_ bytes: [UInt8]) -> String? {
        func at(_ offset: Int, _ text: String) -> Bool {
            let expected = Array(text.utf8)
            return bytes.count >= offset + expected.count && Array(bytes[offset..<offset + expected.count]) == expected
        }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "PNG" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "JPEG" }
        if at(0, "RIFF") && at(8, "WEBP") { return "WEBP" }
        if at(0, "RIFF") && at(8, "WAVE") { return "WAV" }
        if at(0, "GIF8") { return "GIF" }
        if at(0, "BM") { return "BMP" }
        if at(4, "ftyp") { return at(8, "qt  ") ? "MOV" : at(8, "M4A ") ? "M4A" : "MP4" }
        if bytes.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return "WEBM" }
        if at(0, "ID3") || (bytes.count > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) { return "MP3" }
        return nil
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}
