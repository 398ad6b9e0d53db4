// The clinicians' page: sends the chosen file(s) to /classify as they are (the server reads them),
// shows one result at a time, takes feedback on that result and answers questions.
"use strict";
const $ = (id) => document.getElementById(id);
const RATINGS = ["clinical_accuracy", "relevance", "clarity", "actionability"];
const RATER_KEY = "raterId";
let current = null;  // {result, view}: the result on screen, the only one feedback can be given on

function authHeaders() {
  const key = $("api_key");  // present only when the service asks for an API key
  return key && key.value ? { Authorization: `Bearer ${key.value}` } : {};
}

async function send(url, body) {
  const isForm = body instanceof FormData;
  const headers = { ...authHeaders(), ...(isForm ? {} : { "Content-Type": "application/json" }) };
  const response = await fetch(url, { method: "POST", headers, body: isForm ? body : JSON.stringify(body) });
  let data;
  try { data = await response.json(); } catch { data = {}; }
  if (!response.ok) {
    const error = new Error(data.error || `the service answered HTTP ${response.status}`);
    error.channels = data.channels;
    throw error;
  }
  return data;
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

const percent = (p) => `${(p * 100).toFixed(1)}%`;

function clearResult() {
  current = null;
  ["result", "feedback-section", "error", "plausibility"].forEach((id) => { $(id).hidden = true; });
  ["facts", "interpretation", "legend", "answers"].forEach((id) => { $(id).replaceChildren(); });
  $("probabilities").tBodies[0].replaceChildren();
  $("feedback-form").reset();
  $("rater_id").value = localStorage.getItem(RATER_KEY) || "";
  $("feedback-status").textContent = "";
  $("ask-status").textContent = "";
}

function showError(message) {
  $("error-message").textContent = message;
  $("error").hidden = false;
}

function offerChannels(channels) {
  const select = $("channel");
  select.replaceChildren(...channels.map((name) => new Option(name, name)));
  $("channel-field").hidden = false;
}

function fact(label, value) {
  const list = $("facts");
  list.append(element("dt", label), element("dd", value));
}

function showFacts(result) {
  const finding = result.inconclusive
    ? `Inconclusive (the model leaned towards ${result.classification})` : result.classification;
  fact("Finding", finding);
  if (result.inconclusive_reason) fact("Why inconclusive", result.inconclusive_reason);
  fact("Confidence (calibrated)", percent(result.confidence));
  fact("Signal quality", result.quality === "ok" ? "good enough to analyse" : "poor");
  if (result.heart_rate_bpm !== null && result.heart_rate_bpm !== undefined) {
    fact("Heart rate", `${Math.round(result.heart_rate_bpm)} beats per minute`);
  }
  const summary = result.beat_summary;
  if (summary && summary.counts) {
    const counts = Object.entries(summary.counts).map(([cls, n]) => `${cls} ${n}`).join(", ");
    fact("Beats counted", `${summary.total_beats} (${counts})`);
  }
  const windows = result.windows;
  if (windows && typeof windows.seizure_fraction === "number") {
    fact("Seizure-like windows", percent(windows.seizure_fraction));
  }
  if (windows && typeof windows.af_burden === "number") fact("AF burden", percent(windows.af_burden));
}

function showPlausibility(result) {
  const check = result.signal_check;
  if (!check || check.plausible !== false) return;
  const looks = check.looks_like ? `it looks more like ${check.looks_like}` : "it does not look like one";
  $("plausibility").textContent = `Warning: this was sent as ${result.signal_type}, but ${looks}` +
    `${check.reason ? ` (${check.reason})` : ""}. Check the file and the signal type before using the finding.`;
  $("plausibility").hidden = false;
}

function showProbabilities(result) {
  const body = $("probabilities").tBodies[0];
  Object.entries(result.probabilities).sort((a, b) => b[1] - a[1]).forEach(([label, p]) => {
    const row = body.insertRow();
    row.insertCell().textContent = label;
    const cell = row.insertCell();
    const bar = element("span", "", "bar");
    bar.style.width = `${Math.round(p * 100)}%`;
    cell.append(element("span", percent(p), "value"), bar);
  });
}

// The explanation's numbered section titles become headings; "Label: text" lines keep a bold label.
function showExplanation(container, text) {
  text.split(/\n+/).map((line) => line.trim()).filter(Boolean).forEach((line) => {
    const heading = line.match(/^\d+\.\s+(.{1,80})$/);
    if (heading) { container.append(element("h4", heading[1])); return; }
    const labelled = line.match(/^([A-Z][^:]{1,40}):\s+(.*)$/);
    const paragraph = element("p");
    if (labelled) paragraph.append(element("strong", `${labelled[1]}: `), labelled[2]);
    else paragraph.textContent = line;
    container.append(paragraph);
  });
}

function showTrace(result) {
  const view = new window.TraceView($("trace"), result.trace, result);
  $("trace-scale").textContent = view.scaleText();
  $("legend").replaceChildren(...window.legendEntries(view).map(([colour, text]) => {
    const item = element("li", text);
    if (colour) {
      const swatch = element("span", "", "swatch");
      swatch.style.background = colour;
      item.prepend(swatch);
    }
    return item;
  }));
  return view;
}

function redraw() {
  if (!current) return;
  current.view.draw();
  $("trace-window").textContent = `Position in the recording (${current.view.windowText()})`;
  $("trace").setAttribute("aria-label", `${current.result.signal_type} trace. ${current.view.windowText()}.`);
  $("trace-position").value = String(Math.round(current.view.position * 1000));
  $("trace-position").disabled = current.view.span >= current.view.duration;
}

function showResult(result, fileNames) {
  const duration = result.trace.samples.length / result.trace.sampling_rate;
  $("result-source").textContent = `File: ${fileNames} · ${result.signal_type} · ` +
    `${Number(result.sampling_rate.toFixed(2))} Hz · ${duration.toFixed(1)} s`;
  showPlausibility(result);
  showFacts(result);
  showProbabilities(result);
  $("generator").textContent = `(written by: ${result.generator})`;
  showExplanation($("interpretation"), result.interpretation);
  $("result").hidden = false;
  current = { result, view: showTrace(result) };
  redraw();
  // Without an id (the record store was unavailable) there is nothing to rate.
  $("feedback-section").hidden = !result.interpretation_id;
  $("status").textContent = `Result: ${$("facts").querySelector("dd").textContent}, ` +
    `confidence ${percent(result.confidence)}.`;
  $("result-heading").focus();
}

$("file").addEventListener("change", () => {
  $("channel-field").hidden = true;
  $("channel").replaceChildren();
});

$("classify-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const files = Array.from($("file").files);
  if (!files.length) return;
  clearResult();
  const form = new FormData();
  files.forEach((file) => form.append("file", file, file.name));
  form.append("signal_type", $("signal_type").value);
  if ($("sampling_rate").value.trim()) form.append("sampling_rate", $("sampling_rate").value.trim());
  if (!$("channel-field").hidden) form.append("channel", $("channel").value);
  if ($("clinical_context").value.trim()) form.append("clinical_context", $("clinical_context").value);
  form.append("return_signal", "1");
  const button = $("classify-button");
  button.disabled = true; button.textContent = "Classifying…";
  $("status").textContent = "Sending the recording and classifying it…";
  try {
    showResult(await send("/classify", form), files.map((f) => f.name).join(" + "));
  } catch (err) {
    if (Array.isArray(err.channels) && err.channels.length) offerChannels(err.channels);
    $("status").textContent = "";
    showError(err.message);
    $("error").focus();
  } finally {
    button.disabled = false; button.textContent = "Classify";
  }
});

