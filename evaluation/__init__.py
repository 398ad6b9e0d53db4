"""Automatic evaluation of the service's words: ``python -m evaluation`` (see README.md)."""
