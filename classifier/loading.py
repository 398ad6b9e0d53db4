"""The one way a committed model is loaded: from its directory, on first use, once per process."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Generic, Optional, TypeVar

T = TypeVar("T")


class CommittedModel(Generic[T]):
    """A model under ``classifier/models/<name>/``, read by ``load(directory)``.

    ``get()`` loads it on the first call (under a lock, so two threads never load it twice) and
    returns the same object after; ``loaded`` says whether that has happened (``/health`` shows it).
    """

    def __init__(self, load: Callable[[Path], T], directory: Path) -> None:
        self._load, self.directory = load, directory
        self._model: Optional[T] = None
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load(self.directory)
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None
