// My appointments, live: the student's place in each waitlist, a seat held for them (with
// the time left to accept it), a seat given to them from the waitlist, and bookings changed
// elsewhere (another tab, staff moving or cancelling a slot). Events come from live.js; the
// page's body is refetched (?fragment=1, the same view) whenever what it shows may have
// changed, and after a reconnect. Without this file the page is complete as served.

const body = document.getElementById("appt-mine-body");

function announce(words) {
  document.dispatchEvent(new CustomEvent("appt:announce", { detail: words }));
}

function withFragment(url) {
  const target = new URL(url, window.location.href);
  target.searchParams.set("fragment", "1");
  return target.toString();
}

// What a row or banner is about, read from the page: "Advising with Dr Lee, Tue 3 Dec 2026,
// 10:00–10:30".
function describe(item) {
  if (!item) return "";
  const what = item.querySelector(".appt-booking-type")?.textContent
    || item.querySelector("p")?.textContent.split(".")[0];
  const host = item.querySelector(".appt-booking-host")?.textContent;
  const when = item.querySelector(".appt-booking-when")?.textContent;
  return [what, host].filter(Boolean).join(" ") + (when ? `, ${when}` : "");
}

// -- refetching the body

let refreshing = null;

export async function refresh() {
  if (!body) return;
  if (refreshing) refreshing.abort();
  refreshing = new AbortController();
  let html;
  try {
    const response = await fetch(withFragment(window.location.href),
      { signal: refreshing.signal, headers: { Accept: "text/html" } });
    if (!response.ok) return;
    html = await response.text();
  } catch (error) {
    if (error.name === "AbortError") return;
    throw error;
  }
  // Keep the focus on the same booking or place, when it is still there.
  const holder = document.activeElement?.closest("[data-booking-id], [data-entry-id]");
  const key = holder && (holder.dataset.bookingId ? ["booking-id", holder.dataset.bookingId]
    : ["entry-id", holder.dataset.entryId]);
  const label = document.activeElement?.textContent;
  const hadFocus = body.contains(document.activeElement);
  body.innerHTML = html;
  if (hadFocus) {
    const again = key && body.querySelector(`[data-${key[0]}="${key[1]}"]`);
    const controls = again ? [...again.querySelectorAll("a, button")] : [];
    const target = controls.find((c) => c.textContent === label) || controls[0]
      || body.querySelector("h2");
    if (!target.matches("a, button")) target.setAttribute("tabindex", "-1");
    target.focus();
  }
  tick();
  document.dispatchEvent(new CustomEvent("appt:mine-refreshed"));
}

async function refreshThen(say) {
  await refresh();
  const words = say();
  if (words) announce(words);
}

// -- time left on held seats, in the words the server uses

function timeLeft(ms) {
  const minutes = Math.ceil(ms / 60000);
  if (minutes <= 0) return "time is up";
  if (minutes === 1) return "1 minute left";
  if (minutes < 120) return `${minutes} minutes left`;
  return `${Math.floor(minutes / 60)} hours left`;
}

let expired = false;

function tick() {
  let due = false;
  for (const span of document.querySelectorAll("[data-appt-expires]")) {
    const left = Date.parse(span.dataset.apptExpires) - Date.now();
    span.textContent = timeLeft(left);
    if (left <= 0) due = true;
  }
  // Once an offer has run out the server has passed the seat on: show what is true now.
  if (due && !expired) {
    expired = true;
    refreshThen(() => "The time to accept the held seat is up.");
  } else if (!due) {
    expired = false;
  }
}

window.setInterval(tick, 15000);
// Timers of a tab in the background are slowed down: count again when it is shown.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") tick();
});

// -- events

document.addEventListener("appt:waitlist.position", (event) => {
  const { entry_id: id, position } = event.detail;
  const row = body?.querySelector(`[data-entry-id="${id}"]`);
  const place = row?.querySelector("[data-appt-place]");
  if (!place || place.dataset.apptPlace === String(position)) return;
  place.dataset.apptPlace = String(position);
  place.textContent = `You are number ${position} in line`;
  announce(`${describe(row)}: you are now number ${position} in line.`);
});

document.addEventListener("appt:waitlist.offered", (event) => {
  const id = event.detail.id;
  refreshThen(() => {
    const offer = body?.querySelector(`.appt-offer[data-entry-id="${id}"]`);
    return offer ? `A seat is free for you: ${offer.querySelector("p").textContent
      .replace(/\s+/g, " ").trim()} Accept or decline it at the top of the page.` : "";
  });
});

document.addEventListener("appt:waitlist.promoted", (event) => {
  const { booking_id: id } = event.detail;
  refreshThen(() => {
    const row = body?.querySelector(`[data-booking-id="${id}"]`);
    return row ? `You have a seat from the waitlist: ${describe(row)}.` : "";
  });
});

document.addEventListener("appt:booking.cancelled", (event) => {
  const row = body?.querySelector(`[data-booking-id="${event.detail.id}"]`);
  const what = describe(row);
  refreshThen(() => (what ? `Cancelled: ${what}.` : ""));
});

for (const name of ["appt:booking.created", "appt:booking.rescheduled"]) {
  document.addEventListener(name, () => refresh());
}

// A slot the page shows was moved, changed or cancelled by staff.
document.addEventListener("appt:slot.changed", (event) => {
  const row = body?.querySelector(`[data-slot-id="${event.detail.slot_id}"]`);
  if (!row) return;
  const what = describe(row);
  refreshThen(() => `Changed by staff: ${what}. The page shows it as it is now.`);
});

document.addEventListener("appt:reconnect", () => refresh());

tick();
