"""GET /: the clinicians' page (static HTML and JS that call the JSON endpoints)."""

from __future__ import annotations

from flask import Blueprint, render_template

from classifier.signal_types import SIGNAL_TYPES
from service.state import state

bp = Blueprint("page", __name__)


@bp.get("/")
def index():
    return render_template("index.html", signal_types=SIGNAL_TYPES, api_key_required=bool(state().config.api_key))
