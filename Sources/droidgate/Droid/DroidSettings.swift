import EdgeCore
import Shared

/// Edits Droid CLI's ~/.factory/settings.json surgically: only droidgate's own
/// `customModels` entries (id `custom:droidgate:…`) are added, replaced or
/// removed, by splicing bytes; every other key, every user model, and the
/// file's formatting stay as they were.
enum DroidSettings {
    static let idPrefix = "custom:droidgate:"

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    /// The entries droidgate owns for this catalog.
    static func entries(_ catalog: [DroidModel], baseURL: String, apiKey: String) -> [JSONValue] {
        catalog.enumerated().map { i, m in
            var o: JSONObject = [
                "model": .string(m.model),
                "id": .string(idPrefix + slug(m.model)),
                "baseUrl": .string(m.provider == "anthropic" ? baseURL : baseURL + "/v1"),
                "apiKey": .string(apiKey),
                "displayName": .string(m.displayName),
                "maxOutputTokens": .int(m.maxOutputTokens),
                "noImageSupport": .bool(m.noImageSupport),
                "provider": .string(m.provider),
                "enableThinking": .bool(!m.reasoningEfforts.isEmpty),
            ]
            if !m.reasoningEfforts.isEmpty {
                o["supportedReasoningEfforts"] = .array(m.reasoningEfforts.map { .string($0) })
                o["defaultReasoningEffort"] = m.defaultReasoningEffort.map { .string($0) } ?? .null
                o["reasoningEffort"] = m.defaultReasoningEffort.map { .string($0) } ?? .null
            }
            o["index"] = .int(i)
            return .object(o)
        }
    }

    static func slug(_ model: String) -> String {
        String(model.lowercased().map { $0.isLetter || $0.isNumber || $0 == "." ? $0 : "-" })
    }

    /// The new file content: droidgate's entries replaced by `add` (empty: removed).
    static func edit(_ original: [UInt8], add: [JSONValue]) throws -> [UInt8] {
        try original.withUnsafeBytes { (body) throws -> [UInt8] in
            // Validate first: refuse anything that is not a JSON object (comments, arrays, garbage).
            let value: JSONValue
            do { value = try JSONValue(parsing: body, maxDepth: 256) } catch {
                throw Refused(description: "it is not valid JSON (\(error)); fix it or move it aside, droidgate will not guess")
            }
            guard value.objectValue != nil else {
                throw Refused(description: "its top level is \(value.typeName), not a JSON object")
            }
            let open = JSONScan.skipWhitespace(body, 0)
            let indent = detectIndent(body)
            var splice = Splice()
            let encoded = numbered(add, after: value["customModels"]?.arrayValue ?? [])
                .map { indentLines($0.prettyPrinted(indent: indent.count), by: indent + indent) }

            if let models = JSONScan.member(body, objectAt: open, named: "customModels") {
                guard body[models.start] == 0x5b, let (elements, _) = JSONScan.elements(body, arrayAt: models.start) else {
                    throw Refused(description: "its \"customModels\" is not an array")
                }
                let ours = elements.map { isOurs(body, $0) }
                let kept = elements.indices.filter { !ours[$0] }
                if ours.contains(true) {
                    if kept.isEmpty {
                        splice.replace(ByteRange(models.start, models.end), with: Array(arrayText(encoded, indent: indent).utf8))
                    } else {
                        // The insertion goes in first: at an equal offset, edits apply in the order added,
                        // and a removal may start exactly where the last kept entry ends.
                        if !encoded.isEmpty {
                            let last = elements[kept.last!]
                            splice.insert(Array((",\n" + encoded.joined(separator: ",\n")).utf8), at: last.end)
                        }
                        JSONEdits.removeElements(elements, ours, into: &splice)
                    }
                } else if !encoded.isEmpty {
                    if let last = elements.last {
                        splice.insert(Array((",\n" + encoded.joined(separator: ",\n")).utf8), at: last.end)
                    } else {
                        splice.replace(ByteRange(models.start, models.end), with: Array(arrayText(encoded, indent: indent).utf8))
                    }
                }
            } else if !encoded.isEmpty {
                // Add the key as the object's last member.
                let text = "\"customModels\": " + arrayText(encoded, indent: indent)
                JSONEdits.appendMember(body, objectAt: open, Array(text.utf8), separator: Array((",\n" + indent).utf8),
                                       emptyReplacement: Array(("{\n" + indent + text + "\n}").utf8), into: &splice)
            }
            do { return splice.isEmpty ? Array(body) : try splice.apply(to: body) } catch {
                throw Refused(description: "droidgate's own edit of it failed (\(error)); it was left as it was")
            }
        }
    }

    /// Droid orders custom models by `index`: droidgate's entries come after
    /// the user's own (after the highest index they use, and after as many
    /// entries as they have), never on the same numbers.
    static func numbered(_ add: [JSONValue], after existing: [JSONValue]) -> [JSONValue] {
        let users = existing.filter { $0["id"]?.stringValue?.hasPrefix(idPrefix) != true }
        let base = max(users.count, (users.compactMap { $0["index"]?.intValue }.max() ?? -1) + 1)
        return add.enumerated().map { i, entry in
            guard case .object(var o) = entry else { return entry }
            o["index"] = .int(base + i)
            return .object(o)
        }
    }

    static func isOurs(_ body: UnsafeRawBufferPointer, _ element: ByteRange) -> Bool {
        guard body[element.start] == 0x7b, let id = JSONScan.member(body, objectAt: element.start, named: "id"),
              let s = JSONScan.stringContents(body, id) else { return false }
        return body.string(s).hasPrefix(idPrefix)
    }

    /// droidgate's entries currently in the file.
    static func installed(_ original: [UInt8]) -> [JSONValue] {
        guard let v = try? JSONValue(parsing: original), let list = v["customModels"]?.arrayValue else { return [] }
        return list.filter { $0["id"]?.stringValue?.hasPrefix(idPrefix) == true }
    }

    /// The indentation unit the file uses (two spaces if it cannot tell).
    static func detectIndent(_ body: UnsafeRawBufferPointer) -> String {
        var i = 0
        while i < body.count {
            if body[i] == 0x0a {
                var j = i + 1
                while j < body.count && (body[j] == 0x20 || body[j] == 0x09) { j += 1 }
                if j > i + 1 && j < body.count && body[j] == 0x22 { return body.string(ByteRange(i + 1, j)) }
            }
            i += 1
        }
        return "  "
    }

    static func indentLines(_ text: String, by prefix: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(separator: "\n")
    }

    static func arrayText(_ encoded: [String], indent: String) -> String {
        encoded.isEmpty ? "[]" : "[\n" + encoded.joined(separator: ",\n") + "\n" + indent + "]"
    }
}
