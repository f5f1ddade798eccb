"""The test suite, one folder per kind: unit, integration, property, docs, interop (see ARCHITECTURE.md)."""
