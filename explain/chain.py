"""The fallback chain: generators tried in order, each text checked by the guard."""

from __future__ import annotations

import logging
from typing import Sequence

from explain import guard
from explain.generators import DECISION_SUPPORT, Busy, CannotAnswer, Generator
from explain.request import ExplainRequest, Explanation

log = logging.getLogger(__name__)


class Explainer:
    def __init__(self, generators: Sequence[Generator]) -> None:
        if not generators:
            raise ValueError("the chain needs at least one generator")
        self.generators = list(generators)

    @property
    def names(self) -> list[str]:
        return [g.name for g in self.generators]

    def explain(self, request: ExplainRequest) -> Explanation:
        """The first text a generator writes that passes the guard.

        Language models are skipped for inconclusive findings: the wording of an inconclusive result
        is the knowledge base's, so a model can never turn it into a diagnosis. The last generator's
        text is served even if the guard objects (it is the project's own template).
        """
        rejected: list[tuple[str, tuple[str, ...]]] = []
        for position, generator in enumerate(self.generators):
            if generator.is_language_model and request.inconclusive:
                continue
            try:
                text = generator.generate(request)
            except Busy:
                log.warning("%s is busy: the next generator answers", generator.name)
                rejected.append((generator.name, ("busy",)))
                continue
            except CannotAnswer:
                continue
            except Exception as exc:  # a model failure must not fail the request
                log.warning("generator %s failed: %s", generator.name, type(exc).__name__)
                rejected.append((generator.name, (f"failed: {type(exc).__name__}",)))
                continue
            reasons = guard.problems(text, request) if generator.is_language_model else []
            if reasons and position < len(self.generators) - 1:
                log.info("guard refused %s output: %s", generator.name, "; ".join(reasons))
                rejected.append((generator.name, tuple(reasons)))
                continue
            if DECISION_SUPPORT not in text:
                text = f"{text}\n\n{DECISION_SUPPORT}"
            return Explanation(text=text, generator=generator.name, rejected=tuple(rejected))
        raise RuntimeError("no generator in the chain produced a text")  # the template always does
