"""How long the clinicians' page takes to show a 30-minute MIT-BIH record, in headless Chromium.

    OMP_NUM_THREADS=1 python -m bench.page_draw [--record 208] [--repeats 5]

The record's .hea and .dat go to ``POST /classify`` (return_signal=1) once; the answer (650,000
samples, beats, explanation) is then handed to the page in Debian's Chromium, driven by Playwright,
and timed inside the page with ``performance.now()``:

- baseline: one polyline through every sample of the whole record on the same canvas (what a
  page that draws everything it is given does);
- JSON.parse of the answer as it arrives;
- ``showResult``: every field, the explanation and the trace's first 10 s on ECG paper, with the
  beat markers and legend (what a clinician sees first);
- the whole record in one view (min/max per pixel column), after pressing "Whole recording";
- one step of the scroll slider (a 10 s view further on).

Medians of the repeats; the target is under 1 s from answer to drawn trace.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
from api import create_app  # noqa: E402
from classifier.paths import data_dir, shared_data_dir  # noqa: E402
from scripts.fetch_data import fetch  # noqa: E402

TIMINGS_JS = """
([text, repeats]) => {
  const canvas = document.querySelector('#trace');
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const time = (fn) => { const t0 = performance.now(); fn(); return performance.now() - t0; };
  const out = {baseline: [], parse: [], show: [], whole: [], scroll: []};
  let data;
  for (let r = 0; r < repeats; r++) {
    document.querySelector('#result').hidden = false;
    const s = JSON.parse(text).trace.samples;
    out.baseline.push(time(() => {
      const ctx = canvas.getContext('2d');
      canvas.width = canvas.clientWidth; canvas.height = canvas.clientHeight;
      let lo = Infinity, hi = -Infinity;
      for (const v of s) { if (v < lo) lo = v; if (v > hi) hi = v; }
      ctx.beginPath();
      for (let i = 0; i < s.length; i++) {
        const x = i / s.length * canvas.width, y = (hi - s[i]) / (hi - lo) * canvas.height;
        i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      }
      ctx.stroke(); ctx.getImageData(0, 0, 1, 1);
    }));
    clearResult();
    out.parse.push(time(() => { data = JSON.parse(text); }));
    out.show.push(time(() => { showResult(data, 'record'); canvas.getContext('2d').getImageData(0, 0, 1, 1); }));
    out.whole.push(time(() => { document.querySelector('#zoom-all').click();
                                canvas.getContext('2d').getImageData(0, 0, 1, 1); }));
    current.view.span = 10;
    out.scroll.push(time(() => { current.view.position = 0.5; redraw();
                                 canvas.getContext('2d').getImageData(0, 0, 1, 1); }));
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, median(v)]));
}
"""


def classify_with_trace(app, folder: Path, record: str, channel: str) -> str:
    files = [(io.BytesIO((folder / f"{record}{s}").read_bytes()), f"{record}{s}") for s in (".hea", ".dat")]
    response = app.test_client().post(
        "/classify",
        content_type="multipart/form-data",
        data={"file": files, "signal_type": "ECG", "channel": channel, "return_signal": "1"},
    )
    if response.status_code != 200:
        raise SystemExit(f"classify failed: {response.get_json()}")
    return response.get_data(as_text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--record", default="208")
    parser.add_argument("--channel", default="MLII")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is not on PATH: apt-get install chromium")
    folder = Path(fetch("mitdb", data_dir(), shared_data_dir()))
    database = Path(tempfile.mkdtemp()) / "bench.db"
    app = create_app({"database_url": f"sqlite:///{database}", "use_base_gpt2": False, "warm_up_models": False})
    text = classify_with_trace(app, folder, args.record, args.channel)
    n_samples = len(json.loads(text)["trace"]["samples"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"http://127.0.0.1:{server.server_port}/")
        ms = page.evaluate(TIMINGS_JS, [text, args.repeats])
        version = browser.version
        browser.close()
    server.shutdown()
    base = ms["baseline"]
    print(
        f"record {args.record} ({args.channel}): {n_samples} samples, answer {len(text) / 1e6:.1f} MB of "
        f"JSON; Chromium {version}, headless, 1200 px wide; median of {args.repeats}"
    )
    rows = [
        ("baseline: one polyline through every sample", base),
        ("JSON.parse of the answer", ms["parse"]),
        ("showResult (fields, text, first 10 s on paper)", ms["show"]),
        ("whole record in one view", ms["whole"]),
        ("scroll to the middle (10 s view)", ms["scroll"]),
    ]
    for name, value in rows:
        print(f"{name:<50} {value:8.1f} ms  {value / base:5.2f}x baseline")
    total = ms["parse"] + ms["show"]
    print(
        f"answer to drawn trace (parse + showResult): {total:.1f} ms; target under 1000 ms -> "
        f"{'met' if total < 1000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
