// The staff calendar: FullCalendar (standard MIT bundle, vendored) over the page's event feed
// (/admin/appointments/calendar/events: wall-clock times of the viewer's zone, so the
// calendar runs in "UTC" and needs no time zone plugin). Selecting a time opens "Add
// availability" for it; dragging or resizing a slot opens the move's confirmation (nothing
// moves until it is confirmed); choosing a slot opens its panel. Seats follow live messages
// in place; other changes refetch. Without this file the page's week list and its links do
// everything.

const holder = document.getElementById("appt-staff-calendar");
const view = document.getElementById("appt-staff-calendar-view");
const week = document.getElementById("appt-staff-week");
const views = document.querySelector("[data-appt-views]");
const data = JSON.parse(document.getElementById("appt-staff-calendar-data")?.textContent
  || "null");
let calendar = null;

function announce(words) {
  document.dispatchEvent(new CustomEvent("appt:announce", { detail: words }));
}

function url(template, id, params) {
  const target = new URL(template.replace(/\/0(\/|$)/, `/${id}$1`), window.location.href);
  for (const [key, value] of Object.entries(params || {})) {
    if (value) target.searchParams.set(key, value);
  }
  return target.toString();
}

const plain = (date) => date.toISOString().slice(0, 19); // the wall clock FullCalendar holds

function seats(props) {
  return `${props.booked} of ${props.capacity} booked`
    + (props.waiting ? `, ${props.waiting} waiting` : "");
}

function span(text, className) {
  const element = document.createElement("span");
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

// "Tuesday 8 December, 10:00 to 10:30, Advising, Dr Lee, 2 of 3 booked, 1 waiting"
function content(event, list) {
  const p = event.extendedProps;
  const day = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric",
    month: "long", timeZone: "UTC" }).format(event.start);
  const time = (d) => d.toISOString().slice(11, 16);
  const frame = span("", "appt-event-text");
  // (list views show the time in a column of their own)
  const when = `${time(event.start)} to ${time(event.end || event.start)}`;
  frame.append(span(`${day}, `, "appt-sr"),
    span(when, list ? "appt-sr" : "appt-event-time"),
    span(", ", "appt-sr"), span(event.title, "appt-event-title"),
    span(`, ${p.host}`, "appt-sr"),
    span(` ${seats(p)}`, "appt-event-seats"));
  return frame;
}

function render() {
  const phone = !window.matchMedia("(min-width: 48rem)").matches;
  calendar = new window.FullCalendar.Calendar(holder, {
    initialView: phone ? "listWeek" : "timeGridWeek",
    initialDate: data.week,
    timeZone: "UTC",
    firstDay: 1,
    locale: "en-gb",
    headerToolbar: { start: "prev,next today", center: "title",
      end: phone ? "listWeek,timeGridDay" : "dayGridMonth,timeGridWeek,timeGridDay,listWeek" },
    // Words, not FullCalendar's icon font (its glyphs showed as empty boxes where the font
    // did not load).
    buttonIcons: false,
    buttonText: { prev: "‹ Previous", next: "Next ›", today: "This week", month: "Month",
      week: "Week", day: "Day", list: "List" },
    allDaySlot: false,
    nowIndicator: false,
    scrollTime: "07:00:00", // the whole day, scrolled to the morning
    contentHeight: phone ? "auto" : 640,
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    selectable: !phone,
    selectMirror: true,
    editable: !phone,
    eventDurationEditable: true,
    events: data.feed,
    eventContent: (info) => ({ domNodes: [content(info.event,
      info.view.type.startsWith("list"))] }),
    datesSet() {
      // The toolbar's arrow icons are drawn by CSS; the buttons carry their names.
      for (const icon of holder.querySelectorAll(".fc-icon")) {
        icon.removeAttribute("role");
        icon.setAttribute("aria-hidden", "true");
      }
    },
    eventClick(info) {
      info.jsEvent.preventDefault();
      window.location.assign(url(data.slot, info.event.id));
    },
    select(info) {
      window.location.assign(url(data.add, 0, { start: plain(info.start), end: plain(info.end),
        host: data.host }));
    },
    eventDrop: (info) => confirmMove(info),
    eventResize: (info) => confirmMove(info),
  });
  calendar.render();
}

function confirmMove(info) {
  const { event } = info;
  info.revert(); // nothing moves until the confirmation page is answered
  window.location.assign(url(data.move, event.id, { start: plain(event.start),
    end: plain(event.end) }));
}

function show(which) {
  for (const button of views.querySelectorAll("[data-appt-view]")) {
    button.setAttribute("aria-pressed", String(button.dataset.apptView === which));
  }
  view.hidden = which !== "calendar";
  week.hidden = which === "calendar";
  if (which === "calendar") {
    if (!calendar) render();
    else calendar.updateSize();
  }
}

if (holder && data && typeof window.FullCalendar === "object") {
  views.hidden = false;
  views.addEventListener("click", (event) => {
    const button = event.target.closest("[data-appt-view]");
    if (button) show(button.dataset.apptView);
  });
  show("calendar");
}

// -- live: seats in place, anything else refetched

document.addEventListener("appt:slot.availability", (message) => {
  const event = calendar && calendar.getEventById(String(message.detail.slot_id));
  if (!event) return;
  const { remaining, capacity, waitlist_length: waiting, status } = message.detail;
  if (status && status !== "open") {
    announce(`${event.title} at ${event.start.toISOString().slice(11, 16)} is no longer open.`);
    event.remove();
    return;
  }
  const booked = capacity - remaining;
  const before = event.extendedProps.booked;
  calendar.batchRendering(() => {  // one redraw for the three
    event.setExtendedProp("booked", booked);
    event.setExtendedProp("capacity", capacity);
    event.setExtendedProp("waiting", waiting);
  });
  if (booked !== before) {
    announce(`${event.title} at ${event.start.toISOString().slice(11, 16)}: `
      + `${seats(event.extendedProps)}.`);
  }
});

for (const name of ["appt:slot.changed", "appt:reconnect"]) {
  document.addEventListener(name, () => calendar && calendar.refetchEvents());
}
