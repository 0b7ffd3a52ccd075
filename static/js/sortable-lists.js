// Drag-and-drop ordering for lists marked [data-sortable], and keyboard focus after a swap.
//
// A sortable list holds one hidden input per row, all owned by the form that
// data-sortable-form names. Dropping a row submits that form, so the posted fields carry the
// new order; htmx sends it when the form has hx-post, the browser otherwise. Without
// JavaScript nothing here runs and the rows' own Move up/Move down forms do the ordering.
(function () {
  "use strict";

  function initialise(root) {
    if (typeof window.Sortable === "undefined") { return; }
    var scope = root && root.querySelectorAll ? root : document;
    var lists = Array.prototype.slice.call(scope.querySelectorAll("[data-sortable]"));
    if (scope.matches && scope.matches("[data-sortable]")) { lists.push(scope); }
    lists.forEach(function (list) {
      if (window.Sortable.get(list)) { return; }
      window.Sortable.create(list, {
        handle: list.getAttribute("data-sortable-handle") || null,
        animation: 150,
        ghostClass: "sortable-ghost",
        chosenClass: "sortable-chosen",
        dragClass: "sortable-drag",
        onEnd: function (event) {
          if (event.oldIndex === event.newIndex) { return; }
          var form = document.getElementById(list.getAttribute("data-sortable-form"));
          if (form) { form.requestSubmit(); }
        }
      });
    });
  }

  // After a Move up/Move down swap the server marks the moved row with data-focus naming the
  // control that was used; focus goes back to it, so a keyboard user can press again. At the
  // top or bottom that button is disabled, so the row's other enabled control takes it.
  function restoreFocus() {
    var row = document.querySelector("[data-focus]");
    if (!row) { return; }
    var wanted = row.getAttribute("data-focus");
    row.removeAttribute("data-focus");
    var target = row.querySelector("[data-focus-control='" + wanted + "']:not(:disabled)") ||
      row.querySelector("[data-focus-control]:not(:disabled)");
    if (target) { target.focus(); }
  }

  // Sortable leaves style attributes (will-change, transform) on the rows it moved. Before a
  // swap htmx 4 copies the style of old rows onto the new rows with the same id, and setting
  // a style attribute breaks the CSP (style-src 'self'). The rows need no inline style, so
  // it goes before htmx looks.
  function dropInlineStyles() {
    document.querySelectorAll("[data-sortable] [style]").forEach(function (element) {
      element.removeAttribute("style");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { initialise(document); });
  document.addEventListener("htmx:after:process", function (event) { initialise(event.target); });
  document.addEventListener("htmx:before:swap", dropInlineStyles);
  document.addEventListener("htmx:after:swap", restoreFocus);
})();
