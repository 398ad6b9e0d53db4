"""The clinicians' page in a real browser: Debian's Chromium driven by Playwright, against the real
service on a local port, with real CinC, MIT-BIH and Bonn recordings sent as the files themselves.

A missing browser fails (it is installed by .ci/run); ALLOW_NO_BROWSER=1 turns that into a skip on a
developer's machine without Chromium.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from werkzeug.serving import make_server

from tests.test_api_classify import CINC, FIXTURES, read_cinc
from tests.test_api_uploads import edf_bytes

AF_RECORD = "A02506"
BONN_RATE = 173.61
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def live_app(tmp_path_factory, monkeypatch_module):
    """The service on a free local port, served by werkzeug in a thread, for the whole module."""
    from api import create_app

    folder = tmp_path_factory.mktemp("page")
    app = create_app(
        {"database_url": f"sqlite:///{folder / 'page.db'}", "use_base_gpt2": False, "warm_up_models": False}
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MEDICAL_GPT2_PATH", raising=False)
        yield patch


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("ALLOW_NO_BROWSER") == "1":
            pytest.skip("no chromium on PATH (ALLOW_NO_BROWSER=1)")
        pytest.fail("Debian's chromium is not on PATH: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


class Visit:
    """One browser tab on the page; every request to another host is refused and remembered."""

    def __init__(self, browser, base_url, viewport=None):
        self.base_url = base_url
        self.context = browser.new_context(viewport=viewport or {"width": 1200, "height": 900})
        self.foreign: list[str] = []
        self.context.route("**/*", self._only_this_host)
        self.page = self.context.new_page()
        self.page.goto(base_url + "/")

    def _only_this_host(self, route):
        if urlsplit(route.request.url).netloc == urlsplit(self.base_url).netloc:
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort()

    def classify(self, paths, signal_type="ECG", sampling_rate=""):
        page = self.page
        page.set_input_files("#file", [str(p) for p in paths])
        page.select_option("#signal_type", signal_type)
        page.fill("#sampling_rate", sampling_rate)
        page.click("#classify-button")
        self.wait_for_answer()

    def wait_for_answer(self):
        self.page.wait_for_selector("#result:not([hidden]), #error:not([hidden])", timeout=120_000)

    def facts(self) -> dict[str, str]:
        names = self.page.locator("#facts dt").all_inner_texts()
        return dict(zip(names, self.page.locator("#facts dd").all_inner_texts()))


@pytest.fixture()
def visit(browser, live_app):
    opened = []

    def open_page(viewport=None):
        opened.append(Visit(browser, live_app[1], viewport))
        return opened[-1]

    yield open_page
    for tab in opened:
        assert tab.foreign == [], f"the page asked another host: {tab.foreign}"
        tab.context.close()


def api_answer(live_app, paths, **form):
    data = {**form, "file": [(io.BytesIO(Path(p).read_bytes()), Path(p).name) for p in paths]}
    response = live_app[0].test_client().post("/classify", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def expected_finding(answer) -> str:
    label = answer["classification"]
    return f"Inconclusive (the model leaned towards {label})" if answer["inconclusive"] else label


def assert_same_as_api(tab, answer):
    facts = tab.facts()
    assert facts["Finding"] == expected_finding(answer)
    assert facts["Confidence (calibrated)"] == f"{answer['confidence'] * 100:.1f}%"


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """Real recordings as a clinician would have them: CinC WFDB and CSVs made from it, Bonn EEG."""
    folder = tmp_path_factory.mktemp("recordings")
    samples, fs = read_cinc(AF_RECORD)
    (folder / "af_one_column.csv").write_text("\n".join(f"{x:.4f}" for x in samples))
    rows = [f"{i / fs:.6f},{x:.4f}" for i, x in enumerate(samples)]
    (folder / "af_time_value.csv").write_text("\n".join(rows))
    (folder / "af_time_value_header.csv").write_text("\n".join(["time_s,ecg_mv", *rows]))
    with np.load(FIXTURES / "bonn" / "segments.npz") as segments:
        seizure, normal = segments["S012"].astype(float), segments["Z003"].astype(float)
    (folder / "bonn_seizure.txt").write_text("\n".join(f"{x:g}" for x in seizure))
    edf = edf_bytes(folder, {"Fp1": normal[:4096], "T3": seizure[:4096]}, 173)
    (folder / "bonn_two_channels.edf").write_bytes(edf)
    return folder


WFDB_AF = [CINC / f"{AF_RECORD}.hea", CINC / f"{AF_RECORD}.mat"]


def test_a_cinc_wfdb_record_chosen_as_hea_and_mat_gives_the_api_finding_on_ecg_paper(visit, live_app):
    tab = visit()
    tab.classify(WFDB_AF)
    assert_same_as_api(tab, api_answer(live_app, WFDB_AF, signal_type="ECG"))
    page = tab.page
    assert "A02506.hea + A02506.mat" in page.inner_text("#result-source")
    assert "300" in page.inner_text("#result-source") and "60.0 s" in page.inner_text("#result-source")
    assert "Standard ECG paper" in page.inner_text("#trace-scale")
    assert "of 1:00" in page.inner_text("#trace-window")
    assert "N: Normal" in page.inner_text("#legend")
    assert page.evaluate("document.activeElement.id") == "result-heading"
    assert page.locator("#interpretation h4").count() >= 3  # the numbered sections are headings


@pytest.mark.parametrize(
    "name, rate", [("af_one_column.csv", "300"), ("af_time_value.csv", ""), ("af_time_value_header.csv", "")]
)
def test_csv_files_made_from_the_record_give_the_api_finding(visit, live_app, recordings, name, rate):
    tab = visit()
    tab.classify([recordings / name], sampling_rate=rate)
    answer = api_answer(live_app, [recordings / name], signal_type="ECG", sampling_rate=rate)
    assert answer["classification"] == "Atrial Fibrillation"
    assert_same_as_api(tab, answer)
    assert "300" in tab.page.inner_text("#result-source")
    assert "Time grid only" in tab.page.inner_text("#trace-scale")  # a CSV states no units


def test_a_whole_mitbih_record_needs_its_channel_chosen_from_the_files_own_names(visit, live_app, dataset):
    record = [dataset("mitdb") / "119.hea", dataset("mitdb") / "119.dat"]
    tab = visit()
    tab.classify(record)
    page = tab.page
    assert not page.locator("#error").is_hidden()
    assert page.locator("#channel option").all_inner_texts() == ["MLII", "V1"]
    page.select_option("#channel", "MLII")
    page.click("#classify-button")
    tab.wait_for_answer()
    assert_same_as_api(tab, api_answer(live_app, record, signal_type="ECG", channel="MLII"))
    assert "V: Ventricular" in page.inner_text("#legend")
    assert "of 30:05.6" in page.inner_text("#trace-window")  # 650,000 samples at 360 Hz
    page.click("#zoom-all")
    assert "Showing 0 s to 30:05.6" in page.inner_text("#trace-window")


def test_bonn_eeg_as_text_and_as_a_two_channel_edf_give_the_api_finding(visit, live_app, recordings):
    tab = visit()
    text = [recordings / "bonn_seizure.txt"]
    tab.classify(text, signal_type="EEG", sampling_rate=str(BONN_RATE))
    assert_same_as_api(tab, api_answer(live_app, text, signal_type="EEG", sampling_rate=str(BONN_RATE)))
    assert "Seizure-like windows" in tab.facts()
    assert "Shaded" in tab.page.inner_text("#legend")

    edf = [recordings / "bonn_two_channels.edf"]
    tab.classify(edf, signal_type="EEG")
    assert tab.page.locator("#channel option").all_inner_texts() == ["Fp1", "T3"]
    tab.page.select_option("#channel", "T3")
    tab.page.click("#classify-button")
    tab.wait_for_answer()
    answer = api_answer(live_app, edf, signal_type="EEG", channel="T3")
    assert answer["classification"] == "Seizure Activity"
    assert_same_as_api(tab, answer)


def test_a_failed_upload_replaces_the_previous_result_and_the_button_is_disabled_while_working(
    visit, recordings, tmp_path
):
    tab = visit()
    page = tab.page
    tab.classify(WFDB_AF)
    assert page.is_visible("#result") and page.is_visible("#feedback-section")
    page.evaluate("""() => { const b = document.querySelector('#classify-button');
        window.buttonStates = [];
        new MutationObserver(() => window.buttonStates.push(b.disabled))
            .observe(b, {attributes: true, childList: true}); }""")
    broken = tmp_path / "notes.txt"
    broken.write_text("0.1\n0.2\nabc\n")
    tab.classify([broken])
    assert page.is_visible("#error") and "not a number" in page.inner_text("#error-message")
    assert page.is_hidden("#result") and page.is_hidden("#feedback-section")
    assert page.locator("#facts dt").count() == 0
    assert page.evaluate("window.buttonStates")[0] is True  # disabled first, enabled at the end
    assert page.evaluate("document.querySelector('#classify-button').disabled") is False


def test_on_a_phone_nothing_scrolls_sideways_targets_are_44px_and_every_control_is_labelled(visit, dataset):
    tab = visit(viewport=PHONE)
    tab.classify([dataset("mitdb") / "119.hea", dataset("mitdb") / "119.dat"])
    tab.page.select_option("#channel", "MLII")
    tab.page.click("#classify-button")
    tab.wait_for_answer()
    page = tab.page
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    small = page.evaluate("""() => [...document.querySelectorAll('button, input, select, textarea, a')]
        .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
        .map((e) => e.id || e.outerHTML.slice(0, 60))""")
    assert small == []
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.id)""")
    assert unlabelled == []
    box = page.locator("#trace").bounding_box()
    assert box["width"] >= 340 and box["height"] >= 200


