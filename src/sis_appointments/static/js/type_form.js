// The appointment type form made better: the error summary (or the stale-edit notice) takes
// the focus, so a screen reader reads it first; a number given with a unit gets the largest
// value its unit allows as its max. Without this file the server checks everything anyway.

const UNITS = { minutes: 1, hours: 60, days: 24 * 60 };

const notice = document.querySelector("[data-appt-focus]");
if (notice) notice.focus();

for (const unit of document.querySelectorAll("select[data-appt-unit-for]")) {
  const number = document.getElementById(unit.dataset.apptUnitFor);
  const limit = Number(number && number.dataset.apptLimitMinutes);
  if (!number || !limit) continue;
  unit.addEventListener("change", () => {
    number.max = String(Math.floor(limit / (UNITS[unit.value] || 1)));
  });
}

// A link of the error summary moves the focus to its field (not only scrolls to it).
for (const link of document.querySelectorAll(".appt-error-summary a[href^='#']")) {
  link.addEventListener("click", (event) => {
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    target.focus();
    target.scrollIntoView({ block: "center" });
  });
}
