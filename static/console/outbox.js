// The dev outbox: what arrives while the page is open shows at the top, without a reload.
(function () {
  "use strict";
  var list = document.getElementById("ob-list");
  if (!list || /[?&]page=([2-9]|\d\d)/.test(location.search)) { return; }
  var EVERY_MS = 3000;

  function poll() {
    var url = list.dataset.pollUrl + "?after=" + encodeURIComponent(list.dataset.last) +
      (list.dataset.channel ? "&channel=" + encodeURIComponent(list.dataset.channel) : "");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html.trim()) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html;  // rendered and sanitized by the server
        var items = holder.querySelectorAll(".ob-item");
        if (!items.length) { return; }
        var empty = document.getElementById("ob-empty");
        if (empty) { empty.remove(); }
        for (var i = items.length - 1; i >= 0; i--) {
          items[i].classList.add("ob-new");
          list.insertBefore(items[i], list.firstChild);
        }
        var last = Number(list.dataset.last);
        items.forEach(function (item) { last = Math.max(last, Number(item.dataset.id)); });
        list.dataset.last = String(last);
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, EVERY_MS); });
  }
  setTimeout(poll, EVERY_MS);
})();
