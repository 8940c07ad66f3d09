"""Readers and loaders for a city's files, and open-data exports (coming)."""
