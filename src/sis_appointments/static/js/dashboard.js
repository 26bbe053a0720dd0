// The staff dashboard, live: live.js joins the rooms of the calendars shown (data-appt-rooms);
// when a seat, a booking or a slot changes there, or after a reconnect, the dashboard's body
// is refetched (the same view, ?fragment=1) and the change said in the polite region. The
// utilisation chart is drawn with Chart.js from the JSON beside its table (the table is the
// accessible version). Without this file the page is complete as served.

const body = document.getElementById("appt-dash-body");

function announce(words) {
  document.dispatchEvent(new CustomEvent("appt:announce", { detail: words }));
}

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

let refreshing = null;
let waiting = null;

async function refresh(say) {
  if (!body) return;
  if (refreshing) refreshing.abort();
  refreshing = new AbortController();
  try {
    const response = await fetch(body.dataset.apptFragment,
      { signal: refreshing.signal, headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const html = await response.text();
    // Keep the focus where it was (the same control of the same slot), when still there.
    const active = document.activeElement;
    const slot = body.contains(active) ? active.closest("[data-slot-id]")?.dataset.slotId : null;
    const label = active?.textContent;
    body.innerHTML = html;
    if (slot) {
      const again = body.querySelector(`[data-slot-id="${slot}"]`);
      const controls = again ? [...again.querySelectorAll("a, button, summary, input")] : [];
      (controls.find((c) => c.textContent === label) || controls[0])?.focus();
    }
    chart();
    if (say) announce(say);
    document.dispatchEvent(new CustomEvent("appt:dashboard-refreshed"));
  } catch (error) {
    if (error.name !== "AbortError") throw error;
  }
}

// Several events arrive for one change (a booking, then the seats): refetch once for them.
function soon(say) {
  window.clearTimeout(waiting);
  waiting = window.setTimeout(() => refresh(say), 150);
}

const SAID = {
  "booking.created": "A student booked a slot on your dashboard.",
  "booking.cancelled": "A booking on your dashboard was cancelled.",
  "booking.rescheduled": "A booking on your dashboard moved.",
  "slot.changed": "A slot on your dashboard changed.",
};
let said = null;
for (const name of Object.keys(SAID)) {
  document.addEventListener(`appt:${name}`, () => { said = SAID[name]; soon(SAID[name]); });
}
document.addEventListener("appt:slot.availability", () => soon(said || "Seats changed on your dashboard."));
document.addEventListener("appt:reconnect", () => soon(null));
document.addEventListener("appt:dashboard-refreshed", () => { said = null; });

chart();
