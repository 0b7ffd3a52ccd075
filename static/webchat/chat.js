/* The chat page inside the loader's iframe (templates/webchat/chat.html).

   - The visitor's token: random, kept in this frame's localStorage; sent as a header with
     every htmx request, with the host page's origin the loader passed (the server checks it).
   - Messages from the host page's loader are accepted only from that origin and only from
     the parent window; messages to it go only to that origin (never "*").
   - A reply shown while the chat is open and the page visible is reported as read. */
(function () {
  "use strict";
  var body = document.body;
  var embed = body.getAttribute("data-embed") || "";
  var preview = body.hasAttribute("data-preview");
  // One token per widget: two widgets on one website are two visitors.
  var KEY = "switchboard.visitor." + (body.getAttribute("data-widget") || "");
  var open = false;
  var opened = false;
  var refresh = false;

  function newToken() {
    var bytes = new Uint8Array(24);
    window.crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function visitorToken() {
    var token = "";
    try { token = window.localStorage.getItem(KEY) || ""; } catch (e) { token = ""; }
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) {
      // Without storage of our own (a blocked third-party frame) the loader hands the token
      // it keeps in the host page's storage over in the fragment of our address.
      var handed = /(?:^#|&)v=([A-Za-z0-9_-]{20,100})(?:&|$)/.exec(window.location.hash);
      token = handed ? handed[1] : newToken();
      try { window.localStorage.setItem(KEY, token); } catch (e) { /* private mode: this page only */ }
    }
    return token;
  }

  var token = preview ? "" : visitorToken();

  function shown() { return open && document.visibilityState === "visible"; }

  function tell(message) {
    if (embed && window.parent !== window) { window.parent.postMessage(message, embed); }
  }

  function submit(id, name, value) {
    var form = document.getElementById(id);
    if (!form) { return; }
    if (name) { form.querySelector("[name='" + name + "']").value = value; }
    form.requestSubmit();
  }

  function clientId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  document.addEventListener("htmx:config:request", function (event) {
    var ctx = event.detail && event.detail.ctx;
    if (!ctx || !ctx.request) { return; }
    ctx.request.headers["X-Switchboard-Visitor"] = token;
    ctx.request.headers["X-Switchboard-Embed"] = embed;
    if (shown()) { ctx.request.headers["X-Switchboard-Shown"] = "1"; }
    // Once after the chat opens: the full thread, so what arrived meanwhile counts as read.
    if (refresh) { ctx.request.headers["X-Switchboard-Refresh"] = "1"; refresh = false; }
  });

  // A fresh id for every message the visitor sends: a retried request stores it once.
  document.addEventListener("submit", function (event) {
    if (event.target.id === "wc-form") {
      event.target.querySelector("[name='client_id']").value = clientId();
    }
  }, true);

  document.addEventListener("htmx:after:request", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var form = ctx && (ctx.sourceElement || event.target);
    var status = ctx && ctx.response ? ctx.response.status : 0;
    if (form && form.id === "wc-form" && status === 200) {
      form.reset();
      syncChosen();
    }
  });

  function syncAway() {
    var thread = document.getElementById("wc-thread");
    var away = document.getElementById("wc-away");
    if (thread && away) { away.hidden = thread.getAttribute("data-away") !== "1"; }
    if (thread) { thread.scrollTop = thread.scrollHeight; }
  }
  document.addEventListener("htmx:after:swap", syncAway);

  function syncChosen() {
    var input = document.getElementById("wc-files");
    var chosen = document.querySelector("[data-wc-chosen]");
    if (!input || !chosen) { return; }
    chosen.textContent = Array.prototype.map.call(input.files || [], function (f) { return f.name; }).join(", ");
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "wc-files") { syncChosen(); }
  });

  // Enter sends, Shift+Enter makes a new line.
  document.addEventListener("keydown", function (event) {
    if (event.target.id === "wc-body" && event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-wc-close]")) { tell({ type: "switchboard:close" }); }
  });

  window.addEventListener("message", function (event) {
    if (preview || event.origin !== embed || event.source !== window.parent) { return; }
    var data = event.data || {};
    if (data.type === "switchboard:open") {
      open = true;
      // The hello opens the visit; a consent passed earlier is not its business (a stale
      // consent value would make it a consent request, and chat_only would store nothing).
      if (!opened) { opened = true; submit("wc-hello", "consent", ""); }
      var box = document.getElementById("wc-body");
      if (box) { box.focus(); }
      var thread = document.getElementById("wc-thread");
      refresh = true;
      if (thread) { thread.dispatchEvent(new CustomEvent("wc-refresh")); }
    } else if (data.type === "switchboard:close") {
      open = false;
    } else if (data.type === "switchboard:identify" && typeof data.token === "string") {
      submit("wc-identify", "token", data.token);
    } else if (data.type === "switchboard:consent") {
      submit("wc-hello", "consent", data.consent ? "true" : "false");
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    syncAway();
    tell({ type: "switchboard:ready", visitor: token });
  });
})();
