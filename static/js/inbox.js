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

  // The contact panel where it folds away (≤ 1280 px: over the thread; phones: full screen).
  // Open or closed is a class on the panes, which htmx never swaps, so it stays as the agent
  // moves between conversations, and it is remembered for the tab (sessionStorage) — except
  // on a phone, where a conversation opens on its thread.
  var PANEL_KEY = "switchboard.contact-panel";
  var PHONE = window.matchMedia("(max-width: 700px)");

  function panes() { return document.querySelector("[data-inbox]"); }

  function panelOpen() {
    var element = panes();
    return Boolean(element && element.classList.contains("is-panel-open"));
  }

  function syncPanelToggles() {
    var open = panelOpen();
    document.querySelectorAll("[data-panel-toggle]").forEach(function (button) {
      if (!button.classList.contains("panel-close")) { button.setAttribute("aria-expanded", open ? "true" : "false"); }
    });
  }

  function setPanel(open, moveFocus) {
    var element = panes();
    if (!element) { return; }
    element.classList.toggle("is-panel-open", open);
    try { window.sessionStorage.setItem(PANEL_KEY, open ? "open" : "closed"); } catch (ignored) { /* private mode */ }
    syncPanelToggles();
    if (!moveFocus) { return; }
    var target = open ? document.querySelector("#contact-panel-pane .panel-close") : document.querySelector("#conversation-header [data-panel-toggle]");
    if (target) { target.focus(); }
  }

  function restorePanel() {
    var element = panes();
    if (!element) { return; }
    var stored = null;
    try { stored = window.sessionStorage.getItem(PANEL_KEY); } catch (ignored) { /* private mode */ }
    element.classList.toggle("is-panel-open", stored === "open" && !PHONE.matches);
    syncPanelToggles();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-shortcuts-open]")) {
      var dialog = document.getElementById("shortcuts-dialog");
      if (dialog && dialog.showModal) { dialog.showModal(); }
    }
    var toggle = event.target.closest("[data-panel-toggle]");
    if (toggle) { setPanel(!panelOpen(), true); }
  });

  // After "Resolve" (button or e) focus moves to the next conversation in the list — the one
  // below, else the one above — so keyboard users carry on from there.
  var focusAfterResolve = null;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    if (!form.matches || !form.matches("form.status-form") || !submitter || submitter.value !== "resolved") { return; }
    var links = rows();
    var id = openId();
    var index = links.findIndex(function (link) { return link.closest(".conv-row").getAttribute("data-conversation-id") === id; });
    var next = index < 0 ? null : (links[index + 1] || links[index - 1] || null);
    focusAfterResolve = next ? next.closest(".conv-row").getAttribute("data-conversation-id") : null;
  }, true);

  function focusNextAfterResolve() {
    var id = focusAfterResolve;
    focusAfterResolve = null;
    var link = id && document.querySelector("#conversation-row-" + id + " .conv-link");
    if (link) {
      link.focus();
      link.scrollIntoView({ block: "nearest" });
    }
  }

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
    // Escape closes the contact panel where it lies over the thread.
    if (event.key === "Escape" && panelOpen() && !document.querySelector("dialog[open]") && window.matchMedia("(max-width: 1280px)").matches) {
      setPanel(false, true);
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
      case "c": handled = press("#conversation-header [data-panel-toggle]"); break;
      case "?": press("[data-shortcuts-open]"); break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });

  // htmx 4 points the request's sourceElement at the swapped target by the time of
  // htmx:after:swap, so the element that asked (a list row, the composer, the status form)
  // is noted on the request's context when it starts.
  document.addEventListener("htmx:config:request", function (event) {
    var ctx = event.detail && event.detail.ctx;
    if (ctx) { ctx.askedBy = ctx.sourceElement || event.target; }
  });

  document.addEventListener("htmx:after:swap", function (event) {
    syncSelection();
    var ctx = event.detail && event.detail.ctx;
    var target = ctx && ctx.target;
    var source = ctx && (ctx.askedBy || ctx.sourceElement);
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
      } else if (focusAfterResolve && source && source.matches && source.matches("form.status-form")) {
        // The list rows are updated after the thread (out-of-band swaps come last).
        window.setTimeout(focusNextAfterResolve, 0);
      }
    } else if (source && source.id === "live-poller") {
      scrollThread();
    }
  });

  document.addEventListener("htmx:after:swap", syncPanelToggles);
  document.addEventListener("DOMContentLoaded", function () { syncSelection(); scrollThread(); restorePanel(); });
})();
