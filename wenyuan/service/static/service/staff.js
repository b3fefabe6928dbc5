// Staff backoffice: "select all" in the queue, canned answers into the reply box.
// A static file: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  document.querySelectorAll(".queue-form .select-all").forEach(function (box) {
    box.addEventListener("change", function () {
      box.closest("form").querySelectorAll("input[name=key]").forEach(function (item) {
        item.checked = box.checked;
      });
    });
  });
  var canned = document.querySelector("select[data-canned]");
  if (canned) {
    canned.addEventListener("change", function () {
      var source = document.querySelector('template.canned-text[data-id="' + canned.value + '"]');
      var text = document.querySelector("#staff-reply-form textarea[name=text]");
      if (source && text) {
        text.value = (text.value ? text.value + "\n" : "") + source.content.textContent.trim();
      }
    });
  }
})();
