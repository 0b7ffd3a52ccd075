// The message assistant's answers (templates/assistant/request.html): "Insert" puts a
// campaign draft into the message box, "Replace the reply text" a rewrite into the reply box.
// The button names its text box (data-assistant-insert="<id>") and carries the text
// (data-text); the box's listeners (the segment counter, the preview, the draft) hear an
// input event. Nothing is saved or sent here. Included by several templates, so it may run
// more than once: only the first one listens.
(function () {
  "use strict";

  if (window.switchboardAssistant) { return; }
  window.switchboardAssistant = true;

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-assistant-insert]");
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-assistant-insert"));
    if (!field) { return; }
    event.preventDefault();
    field.value = button.getAttribute("data-text") || "";
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
    var tool = button.closest("details[data-assistant-tool]");
    if (tool) { tool.open = false; }
  });

  // The reply box's tool closes with its "Close" button or Esc, and gives the focus back to
  // its summary (on a phone the open panel covers it).
  function closeTool(tool) {
    tool.open = false;
    var summary = tool.querySelector("summary");
    if (summary) { summary.focus(); }
  }
  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest("[data-assistant-close]");
    var tool = close && close.closest("details[data-assistant-tool]");
    if (tool) { closeTool(tool); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var tool = event.target.closest && event.target.closest("details[data-assistant-tool][open]");
    if (tool) { event.preventDefault(); closeTool(tool); }
  });
})();
