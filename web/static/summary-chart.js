// Table V on the page: mean rating per criterion with its 95% interval, and Krippendorff's alpha,
// drawn from GET /feedback/summary. A separate script (no inline code: the page's CSP forbids it).
"use strict";
(() => {
  const canvas = document.getElementById("summary-chart");
  const note = document.getElementById("summary-note");
  if (!canvas || !note) return;
  const keyInput = document.getElementById("api_key");

  function draw(summary) {
    const ctx = canvas.getContext("2d"), criteria = Object.entries(summary.overall.criteria);
    const left = 130, right = canvas.width - 90, rowHeight = canvas.height / criteria.length;
    const x = (rating) => left + ((rating - 1) / 4) * (right - left);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.font = "13px sans-serif"; ctx.textBaseline = "middle";
    criteria.forEach(([name, stats], row) => {
      const y = rowHeight * (row + 0.5), alpha = summary.agreement.alpha[name];
      ctx.fillStyle = "#222"; ctx.fillText(name.replace("_", " "), 4, y);
      ctx.fillText(alpha === null ? "α —" : `α ${alpha.toFixed(2)}`, right + 12, y);
      if (stats.mean === null) return;
      ctx.fillStyle = "#4a78a8"; ctx.fillRect(left, y - 7, x(stats.mean) - left, 14);
      if (stats.ci95) {
        ctx.strokeStyle = "#222"; ctx.beginPath();
        ctx.moveTo(x(stats.ci95[0]), y); ctx.lineTo(x(stats.ci95[1]), y); ctx.stroke();
      }
    });
  }

  async function refresh() {
    const headers = keyInput && keyInput.value ? { "X-API-Key": keyInput.value } : {};
    try {
      const response = await fetch("/feedback/summary", { headers });
      const summary = await response.json();
      if (!response.ok) throw new Error(summary.error || response.statusText);
      note.textContent = `${summary.n} ratings of ${summary.items} explanations by ${summary.raters} ` +
        "raters; bars: mean (1–5) with 95% interval; α: agreement between raters.";
      draw(summary);
    } catch (err) { note.textContent = `Ratings summary unavailable: ${err.message}`; }
  }

  document.getElementById("summary-refresh").addEventListener("click", refresh);
  refresh();
})();
