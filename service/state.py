"""What the blueprints share: the configuration and the store, kept on the app."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from service.config import Config
from storage import Store

EXTENSION_KEY = "clinical_service"


@dataclass(frozen=True)
class ServiceState:
    config: Config
    store: Store


def state() -> ServiceState:
    return current_app.extensions[EXTENSION_KEY]
