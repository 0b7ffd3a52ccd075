// Notifications (issue 11). The unread count of the navigation (templates/_unread_count.html,
// kept current by the live poll) is repeated in the tab title. When the user opted in on
// Preferences, each arrival the live poll reports (templates/_notifications.html, inside
// #notifications) becomes a browser notification and plays a short sound. The browser is asked
// for permission only on Preferences, when the user ticks "Desktop notifications".
(function () {
  "use strict";

  var TITLE_COUNT = /^\(\d+\+?\) /;
  var SEEN_KEY = "switchboard.notified";
  var audio = null;

  function updateTitle() {
    var badge = document.getElementById("unread-count");
    if (!badge || !badge.hasAttribute("data-label")) { return; } // still loading
    var count = parseInt(badge.getAttribute("data-unread") || "0", 10);
    var title = document.title.replace(TITLE_COUNT, "");
    document.title = count > 0 ? "(" + badge.getAttribute("data-label") + ") " + title : title;
  }

  // Each arrival is announced once, also across reloads of the tab (the poll overlaps).
  function seenKeys() {
    try { return JSON.parse(window.sessionStorage.getItem(SEEN_KEY) || "[]"); } catch (e) { return []; }
  }

  function rememberKeys(keys) {
    try { window.sessionStorage.setItem(SEEN_KEY, JSON.stringify(keys.slice(-200))); } catch (e) { /* private mode */ }
  }

  function playSound(box) {
    if (!audio) { audio = new Audio(box.getAttribute("data-sound-url")); }
    audio.currentTime = 0;
    var playing = audio.play();
    // Browsers refuse sound before the user has interacted with the page: then stay quiet.
    if (playing && playing.catch) { playing.catch(function () {}); }
  }

  function openConversation() {
    var pane = document.getElementById("thread-pane");
    return pane ? pane.getAttribute("data-conversation-id") : null;
  }

  function showNotification(item) {
    var notification = new Notification(item.getAttribute("data-title"), {
      body: item.getAttribute("data-body"),
      tag: "switchboard-conversation-" + item.getAttribute("data-conversation"),
    });
    notification.addEventListener("click", function () {
      window.focus();
      window.location.assign(item.getAttribute("data-url"));
      notification.close();
    });
  }

  function announce(box) {
    var items = Array.prototype.slice.call(box.querySelectorAll("[data-notification]"));
    if (!items.length) { return; }
    box.replaceChildren();
    var keys = seenKeys();
    var fresh = items.filter(function (item) {
      var key = item.getAttribute("data-notification");
      if (keys.indexOf(key) !== -1) { return false; }
      keys.push(key);
      // The conversation the user is reading in a focused tab needs no announcement.
      return !(document.hasFocus() && item.getAttribute("data-conversation") === openConversation());
    });
    rememberKeys(keys);
    if (!fresh.length) { return; }
    if (box.getAttribute("data-sound") === "1") { playSound(box); }
    if (box.getAttribute("data-desktop") === "1" && "Notification" in window && Notification.permission === "granted") {
      fresh.forEach(showNotification);
    }
  }

  // Preferences: ticking "Desktop notifications" asks the browser; the answer is shown.
  function showPermission(state) {
    var note = document.getElementById("notification-permission");
    if (!note || !note.hasAttribute("data-" + state)) { return; }
    note.textContent = note.getAttribute("data-" + state);
    note.hidden = false;
  }

  function askPermission() {
    if (!("Notification" in window)) { showPermission("unsupported"); return; }
    if (Notification.permission !== "default") { showPermission(Notification.permission); return; }
    Notification.requestPermission().then(showPermission);
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.checked) { return; }
    if (input.hasAttribute("data-notification-opt-in")) { askPermission(); }
    var box = document.getElementById("notifications");
    if (input.hasAttribute("data-notification-sound") && box) { playSound(box); } // a preview
  });

  function start() {
    var box = document.getElementById("notifications");
    if (box) {
      new MutationObserver(function () { announce(box); }).observe(box, { childList: true });
    }
    var nav = document.querySelector(".sidebar");
    if (nav) {
      new MutationObserver(updateTitle).observe(nav, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-unread"] });
    }
    updateTitle();
    var optIn = document.querySelector("[data-notification-opt-in]");
    if (optIn && optIn.checked && "Notification" in window && Notification.permission !== "default") {
      showPermission(Notification.permission);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