def test_feedback_starts_unset_is_required_and_the_page_says_what_was_stored(visit):
    tab = visit()
    page = tab.page
    tab.classify(WFDB_AF)
    assert [
        page.input_value(f"#rating-{n}") for n in ("clinical_accuracy", "relevance", "clarity", "actionability")
    ] == ["", "", "", ""]
    page.fill("#rater_id", "nurse-7")
    sent_feedback = []
    page.on("request", lambda r: sent_feedback.append(r) if r.url.endswith("/feedback") else None)
    page.click("#feedback-button")
    page.wait_for_timeout(300)
    assert sent_feedback == []  # the browser refused the form with ratings unset
    assert page.evaluate("document.querySelector('#feedback-form').checkValidity()") is False
    for name, value in [("clinical_accuracy", "4"), ("relevance", "3"), ("clarity", "5"), ("actionability", "2")]:
        page.select_option(f"#rating-{name}", value)
    with page.expect_response("**/feedback") as sent:
        page.click("#feedback-button")
    body = sent.value.request.post_data_json
    assert body["rater_id"] == "nurse-7" and body["ratings"]["relevance"] == 3
    assert body["interpretation_id"]
    page.wait_for_selector("#feedback-status:not(:empty)")
    status = page.inner_text("#feedback-status")
    assert "clinical accuracy 4, relevance 3, clarity 5, actionability 2" in status
    assert status.startswith(("Stored", "Your earlier rating"))

    tab2 = visit()  # the rater id is asked once and kept on this device
    tab2.classify(WFDB_AF)
    assert tab2.page.input_value("#rater_id") == ""  # a new browser context has its own storage
    page.reload()
    tab.classify(WFDB_AF)
    assert page.input_value("#rater_id") == "nurse-7"


