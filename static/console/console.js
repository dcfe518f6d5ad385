/* The agent console's live behaviour: one websocket to /ws/console/ for events,
   presence and collision detection, keyboard shortcuts, and small conveniences.
   Every piece of text that came from the server's events is inserted with
   textContent; HTML only ever comes from the console's own rendered partials. */
(function () {
  "use strict";

  const root = document.getElementById("console");
  if (!root) return;
  const strings = document.getElementById("cn-strings")?.dataset || {};
  const ticketPage = document.querySelector('[data-page="ticket"]');
  const inboxPage = document.querySelector('[data-page="inbox"]');
  const ticketId = ticketPage ? Number(ticketPage.dataset.ticketId) : null;
  const customerId = ticketPage ? Number(ticketPage.dataset.customerId) : null;
  const myId = Number(root.dataset.user);

  function url(template, id) {
    return template.replace(/\/0\/(?=[^/]*$)/, "/" + encodeURIComponent(id) + "/");
  }

  async function fetchHtml(address) {
    const response = await fetch(address, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
    if (!response.ok) return null;
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    return template.content.firstElementChild;
  }

  /* ---- The websocket, reconnecting with backoff. ---- */
  let socket = null;
  let heartbeat = null;
  let retry = 0;
  const banner = document.getElementById("cn-connection");

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.wsPath);
    socket.addEventListener("open", () => {
      retry = 0;
      banner?.classList.add("cn-hidden");
      if (ticketId) send({ type: "ticket.view", ticket: ticketId });
      const presence = document.getElementById("cn-presence");
      if (presence && presence.value === "away") send({ type: "presence", presence: "away" });
    });
    socket.addEventListener("message", (event) => {
      let data;
      try { data = JSON.parse(event.data); } catch (_) { return; }
      handle(data);
    });
    socket.addEventListener("close", () => {
      clearInterval(heartbeat);
      heartbeat = null;
      banner?.classList.remove("cn-hidden");
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * 2 ** retry);
    });
  }

  function handle(data) {
    switch (data.type) {
      case "hello":
        clearInterval(heartbeat);
        heartbeat = setInterval(() => send({ type: "heartbeat" }), (data.heartbeat_s || 30) * 1000);
        break;
      case "message.created": onMessageCreated(data.message); break;
      case "message.status": onMessageStatus(data); break;
      case "ticket.changed": onTicketChanged(data); break;
      case "notification.created": onNotification(data.notification); break;
      case "collision": onCollision(data); break;
      case "typing":
        // The live chat's customer typing, published on the ticket's group.
        if (data.who === "customer") {
          onCollision({ ticket: data.ticket, agent: { id: "customer", name: data.name || "" }, state: data.active ? "typing" : "left" });
        }
        break;
      case "agent.presence":
        if (data.user === myId) setPresenceDot(data.presence);
        break;
    }
  }

  /* ---- Ticket page: the timeline, delivery statuses, collisions. ---- */
  async function onMessageCreated(message) {
    if (ticketPage && message.customer === customerId) {
      if (document.getElementById("message-" + message.id)) return;
      const element = await fetchHtml(url(root.dataset.messageUrl, message.id) + "?ticket=" + ticketId);
      if (element && !document.getElementById(element.id)) {
        const timeline = document.getElementById("cn-timeline");
        timeline.querySelector(".cn-empty")?.remove();
        timeline.appendChild(element);
        element.scrollIntoView({ block: "nearest" });
        applyLaterStatus(message.id);
      }
    }
    if (inboxPage) refreshRow(message.ticket);
    announce(message);
  }

  // A status can arrive before its message is on the page (a send that finished
  // while the page was still inserting the reply): it is applied on insertion.
  const laterStatuses = new Map();
  function applyLaterStatus(messageId) {
    const data = laterStatuses.get(String(messageId));
    if (!data) return;
    laterStatuses.delete(String(messageId));
    onMessageStatus(data);
  }

  async function onMessageStatus(data) {
    const footer = document.querySelector("#message-" + data.message + " [data-testid=delivery-status]");
    if (!footer) {
      if (ticketPage && data.ticket === ticketId) laterStatuses.set(String(data.message), data);
      return;
    }
    if (data.delivery_status === "failed" || data.delivery_status === "undelivered") {
      // The server explains the error code in the agent's language.
      const element = await fetchHtml(url(root.dataset.messageUrl, data.message) + "?ticket=" + ticketId);
      const fresh = element?.querySelector("[data-testid=delivery-status]");
      if (fresh) { footer.replaceWith(fresh); return; }
    }
    const status = data.delivery_status || "none";
    footer.className = "cn-delivery cn-delivery-" + status;
    footer.dataset.status = data.delivery_status;
    footer.textContent = "";
    const label = document.createElement("span");
    label.className = "cn-delivery-label";
    label.textContent = strings[status] || status;
    footer.appendChild(label);
    if (status === "failed" || status === "undelivered") {
      const error = document.createElement("span");
      error.className = "cn-delivery-error";
      error.textContent = " — " + [data.error_code, data.error].filter(Boolean).join(" ");
      footer.appendChild(error);
    }
  }

  function onTicketChanged(data) {
    if (inboxPage) refreshRow(data.ticket);
    if (ticketPage && data.ticket === ticketId && data.changes && data.changes.status) {
      const badge = document.getElementById("cn-ticket-status");
      if (badge) {
        badge.className = "cn-status cn-status-" + data.changes.status;
        badge.textContent = strings["st_" + data.changes.status] || data.changes.status;
      }
    }
  }

  const viewers = new Map();
  function onCollision(data) {
    if (!ticketPage || data.ticket !== ticketId) return;
    const id = data.agent.id;
    clearTimeout(viewers.get(id)?.timer);
    if (data.state === "left") {
      viewers.delete(id);
    } else {
      // Typing fades back to viewing if the other agent stops without saying so.
      const after = id === "customer" ? "left" : "viewing";
      const timer = data.state === "typing"
        ? setTimeout(() => onCollision({ ...data, state: after }), 6000) : null;
      viewers.set(id, { name: data.agent.name, state: data.state, timer });
    }
    const box = document.getElementById("cn-collision");
    box.textContent = "";
    for (const viewer of viewers.values()) {
      const span = document.createElement("span");
      span.dataset.state = viewer.state;
      span.textContent = viewer.name + " " + (viewer.state === "typing" ? strings.typing : strings.viewing);
      box.appendChild(span);
    }
  }

  /* ---- Ticket page: the latest messages show first; older ones are fetched as the
     agent scrolls up (or presses the button), keeping what they read in place. ---- */
  const timelineBox = ticketPage ? document.getElementById("cn-timeline") : null;
  if (timelineBox) {
    // On a wide screen the timeline scrolls by itself; on a phone the page does.
    const ownScroll = getComputedStyle(timelineBox).overflowY !== "visible";
    const height = () => (ownScroll ? timelineBox.scrollHeight : document.documentElement.scrollHeight);
    const latest = timelineBox.querySelector("[data-testid=message]:last-of-type");
    if (ownScroll) timelineBox.scrollTop = timelineBox.scrollHeight;
    else latest?.scrollIntoView({ block: "end" });
    let loading = false;
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) if (entry.isIntersecting) loadOlder(entry.target);
    }, { root: ownScroll ? timelineBox : null, rootMargin: "300px 0px 0px 0px" });
    const watch = (marker) => {
      observer.observe(marker);
      marker.querySelector("button")?.addEventListener("click", () => loadOlder(marker));
    };
    async function loadOlder(marker) {
      if (loading || !marker.isConnected) return;
      loading = true;
      try {
        const response = await fetch(marker.dataset.url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
        if (!response.ok) return;
        const template = document.createElement("template");
        template.innerHTML = (await response.text()).trim();
        // A message the socket already brought is not shown twice.
        for (const message of template.content.querySelectorAll("[data-testid=message]")) {
          if (document.getElementById(message.id)) message.remove();
        }
        observer.unobserve(marker);
        const before = height();
        marker.replaceWith(template.content);
        const grown = height() - before;
        if (ownScroll) timelineBox.scrollTop += grown; else window.scrollBy(0, grown);
        const next = timelineBox.querySelector(".cn-older");
        if (next) watch(next);
      } finally {
        loading = false;
      }
    }
    const first = timelineBox.querySelector(".cn-older");
    if (first) watch(first);
  }

  /* ---- Inbox: live. Any change fetches the view's rows and counts again (the
     server knows the filters, the search and the order) and they are swapped in
     place, keeping the agent's selection and ticked boxes. ---- */
  let inboxTimer = null;
  let inboxBusy = false;
  function refreshRow() {
    if (!inboxPage) return;
    clearTimeout(inboxTimer);
    // Several events often arrive together: one fetch for all of them.
    inboxTimer = setTimeout(refreshInbox, 200);
  }
  async function refreshInbox() {
    if (inboxBusy) { refreshRow(); return; }
    inboxBusy = true;
    try {
      const address = new URL(location.href);
      address.searchParams.set("partial", "1");
      const response = await fetch(address, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
      if (!response.ok) return;
      const template = document.createElement("template");
      template.innerHTML = await response.text();
      const views = template.content.getElementById("cn-views");
      if (views) document.getElementById("cn-views")?.replaceWith(views);
      const saved = template.content.getElementById("cn-saved-list");
      if (saved) document.getElementById("cn-saved-list")?.replaceWith(saved);
      const rows = template.content.getElementById("cn-rows");
      const current = document.getElementById("cn-rows");
      if (!rows || !current) return;
      const before = new Map(Array.from(current.querySelectorAll("[data-testid=ticket-row]"), (row) => [row.id, row]));
      const selected = rowsList()[cursor]?.id;
      for (const row of rows.querySelectorAll("[data-testid=ticket-row]")) {
        const old = before.get(row.id);
        if (!old || old.dataset.updated !== row.dataset.updated) row.classList.add("cn-flash-row");
        if (old?.querySelector(".cn-row-check")?.checked) row.querySelector(".cn-row-check").checked = true;
      }
      current.replaceWith(rows);
      const list = rowsList();
      cursor = selected ? list.findIndex((row) => row.id === selected) : -1;
      if (cursor >= 0) list[cursor].classList.add("cn-selected");
    } finally {
      inboxBusy = false;
    }
  }

  /* ---- Attention: an unread count in the title, and the sound and desktop
     notifications each agent turns on for themselves (kept in this browser, which
     is also where the desktop permission lives). ---- */
  const baseTitle = document.title;
  let unread = 0;
  const prefsKey = "cn-prefs-" + myId;
  function prefs() {
    try { return JSON.parse(localStorage.getItem(prefsKey) || "{}"); } catch (_) { return {}; }
  }
  function savePrefs(changes) {
    try { localStorage.setItem(prefsKey, JSON.stringify({ ...prefs(), ...changes })); } catch (_) { /* private mode */ }
  }
  function attentive() { return document.visibilityState === "visible" && document.hasFocus(); }
  function setUnread(count) {
    unread = count;
    document.title = unread ? "(" + unread + ") " + baseTitle : baseTitle;
  }
  function resetUnread() { if (attentive()) setUnread(0); }
  window.addEventListener("focus", resetUnread);
  document.addEventListener("visibilitychange", resetUnread);
  let audio = null;
  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const now = audio.currentTime;
      [880, 1320].forEach((frequency, index) => {
        const tone = audio.createOscillator();
        const gain = audio.createGain();
        tone.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, now + index * 0.12);
        gain.gain.exponentialRampToValueAtTime(0.15, now + index * 0.12 + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + index * 0.12 + 0.25);
        tone.connect(gain).connect(audio.destination);
        tone.start(now + index * 0.12);
        tone.stop(now + index * 0.12 + 0.3);
      });
    } catch (_) { /* no audio */ }
  }
  function announce(message) {
    if (message.direction !== "in" || message.is_automatic) return;
    if (ticketPage && message.ticket === ticketId && attentive()) return;
    if (!attentive()) setUnread(unread + 1);
    const choice = prefs();
    if (choice.sound) chime();
    if (choice.desktop && "Notification" in window && Notification.permission === "granted" && !attentive()) {
      const note = new Notification(strings.newMessage || "New message", { body: message.text || "", tag: "ticket-" + message.ticket });
      note.onclick = () => { window.focus(); location.href = url(root.dataset.ticketUrl, message.ticket); };
    }
  }
  for (const box of document.querySelectorAll("[data-pref]")) {
    box.checked = !!prefs()[box.dataset.pref];
    box.addEventListener("change", async () => {
      if (box.dataset.pref === "desktop" && box.checked && "Notification" in window && Notification.permission !== "granted") {
        box.checked = (await Notification.requestPermission()) === "granted";
      }
      savePrefs({ [box.dataset.pref]: box.checked });
      if (box.dataset.pref === "sound" && box.checked) chime();
    });
  }

  /* ---- Notifications ---- */
  const bellButton = document.getElementById("cn-bell-button");
  const bellPanel = document.getElementById("cn-bell-panel");
  const bellCount = document.getElementById("cn-bell-count");
  function onNotification(notification) {
    const count = Number(bellCount.textContent || 0) + 1;
    bellCount.textContent = String(count);
    bellCount.classList.remove("cn-hidden");
    document.getElementById("cn-bell-empty")?.remove();
    const item = document.createElement("li");
    item.className = "cn-unread";
    const target = notification.ticket ? document.createElement("a") : document.createElement("span");
    if (notification.ticket) target.href = url(root.dataset.ticketUrl, notification.ticket);
    target.textContent = notification.text;
    item.appendChild(target);
    document.getElementById("cn-bell-list").prepend(item);
  }
  bellButton?.addEventListener("click", () => {
    const open = bellPanel.classList.toggle("cn-hidden") === false;
    bellButton.setAttribute("aria-expanded", String(open));
  });

  /* ---- Presence ---- */
  function setPresenceDot(presence) {
    const dot = document.getElementById("cn-presence-dot");
    if (dot) dot.className = "cn-dot cn-dot-" + presence;
  }
  document.getElementById("cn-presence")?.addEventListener("change", (event) => {
    send({ type: "presence", presence: event.target.value });
    setPresenceDot(event.target.value);
  });

  /* ---- Reply box: note mode, typing signal, canned responses. ---- */
  const replyForm = document.getElementById("reply-form");
  const replyText = document.getElementById("reply-text");
  function setKind(kind) {
    const radio = replyForm?.querySelector('input[name=kind][value="' + kind + '"]');
    if (!radio) return;
    radio.checked = true;
    replyForm.classList.toggle("cn-note-mode", kind === "note");
    replyText.focus();
  }
  replyForm?.addEventListener("change", (event) => {
    if (event.target.name === "kind") setKind(event.target.value);
  });
  let typingSent = 0;
  let typingStop = null;
  replyText?.addEventListener("input", () => {
    const now = Date.now();
    if (now - typingSent > 3000) {
      send({ type: "typing", ticket: ticketId, typing: true });
      typingSent = now;
    }
    clearTimeout(typingStop);
    typingStop = setTimeout(() => { send({ type: "typing", ticket: ticketId, typing: false }); typingSent = 0; }, 4000);
  });
  /* The composer posts with fetch: the reply is stored and queued, its entry joins
     the timeline at once, and its delivery status follows through the socket. */
  const replyError = document.getElementById("cn-reply-error");
  const fileInput = document.getElementById("reply-files");
  const fileList = document.getElementById("cn-files");
  function showReplyError(text) {
    if (!replyError) return;
    replyError.textContent = text || "";
    replyError.classList.toggle("cn-hidden", !text);
  }
  function listFiles() {
    if (!fileList || !fileInput) return;
    fileList.textContent = "";
    for (const file of fileInput.files) {
      const item = document.createElement("li");
      item.dataset.testid = "reply-file";
      item.textContent = file.name;
      fileList.appendChild(item);
    }
  }
  fileInput?.addEventListener("change", listFiles);
  replyForm?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = replyForm.querySelector("[data-testid=reply-send]");
    button.disabled = true;
    showReplyError("");
    // The reply can reach the timeline over the websocket before this answer does,
    // so the composer empties at once and gets the draft back if the send fails.
    const body = new FormData(replyForm);
    const draft = replyText.value;
    replyText.value = "";
    const restoreDraft = () => { if (!replyText.value) replyText.value = draft; };
    try {
      const response = await fetch(replyForm.action, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      let data = {};
      try { data = await response.json(); } catch (_) { /* a proxy's error page */ }
      if (!response.ok) { restoreDraft(); showReplyError(data.error || response.statusText); return; }
      if (data.html && !document.getElementById("message-" + data.message)) {
        const template = document.createElement("template");
        template.innerHTML = data.html.trim();
        const timeline = document.getElementById("cn-timeline");
        timeline.querySelector(".cn-empty")?.remove();
        timeline.appendChild(template.content.firstElementChild);
        applyLaterStatus(data.message);
      }
      document.getElementById("message-" + data.message)?.scrollIntoView({ block: "nearest" });
      if (data.notice) showReplyError(data.notice);
      if (fileInput) fileInput.value = "";
      listFiles();
      send({ type: "typing", ticket: ticketId, typing: false });
    } catch (_) {
      restoreDraft();
      showReplyError(strings.offline || "Offline");
    } finally {
      button.disabled = false;
    }
  });
  replyText?.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      replyForm.requestSubmit();
    }
  });

  /* Canned responses: "/" at the start of a line opens a menu searched by what
     follows; the server fills the placeholders of the one chosen. */
  const cannedMenu = document.getElementById("cn-canned-menu");
  let cannedItems = [];
  try { cannedItems = JSON.parse(document.getElementById("cn-canned-data")?.textContent || "[]"); } catch (_) { cannedItems = []; }
  let cannedActive = 0;
  let cannedMatches = [];
  function slashQuery() {
    const before = replyText.value.slice(0, replyText.selectionStart);
    const match = /(?:^|\n)\/([^\n]*)$/.exec(before);
    return match ? match[1] : null;
  }
  function closeCanned() { cannedMenu?.classList.add("cn-hidden"); cannedMatches = []; }
  function renderCanned() {
    const query = slashQuery();
    if (query === null || !cannedMenu) { closeCanned(); return; }
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    cannedMatches = cannedItems.filter((item) => {
      const haystack = (item.title + " " + item.preview + " " + item.team).toLowerCase();
      return words.every((word) => haystack.includes(word));
    }).slice(0, 8);
    cannedActive = Math.min(cannedActive, Math.max(cannedMatches.length - 1, 0));
    cannedMenu.textContent = "";
    cannedMatches.forEach((item, index) => {
      const option = document.createElement("button");
      option.type = "button";
      option.className = "cn-canned-option" + (index === cannedActive ? " cn-active" : "");
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(index === cannedActive));
      option.dataset.testid = "canned-option";
      const title = document.createElement("strong");
      title.textContent = item.title;
      const scope = document.createElement("span");
      scope.className = "cn-tag";
      scope.textContent = item.scope === "team" ? item.team : (cannedMenu.dataset[item.scope] || item.scope);
      const preview = document.createElement("span");
      preview.className = "cn-muted";
      preview.textContent = item.preview;
      option.append(title, scope, preview);
      option.addEventListener("mousedown", (event) => { event.preventDefault(); insertCanned(item); });
      cannedMenu.appendChild(option);
    });
    if (!cannedMatches.length) {
      const empty = document.createElement("p");
      empty.className = "cn-muted";
      empty.textContent = cannedMenu.dataset.empty;
      cannedMenu.appendChild(empty);
    }
    const manage = document.createElement("a");
    manage.href = cannedMenu.dataset.manage;
    manage.className = "cn-canned-manage";
    manage.textContent = cannedMenu.dataset.manageLabel;
    cannedMenu.appendChild(manage);
    cannedMenu.classList.remove("cn-hidden");
  }
  async function insertCanned(item) {
    closeCanned();
    const response = await fetch(url(cannedMenu.dataset.url, item.id), { credentials: "same-origin" });
    if (!response.ok) return;
    const { text } = await response.json();
    const caret = replyText.selectionStart;
    const before = replyText.value.slice(0, caret).replace(/\/[^\n]*$/, "");
    const after = replyText.value.slice(caret);
    replyText.value = before + text + after;
    const position = (before + text).length;
    replyText.focus();
    replyText.setSelectionRange(position, position);
  }
  replyText?.addEventListener("input", renderCanned);
  replyText?.addEventListener("blur", () => setTimeout(closeCanned, 150));
  replyText?.addEventListener("keydown", (event) => {
    if (!cannedMatches.length || cannedMenu.classList.contains("cn-hidden")) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      cannedActive = (cannedActive + step + cannedMatches.length) % cannedMatches.length;
      renderCanned();
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      insertCanned(cannedMatches[cannedActive]);
    } else if (event.key === "Escape") {
      event.stopPropagation();
      closeCanned();
    }
  });

  /* ---- New conversation: the WhatsApp template fields only for WhatsApp. ---- */
  const startChannel = document.querySelector("[data-page=conversation-new] select[name=channel]");
  function toggleTemplate() {
    document.getElementById("cn-template")?.classList.toggle("cn-hidden", startChannel.value !== "whatsapp");
  }
  startChannel?.addEventListener("change", toggleTemplate);
  if (startChannel) toggleTemplate();

  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }

  /* ---- Inbox: select all ---- */
  document.getElementById("cn-check-all")?.addEventListener("change", (event) => {
    document.querySelectorAll(".cn-row-check").forEach((box) => { box.checked = event.target.checked; });
  });

  /* ---- Keyboard shortcuts ---- */
  let cursor = -1;
  function rowsList() { return Array.from(document.querySelectorAll("[data-testid=ticket-row]")); }
  function move(step) {
    const list = rowsList();
    if (!list.length) return;
    list[cursor]?.classList.remove("cn-selected");
    cursor = Math.max(0, Math.min(list.length - 1, cursor + step));
    list[cursor].classList.add("cn-selected");
    list[cursor].scrollIntoView({ block: "nearest" });
  }
  function assignToMe() {
    if (ticketPage) {
      document.getElementById("cn-assign-me")?.requestSubmit();
      return;
    }
    const row = rowsList()[cursor];
    const bulkForm = document.getElementById("bulk-form");
    if (!row || !bulkForm) return;
    row.querySelector(".cn-row-check").checked = true;
    bulkForm.querySelector("[name=action]").value = "assign_me";
    bulkForm.requestSubmit();
  }
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "Escape") {
      if (typing) target.blur();
      bellPanel?.classList.add("cn-hidden");
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const actions = {
      j: () => move(1),
      k: () => move(-1),
      Enter: () => { const row = rowsList()[cursor]; if (row) row.querySelector(".cn-row-link").click(); },
      r: () => setKind("reply"),
      n: () => setKind("note"),
      a: assignToMe,
      "/": () => document.getElementById("cn-search")?.focus(),
      "?": () => document.getElementById("cn-help")?.showModal(),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  window.addEventListener("pagehide", () => { if (ticketId) send({ type: "ticket.leave", ticket: ticketId }); });
  connect();
})();
