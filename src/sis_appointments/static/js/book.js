// The book page made better: the confirmation in a <dialog> (the same view's fragment),
// booking without leaving the page (the week's list refetched as a fragment), the calendar
// or the list, and live seat counts (events re-dispatched by live.js). Without this file
// every link and form still works as a page of its own.

const page = document.querySelector(".appt-book[data-appt-rooms]");
const dialog = document.getElementById("appt-dialog");

function announce(words) {
  document.dispatchEvent(new CustomEvent("appt:announce", { detail: words }));
}

function withFragment(url, value = "1") {
  const target = new URL(url, window.location.href);
  target.searchParams.set("fragment", value);
  return target.toString();
}

// -- the list, refetched as a fragment of the same view

let refreshing = null;

export async function refreshList() {
  const list = document.getElementById("appt-book-list");
  if (!list) return;
  if (refreshing) refreshing.abort();
  refreshing = new AbortController();
  try {
    const response = await fetch(withFragment(window.location.href, "list"),
      { signal: refreshing.signal, headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const holder = document.createElement("div");
    holder.innerHTML = await response.text();
    const fresh = holder.querySelector("#appt-book-list");
    if (!fresh) return;
    // Keep the focus on the same slot's row when it was in the list.
    const focused = list.contains(document.activeElement)
      ? document.activeElement.closest("[data-slot-id]")?.dataset.slotId : null;
    const view = document.getElementById("appt-calendar-view");
    const inCalendar = view && view.contains(document.activeElement) ? document.activeElement
      : null;
    placeCalendar(fresh);
    list.replaceWith(fresh);
    if (inCalendar && document.contains(inCalendar)) inCalendar.focus();
    if (focused) focusSlot(focused);
    document.dispatchEvent(new CustomEvent("appt:list-refreshed"));
  } catch (error) {
    if (error.name !== "AbortError") throw error;
  }
}

// The calendar sits in the list's place for it, below the week's title, navigation and
// notices (the list is refetched as a whole; the calendar moves into the fresh one).
function placeCalendar(list) {
  const view = document.getElementById("appt-calendar-view");
  const place = list && list.querySelector("[data-appt-calendar-place]");
  if (view && place && view.parentElement !== place) place.append(view);
}

placeCalendar(document.getElementById("appt-book-list"));

function calendarShown() {
  return page && page.dataset.view === "calendar";
}

// The slot's event in the calendar, else the calendar itself. After a booking the events
// are fetched again and re-rendered: for a few seconds, when the slot's event comes back
// while the focus is lost (on the body or the calendar), the focus moves to it.
let pendingFocus = null;

function focusCalendarSlot(id) {
  pendingFocus = id ? { id: String(id), until: Date.now() + 5000 } : null;
  const event = id && document.querySelector(`#appt-calendar a[href*="/slots/${id}/"]`);
  if (event) {
    event.focus();
    return true;
  }
  const view = document.getElementById("appt-calendar-view");
  if (view) view.focus();
  return false;
}

document.addEventListener("appt:event-mounted", (message) => {
  const { id, element } = message.detail;
  if (!pendingFocus || pendingFocus.id !== id || Date.now() > pendingFocus.until) return;
  const active = document.activeElement;
  const lost = !active || active === document.body
    || active === document.getElementById("appt-calendar-view") || !document.contains(active);
  if (lost && !(dialog && dialog.open)) element.focus();
});

function focusSlot(id) {
  if (calendarShown()) return focusCalendarSlot(id);
  const item = document.querySelector(`#appt-book-list [data-slot-id="${id}"]`);
  if (!item) return false;
  let target = item.querySelector("a, button");
  if (!target) {
    target = item;
    item.setAttribute("tabindex", "-1");
  }
  target.focus();
  return true;
}

// -- the confirmation dialog

let opener = null;
let sending = false; // the dialog's form is on its way (its answer says what happened)

async function openConfirmation(url, from) {
  if (!dialog || typeof dialog.showModal !== "function") {
    window.location.assign(url);
    return;
  }
  opener = from || document.activeElement;
  const response = await fetch(withFragment(url), { headers: { Accept: "text/html" } });
  if (!response.ok) {
    window.location.assign(url);
    return;
  }
  showInDialog(await response.text());
  if (!dialog.open) dialog.showModal();
  focusDialog();
}

function showInDialog(html) {
  dialog.querySelector("[data-appt-dialog-body]").innerHTML = html;
}

// On a phone the sheet's reason field would open the on-screen keyboard over the Confirm
// button: the sheet's heading takes the focus there instead.
const sheet = window.matchMedia("(max-width: 47.99rem), (pointer: coarse)");

function focusDialog() {
  // The first of these there is: a refusal, the reason field (not on a phone), the confirm
  // button, the closing words, the heading.
  const order = sheet.matches
    ? ["[role=alert]", "[data-appt-done]", "h2"]
    : ["[role=alert]", "textarea", "form button", "[data-appt-done]", "h2"];
  const first = order.map((selector) => dialog.querySelector(selector)).find(Boolean);
  if (first) {
    if (!first.matches("textarea, button")) first.setAttribute("tabindex", "-1");
    first.focus();
  }
}

function closeDialog() {
  if (dialog && dialog.open) dialog.close();
}

if (dialog) {
  dialog.addEventListener("close", () => {
    // Back to what opened the dialog or, if the list was refetched meanwhile, to the same
    // slot's row.
    const inCalendar = opener && opener.closest && opener.closest("#appt-calendar");
    if (inCalendar) {
      const id = opener.getAttribute("href")?.match(/slots\/(\d+)\//)?.[1];
      if (document.contains(opener) && opener.getClientRects().length) {
        opener.focus();
        pendingFocus = id ? { id, until: Date.now() + 5000 } : null;
      } else {
        focusCalendarSlot(id);
      }
    } else if (opener && document.contains(opener) && opener.getClientRects().length) {
      opener.focus();
    } else if (opener) {
      const id = opener.closest("[data-slot-id]")?.dataset.slotId
        || opener.getAttribute("href")?.match(/slots\/(\d+)\//)?.[1];
      if (!id || !focusSlot(id)) {
        if (calendarShown()) focusCalendarSlot(null);
      }
    }
    opener = null;
  });
  // A click on the backdrop (outside the dialog's box) closes it.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) closeDialog();
  });
  dialog.addEventListener("click", (event) => {
    const close = event.target.closest("[data-appt-close]");
    if (close) {
      event.preventDefault();
      closeDialog();
    }
  });
  dialog.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-appt-form]");
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    const body = new FormData(form);
    body.set("fragment", "1");
    sending = true; // the answer says what happened: the slot's own hints wait for it
    let html;
    try {
      const response = await fetch(form.action, { method: "POST", body,
        headers: { Accept: "text/html" } });
      html = await response.text();
    } finally {
      sending = false;
    }
    showInDialog(html);
    focusDialog();
    const done = dialog.querySelector("[data-appt-done]");
    announce(done ? done.textContent : (dialog.querySelector("[role=alert]") || {}).textContent);
    refreshList();
    document.dispatchEvent(new CustomEvent("appt:changed"));
  });
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-appt-confirm]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey
      || event.shiftKey) return;
  event.preventDefault();
  openConfirmation(link.href, link);
});

