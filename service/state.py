"""What the blueprints share, kept on the app: the configuration, the store and the explainer chain."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from flask import current_app

from explain.chain import Explainer
from retrieval.index import Index
from service import provenance
from service.config import Config
from storage import Store, StoreUnavailable

log = logging.getLogger(__name__)

EXTENSION_KEY = "clinical_service"


@dataclass(frozen=True)
class ServiceState:
    config: Config
    store: Store
    explainer: Explainer
    generator_status: Mapping[str, Any]
    retriever: Optional[Index] = None  # the retrieval index; None without a corpus


def state() -> ServiceState:
    return current_app.extensions[EXTENSION_KEY]


def record_interpretation(**record: Any) -> Optional[str]:
    """Store what was shown and return its id for feedback; None when the store is unavailable.

    The answer itself does not depend on the store: a clinician still gets the finding when the
    database is down, only without an id to rate it by.
    """
    generator = record["generator"]
    try:
        return state().store.save_interpretation(
            **record,
            language_model_version=provenance.language_model_version(
                generator, state().generator_status.get("model_path")
            ),
            knowledge_base_version=provenance.knowledge_base_version(),
        )
    except StoreUnavailable as exc:
        log.warning("interpretation not stored: %s", exc)
        return None
