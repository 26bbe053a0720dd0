// A staff page's body kept current: the element marked data-appt-fragment (its URL renders
// the body alone) is refetched when a booking, a seat or a slot changes in the rooms
// live.js joined, or after a reconnect; what changed is said in the polite region, then
// the page's data-appt-updated sentence ("The dashboard is up to date."). The focus stays on
// the same control of the same [data-slot-id] or [data-conflict] item when it is still
// there; while the user is typing into a field of the body, the refetch waits until they
// leave it (nothing typed is lost; the change is said at once, "up to date" after). Pages listen for "appt:body-refreshed" to redo their own
// drawing. Without this file the page is complete as served.

const body = document.querySelector("[data-appt-fragment]");
const ITEM = "[data-slot-id], [data-conflict]";

function announce(words) {
  document.dispatchEvent(new CustomEvent("appt:announce", { detail: words }));
}

function itemKey(element) {
  const item = element?.closest(ITEM);
  return item ? (item.dataset.slotId ? `slot:${item.dataset.slotId}` : item.dataset.conflict) : null;
}

function find(key) {
  return [...body.querySelectorAll(ITEM)].find((item) => itemKey(item) === key);
}

function typing() {
  const active = document.activeElement;
  return body.contains(active) && active.matches("input, textarea, select")
    && !["hidden", "radio", "checkbox", "submit"].includes(active.type) && active.value !== "";
}

let fetching = false; // a refetch is on its way: the next one waits for it (see soon)
let waiting = null;
let pending = null; // "" while a refetch waits for the user to leave a field

async function refresh(say) {
  if (typing()) {
    if (say && pending === null) announce(`${say} The page updates when you leave the field.`);
    pending = "";
    return;
  }
  fetching = true;
  try {
    const response = await fetch(body.dataset.apptFragment, { headers: { Accept: "text/html" } });
    if (!response.ok || typing()) return;
    const html = await response.text();
    const active = document.activeElement;
    const key = body.contains(active) ? itemKey(active) : null;
    const label = active?.textContent;
    body.innerHTML = html;
    if (key) {
      const again = find(key);
      const controls = again ? [...again.querySelectorAll("a, button, summary, input")] : [];
      (controls.find((c) => c.textContent === label) || controls[0])?.focus();
    }
    document.dispatchEvent(new CustomEvent("appt:body-refreshed"));
    if (say !== null) announce(`${say} ${body.dataset.apptUpdated || ""}`.trim());
  } finally {
    fetching = false;
  }
}

// Several events arrive for one change (a booking, then the seats): refetch once for them,
// 150 ms after the first. While students book in a stream (registration opening), refetch
// at most once every GAP ms, and never while one is on its way (a busy server answering
// slowly is not asked again and again): the page keeps up without asking for the whole
// body on every seat taken. A waiting timer is never pushed back, so a stream cannot
// starve it.
const GAP = 2000;
let last = 0;
let words = null;

function soon(say) {
  if (waiting === null || say !== null) words = say;
  if (waiting !== null) return;
  waiting = window.setTimeout(async function fire() {
    if (fetching) { // after the one on its way
      waiting = window.setTimeout(fire, 150);
      return;
    }
    waiting = null;
    last = Date.now();
    await refresh(words);
  }, Math.max(150, last + GAP - Date.now()));
}

const SAID = {
  "booking.created": "A student booked a slot.",
  "booking.cancelled": "A booking was cancelled.",
  "booking.rescheduled": "A booking moved.",
  "slot.changed": "A slot changed.",
};
let said = null;
if (body) {
  for (const name of Object.keys(SAID)) {
    document.addEventListener(`appt:${name}`, () => { said = SAID[name]; soon(SAID[name]); });
  }
  document.addEventListener("appt:slot.availability", () => soon(said || "Seats changed."));
  document.addEventListener("appt:reconnect", () => soon(null));
  document.addEventListener("appt:body-refreshed", () => { said = null; });
  body.addEventListener("focusout", () => {
    if (pending !== null) {
      pending = null;
      soon(""); // then only "... is up to date."
    }
  });
}
