// Batch changes and "advisor out": while a preview or a run is being worked out (the form's
// request is in flight, so this page is still shown), a progress bar follows the server's
// "batch.progress" messages (every 25 slots), and the polite region says it now and then.
// Without this file the form simply waits for its answer.

const page = document.querySelector(".appt-batch");
let bar = null;

function announce(words) {
  document.dispatchEvent(new CustomEvent("appt:announce", { detail: words }));
}

function show() {
  if (bar) return bar;
  bar = document.createElement("div");
  bar.className = "appt-progress";
  const label = document.createElement("label");
  label.htmlFor = "appt-batch-progress";
  label.textContent = "Working through the slots…";
  const meter = document.createElement("progress");
  meter.id = "appt-batch-progress";
  bar.append(label, meter);
  page.prepend(bar);
  return bar;
}

if (page) {
  page.addEventListener("submit", () => {
    show();
    announce("Working through the slots. This page updates when it is done.");
  });
  let said = 0;
  document.addEventListener("appt:batch.progress", (event) => {
    const { done, total } = event.detail;
    const meter = show().querySelector("progress");
    meter.max = total;
    meter.value = done;
    bar.querySelector("label").textContent = `${done} of ${total} slots worked through`;
    const quarter = Math.floor((4 * done) / total);
    if (quarter > said) {
      said = quarter;
      announce(`${done} of ${total} slots worked through.`);
    }
  });
}
