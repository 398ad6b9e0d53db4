"""Retrieval over the real medical text in ``data/corpus`` and the project's knowledge base.

``python -m retrieval build`` builds the index (SQLite FTS5, BM25 ranking) under
``data/retrieval/``; the app loads it at start-up and rebuilds it when a source file changed.
"""
