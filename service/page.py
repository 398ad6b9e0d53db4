"""GET /: the clinicians' page (static HTML and JS that call the JSON endpoints)."""
from __future__ import annotations

from flask import Blueprint, render_template

from classifier.limits import LIMITS
from service.state import state
from service.validation import DEFAULT_SAMPLING_RATE

bp = Blueprint("page", __name__)


@bp.get("/")
def index():
    return render_template("index.html", limits=LIMITS, default_rates=DEFAULT_SAMPLING_RATE,
                           api_key_required=bool(state().config.api_key))
