// Draws the signal the server read on a canvas: ECG on standard paper when the units are mV, a time
// grid otherwise; R peaks coloured by beat class; EEG seizure windows and ECG AF episodes shaded
// (when the answer carries them). Only the visible span
// is drawn, reduced to one min/max pair per pixel column when it holds more samples than pixels, so
// a 30-minute record draws as fast as a 10-second one.
"use strict";

const BEAT_CLASSES = {
  N: ["Normal or bundle-branch beat", "#2e7d32"],
  S: ["Supraventricular ectopic beat", "#1565c0"],
  V: ["Ventricular ectopic beat", "#c62828"],
  F: ["Fusion beat", "#6a1b9a"],
  Q: ["Unclassifiable beat", "#ef6c00"],
};
const SEIZURE_SHADE = "rgba(198, 40, 40, 0.18)";
const AF_SHADE = "rgba(21, 101, 192, 0.15)";
const PAPER = { minor: "#f6c9c9", major: "#e08a8a" };
const PLAIN_GRID = { minor: "#e8e8e8", major: "#bdbdbd" };
const MIN_LINE_GAP_PX = 4;  // grid lines closer than this are left out (zoomed far out)

function millivoltFactor(units) {
  const u = (units || "").trim().toLowerCase();
  if (u === "mv") return 1;
  if (u === "uv" || u === "µv" || u === "μv") return 0.001;
  if (u === "v") return 1000;
  return null;
}

// Shaded time spans [start_s, end_s, colour, meaning]: windows called seizure (from either windows
// shape: typed items, or seizure_ranges_s) and AF episodes of a long ECG.
function shadedSpans(windows) {
  if (!windows) return [];
  const seizures = Array.isArray(windows.items)
    ? windows.items.filter((w) => /seizure/i.test(String(w.label))).map((w) => [w.start_s, w.end_s])
    : (windows.seizure_ranges_s || []);
  const episodes = (windows.af_episodes || []).map((e) => [e.start_s, e.end_s]);
  return [
    ...seizures.map(([a, b]) => [Number(a), Number(b), SEIZURE_SHADE, "Shaded: analysis windows called seizure"]),
    ...episodes.map(([a, b]) => [Number(a), Number(b), AF_SHADE, "Shaded: atrial fibrillation episodes"]),
  ];
}

// 7.5 -> "7.5 s", 1805.56 -> "30:05.6": minutes once there are any, tenths of a second when needed.
function clockTime(seconds) {
  const tenths = Math.round(seconds * 10), m = Math.floor(tenths / 600), s = (tenths - 600 * m) / 10;
  const text = Number.isInteger(s) ? String(s) : s.toFixed(1);
  return m ? `${m}:${text.padStart(Number.isInteger(s) ? 2 : 4, "0")}` : `${text} s`;
}

class TraceView {
  constructor(canvas, trace, result) {
    this.canvas = canvas;
    this.samples = trace.samples;
    this.rate = trace.sampling_rate;
    this.duration = this.samples.length / this.rate;
    this.toMv = result.signal_type === "ECG" ? millivoltFactor(trace.units) : null;
    this.units = trace.units;
    this.beats = (result.beats || []).map((b) => [b.sample, b["class"]]);
    if (!this.beats.length) this.beats = (result.r_peaks || []).map((p) => [p, null]);
    this.shaded = shadedSpans(result.windows);
    this.span = Math.min(this.duration, result.signal_type === "ECG" ? 10 : 60);  // a paper strip; a minute of EEG
    this.start = 0;
  }

  get paper() { return this.toMv !== null; }

  scaleText() {
    if (this.paper) {
      return "Standard ECG paper: small squares 0.04 s × 0.1 mV, large squares 0.2 s × 0.5 mV " +
        "(lines too close to see when zoomed out are left out).";
    }
    const why = this.units ? `in ${this.units}` : "in the file's own units (it states none)";
    return `Time grid only (amplitude ${why}, so no millivolt scale): lines every second, ` +
      "darker every 5 seconds when they fit.";
  }

  windowText() {
    return `Showing ${clockTime(this.start)} to ${clockTime(this.start + this.span)} of ` +
      `${clockTime(this.duration)}`;
  }

  zoom(factor) {
    const centre = this.start + this.span / 2;
    this.span = Math.min(this.duration, Math.max(1, this.span * factor));
    this.moveTo(centre - this.span / 2);
  }

  showAll() { this.span = this.duration; this.start = 0; }

  moveTo(start) { this.start = Math.min(Math.max(0, start), this.duration - this.span); }

  // Position 0..1 of the view in the recording (for the scroll slider).
  get position() { return this.duration > this.span ? this.start / (this.duration - this.span) : 0; }

  set position(p) { this.moveTo(p * (this.duration - this.span)); }