def test_a_question_is_answered_under_itself_about_the_result_on_screen(visit):
    tab = visit()
    page = tab.page
    tab.classify(WFDB_AF)
    page.fill("#question", "What should I do next?")
    with page.expect_response("**/ask") as asked:
        page.click("#ask-button")
    page.wait_for_selector("#answers article")
    body = asked.value.request.post_data_json
    assert body["interpretation_id"] and "classification" not in body  # the stored result, by its id
    assert asked.value.json()["classification"]["prediction"] == "Atrial Fibrillation"
    answer = page.locator("#answers article").first
    assert answer.locator("h3").inner_text() == "What should I do next?"
    assert "decision support" in answer.inner_text().lower()
    for link in answer.locator(".sources a").all():  # sources, when the service sends them
        assert link.get_attribute("href").startswith(("http://", "https://"))


def test_the_page_never_reaches_another_host(visit):
    tab = visit()
    elsewhere = tab.context.new_page()
    from playwright.sync_api import Error as PlaywrightError

    with pytest.raises(PlaywrightError):  # the route guard aborts the request
        elsewhere.goto("https://example.org/")
    assert tab.foreign == ["https://example.org/"]  # the guard that every test ends with sees it
    tab.foreign.clear()
    elsewhere.close()
    tab.classify(WFDB_AF)
    tab.page.fill("#question", "What does this mean?")
    tab.page.click("#ask-button")
    tab.page.wait_for_selector("#answers article")


