// The book page's week calendar: FullCalendar (standard MIT bundle, vendored) fed by the REST
// API's range query (GET /api/appointments/v1/slots?start&end&type&host, session auth). It
// shows the page's week and the slots the page's list offers (#appt-book-data: what the
// student may do with each, worked out by the server); seat counts come from the API and then
// from live messages (the event changed in place; refetched after a reconnect). Each
// event has an accessible name and opens the same confirmation as the list (book.js).

const holder = document.getElementById("appt-calendar");
let calendar = null;

function data() {
  const element = document.getElementById("appt-book-data");
  return element ? JSON.parse(element.textContent) : null;
}

const dayFormat = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric",
  month: "long" });
const timeFormat = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };

function local(instant, zone) {
  return new Date(instant).toLocaleTimeString("en-GB", { ...timeFormat, timeZone: zone });
}

function seats(slot) {
  if (slot.remaining > 0) {
    return `${slot.remaining} of ${slot.capacity} seat${slot.capacity === 1 ? "" : "s"} free`;
  }
  return slot.waitlist_length ? `Full, ${slot.waitlist_length} waiting` : "Full";
}

function span(text, className) {
  const element = document.createElement("span");
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

// What an event shows, and (in visually hidden parts) the rest of its accessible name:
// "Tuesday 8 December, 10:00 to 10:30, Advising with Dr Lee, 2 of 3 seats free".
// In the week grid an event is narrow: its start time, the type and host wrap below, and
// the seats (or "Booked" for the student's own) stay visible. In a list view FullCalendar
// shows the time in a column of its own, so the event's time is only read out.
function eventContent(event, zone, listed) {
  const { slot, offer, typeName, hostName } = event.extendedProps;
  const day = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric",
    month: "long", timeZone: zone }).format(new Date(slot.start));
  const held = offer.action === "held";
  const waiting = offer.offered ? "A seat is held for you: accept it"
    : offer.action === "waiting" ? `On the waitlist (#${offer.place})` : "";
  const status = held ? "Booked by you" : waiting || seats(slot);
  const after = [];
  if (offer.action === "waitlist") after.push("join the waitlist");
  if (offer.reason && !held) after.push(offer.reason);
  const rest = after.length ? `, ${after.join(", ")}` : "";
  const frame = span("", "appt-event-text");
  if (listed) {
    frame.append(span(`${day}, ${local(slot.start, zone)} to ${local(slot.end, zone)}, `,
      "appt-sr"), span(`${typeName} with ${hostName}`, "appt-event-title"),
    span(", ", "appt-sr"), span(status, "appt-event-seats"), span(rest, "appt-sr"));
    return frame;
  }
  // The grid: "10:00", "Advising with Dr Lee" (cut to the width), "2 free" / "Full" /
  // "Booked"; the accessible name is the whole sentence.
  const short = held ? "Booked" : offer.offered ? "Seat held" : waiting ? `Waitlist #${offer.place}`
    : slot.remaining > 0 ? `${slot.remaining} free` : "Full";
  const seen = [span(local(slot.start, zone), "appt-event-time"),
    span(`${typeName} with ${hostName}`, "appt-event-title"), span(short, "appt-event-seats")];
  for (const part of seen) part.setAttribute("aria-hidden", "true");
  frame.append(span(`${day}, ${local(slot.start, zone)} to ${local(slot.end, zone)}, `
    + `${typeName} with ${hostName}, ${status}${rest}`, "appt-sr"), ...seen);
  return frame;
}

// The student's own booking is "held" (its own colour, not the orange of a full slot).
function classes(offer, remaining) {
  const kind = offer.kind || offer.action;
  if (kind === "held" || kind === "waiting") return ["appt-event", `appt-event--${kind}`];
  return ["appt-event", `appt-event--${kind}`, remaining > 0 ? "appt-event--open" : "appt-event--full"];
}

async function fetchSlots(_info, success, failure) {
  const page = data();
  try {
    // The page's week as instants (the calendar shows wall-clock times of the student's
    // zone as if they were UTC, so no time zone plugin is needed).
    const query = new URLSearchParams({ start: page.from, end: page.until, limit: "500",
      tz: page.zone });
    if (page.type) query.set("type", page.type);
    if (page.host) query.set("host", page.host);
    const events = [];
    let url = `${page.api}?${query}`;
    while (url) {
      const response = await fetch(url, { headers: { Accept: "application/json" },
        credentials: "same-origin" });
      if (!response.ok) throw new Error(`slots: ${response.status}`);
      const body = await response.json();
      for (const slot of body.items) {
        const offer = page.offers[slot.id];
        if (!offer || slot.status !== "open") continue; // the list's filters decide
        events.push({
          id: String(slot.id), start: slot.start.slice(0, 19), end: slot.end.slice(0, 19),
          title: `${page.types[slot.type_id] || "Appointment"}, ${page.hosts[slot.host] || slot.host}`,
          url: offer.confirm,
          classNames: classes(offer, slot.remaining),
          extendedProps: { slot, offer, typeName: page.types[slot.type_id] || "Appointment",
            hostName: page.hosts[slot.host] || slot.host },
        });
      }
      url = body.next || null;
    }
    success(events);
  } catch (error) {
    failure(error);
  }
}

