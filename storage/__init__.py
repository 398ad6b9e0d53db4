"""Durable records of what was shown and what clinicians said about it.

``Store`` (store.py) is what the service uses; the schema is in schema.py and its Alembic migrations
in migrations/ (``python -m storage.migrate``); summary.py computes Table V from the ratings and
export.py writes the well-rated interpretations as a fine-tuning corpus (``python -m storage.export``).
"""

from storage.engine import StoreUnavailable, make_engine
from storage.schema import RATINGS, feedback, interpretations, metadata
from storage.store import Store

__all__ = ["RATINGS", "Store", "StoreUnavailable", "feedback", "interpretations", "make_engine", "metadata"]
