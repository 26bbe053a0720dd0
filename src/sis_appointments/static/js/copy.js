// Copy buttons: <button data-appt-copy="INPUT-ID" data-appt-copied="STATUS-ID" hidden>, and
// optionally data-appt-copied-text: what the status says once copied.
// The buttons stay hidden without JavaScript (the field can still be selected and copied);
// here they are shown, and a click copies the field's value and says so in the status.
function copyFrom(field) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(field.value);
  }
  field.focus();
  field.select();
  return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy"));
}

for (const button of document.querySelectorAll("button[data-appt-copy]")) {
  const field = document.getElementById(button.dataset.apptCopy);
  const status = document.getElementById(button.dataset.apptCopied || "");
  if (!field) continue;
  button.hidden = false;
  button.addEventListener("click", () => {
    copyFrom(field).then(
      () => {
        if (status) {
          status.textContent = button.dataset.apptCopiedText
            || "Copied. Paste it into your calendar program.";
        }
      },
      () => {
        field.select();
        if (status) status.textContent = "Copying was not allowed: the text is selected, press Ctrl+C (or Cmd+C).";
      });
  });
}
