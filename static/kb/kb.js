// Help center: language switch without a button, and "Was this helpful?" without a
// page reload. Both work without JavaScript too (plain form posts).
(function () {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  document.querySelectorAll("form[data-kb-feedback]").forEach(function (form) {
    var status = form.querySelector(".kb-feedback-status");
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !window.fetch) { return; }
      event.preventDefault();
      var data = new FormData(form);
      data.set("helpful", button.value);
      fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": data.get("csrfmiddlewaretoken") }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        status.textContent = result.body.message || "";
        if (result.ok) {
          form.querySelectorAll("button, textarea").forEach(function (el) { el.disabled = true; });
          // The new counts, for the reader and in the agents' article health box.
          var votes = document.querySelector("[data-kb-votes]");
          if (votes) { votes.textContent = result.body.votes || ""; }
          var health = document.querySelector("[data-kb-health-helpful]");
          if (health) {
            var total = result.body.helpful_yes + result.body.helpful_no;
            health.textContent = result.body.helpful_yes + " / " + total +
              (total ? " (" + Math.round(100 * result.body.helpful_yes / total) + "%)" : "");
          }
        }
      }).catch(function () { status.textContent = form.dataset.errorMessage || ""; });
    });
  });
})();