  draw() {
    const canvas = this.canvas, ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, canvas.clientWidth), height = Math.max(1, canvas.clientHeight);
    canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, width, height);
    const first = Math.max(0, Math.floor(this.start * this.rate));
    const last = Math.min(this.samples.length, Math.ceil((this.start + this.span) * this.rate) + 1);
    const [lo, hi] = this.range(first, last);
    const top = 14, bottom = height - 18;
    const x = (t) => ((t - this.start) / this.span) * width;
    const y = (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
    this.shade(ctx, x, height);
    this.grid(ctx, x, y, lo, hi, width, height);
    this.line(ctx, first, last, x, y, width);
    this.peaks(ctx, first, last, x);
    this.timeLabels(ctx, x, width, height);
  }

  // Amplitude range of the visible samples (in mV on paper), padded, never empty.
  range(first, last) {
    let lo = Infinity, hi = -Infinity;
    const f = this.toMv || 1;
    for (let i = first; i < last; i++) {
      const v = this.samples[i] * f;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!Number.isFinite(lo)) { lo = -1; hi = 1; }
    const pad = (hi - lo) * 0.05 || 0.5;
    return [lo - pad, hi + pad];
  }

  shade(ctx, x, height) {
    this.shaded.forEach(([a, b, colour]) => {
      ctx.fillStyle = colour;
      const left = Math.max(0, x(a)), right = Math.min(x(b), ctx.canvas.width);
      if (right > left) ctx.fillRect(left, 0, right - left, height);
    });
  }

  grid(ctx, x, y, lo, hi, width, height) {
    const colours = this.paper ? PAPER : PLAIN_GRID;
    const [minorT, majorT] = this.paper ? [0.04, 0.2] : [1, 5];
    const pxPerSecond = width / this.span;
    [[minorT, colours.minor], [majorT, colours.major]].forEach(([step, colour]) => {
      if (step * pxPerSecond < MIN_LINE_GAP_PX) return;
      ctx.strokeStyle = colour; ctx.lineWidth = 1; ctx.beginPath();
      for (let t = Math.ceil(this.start / step) * step; t <= this.start + this.span; t += step) {
        const px = Math.round(x(t)) + 0.5;
        ctx.moveTo(px, 0); ctx.lineTo(px, height);
      }
      ctx.stroke();
    });
    if (!this.paper) return;
    const pxPerMv = Math.abs(y(1) - y(0));
    [[0.1, colours.minor], [0.5, colours.major]].forEach(([step, colour]) => {
      if (step * pxPerMv < MIN_LINE_GAP_PX) return;
      ctx.strokeStyle = colour; ctx.beginPath();
      for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) {
        const py = Math.round(y(v)) + 0.5;
        ctx.moveTo(0, py); ctx.lineTo(width, py);
      }
      ctx.stroke();
    });
  }

  line(ctx, first, last, x, y, width) {
    const f = this.toMv || 1, n = last - first;
    ctx.strokeStyle = "#111"; ctx.lineWidth = 1.2; ctx.beginPath();
    if (n <= 2 * width) {
      for (let i = first; i < last; i++) {
        const px = x(i / this.rate), py = y(this.samples[i] * f);
        i === first ? ctx.moveTo(px, py) : ctx.lineTo(px, py);
      }
    } else {  // one vertical stroke per pixel column, from its lowest to its highest sample
      const perColumn = n / width;
      for (let c = 0; c < width; c++) {
        const a = first + Math.floor(c * perColumn), b = Math.min(last, first + Math.floor((c + 1) * perColumn));
        let lo = Infinity, hi = -Infinity;
        for (let i = a; i < b; i++) {
          const v = this.samples[i];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        if (lo === Infinity) continue;
        c === 0 ? ctx.moveTo(c, y(lo * f)) : ctx.lineTo(c, y(lo * f));
        ctx.lineTo(c, y(hi * f));
      }
    }
    ctx.stroke();
  }

  // When the beats are too close to tell apart (zoomed out), only the ones that are not N are marked.
  peaks(ctx, first, last, x) {
    const visible = this.beats.filter(([sample]) => sample >= first && sample < last);
    const crowded = visible.length * 8 > ctx.canvas.clientWidth;
    visible.forEach(([sample, cls]) => {
      if (crowded && (cls === "N" || cls === null)) return;
      const px = x(sample / this.rate);
      ctx.fillStyle = (BEAT_CLASSES[cls] || ["", "#555"])[1];
      ctx.beginPath(); ctx.moveTo(px - 4, 1); ctx.lineTo(px + 4, 1); ctx.lineTo(px, 9); ctx.fill();
      if (cls && this.span <= 30) { ctx.fillText(cls, px + 5, 10); }
    });
  }

  timeLabels(ctx, x, width, height) {
    const candidates = [0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];
    const step = candidates.find((s) => (s * width) / this.span >= 70) || 1200;
    ctx.fillStyle = "#333"; ctx.font = "11px system-ui, sans-serif";
    for (let t = Math.ceil(this.start / step) * step; t <= this.start + this.span; t += step) {
      const px = x(t);
      if (px < width - 30) ctx.fillText(clockTime(t), px + 2, height - 4);
    }
  }
}

// The legend's entries: beat classes that occur, and each kind of shading there is.
function legendEntries(view) {
  const present = new Set(view.beats.map(([, cls]) => cls));
  const entries = Object.entries(BEAT_CLASSES).filter(([cls]) => present.has(cls))
    .map(([cls, [name, colour]]) => [colour, `${cls}: ${name}`]);
  if (view.beats.length && present.has(null)) entries.push(["#555", "R peak"]);
  if (view.beats.length) {
    entries.push([null, "Triangles above the trace mark the beats; zoomed out, only beats other than N"]);
  }
  new Map(view.shaded.map(([, , colour, meaning]) => [meaning, colour]))
    .forEach((colour, meaning) => entries.push([colour, meaning]));
  return entries;
}

window.TraceView = TraceView;
window.legendEntries = legendEntries;
