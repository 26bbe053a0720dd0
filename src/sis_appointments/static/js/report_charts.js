// The report pages' charts: Chart.js (vendored UMD bundle, window.Chart) drawing each
// figure from its <script type="application/json"> block, the same figures as the table
// beside it (the table is the no-JavaScript and screen-reader version; the canvas is an
// image whose name points to it). Heatmaps are scatter charts of square points, one per
// weekday and hour, shaded like the table's cells.

const PALETTE = ["#123c69", "#b35c00", "#1a7f37", "#8250df", "#a4000f"];
const HEAT = ["#ffffff", "#e3edf8", "#bcd3ee", "#8fb5e0", "#2f6bb0", "#123c69"];
const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

function canvasFor(holder, title) {
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `Chart: ${title}. The table below has its figures.`);
  holder.append(canvas);
  holder.hidden = false;
  return canvas;
}

function heatmap(canvas, data) {
  const points = [];
  data.values.forEach((row, y) => row.forEach((n, x) => points.push({ x, y, n })));
  const level = (n) => (n && data.max ? Math.ceil((5 * n) / data.max) : 0);
  const side = (context) => {
    const area = context.chart.chartArea;
    if (!area) return 4;
    return Math.max(2, Math.min(area.width / data.columns.length, area.height / data.rows.length) / 2 - 1);
  };
  const every = (labels) => (axis) => { axis.ticks = labels.map((_, value) => ({ value })); };
  const chart = new window.Chart(canvas, {
    type: "scatter",
    data: { datasets: [{ label: "Bookings", data: points, pointStyle: "rect",
      radius: side, hoverRadius: side,
      backgroundColor: (context) => HEAT[level(context.raw?.n)],
      borderColor: "#d0d4da", borderWidth: 1 }] },
    options: {
      animation: reduced ? false : undefined, maintainAspectRatio: false,
      plugins: { legend: { display: false },
        tooltip: { callbacks: { label: (context) =>
          `${data.columns[context.raw.x]} ${data.rows[context.raw.y]}: ${context.raw.n}` } } },
      scales: {
        x: { type: "linear", min: -0.5, max: data.columns.length - 0.5, grid: { display: false },
          afterBuildTicks: every(data.columns),
          ticks: { callback: (value) => data.columns[value] ?? "" } },
        y: { type: "linear", reverse: true, min: -0.5, max: data.rows.length - 0.5,
          grid: { display: false }, afterBuildTicks: every(data.rows),
          ticks: { autoSkip: false, callback: (value) => data.rows[value] ?? "" } },
      },
    },
  });
  chart.update("none"); // the squares' size needs the laid-out chart area
  return chart;
}

function series(canvas, data) {
  const line = data.kind === "line";
  const mixed = !data.percent && data.series.some((s) => s.percent);
  const datasets = data.series.map((s, n) => ({
    label: s.label, data: s.data,
    type: mixed && s.percent ? "line" : undefined,
    yAxisID: mixed && s.percent ? "percent" : "y",
    backgroundColor: PALETTE[n % PALETTE.length], borderColor: PALETTE[n % PALETTE.length],
    borderWidth: line || (mixed && s.percent) ? 2 : 0, spanGaps: true,
  }));
  const stacked = data.kind === "stacked";
  const scales = {
    x: { stacked, ticks: { autoSkip: true, maxRotation: 0 } },
    y: { stacked, beginAtZero: true,
      ticks: data.percent ? { callback: (v) => `${v}%` } : { precision: 0 } },
  };
  if (mixed) {
    scales.percent = { position: "right", beginAtZero: true, suggestedMax: 100,
      grid: { drawOnChartArea: false }, ticks: { callback: (v) => `${v}%` } };
  }
  return new window.Chart(canvas, {
    type: line ? "line" : "bar", data: { labels: data.labels, datasets },
    options: { animation: reduced ? false : undefined, maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } }, scales },
  });
}

function draw(holder) {
  const source = document.getElementById(holder.dataset.apptChart);
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const canvas = canvasFor(holder, holder.dataset.apptChartTitle || "report");
  holder.chart = data.kind === "heatmap" ? heatmap(canvas, data) : series(canvas, data);
}

document.querySelectorAll("[data-appt-chart]").forEach(draw);
