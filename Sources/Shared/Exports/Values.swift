// Everything that imports Shared sees the plain values too (JSON, the config's
// sections, reasoning, SHA-256, text): Shared is Values plus the system.
@_exported import Values
