// The conversation list's selection for bulk actions: a checkbox per row, shift-click for a
// range, "x" toggles the focused row, "select all on this page", and the count in the bar.
// The selection survives the live poll redrawing rows; a new filter or a done action clears it.
(function () {
  "use strict";

  var selected = new Set();
  var anchor = null;

  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("[data-conv-select]")); }

  function refresh() {
    var all = boxes();
    var checked = all.filter(function (box) { return box.checked; }).length;
    document.querySelectorAll("[data-bulk-count]").forEach(function (output) { output.textContent = String(checked); });
    document.querySelectorAll("[data-bulk-all]").forEach(function (box) {
      box.checked = all.length > 0 && checked === all.length;
      box.indeterminate = checked > 0 && checked < all.length;
    });
    document.querySelectorAll("[data-bulk-all-label]").forEach(function (label) { label.hidden = all.length === 0; });
  }

  function set(box, on) {
    box.checked = on;
    if (on) { selected.add(box.value); } else { selected.delete(box.value); }
  }

  // Rows drawn again (live poll, "Show more") get their checkbox state back.
  function restore() {
    boxes().forEach(function (box) { box.checked = selected.has(box.value); });
    refresh();
  }

  document.addEventListener("click", function (event) {
    var box = event.target.closest && event.target.closest("[data-conv-select]");
    if (!box) { return; }
    var all = boxes();
    if (event.shiftKey && anchor && anchor !== box && all.indexOf(anchor) >= 0) {
      var from = all.indexOf(anchor);
      var to = all.indexOf(box);
      var low = Math.min(from, to);
      var high = Math.max(from, to);
      for (var i = low; i <= high; i += 1) { set(all[i], box.checked); }
    } else {
      set(box, box.checked);
    }
    anchor = box;
    refresh();
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-bulk-all]")) {
      var on = event.target.checked;
      boxes().forEach(function (box) { set(box, on); });
      anchor = null;
      refresh();
    }
  });

  // "x" on the focused row (or the row the list's cursor is on) toggles its checkbox.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "x" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    var inField = target.closest && target.closest("textarea, select, [contenteditable], input:not([data-conv-select])");
    if (inField || document.querySelector("dialog[open]")) { return; }
    var row = target.closest && target.closest(".conv-row");
    if (!row) { return; }
    var box = row.querySelector("[data-conv-select]");
    if (!box) { return; }
    event.preventDefault();
    set(box, !box.checked);
    anchor = box;
    refresh();
  });

  // A bulk action or a new filter redraws the list: what was selected is done or gone.
  var clearOnNextList = false;
  document.addEventListener("submit", function (event) {
    if (event.target.id === "bulk-form" || event.target.id === "list-filters") { clearOnNextList = true; }
  }, true);
  ["change", "input"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.closest && event.target.closest("#list-filters")) { clearOnNextList = true; }
    }, true);
  });

  document.addEventListener("htmx:after:swap", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var target = ctx && ctx.target;
    if (clearOnNextList && target && target.id === "conversation-list") {
      selected.clear();
      anchor = null;
      clearOnNextList = false;
    }
    restore();
  });

  document.addEventListener("DOMContentLoaded", function () {
    boxes().forEach(function (box) { if (box.checked) { selected.add(box.value); } });
    refresh();
  });
})();
