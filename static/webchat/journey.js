/* Switchboard journey: the page views of a visitor on the host site (journey/README in
   README.md "Journey"). Concatenated into /w/<public id>.js by the web chat loader, which calls
   switchboardJourney(cfg) with
     cfg = {endpoint, visitor: () => token, mode, consent: () => bool, send: (url, body) => void,
            opened: () => bool (optional)}
   and may call the returned object's opened() / consent(bool) when the chat opens or the host
   passes consent. Consent modes:
     chat_only: nothing is recorded until the visitor opens the chat; then the page they are on
                and the pages after it (remembered in the host site's storage).
     journey:   only while the host has passed consent (Switchboard('consent', true)).
     server:    never from the browser (the host's back end uses the API).
   The server enforces the same rules; this file only avoids sending what it would refuse.
   URLs lose their query string except utm_* parameters, and their fragment unless it is a hash
   route of a single-page app ("#/orders/42", "#!/orders"), which is the page itself.
   The recorder keeps one random key in the host site's localStorage ("switchboard.journey",
   made only once recording is allowed, removed when consent is withdrawn): the visit goes on
   from page to page even where the browser denies the chat frame its own storage. */
function switchboardJourney(cfg) {
  "use strict";
  var api = { opened: function () {}, consent: function () {} };
  if (!cfg || cfg.mode === "server" || !cfg.endpoint || !window.URL) return api;
  var THROTTLE = 2000, QUEUE = 20, queue = [], last = "", timer = 0, sentAt = 0;
  var chatOpen = false, consented = false, STORE = "switchboard.journey";
  // The recorder's own key in the host site's storage, made only once recording is allowed:
  // it carries the visit from page to page where the browser denies the chat frame (a
  // third-party frame) its storage. `o`: the visitor opened the chat (chat_only mode).
  function stored() {
    try { return JSON.parse(localStorage.getItem(STORE) || "null") || {}; } catch (e) { return {}; }
  }
  function store(state) {
    try {
      if (state) localStorage.setItem(STORE, JSON.stringify(state)); else localStorage.removeItem(STORE);
    } catch (e) { /* this page only */ }
  }
  function key() {
    var state = stored();
    if (!state.k) {
      var bytes = new Uint8Array(18), text = "";
      (window.crypto || window.msCrypto).getRandomValues(bytes);
      for (var i = 0; i < bytes.length; i++) text += ("0" + bytes[i].toString(16)).slice(-2);
      state.k = text;
      store(state);
    }
    return state.k;
  }
  chatOpen = cfg.mode === "chat_only" && stored().o === 1;

  function keep(query) {
    var out = [];
    query.replace(/^\?/, "").split("&").forEach(function (pair) {
      if (/^utm_[^=]*=/.test(pair)) out.push(pair);
    });
    return out.length ? "?" + out.join("&") : "";
  }
  function clean(href) {
    try { var u = new URL(href, location.href); } catch (e) { return ""; }
    if (!/^https?:$/.test(u.protocol)) return "";
    var hash = "";
    if (/^#!?\//.test(u.hash)) {
      var parts = u.hash.split("?");
      hash = parts[0] + keep(parts.slice(1).join("?"));
    }
    return u.protocol + "//" + u.host + u.pathname + keep(u.search) + hash;
  }
  function allowed() {
    if (cfg.mode === "journey") return consented || !!(cfg.consent && cfg.consent());
    return chatOpen || !!(cfg.opened && cfg.opened());
  }
  function post(body) {
    var url = cfg.endpoint, data = JSON.stringify(body);
    if (cfg.send) return cfg.send(url, data);
    if (navigator.sendBeacon && navigator.sendBeacon(url, data)) return;
    if (window.fetch) fetch(url, { method: "POST", body: data, keepalive: true, mode: "no-cors", credentials: "omit" });
  }
  function flush(leave) {
    clearTimeout(timer); timer = 0;
    var token = cfg.visitor && cfg.visitor();
    if (!allowed()) { queue = []; return; }
    if (!token || (!queue.length && !leave)) return;
    // `sent` lets the server correct the times for a visitor's clock that is off.
    var body = { visitor: token, journey: key(), views: queue.splice(0, QUEUE), sent: Date.now() };
    if (cfg.mode === "journey") body.consent = true; else body.chat = true;
    if (leave) { body.leave = true; body.left = Date.now(); }
    sentAt = Date.now();
    post(body);
  }
  function schedule() {
    if (timer) return;
    // At most one request every THROTTLE, and never at once: the chat frame's request that
    // makes the visitor known (opening the chat, passing consent) goes first.
    var wait = Math.max(1500, THROTTLE - (Date.now() - sentAt));
    timer = setTimeout(function () { flush(false); }, wait);
  }
  function record() {
    if (!allowed()) return;
    var url = clean(location.href);
    if (!url || url === last) return;
    var referrer = last || clean(document.referrer);
    if (referrer === url) referrer = "";
    last = url;
    queue.push({ url: url, title: document.title || "", referrer: referrer, at: Date.now() });
    if (queue.length > QUEUE) queue.shift();
    schedule();
  }
  // Single-page apps: history changes are page views too (the title may follow a moment later).
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    if (!original) return;
    history[name] = function () {
      var result = original.apply(this, arguments);
      setTimeout(record, 50);
      return result;
    };
  });
  window.addEventListener("popstate", function () { setTimeout(record, 50); });
  window.addEventListener("hashchange", function () { setTimeout(record, 50); });
  window.addEventListener("pagehide", function () { if (last) flush(true); });

  api.opened = function () {
    chatOpen = true;
    if (cfg.mode === "chat_only") { key(); var state = stored(); state.o = 1; store(state); }
    record();
  };
  api.consent = function (given) {
    consented = !!given;
    if (given) record(); else { queue = []; last = ""; store(null); }
  };
  api.flush = function () { flush(false); };
  record();
  // The visitor token may arrive a moment later (from the chat frame): try again then.
  setInterval(function () { if (queue.length && !timer) schedule(); }, THROTTLE);
  return api;
}
