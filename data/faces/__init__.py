"""Real face photos shipped with skinlab; provenance in SOURCES.yaml."""
