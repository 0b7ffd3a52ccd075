// Checks of a whole screen for the browser tests (tests/browser/pages.py), one object
// literal evaluated in the page.
({
  // Every problem as a sentence: the page scrolling sideways, an element whose content is cut
  // or spills out of its box and, when strict, a short label wrapping ("Nicht zugewiesen").
  // Deliberate ellipses (text-overflow), fields and tables scrolling inside their card pass.
  overflowing(strict) {
    const problems = [];
    const skip = ".visually-hidden, .table-card, svg, iframe, select, input, textarea, option, dialog:not([open])";
    const name = (el) => {
      const classes = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "";
      const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 40);
      return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes + " «" + text + "»";
    };
    // The content of a closed <details> is laid out but not shown; nor is what is clipped to
    // a pixel for screen readers only (the visually-hidden pattern).
    const clipped = (el) => {
      for (let node = el; node && node !== document.body; node = node.parentElement) {
        if (getComputedStyle(node).clip !== "auto") { return true; }
      }
      return false;
    };
    const shown = (el) => el.getClientRects().length && !(el.closest("details:not([open])") && !el.closest("summary")) && !clipped(el);
    const root = document.documentElement;
    if (root.scrollWidth > window.innerWidth + 1) { problems.push("the page scrolls sideways: " + root.scrollWidth); }
    for (const el of document.querySelectorAll("body *")) {
      if (!shown(el) || el.closest(skip)) { continue; }
      const style = getComputedStyle(el);
      if (style.visibility === "hidden" || style.display === "inline" || style.display === "contents") { continue; }
      if (el.scrollWidth <= el.clientWidth + 1 || style.textOverflow === "ellipsis") { continue; }
      const scrolls = style.overflowX === "auto" || style.overflowX === "scroll";
      const how = style.overflowX === "visible" ? "spills out" : scrolls ? "scrolls sideways" : "is cut";
      problems.push(name(el) + " " + how + ": " + el.scrollWidth + " > " + el.clientWidth);
    }
    if (!strict) { return problems; }
    // A select shows its chosen option whole (measured in the select's own font).
    const canvas = document.createElement("canvas").getContext("2d");
    for (const select of document.querySelectorAll("select")) {
      if (!shown(select) || !select.options.length) { continue; }
      const style = getComputedStyle(select);
      canvas.font = style.font;
      const text = select.options[select.selectedIndex >= 0 ? select.selectedIndex : 0].text;
      const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;
      if (canvas.measureText(text).width > room + 1) { problems.push(name(select) + " cuts «" + text + "»"); }
    }
    // On a phone a button may take a second line (static/css/app.css) rather than spill out.
    const buttons = window.innerWidth > 700 ? ", .btn" : "";
    const labels = ".unassigned, .status, .chip, .badge, .state-badge, .panel-tabs a, .view-tab span" + buttons;
    for (const el of document.querySelectorAll(labels)) {
      if (!shown(el) || el.closest(skip)) { continue; }
      const style = getComputedStyle(el);
      const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.45;
      const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
      const ownText = Array.from(el.childNodes).some((node) => node.nodeType === 3 && node.textContent.trim());
      const tall = ownText && style.display !== "inline" && el.scrollHeight > line * 1.9 + padding;
      if (el.getClientRects().length > 1 || tall) { problems.push(name(el) + " wraps"); }
    }
    return problems;
  },

  // Every label, button, tab and heading 40 % longer, with a long word (as German compounds
  // are), so a test proves the layout holds what the translations will bring.
  lengthen() {
    const labels = "button, .btn, .panel-tabs a, .view-tab span, label, .badge, .status, .chip, .state-badge, "
      + ".unassigned, .panel-section-title, .assignee-line span, .nav a span, th";
    for (const el of document.querySelectorAll(labels)) {
      if (el.closest("[data-lengthened]")) { continue; }
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      const nodes = [];
      while (walker.nextNode()) { nodes.push(walker.currentNode); }
      for (const node of nodes) {
        const text = node.textContent.trim();
        if (text.length < 2) { continue; }
        // One word grows into a compound; a sentence gains words of at most twelve letters.
        const extra = Math.ceil(text.length * 0.4);
        const longer = text.includes(" ")
          ? text + " Verlängerung".repeat(Math.ceil(extra / 13))
          : text + "ungs".repeat(Math.ceil(extra / 4));
        node.textContent = node.textContent.replace(text, longer);
      }
      el.setAttribute("data-lengthened", "");
    }
  },
})
