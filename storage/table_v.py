"""Print the specification's Table V from the stored ratings: ``python -m storage.table_v``.

    python -m storage.table_v                      # overall
    python -m storage.table_v --by model_version   # one table per model version (or --by generator)

Columns as in the specification (metric, score 1-5, inter-rater agreement), with the 95% bootstrap
interval and the number of ratings added; agreement is Krippendorff's alpha (ordinal) over
interpretations rated by at least two raters, computed over all ratings (not per group).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Mapping, Optional

from storage.schema import RATINGS

NONE = "—"


def _number(value: Optional[float], digits: int = 2) -> str:
    return NONE if value is None else f"{value:.{digits}f}"


def format_table(group: Mapping[str, Any], alpha: Mapping[str, Optional[float]]) -> str:
    """Markdown: one row per criterion."""
    lines = [
        "| Metric | Score (1-5) | 95% interval | n | Inter-rater Agreement (α) |",
        "|--------|-------------|--------------|---|---------------------------|",
    ]
    for name in RATINGS:
        stats = group["criteria"][name]
        interval = NONE if stats["ci95"] is None else f"{_number(stats['ci95'][0])}–{_number(stats['ci95'][1])}"
        lines.append(
            f"| {name.replace('_', ' ').capitalize()} | {_number(stats['mean'])} | {interval} "
            f"| {stats['n']} | {_number(alpha[name])} |"
        )
    return "\n".join(lines)


def format_summary(summary: Mapping[str, Any], by: Optional[str] = None) -> str:
    alpha = summary["agreement"]["alpha"]
    header = (
        f"{summary['n']} ratings of {summary['items']} interpretations by {summary['raters']} "
        f"raters; α over {summary['agreement']['items']} interpretations rated by two or more."
    )
    if by is None:
        return header + "\n\n" + format_table(summary["overall"], alpha)
    groups = summary[f"by_{by}"]
    if not groups:
        return header + "\n\n(no ratings yet)"
    return header + "".join(f"\n\n**{name}**\n\n{format_table(group, alpha)}" for name, group in groups.items())


def main(argv: Optional[list[str]] = None) -> int:
    from service.config import Config
    from storage.store import Store

    parser = argparse.ArgumentParser(description="Print Table V from the stored ratings.")
    parser.add_argument(
        "--by", choices=["generator", "model_version"], help="one table per generator or per model version"
    )
    parser.add_argument("--database-url", help="default: DATABASE_URL, else the service's SQLite file")
    args = parser.parse_args(argv)
    store = Store(args.database_url or Config.from_sources().database_url)
    print(format_summary(store.feedback_summary(), args.by))
    return 0


if __name__ == "__main__":
    sys.exit(main())
