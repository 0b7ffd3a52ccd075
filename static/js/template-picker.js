// Canned replies: the composer's "Templates" button (templates/campaigns/_template_picker_button.html).
//
// The <details data-template-picker> loads its list with htmx the first time it opens; a
// choice ([data-insert-template]) puts the template's text into its form's
// textarea[data-composer] at the cursor and closes the list. "/" typed as the first
// character of an empty composer opens the list instead of typing itself; in the list, the
// arrow keys move between the choices and Escape closes it again. The include loads this
// file, so it may run several times: only the first one listens.
(function () {
  "use strict";

  if (window.switchboardTemplatePicker) { return; }
  window.switchboardTemplatePicker = true;

  function composerOf(element) {
    var form = element.closest("form");
    return (form && form.querySelector("textarea[data-composer]")) || document.querySelector("textarea[data-composer]");
  }

  function focusSearch(picker) {
    var search = picker.querySelector("[data-template-search]");
    if (search) { search.focus(); search.select(); }
  }

  function close(picker, focusComposer) {
    picker.open = false;
    var target = focusComposer ? composerOf(picker) : picker.querySelector("summary");
    if (target) { target.focus(); }
  }

  function insert(field, text) {
    var start = field.selectionStart || 0;
    var end = field.selectionEnd || 0;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.focus();
    field.setSelectionRange(start + text.length, start + text.length);
    // The segment counter, the draft and anything else listening see the new text.
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // Opening the list moves focus to its search box, once the list is there.
  document.addEventListener("toggle", function (event) {
    var picker = event.target;
    if (!picker.matches || !picker.matches("details[data-template-picker]")) { return; }
    if (picker.open) { focusSearch(picker); } else { picker.removeAttribute("data-opened-by-key"); }
  }, true);

  // The list arrived (the first opening): its search box takes the focus.
  document.addEventListener("htmx:after:swap", function (event) {
    var ctx = event.detail && event.detail.ctx;
    if (!ctx || !ctx.target || ctx.target.id !== "template-picker") { return; }
    var picker = document.querySelector("details[data-template-picker][open]");
    var active = document.activeElement;
    if (picker && !(active && active.closest && active.closest(".template-picker-panel"))) { focusSearch(picker); }
  });

  document.addEventListener("click", function (event) {
    var choice = event.target.closest("[data-insert-template]");
    var picker = choice && choice.closest("details[data-template-picker]");
    document.querySelectorAll("details[data-template-picker][open]").forEach(function (open) {
      if (!open.contains(event.target)) { open.open = false; }
    });
    if (!choice) { return; }
    var field = composerOf(choice);
    if (!field) { return; }
    if (picker) { picker.open = false; }
    insert(field, choice.getAttribute("data-insert-template"));
  });

  function choices(picker) {
    return Array.prototype.slice.call(picker.querySelectorAll("[data-insert-template]"));
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target.closest) { return; }
    // "/" first in an empty composer: the template list, not a slash.
    if (event.key === "/" && target.matches("textarea[data-composer]") && target.value === "" &&
        !event.ctrlKey && !event.metaKey && !event.altKey) {
      var form = target.closest("form");
      var wanted = form && form.querySelector("details[data-template-picker]");
      if (!wanted) { return; }
      event.preventDefault();
      wanted.setAttribute("data-opened-by-key", "");
      wanted.open = true;
      return;
    }
    var picker = target.closest("details[data-template-picker][open]");
    if (!picker) { return; }
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close(picker, picker.hasAttribute("data-opened-by-key"));
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var list = choices(picker);
      if (!list.length) { return; }
      event.preventDefault();
      var index = list.indexOf(document.activeElement);
      if (event.key === "ArrowDown") {
        index = index < 0 ? 0 : Math.min(list.length - 1, index + 1);
      } else if (index <= 0) {
        focusSearch(picker);
        return;
      } else {
        index -= 1;
      }
      list[index].focus();
      return;
    }
    // Enter in the search box takes the first choice.
    if (event.key === "Enter" && target.matches("[data-template-search]")) {
      event.preventDefault();
      var first = choices(picker)[0];
      if (first) { first.click(); }
    }
  });
})();
