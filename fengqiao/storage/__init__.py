"""Persistence: SQL records, the key-value store and the file store."""
