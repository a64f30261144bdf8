// The portal's only script: copy buttons, form rules checked as one types, and a setup link's secret
// read from the URL fragment (which no server sees) and posted. Every page works without it.
(function () {
  "use strict";

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var field = document.getElementById(button.getAttribute("data-copy"));
        field.select();
        var done = function () { button.textContent = "Copied"; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  function liveChecks() {
    document.querySelectorAll("form[data-live-check] input[data-message]").forEach(function (input) {
      var message = document.getElementById(input.id + "-live");
      input.addEventListener("input", function () {
        var bad = input.value !== "" && !input.checkValidity();
        message.hidden = !bad;
        message.textContent = bad ? input.getAttribute("data-message") : "";
        input.setAttribute("aria-invalid", bad ? "true" : "false");
      });
    });
  }

  function setupLinkFromFragment() {
    var input = document.querySelector("input[data-from-fragment]");
    var secret = window.location.hash.slice(1);
    if (!input || secret.indexOf("scl_") !== 0) { return; }
    history.replaceState(null, "", window.location.pathname);  // out of the address bar and history
    input.value = secret;
    input.form.submit();
  }

  function focusErrorSummary() {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    copyButtons();
    liveChecks();
    setupLinkFromFragment();
    focusErrorSummary();
  });
})();