document.addEventListener("appt:open-slot", (event) => {
  openConfirmation(event.detail.url, event.detail.from);
});

// -- the filters: folded on phones (the slots come first), open on wider screens

const filters = document.querySelector("[data-appt-filters]");
if (filters && window.matchMedia("(min-width: 48rem)").matches) filters.open = true;

// -- calendar or list

const views = document.querySelector("[data-appt-views]");
const calendarView = document.getElementById("appt-calendar-view");

// The choice is kept in the address (?view=), which the week's links and the filters' form
// carry on: the server writes it into the links it renders.
function keep(view) {
  const here = new URL(window.location.href);
  here.searchParams.set("view", view);
  window.history.replaceState(window.history.state, "", here);
  const field = document.querySelector("[data-appt-view-field]");
  if (field) field.value = view;
  for (const link of document.querySelectorAll("#appt-book-list a[href]:not([href^='#'])")) {
    const target = new URL(link.href);
    if (target.pathname !== here.pathname) continue;
    target.searchParams.set("view", view);
    link.href = target.toString();
  }
}

function show(view) {
  if (!views || !calendarView) return;
  for (const button of views.querySelectorAll("[data-appt-view]")) {
    button.setAttribute("aria-pressed", String(button.dataset.apptView === view));
  }
  calendarView.hidden = view !== "calendar";
  page.dataset.view = view;
  if (view === "calendar") document.dispatchEvent(new CustomEvent("appt:calendar-shown"));
}

