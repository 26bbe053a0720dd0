// Live updates, shared by the plugin's pages: one Socket.IO connection to /appointments,
// the rooms the page names in data-appt-rooms joined (again after a reconnect; the page is
// marked html[data-appt-live=connected] once the server has answered the joins), every server
// event re-dispatched on document as CustomEvent("appt:" + name, {detail}), "appt:reconnect"
// after a reconnect (pages refetch what they show: pushes are hints), and one polite
// aria-live region (#appt-live) for what changed: dispatch CustomEvent("appt:announce",
// {detail: "words"}) to say something there. A new in-app notification raises the unread
// counts the page shows: elements marked data-appt-unread (hidden while zero) hold the number
// in [data-appt-n] and, if they say it in words, in [data-appt-unread-words] ("3 unread
// notifications"); a host can mark its own badge the same way.

const NAMESPACE = "/appointments";

function region() {
  let live = document.getElementById("appt-live");
  if (!live) {
    live = document.createElement("div");
    live.id = "appt-live";
    live.className = "appt-sr";
    live.setAttribute("aria-live", "polite");
    live.setAttribute("aria-atomic", "true");
    document.body.append(live);
  }
  return live;
}

export function announce(words) {
  if (!words) return;
  const live = region();
  live.textContent = "";
  // A fresh text node after a tick, so screen readers read a repeated message again.
  window.setTimeout(() => { live.textContent = words; }, 50);
}

function rooms() {
  const holder = document.querySelector("[data-appt-rooms]");
  return holder ? holder.dataset.apptRooms.split(/\s+/).filter(Boolean) : [];
}

function connect() {
  if (typeof window.io !== "function" || window.apptLive) return window.apptLive;
  const socket = window.io(NAMESPACE, { transports: ["websocket", "polling"] });
  let connectedBefore = false;
  socket.on("connect", async () => {
    // "connected" (and the refetch after a reconnect) once the server has answered every
    // join: a change committed after that reaches this page.
    await Promise.all(rooms().map((room) => new Promise((joined) => {
      socket.timeout(10000).emit("join", { room }, () => joined());
    })));
    if (!socket.connected) return;
    if (connectedBefore) document.dispatchEvent(new CustomEvent("appt:reconnect"));
    connectedBefore = true;
    document.documentElement.dataset.apptLive = "connected";
  });
  socket.on("disconnect", () => { document.documentElement.dataset.apptLive = "disconnected"; });
  socket.onAny((name, detail) => {
    document.dispatchEvent(new CustomEvent(`appt:${name}`, { detail }));
  });
  window.apptLive = socket;
  return socket;
}

function unread(change) {
  for (const holder of document.querySelectorAll("[data-appt-unread]")) {
    const number = holder.querySelector("[data-appt-n]");
    const count = Math.max(0, (parseInt(number?.textContent, 10) || 0) + change);
    for (const n of holder.querySelectorAll("[data-appt-n]")) n.textContent = String(count);
    for (const words of holder.querySelectorAll("[data-appt-unread-words]")) {
      words.textContent = `${count} unread notification${count === 1 ? "" : "s"}`;
    }
    holder.hidden = count === 0;
  }
}

document.addEventListener("appt:notification", (event) => {
  unread(1);
  announce(`New notification: ${event.detail.title}`);
});
document.addEventListener("appt:announce", (event) => announce(event.detail));
region();
connect();