$("zoom-in").addEventListener("click", () => { current.view.zoom(0.5); redraw(); });
$("zoom-out").addEventListener("click", () => { current.view.zoom(2); redraw(); });
$("zoom-all").addEventListener("click", () => { current.view.showAll(); redraw(); });
$("trace-position").addEventListener("input", (e) => {
  current.view.position = Number(e.target.value) / 1000; redraw();
});
window.addEventListener("resize", redraw);

RATINGS.forEach((name) => {
  const label = element("label", `${name.replace("_", " ")} (1–5)`);
  label.htmlFor = `rating-${name}`;
  const select = element("select");
  select.id = `rating-${name}`; select.required = true;
  select.add(new Option("choose…", ""));
  [1, 2, 3, 4, 5].forEach((v) => select.add(new Option(String(v), String(v))));
  const field = element("div", undefined, "rating");
  field.append(label, select);
  $("ratings").append(field);
});

$("feedback-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!current) return;
  const raterId = $("rater_id").value.trim();
  localStorage.setItem(RATER_KEY, raterId);
  const ratings = Object.fromEntries(RATINGS.map((n) => [n, Number($(`rating-${n}`).value)]));
  const body = { interpretation_id: current.result.interpretation_id, ratings, rater_id: raterId,
                 comment: $("comment").value || null };
  $("feedback-button").disabled = true;
  try {
    const data = await send("/feedback", body);
    const stored = RATINGS.map((n) => `${n.replace("_", " ")} ${ratings[n]}`).join(", ");
    $("feedback-status").textContent = data.status === "updated"
      ? `Your earlier rating of this result was replaced: ${stored}.`
      : `Stored (feedback ${data.feedback_id}): ${stored}.`;
  } catch (err) {
    $("feedback-status").textContent = `Not stored: ${err.message}`;
  } finally { $("feedback-button").disabled = false; }
});

function showAnswer(question, data) {
  const item = element("article", undefined, "answer");
  item.append(element("h3", question));
  showExplanation(item, data.response);
  const sources = Array.isArray(data.sources) ? data.sources : [];
  if (sources.length) {
    const list = element("ul", undefined, "sources");
    sources.forEach((s) => {
      const entry = element("li");
      const name = [s.title, s.origin].filter(Boolean).join(", ") || s.url || "source";
      if (/^https?:\/\//.test(s.url || "")) {
        const link = element("a", name); link.href = s.url; link.rel = "noopener noreferrer";
        entry.append(link);
      } else entry.textContent = name;
      if (s.licence) entry.append(` (${s.licence})`);
      list.append(entry);
    });
    item.append(element("h4", "Sources"), list);
  }
  item.append(element("p", `Written by: ${data.generator}`, "note"));
  $("answers").prepend(item);
}

$("ask-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  const body = { prompt: question };
  if (current && current.result.interpretation_id) {
    // the stored result: its finding and its measured values (heart rate, beat counts, quality)
    body.interpretation_id = current.result.interpretation_id;
  } else if (current && !current.result.inconclusive) {
    // nothing stored (the database is down): the finding itself; an inconclusive one is not sent,
    // since /ask would take its label and confidence for a finding
    body.classification = { prediction: current.result.classification, confidence: current.result.confidence };
    body.signal_type = current.result.signal_type;
  }
  $("ask-button").disabled = true; $("ask-status").textContent = "Answering…";
  try {
    showAnswer(question, await send("/ask", body));
    $("ask-status").textContent = "";
    $("question").value = "";
  } catch (err) { $("ask-status").textContent = `Error: ${err.message}`; }
  finally { $("ask-button").disabled = false; }
});

clearResult();
