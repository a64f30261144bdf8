"""Sync-status reporter messages."""
