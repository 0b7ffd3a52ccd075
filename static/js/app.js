// Switchboard's own behaviour: toasts, confirmations, keyboard shortcuts. Loaded as a file
// (CSP allows no inline script); everything here also works on content htmx swaps in.
(function () {
  "use strict";

  var TOAST_SECONDS = 6;
  // More than this many toasts at once is noise: the oldest go first.
  var TOASTS_SHOWN = 3;

  function dismiss(toast) {
    if (!toast || toast.classList.contains("toast-leaving")) { return; }
    toast.classList.add("toast-leaving");
    window.setTimeout(function () { toast.remove(); }, 220);
  }

  // Toasts arrive at the end of #toasts (htmx appends them); the stylesheet shows the newest
  // on top (top right, clear of the composer's Send and "Add note").
  function armToasts() {
    var container = document.getElementById("toasts");
    if (!container) { return; }
    container.querySelectorAll("[data-toast]:not([data-armed])").forEach(function (toast) {
      toast.setAttribute("data-armed", "");
      // Errors stay until dismissed; confirmations leave by themselves.
      if (!toast.classList.contains("toast-error")) {
        window.setTimeout(function () { dismiss(toast); }, TOAST_SECONDS * 1000);
      }
    });
    // Over the limit, the oldest confirmations go first; errors only when there are more
    // than three of them.
    var shown = Array.prototype.slice.call(container.querySelectorAll("[data-toast]:not(.toast-leaving)"));
    var isError = function (item) { return item.classList.contains("toast-error"); };
    var surplus = shown.filter(function (item) { return !isError(item); }).concat(shown.filter(isError));
    surplus.slice(0, Math.max(0, shown.length - TOASTS_SHOWN)).forEach(function (item) { item.remove(); });
  }

  // Show a short confirmation as a toast from the page itself (text only, never HTML), with
  // the same close button as the server's toasts (templates/_toasts.html).
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
    var template = container.getAttribute("data-dismiss-label");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("data-toast-close", "");
    close.setAttribute("aria-label", template || "Dismiss");
    close.textContent = "×";
    item.appendChild(close);
    container.appendChild(item);
    armToasts();
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

  // A button with data-disclose="<id>" shows the element with that id in place of its own
  // form (without JavaScript the button asks for the page with it open); a button with
  // data-disclose-close="<id>" inside it hides it again and gives focus back to the opener.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-disclose]");
    var closer = event.target.closest("[data-disclose-close]");
    if (opener) {
      var region = document.getElementById(opener.getAttribute("data-disclose"));
      if (!region) { return; }
      event.preventDefault();
      region.hidden = false;
      opener.setAttribute("aria-expanded", "true");
      (opener.form || opener).hidden = true;
      var first = region.querySelector("input:not([type=hidden]), textarea, select");
      if (first) { first.focus(); }
    } else if (closer) {
      var shown = document.getElementById(closer.getAttribute("data-disclose-close"));
      if (!shown) { return; }
      shown.hidden = true;
      var back = document.querySelector("[data-disclose='" + shown.id + "']");
      if (back) {
        (back.form || back).hidden = false;
        back.setAttribute("aria-expanded", "false");
        back.focus();
      }
    }
  });

  document.addEventListener("DOMContentLoaded", armToasts);
  document.addEventListener("htmx:after:swap", armToasts);
})();
