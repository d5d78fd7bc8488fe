// Centinela review: keyboard shortcuts and evidence focus. No framework, no inline script.
(function () {
  "use strict";
  var DECISION_KEYS = { c: "confirm", d: "dismiss", e: "escalate" };

  function typing(target) {
    return target && target.closest && target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key.toLowerCase();
    if (DECISION_KEYS[key]) {
      var button = document.querySelector('#decision-form button[name="decision"][value="' + DECISION_KEYS[key] + '"]');
      if (button && !button.disabled) { event.preventDefault(); button.click(); }
    } else if (key === "n") {
      var next = document.getElementById("next-form");
      if (next) { event.preventDefault(); next.requestSubmit(); }
    }
  });

  // One submission per form: a second key press while the page loads does nothing.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });

  // Pointing at an indicator outlines its evidence in the text.
  document.querySelectorAll("[data-indicator]").forEach(function (item) {
    var id = item.getAttribute("data-indicator");
    function marks() { return document.querySelectorAll("mark.hl"); }
    item.addEventListener("mouseenter", function () {
      marks().forEach(function (mark) {
        if ((mark.getAttribute("data-indicators") || "").split(" ").indexOf(id) >= 0) mark.classList.add("focus");
      });
    });
    item.addEventListener("mouseleave", function () {
      marks().forEach(function (mark) { mark.classList.remove("focus"); });
    });
  });
})();
