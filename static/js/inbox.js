// The agent workspace: keyboard shortcuts, and keeping focus, selection and scroll position
// sensible when htmx swaps the panes or the live poll updates them.
(function () {
  "use strict";

  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".conv-row .conv-link")); }

  function openId() {
    var pane = document.getElementById("thread-pane");
    return pane ? pane.getAttribute("data-conversation-id") : null;
  }

  // The list row of the open conversation is marked, also after a swap or a live update.
  function syncSelection() {
    var id = openId();
    rows().forEach(function (link) {
      var row = link.closest(".conv-row");
      if (id && row.getAttribute("data-conversation-id") === id) {
        link.setAttribute("aria-current", "true");
      } else {
        link.removeAttribute("aria-current");
      }
    });
  }

  function scrollThread() {
    var thread = document.getElementById("thread-messages");
    if (thread) { thread.scrollTop = thread.scrollHeight; }
  }

  function cursorIndex(links) {
    var focused = links.indexOf(document.activeElement);
    if (focused >= 0) { return focused; }
    var current = links.findIndex(function (link) { return link.getAttribute("aria-current") === "true"; });
    return current;
  }

  function move(step) {
    var links = rows();
    if (!links.length) { return; }
    var index = cursorIndex(links);
    index = index < 0 ? 0 : Math.min(links.length - 1, Math.max(0, index + step));
    links[index].focus();
    links[index].scrollIntoView({ block: "nearest" });
  }

  function press(selector) {
    var target = document.querySelector(selector);
    if (target && !target.disabled) { target.click(); return true; }
    return false;
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-shortcuts-open]")) {
      var dialog = document.getElementById("shortcuts-dialog");
      if (dialog && dialog.showModal) { dialog.showModal(); }
    }
  });

  document.addEventListener("keydown", function (event) {
    var field = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
    // Ctrl/Cmd+Enter sends from the composer.
    if (field && event.key === "Enter" && (event.ctrlKey || event.metaKey) && field.form) {
      event.preventDefault();
      field.form.requestSubmit();
      return;
    }
    if (field) {
      if (event.key === "Escape") { field.blur(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || document.querySelector("dialog[open]")) { return; }
    // Enter on a button, link or menu (the variables menu's summary) activates it, as anywhere.
    if (event.key === "Enter" && event.target.closest && event.target.closest("button, summary, a[href]")) { return; }
    var handled = true;
    switch (event.key) {
      case "j": case "ArrowDown": move(1); break;
      case "k": case "ArrowUp": move(-1); break;
      case "o": case "Enter": {
        var links = rows();
        var index = cursorIndex(links);
        if (index >= 0 && (event.key === "o" || document.activeElement !== links[index])) { links[index].click(); } else { handled = false; }
        break;
      }
      case "r": {
        var reply = document.querySelector("[data-shortcut='r']");
        if (reply) { reply.focus(); } else { handled = false; }
        break;
      }
      case "a": handled = press("[data-shortcut='a']"); break;
      case "e": handled = press("[data-shortcut='e']"); break;
      case "?": press("[data-shortcuts-open]"); break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });

  document.addEventListener("htmx:after:swap", function (event) {
    syncSelection();
    var target = event.detail && event.detail.ctx && event.detail.ctx.target;
    var source = event.detail && event.detail.ctx && event.detail.ctx.sourceElement;
    if (!document.getElementById("thread-pane")) { return; }
    if (target && (target.id === "thread-pane" || (target.closest && target.closest("#thread-pane")))) {
      scrollThread();
      // Opened from the list: focus the heading; after sending: back to the reply box.
      if (source && source.closest && source.closest(".conv-row")) {
        var heading = document.getElementById("thread-heading");
        if (heading) { heading.focus({ preventScroll: true }); }
      } else if (source && source.matches && source.matches("form.composer-form")) {
        var box = document.querySelector("#composer form.composer-form:not([hidden]) textarea");
        if (box && box.offsetParent) { box.focus(); }
      }
    } else if (source && source.id === "live-poller") {
      scrollThread();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { syncSelection(); scrollThread(); });
})();
