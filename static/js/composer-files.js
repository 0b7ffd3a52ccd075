// The reply composer's files: the names chosen are shown beside "Attach" (the server checks
// each file's content and size; this only tells the agent what will go with the reply).
(function () {
  "use strict";

  function show(input) {
    var names = input.closest(".composer-bar").querySelector("[data-attachment-names]");
    if (!names) { return; }
    if (!names.hasAttribute("data-hint")) { names.setAttribute("data-hint", names.textContent); }
    var chosen = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
    names.textContent = chosen.length ? chosen.join(", ") : names.getAttribute("data-hint");
    // A long list is cut with an ellipsis; the whole of it on hover.
    if (chosen.length) { names.setAttribute("title", chosen.join(", ")); } else { names.removeAttribute("title"); }
    names.classList.toggle("has-files", chosen.length > 0);
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.hasAttribute("data-attachments")) { show(input); }
  });
})();
