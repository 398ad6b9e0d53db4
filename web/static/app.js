// The clinicians' page: reads a file in the browser, sends JSON to /classify, shows the result.
"use strict";
const $ = (id) => document.getElementById(id);
const RATINGS = ["clinical_accuracy", "relevance", "clarity", "actionability"];
let lastResult = null;

function parseSamples(text) {
  const values = text.split(/[\s,;]+/).filter((t) => t.length > 0).map(Number);
  const bad = values.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new Error(`value ${bad + 1} in the file is not a number`);
  return values;
}

function drawTrace(samples, rPeaks) {
  const canvas = $("trace"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const n = Math.min(samples.length, 10 * Number($("sampling_rate").value));  // first 10 s
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) { lo = Math.min(lo, samples[i]); hi = Math.max(hi, samples[i]); }
  const x = (i) => (i / n) * canvas.width;
  const y = (v) => canvas.height - 10 - ((v - lo) / (hi - lo || 1)) * (canvas.height - 20);
  ctx.strokeStyle = "#222"; ctx.beginPath();
  for (let i = 0; i < n; i++) { i ? ctx.lineTo(x(i), y(samples[i])) : ctx.moveTo(x(i), y(samples[i])); }
  ctx.stroke();
  ctx.fillStyle = "#c0392b";
  (rPeaks || []).filter((p) => p < n).forEach((p) => ctx.fillRect(x(p) - 1, 2, 2, 8));
}

function showResult(result, samples) {
  lastResult = result;
  // Without an id (the record store was unavailable) there is nothing to rate.
  $("result").hidden = false; $("feedback-section").hidden = !result.interpretation_id;
  drawTrace(samples, result.r_peaks);
  const finding = $("finding");
  finding.textContent = result.inconclusive
    ? `Inconclusive (model leaned towards ${result.classification}, ${(result.confidence * 100).toFixed(0)}%)`
    : `${result.classification} — confidence ${(result.confidence * 100).toFixed(0)}%`;
  finding.className = "finding" + (result.inconclusive ? " inconclusive" : "");
  const table = $("probabilities"); table.innerHTML = "";
  Object.entries(result.probabilities).forEach(([label, p]) => {
    const row = table.insertRow();
    row.insertCell().textContent = label;
    const bar = document.createElement("div"); bar.className = "bar"; bar.style.width = `${p * 300}px`;
    row.insertCell().appendChild(bar);
    row.insertCell().textContent = `${(p * 100).toFixed(1)}%`;
  });
  $("generator").textContent = `(written by: ${result.generator})`;
  $("interpretation").textContent = result.interpretation;
}

async function postJson(url, body) {
  const headers = { "Content-Type": "application/json" };
  const key = $("api_key");  // present only when the service asks for an API key
  if (key && key.value) headers.Authorization = `Bearer ${key.value}`;
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

$("signal_type").addEventListener("change", (e) => {
  $("sampling_rate").value = e.target.selectedOptions[0].dataset.rate;
});

$("classify-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("status").textContent = "Classifying…";
  try {
    const samples = parseSamples(await $("file").files[0].text());
    const body = { signal: samples, signal_type: $("signal_type").value,
                   sampling_rate: Number($("sampling_rate").value) };
    if ($("clinical_context").value.trim()) body.clinical_context = $("clinical_context").value;
    showResult(await postJson("/classify", body), samples);
    $("status").textContent = "";
  } catch (err) { $("status").textContent = `Error: ${err.message}`; }
});

RATINGS.forEach((name) => {
  const label = document.createElement("label");
  label.textContent = name.replace("_", " ") + " ";
  const select = document.createElement("select"); select.id = `rating-${name}`;
  [5, 4, 3, 2, 1].forEach((v) => select.add(new Option(String(v), String(v))));
  label.appendChild(select); $("ratings").appendChild(label);
});

$("feedback-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!lastResult) return;
  const ratings = Object.fromEntries(RATINGS.map((n) => [n, Number($(`rating-${n}`).value)]));
  try {
    await postJson("/feedback", { interpretation_id: lastResult.interpretation_id, ratings,
                                  comment: $("comment").value || null });
    $("feedback-status").textContent = "Thank you: feedback stored.";
  } catch (err) { $("feedback-status").textContent = `Error: ${err.message}`; }
});

$("ask-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { prompt: $("question").value };
  if (lastResult) {
    body.classification = { prediction: lastResult.classification, confidence: lastResult.confidence };
    body.signal_type = lastResult.signal_type;
  }
  try {
    const data = await postJson("/ask", body);
    $("answer").textContent = `${data.response}\n\n(written by: ${data.generator})`;
  } catch (err) { $("answer").textContent = `Error: ${err.message}`; }
});
