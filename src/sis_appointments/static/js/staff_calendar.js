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
const empty = document.getElementById("appt-staff-calendar-empty");
const data = JSON.parse(document.getElementById("appt-staff-calendar-data")?.textContent
  || "null");
let calendar = null;
let fetching = false;

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
const time = (date) => date.toISOString().slice(11, 16);

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

// The words of a slot, read out as the event's name: "Tuesday 8 December, 10:00 to 10:30,
// Advising, Dr Lee, Room 4, 2 of 3 booked, 1 waiting" (with several people's calendars
// shown the host comes before the type: it is what tells parallel slots apart). In a grid
// the time shows its start and the seats "2/3" where the event is narrow (container
// queries in appointments.css); the rest is there for screen readers and shows when the
// event is hovered or focused. A list row shows the host (several calendars), the type and
// the place, then the seats: what tells apart two rows at the same time.
function content(event, list) {
  const p = event.extendedProps;
  const day = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric",
    month: "long", timeZone: "UTC" }).format(event.start);
  const frame = span("", "appt-event-text");
  const when = span(time(event.start), list ? "appt-sr" : "appt-event-time");
  when.append(span(` to ${time(event.end || event.start)}`, "appt-event-end"));
  const host = data.many ? [span(p.host, "appt-event-host"), span(", ", "appt-sr")] : [];
  frame.append(span(`${day}, `, "appt-sr"), when, span(", ", "appt-sr"), ...host,
    span(event.title, "appt-event-title"));
  if (!data.many) frame.append(span(`, ${p.host}`, "appt-sr"));
  if (p.place) frame.append(span(", ", "appt-sr"), span(p.place, list ? "appt-event-place"
    : "appt-sr"));
  const count = span(list ? ` ${seats(p)}` : "", "appt-event-seats");
  if (!list) { // both forms; the stylesheet shows the one that fits
    const short = span(`${p.booked}/${p.capacity}${p.waiting ? ` +${p.waiting}` : ""}`,
      "appt-seats-short");
    short.setAttribute("aria-hidden", "true");
    count.append(span(` ${seats(p)}`, "appt-seats-long"), short);
  }
  frame.append(span(",", "appt-sr"), count);
  if (!list) frame.title = summary(event); // the pointer's tooltip (kept current on updates)
  return frame;
}

// "Advising" or, with several calendars shown, "Advising (Dr Lee)".
const named = (event) => event.title + (data.many ? ` (${event.extendedProps.host})` : "");

// The whole slot in one line, for the pointer's tooltip in a grid.
function summary(event) {
  const p = event.extendedProps;
  return [`${time(event.start)}–${time(event.end || event.start)}`, data.many ? p.host : "",
    event.title, p.place, seats(p)].filter(Boolean).join(" · ");
}

function showHints(list) {
  // Selecting and dragging work in the grids with a pointer (not on a phone, not in a list).
  const pointer = !list && calendar.getOption("editable");
  for (const hint of view.querySelectorAll("[data-appt-hint]")) {
    hint.hidden = (hint.dataset.apptHint === "pointer") !== pointer;
  }
}

function showEmpty() {
  // A list says it in its own body (noEventsContent); a grid's empty range, above it.
  const range = calendar.view;
  const any = calendar.getEvents().some((event) => event.start < range.activeEnd
    && (event.end || event.start) > range.activeStart);
  empty.hidden = fetching || any || range.type.startsWith("list");
}

function emptyWords() {
  const words = empty.cloneNode(true);
  words.removeAttribute("id");
  words.hidden = false;
  return words;
}

// How many parallel slots a grid of ``days`` columns shows side by side (1 to 8).
function stack(days) {
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  const column = (holder.clientWidth - 4 * rem) / days; // less the hours' axis
  return Math.max(1, Math.min(8, Math.floor(column / (7 * rem))));
}

function render() {
  holder.classList.toggle("appt-many", Boolean(data.many));
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
    // "Agenda", not "List": the page's own Calendar/List choice is another page.
    buttonText: { prev: "‹ Previous", next: "Next ›", today: "Today", month: "Month",
      week: "Week", day: "Day", list: "Agenda" },
    allDaySlot: false,
    nowIndicator: false,
    scrollTime: "07:00:00", // the whole day, scrolled to the morning
    contentHeight: phone ? "auto" : 640,
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    // Parallel slots (several people's calendars) sit side by side, not on top of one
    // another, as many as a column has room for at about 7rem each; the rest are behind
    // "+N" (a popover of them all). A week's column holds one, a day's several.
    slotEventOverlap: false,
    views: {
      timeGridWeek: { eventMaxStack: stack(7) },
      timeGridDay: { eventMaxStack: stack(1) },
      dayGridMonth: { dayMaxEvents: 3 },
    },
    moreLinkContent: (arg) => ({ domNodes: [span(`+${arg.num}`),
      span(` more slot${arg.num === 1 ? "" : "s"}`, "appt-sr")] }),
    // FullCalendar's "+N" is an <a> without href that opens a popover (aria-expanded):
    // a button, to assistive technology.
    moreLinkDidMount: (arg) => arg.el.setAttribute("role", "button"),
    moreLinkHint: (num) => `${num} more slot${num === 1 ? "" : "s"}: show them all`,
    noEventsContent: () => ({ domNodes: [emptyWords()] }),
    selectable: !phone,
    selectMirror: true,
    editable: !phone,
    eventDurationEditable: true,
    events: data.feed,
    eventContent: (info) => ({ domNodes: [content(info.event,
      info.view.type.startsWith("list"))] }),
    // Whether a range is empty is known once its events are in (they land in the store
    // after "loading" ends, hence the turn of the event loop).
    loading(busy) {
      fetching = busy;
      if (!busy) setTimeout(showEmpty);
    },
    eventsSet: () => calendar && showEmpty(),
    datesSet(info) {
      showHints(info.view.type.startsWith("list"));
      setTimeout(showEmpty); // after "loading" says whether the new range is being fetched
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
    announce(`${named(event)} at ${time(event.start)} is no longer open.`);
    event.remove();
    showEmpty();
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
    announce(`${named(event)} at ${time(event.start)}: `
      + `${seats(event.extendedProps)}.`);
  }
});

for (const name of ["appt:slot.changed", "appt:reconnect"]) {
  document.addEventListener(name, () => calendar && calendar.refetchEvents());
}