function render() {
  const page = data();
  if (!holder || !page || typeof window.FullCalendar !== "object") return;
  const phone = !window.matchMedia("(min-width: 48rem)").matches;
  calendar = new window.FullCalendar.Calendar(holder, {
    initialView: phone ? "listWeek" : "timeGridWeek",
    initialDate: page.start,
    timeZone: "UTC",
    firstDay: 1,
    locale: "en-gb",
    headerToolbar: false,
    allDaySlot: false,
    nowIndicator: false,
    slotMinTime: `${String(page.hours[0]).padStart(2, "0")}:00:00`,
    slotMaxTime: `${String(page.hours[1]).padStart(2, "0")}:00:00`,
    // A week whose slots span most of the day (all of it when they go on past midnight) is
    // shown in a box of its own that scrolls, opened where the slots begin (the page would
    // be up to 3,000 px tall).
    height: page.hours[1] - page.hours[0] > 14 ? "80vh" : "auto",
    scrollTime: `${String(page.scroll ?? page.hours[0]).padStart(2, "0")}:00:00`,
    expandRows: true,
    slotEventOverlap: false,
    // No "+N more" folding: every slot is an event of its own, in the tab order in time
    // order (a popover's contents were out of reach of the keyboard).
    hiddenDays: page.hiddenDays || [],
    validRange: { start: page.start, end: page.end },
    eventTimeFormat: { ...timeFormat },
    slotLabelFormat: { ...timeFormat },
    dayHeaderFormat: { weekday: "short", day: "numeric", month: "short" },
    noEventsContent: "No open slots this week",
    events: fetchSlots,
    eventContent(info) {
      return { domNodes: [eventContent(info.event, page.zone, info.view.type.startsWith("list"))] };
    },
    eventDidMount(info) {
      const target = info.el.tagName === "A" ? info.el : info.el.querySelector("a") || info.el;
      document.dispatchEvent(new CustomEvent("appt:event-mounted",
        { detail: { id: info.event.id, element: target } }));
      if (target.tagName !== "A") {
        target.setAttribute("role", "button");
        target.setAttribute("tabindex", "0");
      }
    },
    eventClick(info) {
      info.jsEvent.preventDefault();
      document.dispatchEvent(new CustomEvent("appt:open-slot",
        { detail: { url: info.event.url, from: info.el.closest("a") || info.el } }));
    },
  });
  calendar.render();
  holder.addEventListener("keydown", (event) => {
    const target = event.target.closest(".fc-event");
    if (target && (event.key === "Enter" || event.key === " ") && target.tagName !== "A") {
      event.preventDefault();
      target.click();
    }
  });
}

function refetch() {
  if (calendar) calendar.refetchEvents();
}

document.addEventListener("appt:calendar-shown", () => {
  if (!calendar) render();
  else calendar.updateSize();
});
for (const name of ["appt:list-refreshed", "appt:reconnect"]) {
  document.addEventListener(name, refetch);
}

// Seats taken or freed elsewhere change the event in place: with many students looking at
// the same week on registration day, a booking must not make every open calendar download
// the week again. A slot no longer open leaves the calendar.
// The list (the accessible view) changes first; the calendar redraws in the next frame,
// in one render for the three changes.
function follow(detail) {
  const event = calendar && calendar.getEventById(String(detail.slot_id));
  if (!event) return;
  const { remaining, capacity, waitlist_length: waiting, status } = detail;
  if (status && status !== "open") {
    event.remove();
    return;
  }
  const slot = { ...event.extendedProps.slot, remaining, capacity, waitlist_length: waiting };
  let { offer } = event.extendedProps;
  if (offer.action === "book" || offer.action === "waitlist") {
    offer = { ...offer, action: remaining > 0 ? "book" : "waitlist" };
  }
  calendar.batchRendering(() => {
    event.setExtendedProp("slot", slot);
    event.setExtendedProp("offer", offer);
    event.setProp("classNames", classes(offer, remaining));
  });
}

document.addEventListener("appt:slot.availability", (message) => {
  if (calendar) window.requestAnimationFrame(() => follow(message.detail));
});
export { refetch };
