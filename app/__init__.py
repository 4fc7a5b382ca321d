"""Baton: the approval service (HTTP API, auth, database, background worker)."""
