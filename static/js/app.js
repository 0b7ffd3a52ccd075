// Switchboard's own behaviour: toasts, confirmations, keyboard shortcuts. Loaded as a file
// (CSP allows no inline script); everything here also works on content htmx swaps in.
(function () {
  "use strict";

  var TOAST_SECONDS = 6;

  function dismiss(toast) {
    toast.classList.add("toast-leaving");
    window.setTimeout(function () { toast.remove(); }, 220);
  }

  function armToasts(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-toast]:not([data-armed])").forEach(function (toast) {
      toast.setAttribute("data-armed", "");
      // Errors stay until dismissed; confirmations leave by themselves.
      if (!toast.classList.contains("toast-error")) {
        window.setTimeout(function () { dismiss(toast); }, TOAST_SECONDS * 1000);
      }
    });
  }

  // Show a short confirmation as a toast from the page itself (text only, never HTML).
  function toast(text) {
    var container = document.getElementById("toasts");
    if (!container) { return; }
    var item = document.createElement("div");
    item.className = "toast toast-success";
    item.setAttribute("data-toast", "");
    var label = document.createElement("span");
    label.className = "toast-text";
    label.textContent = text;
    item.appendChild(label);
    container.appendChild(item);
    armToasts(container);
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(copy.getAttribute("data-copy")).then(function () {
        toast(copy.getAttribute("data-copied") || "Copied");
      });
    }
    var close = event.target.closest("[data-toast-close]");
    if (close) { dismiss(close.closest("[data-toast]")); }
    // Close the user menu when clicking elsewhere.
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });

  // A form with data-confirm asks first, in a real dialog; without JavaScript it just posts.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-confirm]") || form.hasAttribute("data-confirmed")) { return; }
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    document.getElementById("confirm-dialog-text").textContent = form.getAttribute("data-confirm");
    dialog.returnValue = "";
    dialog.addEventListener("close", function onClose() {
      dialog.removeEventListener("close", onClose);
      if (dialog.returnValue === "confirm") {
        form.setAttribute("data-confirmed", "");
        form.requestSubmit(event.submitter || undefined);
        form.removeAttribute("data-confirmed");
      }
    });
    dialog.showModal();
    dialog.querySelector("[data-confirm-accept]").focus();
  }, true);

  // "/" focuses the page's search box, as in most helpdesks; Escape closes the user menu.
  document.addEventListener("keydown", function (event) {
    var typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey) {
      var search = document.querySelector("[data-shortcut='/']");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    }
    if (event.key === "Escape") {
      document.querySelectorAll("details.user-menu[open]").forEach(function (menu) { menu.removeAttribute("open"); });
    }
  });

  // "Insert a variable" (templates/inbox/_variables_menu.html, in the composer and the contact
  // card's send form): a button puts its token at the cursor of its form's [data-variables]
  // text box and closes the menu; a click elsewhere closes any open menu. The cursor lands
  // after the token, or at data-insert-caret inside it (between the quotes of an empty
  // `| default: ""`, so the fallback is typed straight away).
  function insertVariable(button) {
    var form = button.closest("form");
    var field = form && form.querySelector("textarea[data-variables]");
    if (!field) { return; }
    var token = button.getAttribute("data-insert-variable");
    var start = field.selectionStart || 0;
    var end = field.selectionEnd || 0;
    var caret = parseInt(button.getAttribute("data-insert-caret"), 10);
    if (isNaN(caret) || caret < 0 || caret > token.length) { caret = token.length; }
    field.value = field.value.slice(0, start) + token + field.value.slice(end);
    field.focus();
    field.setSelectionRange(start + caret, start + caret);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert-variable]");
    document.querySelectorAll("details.variables-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target) || button) { menu.removeAttribute("open"); }
    });
    if (button) { insertVariable(button); }
  });

  // Escape closes the variables menu from inside it and gives focus back to its button.
  document.addEventListener("keydown", function (event) {
    var menu = event.key === "Escape" && event.target.closest && event.target.closest("details.variables-menu[open]");
    if (!menu) { return; }
    menu.removeAttribute("open");
    menu.querySelector("summary").focus();
  });

  // After a region marked data-focus-on-swap is swapped in, focus moves into it: back to the
  // control that asked for the refresh, else the first field with an error, else the
  // element marked data-autofocus — so keyboard users stay where they were working.
  document.addEventListener("htmx:after:swap", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var id = ctx && ctx.target && ctx.target.id;
    var region = id && document.getElementById(id);
    if (!region || !region.hasAttribute("data-focus-on-swap")) { return; }
    var source = ctx.sourceElement;
    var again = source && source.id && source.hasAttribute("data-keep-focus") && document.getElementById(source.id);
    var target = again || region.querySelector("[aria-invalid='true'], .field-invalid select, .field-invalid textarea, .field-invalid input") || region.querySelector("[data-autofocus]");
    if (target) { target.focus({ preventScroll: false }); }
  });

  document.addEventListener("DOMContentLoaded", function () { armToasts(document); });
  document.addEventListener("htmx:after:swap", function () { armToasts(document); });
})();
