"""Extracts in: the source contracts (as data), file names, and the shared reader for CSV and xlsx."""