def add_fields(tab, path, **fields):
    """The real service's answers on ``path``, with ``fields`` added as the page receives them: fields
    that other issues' server changes add, which the page must show when present. (In the page, as
    Playwright's route.fetch cannot forward Chromium's file uploads.)"""
    tab.context.add_init_script(
        """(() => {
      const realFetch = window.fetch, fields = %s;
      window.fetch = async (url, options) => {
        const response = await realFetch(url, options);
        if (!String(url).endsWith(%s) || !response.ok) return response;
        const body = JSON.stringify({...(await response.json()), ...fields});
        return new Response(body, {status: response.status, headers: response.headers});
      };
    })()"""
        % (json.dumps(fields), json.dumps(path))
    )
    tab.page.reload()


def test_the_plausibility_warning_and_inconclusive_reason_are_shown_when_the_server_sends_them(visit):
    tab = visit()
    add_fields(
        tab,
        "/classify",
        signal_check={"plausible": False, "looks_like": "EEG", "reason": "no heartbeat rhythm"},
        inconclusive=True,
        inconclusive_reason="the signal does not look like an ECG",
        windows={
            "window_s": 30.0,
            "step_s": 30.0,
            "items": [],
            "af_burden": 0.5,
            "af_episodes": [{"start_s": 0.0, "end_s": 30.0}],
        },
    )
    tab.classify(WFDB_AF)
    warning = tab.page.inner_text("#plausibility")
    assert "sent as ECG" in warning and "looks more like EEG" in warning and "no heartbeat rhythm" in warning
    assert tab.facts()["Why inconclusive"] == "the signal does not look like an ECG"
    assert tab.facts()["Finding"].startswith("Inconclusive")
    assert tab.facts()["AF burden"] == "50.0%"
    assert "atrial fibrillation episodes" in tab.page.inner_text("#legend")


def test_seizure_windows_are_shaded_from_either_shape_of_windows(visit):
    page = visit().page
    typed = {
        "window_s": 4,
        "step_s": 2,
        "items": [
            {"start_s": 0, "end_s": 4, "label": "Seizure Activity", "probability": 0.9},
            {"start_s": 2, "end_s": 6, "label": "Healthy (Normal EEG)", "probability": 0.8},
        ],
    }
    ranges = {"seizure_ranges_s": [[0, 4]], "seizure_fraction": 0.5}
    spans = page.evaluate("(ws) => ws.map((w) => shadedSpans(w).map((s) => s.slice(0, 2)))", [typed, ranges])
    assert spans == [[[0, 4]], [[0, 4]]]


def test_a_second_rating_that_the_server_reports_as_updated_is_said_to_replace_the_first(visit):
    tab = visit()
    add_fields(tab, "/feedback", status="updated")
    page = tab.page
    tab.classify(WFDB_AF)
    page.fill("#rater_id", "gp-2")
    for name in ("clinical_accuracy", "relevance", "clarity", "actionability"):
        page.select_option(f"#rating-{name}", "3")
    page.click("#feedback-button")
    page.wait_for_selector("#feedback-status:not(:empty)")
    assert page.inner_text("#feedback-status").startswith("Your earlier rating of this result was replaced")


def test_answers_show_their_sources_as_links(visit):
    tab = visit()
    source = {
        "title": "Atrial fibrillation",
        "origin": "MedlinePlus",
        "licence": "public domain",
        "url": "https://medlineplus.gov/atrialfibrillation.html",
        "passage": "...",
    }
    add_fields(tab, "/ask", sources=[source])
    tab.page.fill("#question", "What is atrial fibrillation?")
    tab.page.click("#ask-button")
    link = tab.page.locator("#answers article .sources a")
    assert link.get_attribute("href") == source["url"]
    assert link.inner_text() == "Atrial fibrillation, MedlinePlus"
