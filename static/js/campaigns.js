// The campaign editor: a rule's condition list offers only what its field supports (the
// server checks it again). Runs on load and after every htmx swap.
(function () {
  "use strict";

  function syncRule(fieldSelect) {
    var row = fieldSelect.closest(".campaign-rule");
    if (!row) return;
    var op = row.querySelector("[data-rule-op]");
    var value = row.querySelector("[data-rule-value]");
    var chosen = fieldSelect.options[fieldSelect.selectedIndex];
    var allowed = (chosen && chosen.getAttribute("data-operators") || "").split(" ").filter(Boolean);
    if (!op) return;
    Array.prototype.forEach.call(op.options, function (option) {
      option.hidden = allowed.length > 0 && allowed.indexOf(option.value) === -1;
      option.disabled = option.hidden;
    });
    if (op.selectedOptions.length && op.selectedOptions[0].disabled && allowed.length) {
      op.value = allowed[0];
    }
    if (value) {
      var noValue = op.value === "is_empty" || op.value === "not_empty";
      value.disabled = noValue;
    }
  }

  function init(root) {
    (root || document).querySelectorAll("[data-rule-field]").forEach(syncRule);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-rule-field]")) syncRule(target);
    if (target.matches && target.matches("[data-rule-op]")) {
      var row = target.closest(".campaign-rule");
      var field = row && row.querySelector("[data-rule-field]");
      if (field) syncRule(field);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:after:process", function (event) { init(event.target); });
})();
