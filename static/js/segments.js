// The SMS segment counter under a text box: lib/segments.py again, for the browser (a browser
// test checks that the two agree on the same texts).
//
// <textarea data-segments> gets a line under it: "143 characters · 1 SMS · GSM-7", or
// "2 SMS (UCS-2 because of “–”)", a warning above 3 SMS, the characters that are not in the SMS
// alphabet and a button that replaces the typographic ones (– “ ” … and special spaces).
//   data-segments-prefix="Nordlicht GmbH: "  text sent before the message, counted with it
//   data-segments-suffix="\nAbmelden: Antwort STOP"  text sent after it (the opt-out notice)
//   data-segments-channel="sms|whatsapp|email"  SMS shows segments, WhatsApp characters only,
//                                               e-mail nothing (default: sms)
//   data-segments-channel-field="id_channel"  a <select> whose value is the channel ("" = any,
//                                             counted as SMS, the strictest)
// The line goes into the element [data-segments-for="<textarea id>"] when the page has one —
// its data-* attributes carry the translated strings (templates/campaigns/templates/
// _segments.html) — else into a new element after the text box, in English.
(function () {
  "use strict";

  // GSM 03.38: the basic set (128 code points less the escape) and the extension table, whose
  // characters are sent as the escape and the character, two septets.
  var GSM_BASIC = "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\u000a\u00d8\u00f8\u000d\u00c5\u00e5\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9 !\"#\u00a4%&'()*+,-./0123456789:;<=>?\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0";
  var GSM_EXTENSION = "\u000c^{}\\[~]|\u20ac";
  var LIMITS = { "GSM-7": [160, 153], "UCS-2": [70, 67] };

  // The same table as lib/segments.py TYPOGRAPHIC.
  var TYPOGRAPHIC = {
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-",
    "\u201c": "\"", "\u201d": "\"", "\u201e": "\"", "\u201f": "\"", "\u00ab": "\"",
    "\u00bb": "\"", "\u2033": "\"",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2039": "'", "\u203a": "'",
    "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u2026": "...",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ",
    "\u202f": " ", "\u0009": " ",
    "\u200b": "", "\u00ad": "", "\ufeff": ""
  };

  var ANNOUNCE_AFTER_MS = 1000;
  var LONG_FROM = 4; // more than 3 SMS per recipient is worth a warning

  function isGsm(char) { return GSM_BASIC.indexOf(char) >= 0 || GSM_EXTENSION.indexOf(char) >= 0; }

  function width(char, encoding) {
    if (encoding === "GSM-7") { return GSM_EXTENSION.indexOf(char) >= 0 ? 2 : 1; }
    return char.length; // UTF-16 code units: 2 for a character outside the BMP (an emoji)
  }

  // {encoding, units, segments, per_segment, remaining, non_gsm}, as lib.segments.count.
  function count(text) {
    var chars = Array.from(text || "");
    var nonGsm = [];
    chars.forEach(function (char) {
      if (!isGsm(char) && nonGsm.indexOf(char) < 0) { nonGsm.push(char); }
    });
    var encoding = nonGsm.length ? "UCS-2" : "GSM-7";
    var single = LIMITS[encoding][0];
    var part = LIMITS[encoding][1];
    var widths = chars.map(function (char) { return width(char, encoding); });
    var units = widths.reduce(function (sum, w) { return sum + w; }, 0);
    var result = { encoding: encoding, units: units, non_gsm: nonGsm, characters: chars.length };
    if (units <= single) {
      result.segments = units ? 1 : 0;
      result.per_segment = single;
      result.remaining = single - units;
      return result;
    }
    // A two-unit character is never split between two parts: it starts the next one.
    var segments = 1;
    var used = 0;
    widths.forEach(function (w) {
      if (used + w > part) { segments += 1; used = 0; }
      used += w;
    });
    result.segments = segments;
    result.per_segment = part;
    result.remaining = part - used;
    return result;
  }

  function replaceTypographic(text) {
    return Array.from(text || "").map(function (char) {
      return Object.prototype.hasOwnProperty.call(TYPOGRAPHIC, char) ? TYPOGRAPHIC[char] : char;
    }).join("");
  }

  // --- The line under the text box ---------------------------------------------------------

  var DEFAULTS = {
    charactersOne: "{count} character",
    charactersOther: "{count} characters",
    sms: "{count} SMS",
    gsm: "GSM-7",
    ucs: "UCS-2 because of {chars}",
    long: "Long message: {count} SMS per recipient",
    nonGsm: "Not in the SMS alphabet: {chars}",
    quote: "\u201c{char}\u201d",
    replace: "Replace typographic characters",
    replaced: "Typographic characters replaced."
  };

  function text(output, key, values) {
    var template = output.getAttribute("data-" + key.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); })) || DEFAULTS[key];
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values || {}, name) ? values[name] : whole;
    });
  }

  var plurals = null;
  function pluralCategory(n) {
    if (!plurals) {
      try { plurals = new Intl.PluralRules(document.documentElement.lang || "en"); } catch (e) { plurals = new Intl.PluralRules("en"); }
    }
    return plurals.select(n);
  }

  function characters(output, n) {
    var formatted = n.toLocaleString(document.documentElement.lang || undefined);
    var key = pluralCategory(n) === "one" ? "charactersOne" : "charactersOther";
    return text(output, key, { count: formatted });
  }

  // How a character is shown in the list: invisible ones by their code point.
  function shown(output, char) {
    var visible = !/^[\s\u00ad\u200b-\u200f\u2028-\u202f\u2060\ufeff]$/.test(char);
    var label = visible ? char : "U+" + char.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
    return text(output, "quote", { char: label });
  }

  function channelOf(field) {
    var select = field.getAttribute("data-segments-channel-field");
    var source = select && document.getElementById(select);
    var channel = source ? source.value : field.getAttribute("data-segments-channel");
    return channel || "sms";
  }

  function make(tag, className) {
    var element = document.createElement(tag);
    element.className = className;
    return element;
  }

  function outputFor(field) {
    var output = field.id && document.querySelector("[data-segments-for='" + field.id + "']");
    if (!output) {
      output = make("div", "segments");
      if (field.id) { output.setAttribute("data-segments-for", field.id); }
      field.insertAdjacentElement("afterend", output);
    }
    if (!output.querySelector(".segments-status")) {
      var status = make("p", "segments-status");
      // The visible line changes with every key; screen readers hear it once typing pauses
      // (the live region below), and with the text box's description when it gets focus.
      status.setAttribute("aria-hidden", "true");
      status.id = (field.id || "segments") + "-segments-status";
      var long = make("p", "segments-long");
      long.hidden = true;
      var nonGsm = make("p", "segments-non-gsm");
      nonGsm.hidden = true;
      var list = make("span", "segments-chars");
      var button = make("button", "btn btn-sm segments-replace");
      button.type = "button";
      button.textContent = text(output, "replace");
      nonGsm.appendChild(list);
      nonGsm.appendChild(button);
      var live = make("p", "visually-hidden segments-live");
      live.setAttribute("aria-live", "polite");
      live.setAttribute("aria-atomic", "true");
      output.appendChild(status);
      output.appendChild(long);
      output.appendChild(nonGsm);
      output.appendChild(live);
      var described = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
      if (described.indexOf(status.id) < 0) { described.push(status.id); }
      field.setAttribute("aria-describedby", described.join(" "));
    }
    return output;
  }

  var timers = new WeakMap();

  function announce(output, message, now) {
    var live = output.querySelector(".segments-live");
    window.clearTimeout(timers.get(output));
    if (now) { live.textContent = message; return; }
    timers.set(output, window.setTimeout(function () { live.textContent = message; }, ANNOUNCE_AFTER_MS));
  }

  function update(field, options) {
    var output = outputFor(field);
    var channel = channelOf(field);
    var status = output.querySelector(".segments-status");
    var long = output.querySelector(".segments-long");
    var nonGsm = output.querySelector(".segments-non-gsm");
    output.hidden = channel === "email";
    output.setAttribute("data-channel", channel);
    var message = (field.getAttribute("data-segments-prefix") || "") + field.value +
      (field.getAttribute("data-segments-suffix") || "");
    var result = count(message);
    var parts = [characters(output, result.characters)];
    var lines = [];
    long.hidden = true;
    nonGsm.hidden = true;
    output.classList.remove("segments-warning");
    if (channel === "sms") {
      var sms = text(output, "sms", { count: result.segments });
      if (result.encoding === "GSM-7") {
        parts.push(sms, text(output, "gsm"));
      } else {
        var quoted = result.non_gsm.map(function (char) { return shown(output, char); }).join(", ");
        parts.push(sms + " (" + text(output, "ucs", { chars: quoted }) + ")");
        nonGsm.querySelector(".segments-chars").textContent = text(output, "nonGsm", { chars: quoted }) + " ";
        var replaceable = result.non_gsm.some(function (char) { return Object.prototype.hasOwnProperty.call(TYPOGRAPHIC, char); });
        nonGsm.querySelector(".segments-replace").hidden = !replaceable;
        nonGsm.hidden = false;
      }
      if (result.segments >= LONG_FROM) {
        long.textContent = text(output, "long", { count: result.segments });
        long.hidden = false;
        output.classList.add("segments-warning");
        lines.push(long.textContent);
      }
    }
    status.textContent = parts.join(" \u00b7 ");
    if (channel !== "email" && !(options && options.silent)) {
      announce(output, [status.textContent].concat(lines).join(". "));
    }
  }

  function initialise(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var fields = Array.prototype.slice.call(scope.querySelectorAll("textarea[data-segments]"));
    if (scope.matches && scope.matches("textarea[data-segments]")) { fields.push(scope); }
    fields.forEach(function (field) { update(field, { silent: true }); });
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-segments]")) { update(event.target); }
  });

  // A channel chosen in a select (the template editor) changes what the line shows.
  document.addEventListener("change", function (event) {
    var id = event.target.id;
    if (!id) { return; }
    document.querySelectorAll("textarea[data-segments]").forEach(function (field) {
      if (field.getAttribute("data-segments-channel-field") === id) { update(field); }
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".segments-replace");
    var output = button && button.closest("[data-segments-for]");
    var field = output && document.getElementById(output.getAttribute("data-segments-for"));
    if (!field) { return; }
    // The cursor stays after the same character, though "…" became three.
    var cursor = replaceTypographic(field.value.slice(0, field.selectionStart || 0)).length;
    field.value = replaceTypographic(field.value);
    field.focus();
    field.setSelectionRange(cursor, cursor);
    field.dispatchEvent(new Event("input", { bubbles: true }));
    announce(output, text(output, "replaced") + " " + output.querySelector(".segments-status").textContent, true);
  });

  document.addEventListener("DOMContentLoaded", function () { initialise(document); });
  document.addEventListener("htmx:after:process", function (event) { initialise(event.target); });

  window.SwitchboardSegments = { count: count, replaceTypographic: replaceTypographic, refresh: initialise };
})();