if (views && calendarView && typeof window.FullCalendar === "object") {
  views.hidden = false;
  views.addEventListener("click", (event) => {
    const button = event.target.closest("[data-appt-view]");
    if (button) {
      show(button.dataset.apptView);
      keep(button.dataset.apptView);
    }
  });
  // The view chosen before; else the calendar on wide screens, the day-grouped list on phones.
  show(page.dataset.apptWanted
    || (window.matchMedia("(min-width: 48rem)").matches ? "calendar" : "list"));
}

// -- live: what other students do to these slots

function slotItem(id) {
  return document.querySelector(`#appt-book-list [data-slot-id="${id}"]`);
}

function describe(item) {
  const what = item.querySelector(".appt-slot-what strong");
  const when = item.querySelector(".appt-slot-when time");
  const day = item.closest(".appt-day")?.querySelector("h3");
  return [what?.textContent, day?.textContent, when ? `at ${when.textContent}` : ""]
    .filter(Boolean).join(", ");
}

// An open confirmation follows its slot too: when the last seat goes (or one frees, or the
// slot closes) it is fetched again in its new state, and the change is said.
async function followDialog({ slot_id: id, remaining, status }) {
  if (sending) return; // the student's own booking took the seat: its answer will say so
  const shown = dialog && dialog.open
    && dialog.querySelector(`.appt-confirm[data-slot-id="${id}"][data-appt-again]`);
  if (!shown) return;
  const closed = status && status !== "open";
  const full = remaining <= 0;
  const action = shown.dataset.action;
  if (!(closed || (action === "book" && full) || (action === "waitlist" && !full))) return;
  const response = await fetch(withFragment(shown.dataset.apptAgain),
    { headers: { Accept: "text/html" } });
  if (!response.ok || sending || !dialog.open || !document.contains(shown)) return;
  const focused = dialog.contains(document.activeElement);
  showInDialog(await response.text());
  const heading = dialog.querySelector("#appt-dialog-title");
  if (focused && heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
  const after = dialog.querySelector(".appt-confirm")?.dataset.action;
  if (after === "held") return; // theirs now: nothing was lost
  announce(after === "waitlist" ? "The last seat was just taken: this slot is full now. "
    + "You can join its waitlist." : after === "book" ? "A seat is free again: you can book it now."
    : "This slot can no longer be booked.");
}

document.addEventListener("appt:slot.availability", (event) => {
  const { slot_id: id, remaining, capacity, waitlist_length: waiting, status } = event.detail;
  followDialog(event.detail);
  const item = slotItem(id);
  if (!item) return;
  if (status && status !== "open") {
    announce(`${describe(item)}: no longer open.`);
    const day = item.closest(".appt-day");
    item.remove();
    if (day && !day.querySelector("[data-slot-id]")) day.remove();
    return;
  }
  if (item.dataset.action === "waiting") return; // their place is said, not the seats
  const seats = item.querySelector("[data-seats]");
  const full = remaining <= 0;
  if (seats) {
    seats.textContent = full ? (waiting ? `Full, ${waiting} waiting` : "Full")
      : `${remaining} of ${capacity} free`;
  }
  const link = item.querySelector("a[data-appt-confirm]");
  const wasFull = item.dataset.action === "waitlist";
  if (link && full !== wasFull) {
    const hidden = link.querySelector(".appt-sr");
    link.textContent = full ? "Join waitlist" : "Book";
    if (hidden) link.append(hidden);
    link.classList.toggle("appt-button--quiet", full);
    item.dataset.action = full ? "waitlist" : "book";
    item.classList.toggle("appt-slot--waitlist", full);
    item.classList.toggle("appt-slot--book", !full);
    announce(`${describe(item)}: ${full ? "now full, you can join the waitlist"
      : `${remaining} of ${capacity} seats free`}.`);
  }
});

for (const name of ["appt:reconnect", "appt:booking.created", "appt:booking.cancelled",
  "appt:booking.rescheduled", "appt:waitlist.promoted"]) {
  document.addEventListener(name, () => refreshList());
}
