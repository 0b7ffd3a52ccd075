/* The web chat loader, served as /w/<public id>.js (webchat.public_views.loader), which wraps
   this file, the journey recorder (static/webchat/journey.js, when present) and the call
   switchboardWidget(config, switchboardJourney) in one function scope.

   On the host page it adds a launcher button and an iframe with our chat page, styled by our
   stylesheet (no inline styles). postMessage both ways with strict origins: to the frame only
   at our origin, from it only when the message comes from our origin and from that frame.
   The host page's API: Switchboard('open'), Switchboard('identify', {token}),
   Switchboard('consent', true|false); calls queued before the script loaded
   (window.Switchboard.q, from a stub) run once it is ready. */
function switchboardWidget(cfg, journeyFactory) {
  "use strict";
  if (!cfg || window.__switchboardWidget) { return; }
  window.__switchboardWidget = true;
  var doc = document;
  var CONSENT_KEY = "switchboard.consent";
  // The visitor's token, kept in the host page's storage once the chat was opened: a browser
  // may give our third-party frame no storage of its own (Chromium blocks it with third-party
  // cookies), and without it every page of the website would be a new visitor.
  var VISITOR_KEY = "switchboard.visitor." + cfg.chat;
  var kept = "";
  try { kept = window.localStorage.getItem(VISITOR_KEY) || ""; } catch (e) { kept = ""; }
  var ready = false, isOpen = false, visitor = "", pending = [], journey = null;
  var consent = null;
  try {
    var stored = window.localStorage.getItem(CONSENT_KEY);
    consent = stored === "true" ? true : stored === "false" ? false : null;
  } catch (e) { consent = null; }

  var sheet = doc.createElement("link");
  sheet.rel = "stylesheet";
  sheet.href = cfg.css;
  doc.head.appendChild(sheet);

  var launcher = doc.createElement("button");
  launcher.type = "button";
  launcher.className = "sb-launcher sb-brand-" + cfg.colour;
  launcher.setAttribute("aria-label", cfg.labels.open);
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("data-switchboard-launcher", "");
  var SVG = "http://www.w3.org/2000/svg";
  var icon = doc.createElementNS(SVG, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("aria-hidden", "true");
  icon.setAttribute("class", "sb-icon");
  var bubble = doc.createElementNS(SVG, "path");
  bubble.setAttribute("d", "M4 5h16v11H9l-5 4z");
  icon.appendChild(bubble);
  launcher.appendChild(icon);

  var frame = doc.createElement("iframe");
  frame.className = "sb-frame sb-hidden";
  frame.title = cfg.labels.open;
  frame.setAttribute("data-switchboard-frame", "");
  // The chat speaks the visitor's browser language (Accept-Language), as our pages do.
  // The kept token goes in the fragment: the frame reads it, no server ever sees it.
  frame.src = cfg.chat + "?origin=" + encodeURIComponent(window.location.origin) +
    (kept ? "#v=" + encodeURIComponent(kept) : "");

  function keep() {
    if (!visitor || visitor === kept) { return; }
    kept = visitor;
    try { window.localStorage.setItem(VISITOR_KEY, visitor); } catch (e) { /* this page only */ }
  }

  function post(message) {
    if (!ready) { pending.push(message); return; }
    frame.contentWindow.postMessage(message, cfg.origin);
  }

  function setOpen(value) {
    isOpen = value;
    frame.className = "sb-frame" + (value ? "" : " sb-hidden");
    launcher.setAttribute("aria-expanded", value ? "true" : "false");
    launcher.setAttribute("aria-label", value ? cfg.labels.close : cfg.labels.open);
    if (value) { keep(); }
    post({ type: value ? "switchboard:open" : "switchboard:close" });
    if (value && journey && journey.opened) { journey.opened(); }
  }

  launcher.addEventListener("click", function () { setOpen(!isOpen); });

  window.addEventListener("message", function (event) {
    if (event.origin !== cfg.origin || event.source !== frame.contentWindow) { return; }
    var data = event.data || {};
    if (data.type === "switchboard:ready") {
      visitor = typeof data.visitor === "string" ? data.visitor : "";
      if (isOpen) { keep(); }
      ready = true;
      var queued = pending;
      pending = [];
      queued.forEach(post);
    } else if (data.type === "switchboard:close") {
      setOpen(false);
    }
  });

  function setConsent(value) {
    consent = !!value;
    try { window.localStorage.setItem(CONSENT_KEY, consent ? "true" : "false"); } catch (e) { /* kept for this page */ }
    post({ type: "switchboard:consent", consent: consent });
    if (journey && journey.consent) { journey.consent(consent); }
  }

  function command(name, argument) {
    if (name === "open") { setOpen(true); }
    else if (name === "close") { setOpen(false); }
    else if (name === "identify" && argument && typeof argument.token === "string") {
      post({ type: "switchboard:identify", token: argument.token });
    } else if (name === "consent") { setConsent(argument === true); }
  }

  var queue = (window.Switchboard && window.Switchboard.q) || [];
  window.Switchboard = function (name, argument) { command(name, argument); };

  function start() {
    doc.body.appendChild(frame);
    doc.body.appendChild(launcher);
    if (typeof journeyFactory === "function") {
      journey = journeyFactory({
        endpoint: cfg.journey,
        mode: cfg.mode,
        visitor: function () { return visitor; },
        consent: function () { return consent === true; },
        opened: function () { return isOpen; },
        send: function (url, body) {
          if (navigator.sendBeacon && navigator.sendBeacon(url, body)) { return; }
          if (window.fetch) {
            window.fetch(url, { method: "POST", body: body, keepalive: true, mode: "no-cors", credentials: "omit" });
          }
        }
      });
    }
    for (var i = 0; i < queue.length; i++) { command(queue[i][0], queue[i][1]); }
  }

  if (doc.body) { start(); } else { doc.addEventListener("DOMContentLoaded", start); }
}
