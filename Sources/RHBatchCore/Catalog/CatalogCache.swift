import Crypto
import Foundation

/// The catalog `rh-batch catalog update` fetched, kept in the user's cache folder
/// (`$XDG_CACHE_HOME/rh-batch/`, else `~/.cache/rh-batch/`): every command uses it unless
/// `--catalog` or `RH_CATALOG` names another; `rh-batch catalog reset` removes it.
package struct CatalogCache: Sendable {
    /// Where an updated catalog came from and when.
    package struct Origin: Codable, Sendable, Equatable {
        /// The registry's URL.
        package var registryURL: String
        /// The price table's URL.
        package var pricingURL: String
        /// When it was fetched (ISO 8601, UTC).
        package var fetchedAt: String
        /// The catalog's source line (`RunningHub model registry public-…, price table public-…`).
        package var source: String
        /// How many models it has.
        package var models: Int
        /// SHA-256 of the two files as downloaded.
        package var registrySHA256: String
        package var pricingSHA256: String
        /// SHA-256 of the stored catalog file: an origin whose catalog is not the one stored
        /// (a kill between the two writes) is not believed.
        package var catalogSHA256: String?

        package init(
            registryURL: String, pricingURL: String, fetchedAt: String, source: String, models: Int,
            registrySHA256: String, pricingSHA256: String
        ) {
            self.registryURL = registryURL
            self.pricingURL = pricingURL
            self.fetchedAt = fetchedAt
            self.source = source
            self.models = models
            self.registrySHA256 = registrySHA256
            self.pricingSHA256 = pricingSHA256
        }
    }

    /// The cache folder.
    package let folder: String

    /// The cache of this environment, or `nil` when neither `XDG_CACHE_HOME` nor `HOME` is set.
    package init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let base = environment["XDG_CACHE_HOME"], base.hasPrefix("/") {
            folder = base + "/rh-batch"
        } else if let home = environment["HOME"], !home.isEmpty {
            folder = home + "/.cache/rh-batch"
        } else {
            return nil
        }
    }

    /// The cached catalog file.
    package var catalogPath: String { folder + "/catalog.json" }
    /// Where it came from.
    package var originPath: String { folder + "/catalog.origin.json" }

    /// Whether a catalog is cached.
    package var hasCatalog: Bool {
        if case .regular = FileSystem.status(catalogPath) { return true }
        return false
    }

    /// Where the cached catalog came from, when known: the origin written for the catalog
    /// that is stored (its SHA-256), never one of an earlier or a later catalog. (An origin
    /// written before origins named their catalog is taken as it is.)
    package func origin() -> Origin? {
        guard let data = FileManager.default.contents(atPath: originPath),
            let origin = try? JSONDecoder().decode(Origin.self, from: data)
        else { return nil }
        guard let stored = origin.catalogSHA256 else { return origin }
        guard case .success(let bytes) = FileSystem.readAll(catalogPath), Self.sha256(bytes) == stored else {
            return nil
        }
        return origin
    }

    /// Stores a catalog and its origin, each file written whole or not at all. The origin names
    /// the catalog by its SHA-256, so a kill between the two writes leaves a catalog of unknown
    /// origin, never one labelled with another catalog's.
    package func store(_ file: CatalogFile, origin: Origin) throws(AtomicFile.Failure) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw AtomicFile.Failure(
                description: "cannot make the cache folder \(folder): \(error.localizedDescription)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data: Data
        let originData: Data
        do {
            data = try file.encoded()
            var origin = origin
            origin.catalogSHA256 = Self.sha256(Array(data))
            originData = try encoder.encode(origin)
        } catch {
            throw AtomicFile.Failure(description: "cannot encode the catalog: \(error)")
        }
        try AtomicFile.write(Array(data), to: catalogPath, durable: true)
        try AtomicFile.write(Array(originData) + [0x0A], to: originPath, durable: true)
    }

    /// SHA-256 of a downloaded file, as hex.
    package static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).hexString
    }

    /// Removes the cached catalog; `true` when there was one.
    @discardableResult
    package func reset() -> Bool {
        let had = hasCatalog
        FileSystem.remove(catalogPath)
        FileSystem.remove(originPath)
        return had
    }
}

extension ModelCatalog {
    /// Which catalog a command uses, and why.
    package enum Choice: Sendable, Equatable {
        /// `--catalog FILE`.
        case option(String)
        /// `RH_CATALOG`.
        case environment(String)
        /// The catalog `rh-batch catalog update` stored.
        case cache(String, CatalogCache.Origin?)
        /// The one rh-batch is built with.
        case builtIn

        /// One line for `catalog status` and `--version`.
        package var description: String {
            switch self {
            case .option(let path): "--catalog \(path)"
            case .environment(let path): "RH_CATALOG=\(path)"
            case .cache(let path, let origin?):
                "\(origin.source), fetched \(origin.fetchedAt) from \(origin.registryURL) (\(path))"
            case .cache(let path, nil): "the updated catalog \(path)"
            case .builtIn: "built in: \(ModelCatalog.builtInSource)"
            }
        }
    }

    /// The catalog a command uses: `path` (from `--catalog`), else `RH_CATALOG`, else the one
    /// `catalog update` stored in the cache, else the built-in one.
    package static func choice(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Choice
    {
        if let path { return .option(path) }
        if let path = environment["RH_CATALOG"], !path.isEmpty { return .environment(path) }
        if let cache = CatalogCache(environment: environment), cache.hasCatalog {
            return .cache(cache.catalogPath, cache.origin())
        }
        return .builtIn
    }
}
