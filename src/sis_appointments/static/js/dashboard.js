// The staff dashboard's utilisation chart, drawn with Chart.js from the JSON beside its
// table (the table is the accessible version), again after live_body.js refetched the
// body. Without this file the page is complete as served.

function chart() {
  const canvas = document.getElementById("appt-dash-chart");
  const data = document.getElementById("appt-dash-use-data");
  if (!canvas || !data || typeof window.Chart !== "function") return;
  const { labels, rates } = JSON.parse(data.textContent);
  canvas.hidden = false;
  // eslint-disable-next-line no-new
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels,
      datasets: [{
        label: "Utilisation (%)",
        data: rates,
        backgroundColor: labels.map((_, i) => (i === labels.length - 1 ? "#123c69" : "#8aa4c2")),
      }],
    },
    options: {
      animation: false, // drawn at once: a figure, not a show (and steady for screenshots)
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, suggestedMax: 100, ticks: { callback: (v) => `${v}%` } } },
    },
  });
}

document.addEventListener("appt:body-refreshed", chart);
chart();
