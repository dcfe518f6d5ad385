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

  // Live updates: /ws/portal/ pushes that a ticket's status changed, that it got an
  // answer, or that a new ticket exists. The socket carries no content: the page
  // fetches what it shows from the portal's own views. Every (re)connect catches up
  // on what was missed while the socket was down.
  var list = document.querySelector("[data-live-list]");
  var detail = document.querySelector("[data-live-ticket]");
  var notice = document.querySelector("[data-live-notice]");

  var statusUrl = list ? list.dataset.statusUrl : detail ? detail.dataset.statusUrl : "";

  // Brings the list's statuses up to date; on a ticket's page, reloads the
  // conversation only when the ticket changed since the page was rendered.
  var refreshStatuses = function () {
    if (!statusUrl) { return; }
    fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.tickets.forEach(function (t) {
          var row = list && list.querySelector('[data-ticket="' + t.id + '"] [data-status]');
          if (row && row.textContent !== t.status_label) {
            row.textContent = t.status_label;
            row.className = "portal-status portal-status-" + t.status;
          }
          if (detail && String(t.id) === detail.dataset.liveTicket &&
              Date.parse(t.updated_at) > Date.parse(detail.dataset.liveUpdated)) {
            detail.dataset.liveUpdated = t.updated_at;
            refreshTicket();
          }
        });
      })
      .catch(function () { /* offline for a moment; the next event or reconnect catches up */ });
  };

  // Swaps in the freshly rendered conversation and status; the reply form is left
  // alone, so nothing the customer is typing is lost.
  var refreshTicket = function () {
    if (!detail) { return; }
    fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["[data-live-conversation]", "[data-live-status]"].forEach(function (selector) {
          var current = document.querySelector(selector);
          var next = fresh.querySelector(selector);
          if (current && next) { current.replaceWith(next); }
        });
      })
      .catch(function () {});
  };

  var showNotice = function () {
    if (notice) { notice.hidden = false; }
  };

  var onEvent = function (frame) {
    var onThisTicket = detail && String(frame.ticket) === detail.dataset.liveTicket;
    if (frame.type === "created") {
      showNotice();
    } else if (onThisTicket) {
      refreshTicket();
    } else if (list) {
      if (!list.querySelector('[data-ticket="' + frame.ticket + '"]')) { showNotice(); }
      refreshStatuses();
    }
  };

  if (list || detail || notice) {
    var retry = 0;
    var connect = function () {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + window.location.host + "/ws/portal/");
      socket.addEventListener("open", function () {
        // Something may have changed between the page's rendering and now.
        refreshStatuses();
        retry = 0;
        document.body.dataset.live = "connected";
      });
      socket.addEventListener("message", function (event) {
        try { onEvent(JSON.parse(event.data)); } catch (error) { /* not ours */ }
      });
      socket.addEventListener("close", function (event) {
        document.body.dataset.live = "disconnected";
        if (event.code === 4401) { return; }  // signed out: a reload shows the sign-in page
        retry += 1;
        var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(retry, 5))) * (0.5 + Math.random() / 2);
        setTimeout(connect, delay);
      });
    };
    connect();
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { refreshStatuses(); }
    });
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
      window.helpdeskRenderSuggestions(listEl, results, { snippetClass: "portal-muted" });
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
