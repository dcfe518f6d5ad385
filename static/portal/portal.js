/* Help portal: language switcher, one submit per form, live ticket statuses and
   article suggestions while a request is written. No framework, no build step. */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = (form || document).querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // The language picker posts itself to /i18n/setlang/.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // A second click would be harmless (the form carries a uuid), but it looks broken.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });

  // Live statuses: polling a small JSON list every 15 s. Status changes are not
  // pushed to customers' websocket groups, and one cheap query per open page is
  // nothing next to a socket per visitor.
  var list = document.querySelector("[data-status-url]");
  if (list) {
    var refresh = function () {
      if (document.hidden) { return; }
      fetch(list.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          data.tickets.forEach(function (t) {
            var row = list.querySelector('[data-ticket="' + t.id + '"] [data-status]');
            if (row && row.textContent !== t.status_label) {
              row.textContent = t.status_label;
              row.className = "portal-status portal-status-" + t.status;
            }
          });
        })
        .catch(function () { /* offline for a moment; the next poll retries */ });
    };
    setInterval(refresh, 15000);
    document.addEventListener("visibilitychange", refresh);
  }

  // Suggestions while the customer writes (deflection).
  var form = document.querySelector("form[data-deflection]");
  if (form) {
    var box = form.querySelector(".portal-suggestions");
    var listEl = box.querySelector("ul");
    var subject = form.querySelector("[name=subject]");
    var text = form.querySelector("[name=text]");
    var timer = null;
    var lastQuery = "";
    var currentQuery = function () {
      return ((subject ? subject.value : "") + " " + (text ? text.value.slice(0, 200) : "")).trim();
    };
    var show = function (results) {
      listEl.textContent = "";
      results.forEach(function (item) {
        var li = document.createElement("li");
        var link = document.createElement("a");
        link.href = item.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = item.title;
        link.dataset.article = item.id;
        var snippet = document.createElement("p");
        snippet.className = "portal-muted";
        snippet.textContent = item.snippet;
        li.appendChild(link);
        li.appendChild(snippet);
        listEl.appendChild(li);
      });
      box.hidden = results.length === 0;
    };
    var search = function () {
      var q = currentQuery();
      if (q === lastQuery) { return; }
      lastQuery = q;
      if (q.length < 3) { show([]); return; }
      fetch(form.dataset.suggestUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (q === lastQuery) { show(data.results || []); } })
        .catch(function () {});
    };
    [subject, text].forEach(function (field) {
      if (!field) { return; }
      field.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(search, 350);
      });
    });
    listEl.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-article]");
      if (!link) { return; }
      var body = new FormData();
      body.append("article", link.dataset.article);
      body.append("q", lastQuery);
      fetch(form.dataset.deflectionUrl, {
        method: "POST", body: body, credentials: "same-origin", keepalive: true,
        headers: { "X-CSRFToken": csrfToken(form) }
      }).catch(function () {});
    });
  }
})();
