/* The live chat, inside its iframe (or full page at /chat/widget/).
 * Keeps the visitor's token in localStorage so a reload resumes the conversation,
 * reconnects with exponential backoff and jitter, resends what was not yet
 * acknowledged (the server stores each message id once), and shows typing and
 * read receipts both ways. Customer text is only ever set as textContent. */
(function () {
  "use strict";

  var body = document.body;
  var S = JSON.parse(document.getElementById("chat-strings").textContent);
  var KEY_TOKEN = "helpdesk.chat.token";
  var KEY_OUTBOX = "helpdesk.chat.outbox";
  // The pre-chat email still to be proved with a code ("1"), so the offer survives a reload.
  var KEY_VERIFY = "helpdesk.chat.verify";
  var MAX_BYTES = parseInt(body.dataset.maxBytes, 10);
  var MAX_CHARS = parseInt(body.dataset.maxChars, 10);
  var embedded = window.parent !== window;
  // An attachment's icon: SVG, since a device without an emoji font shows an empty box.
  var PAPERCLIP = '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" style="vertical-align:-3px">' +
    '<path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" ' +
    'd="m20.5 11.5-8.3 8.3a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8"/></svg>';

  var $ = function (id) { return document.getElementById(id); };
  var panes = { prechat: $("prechat"), offline: $("offline"), conversation: $("conversation") };
  var log = $("chat-log");
  var input = $("chat-input");
  var statusLine = $("chat-status");
  var typingLine = $("chat-typing");

  var token = store("get", KEY_TOKEN);
  var outbox = loadOutbox();
  var ws = null;
  var attempts = 0;
  var reconnectTimer = null;
  var ticket = null;
  var isOpen = !embedded;
  var lastAgentId = 0;
  var lastReadSent = 0;
  var unread = 0;
  var typingTimer = null;
  var typingSentAt = 0;
  var typingIdle = null;
  // Why the server is about to end the session, shown above the fresh pre-chat form.
  var endNotice = "";

  function store(op, key, value) {
    try {
      if (op === "get") return window.localStorage.getItem(key);
      if (op === "set") window.localStorage.setItem(key, value);
      if (op === "del") window.localStorage.removeItem(key);
    } catch (e) { /* storage blocked: the chat still works, without resuming */ }
    return null;
  }

  function loadOutbox() {
    try { return JSON.parse(store("get", KEY_OUTBOX) || "{}") || {}; } catch (e) { return {}; }
  }

  function saveOutbox() { store("set", KEY_OUTBOX, JSON.stringify(outbox)); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function show(name) {
    Object.keys(panes).forEach(function (key) { panes[key].hidden = key !== name; });
    if (name === "conversation") input.focus();
  }

  function setStatus(text) { statusLine.textContent = text || ""; }

  function tell(message) { if (embedded) window.parent.postMessage(message, "*"); }

  // The conversation.

  function timeOf(iso) {
    var d = iso ? new Date(iso) : new Date();
    return d.toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function find(selector) { return log.querySelector(selector); }

  function render(m) {
    var existing = (m.id && find('[data-id="' + m.id + '"]')) ||
      (m.client_id && find('[data-client-id="' + CSS.escape(m.client_id) + '"]'));
    var li = existing || document.createElement("li");
    li.className = "chat-msg chat-" + (m.direction === "in" ? "mine" : "theirs");
    if (m.id) li.dataset.id = m.id;
    if (m.client_id) li.dataset.clientId = m.client_id;
    li.textContent = "";
    if (m.text) {
      var bubble = document.createElement("div");
      bubble.className = "chat-bubble";
      bubble.textContent = m.text;
      li.appendChild(bubble);
    }
    if (m.survey) li.appendChild(surveyCard(m.survey));
    (m.attachments || []).forEach(function (a) {
      var file = document.createElement("div");
      file.className = "chat-bubble chat-file";
      file.insertAdjacentHTML("afterbegin", PAPERCLIP);
      file.appendChild(document.createTextNode(" " + a.filename));
      li.appendChild(file);
    });
    var meta = document.createElement("div");
    meta.className = "chat-meta";
    var who = m.direction === "in" ? S.you : (m.author || S.agent);
    meta.textContent = who + " \u00b7 " + timeOf(m.created_at);
    var state = document.createElement("span");
    state.className = "chat-state";
    meta.appendChild(state);
    li.appendChild(meta);
    if (!existing) log.appendChild(li);
    if (m.direction === "in") setState(li, m.state || (m.id ? "sent" : "sending"));
    if (m.direction === "out" && m.id > lastAgentId) {
      lastAgentId = m.id;
      if (!existing) noteUnread();
    }
    log.scrollTop = log.scrollHeight;
    return li;
  }

  // A survey question: one button per score, answered in place. The answer goes
  // to the survey, never into the conversation.
  function surveyCard(card) {
    var box = document.createElement("div");
    box.className = "chat-survey";
    box.dataset.survey = card.id;
    var scale = document.createElement("div");
    scale.className = "chat-survey-scale";
    scale.setAttribute("role", "group");
    for (var score = card.scale_min; score <= card.scale_max; score++) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "chat-survey-score";
      button.textContent = String(score);
      button.dataset.score = score;
      button.setAttribute("aria-label", S.survey_score.replace("%(score)s", score).replace("%(high)s", card.scale_max));
      button.addEventListener("click", answerSurvey);
      scale.appendChild(button);
    }
    box.appendChild(scale);
    var ends = document.createElement("div");
    ends.className = "chat-survey-ends";
    var low = document.createElement("span");
    low.textContent = card.low_label || "";
    var high = document.createElement("span");
    high.textContent = card.high_label || "";
    ends.appendChild(low);
    ends.appendChild(high);
    box.appendChild(ends);
    var note = document.createElement("p");
    note.className = "chat-survey-note";
    note.setAttribute("role", "status");
    box.appendChild(note);
    if (card.answered !== null && card.answered !== undefined) surveyAnswered(box, card.answered);
    else if (card.closed) surveyClosed(box);
    return box;
  }

  function answerSurvey(event) {
    var button = event.currentTarget;
    var box = button.closest(".chat-survey");
    if (send({ type: "survey", survey: parseInt(box.dataset.survey, 10), score: parseInt(button.dataset.score, 10) })) {
      box.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      button.classList.add("chat-survey-picked");
    }
  }

  function surveyAnswered(box, score) {
    box.querySelectorAll("button").forEach(function (b) {
      b.disabled = true;
      b.classList.toggle("chat-survey-picked", parseInt(b.dataset.score, 10) === score);
    });
    box.querySelector(".chat-survey-note").textContent = S.survey_thanks.replace("%(score)s", score);
  }

  function surveyClosed(box) {
    box.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    box.querySelector(".chat-survey-note").textContent = S.survey_closed;
  }

  function setState(li, state) {
    var span = li.querySelector(".chat-state");
    li.dataset.state = state;
    if (span) span.textContent = " \u00b7 " + (S[state] || "");
  }

  function noteUnread() {
    if (isOpen && document.visibilityState === "visible") { markRead(); return; }
    unread += 1;
    tell({ helpdeskChat: "unread", count: unread });
  }

  function markRead() {
    unread = 0;
    tell({ helpdeskChat: "unread", count: 0 });
    if (lastAgentId > lastReadSent && send({ type: "read", up_to: lastAgentId })) lastReadSent = lastAgentId;
  }

  function showTyping(name, active) {
    clearTimeout(typingTimer);
    typingLine.hidden = !active;
    typingLine.textContent = S.typing.replace("%(name)s", name || S.agent);
    // An agent who closed the page never says they stopped.
    if (active) typingTimer = setTimeout(function () { typingLine.hidden = true; }, 6000);
  }

  // The socket.

  function send(frame) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    if (!token) return;
    setStatus(attempts ? S.reconnecting : S.connecting);
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + body.dataset.wsPath + "?token=" + encodeURIComponent(token) +
      "&lang=" + encodeURIComponent(body.dataset.lang || ""));
    ws = socket;
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    socket.onclose = function (event) {
      if (ws !== socket) return;
      ws = null;
      if (event.code === 4401) { forget(endNotice); return; }
      // Exponential backoff with full jitter, so that a restarted server is not
      // met by every widget at the same instant.
      var ceiling = Math.min(30000, 500 * Math.pow(2, attempts));
      if (event.code === 4008) ceiling = Math.max(ceiling, 10000);
      attempts += 1;
      setStatus(S.reconnecting);
      reconnectTimer = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
    };
  }

  function handle(frame) {
    switch (frame.type) {
      case "welcome":
        attempts = 0;
        ticket = frame.ticket;
        setStatus(frame.online ? S.online : S.offline_title);
        $("chat-transcript").hidden = !frame.can_email_transcript;
        log.textContent = "";
        (frame.history || []).forEach(render);
        Object.keys(outbox).forEach(function (id) {
          render({ client_id: id, direction: "in", text: outbox[id].text, created_at: outbox[id].at });
          send({ type: "message", id: id, text: outbox[id].text });
        });
        if (isOpen) markRead();
        break;
      case "message":
        if (frame.ticket) ticket = frame.ticket;
        render(frame);
        if (frame.direction === "out") showTyping("", false);
        break;
      case "ack":
        // Stored: never sent again. Its id and ticket come with it when the message was
        // processed already, else in the "message" frame that follows within milliseconds.
        if (frame.ticket) ticket = frame.ticket;
        delete outbox[frame.client_id];
        saveOutbox();
        var li = find('[data-client-id="' + CSS.escape(frame.client_id) + '"]');
        if (li) {
          if (frame.id) li.dataset.id = frame.id;
          if (li.dataset.state !== "read") setState(li, "sent");
        }
        break;
      case "typing":
        showTyping(frame.name, frame.active);
        break;
      case "read":
        log.querySelectorAll(".chat-mine[data-id]").forEach(function (item) {
          if (!frame.up_to || parseInt(item.dataset.id, 10) <= frame.up_to) setState(item, "read");
        });
        break;
      case "transcript":
        setStatus(S.transcript_sent);
        break;
      case "survey":
        var card = find('.chat-survey[data-survey="' + parseInt(frame.survey, 10) + '"]');
        if (card) surveyAnswered(card, frame.score);
        break;
      case "ended":
        setStatus(S["ended_" + frame.reason] || S.ended_left);
        break;
      case "error":
        if (frame.ref && outbox[frame.ref] && frame.code !== "rate_limited") {
          delete outbox[frame.ref];
          saveOutbox();
        }
        if (frame.code === "no_survey" || frame.code === "bad_score") {
          log.querySelectorAll(".chat-survey").forEach(function (box) {
            if (!box.querySelector(".chat-survey-note").textContent) surveyClosed(box);
          });
        }
        setStatus(frame.message || S.error);
        if (frame.code === "unauthorized" || frame.code === "session_erased") endNotice = frame.message;
        break;
    }
  }

  function forget(notice) {
    token = null;
    outbox = {};
    store("del", KEY_TOKEN);
    store("del", KEY_OUTBOX);
    store("del", KEY_VERIFY);
    $("chat-verify").hidden = true;
    $("verify-form").hidden = true;
    if (ws) { var old = ws; ws = null; old.close(); }
    log.textContent = "";
    show(body.dataset.online === "1" ? "prechat" : "offline");
    setStatus(notice || (body.dataset.online === "1" ? S.online : S.offline_title));
    endNotice = "";
  }

  // What the customer does.

  function sendText() {
    var text = input.value.trim();
    if (!text) return;
    text = text.slice(0, MAX_CHARS);
    var id = uuid();
    var at = new Date().toISOString();
    outbox[id] = { text: text, at: at };
    saveOutbox();
    render({ client_id: id, direction: "in", text: text, created_at: at });
    send({ type: "message", id: id, text: text });
    send({ type: "typing", active: false });
    typingSentAt = 0;
    input.value = "";
    input.style.height = "";
  }

  $("compose").addEventListener("submit", function (event) {
    event.preventDefault();
    sendText();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendText();
    }
  });

  input.addEventListener("input", function () {
    input.style.height = "";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
    var now = Date.now();
    if (now - typingSentAt > 2000 && input.value.trim()) {
      typingSentAt = now;
      send({ type: "typing", active: true });
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(function () {
      if (typingSentAt) send({ type: "typing", active: false });
      typingSentAt = 0;
    }, 3000);
  });

  $("chat-file").addEventListener("change", function (event) {
    var file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    if (file.size > MAX_BYTES) { setStatus(S.file_too_large); return; }
    var id = uuid();
    var li = render({ client_id: id, direction: "in", text: "", attachments: [{ filename: file.name }] });
    var form = new FormData();
    form.append("file", file);
    form.append("id", id);
    if (ticket) form.append("ticket", ticket);
    fetch(body.dataset.uploadUrl, { method: "POST", body: form, headers: { "X-Chat-Token": token } })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (!result.ok) throw new Error((result.data.error && result.data.error.message) || S.upload_failed);
        if (result.data.ticket) ticket = result.data.ticket;
        render(result.data);
      })
      .catch(function (error) {
        setState(li, "failed");
        setStatus(error.message || S.upload_failed);
      });
  });

  $("chat-transcript").addEventListener("click", function () {
    send({ type: "transcript", request_id: uuid() });
  });

  $("chat-leave").addEventListener("click", function () { send({ type: "leave" }); });

  $("chat-new").addEventListener("click", function () { forget(); });

  $("chat-close").addEventListener("click", function () {
    isOpen = false;
    tell({ helpdeskChat: "close" });
  });
  if (!embedded) $("chat-close").hidden = true;

  function postForm(form, url, headers) {
    var error = form.querySelector(".chat-form-error");
    error.hidden = true;
    return fetch(url, { method: "POST", body: new FormData(form), headers: headers || {} })
      .then(function (response) {
        return response.json().then(function (data) {
          if (response.ok) return data;
          var fields = (data.error && data.error.fields) || {};
          var messages = Object.keys(fields).map(function (key) { return fields[key].join(" "); });
          throw new Error(messages.join(" ") || (data.error && data.error.message) || S.error);
        });
      })
      .catch(function (err) {
        error.textContent = err.message || S.error;
        error.hidden = false;
        throw err;
      });
  }

  $("prechat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var question = $("prechat-question");
    postForm(event.target, body.dataset.sessionUrl).then(function (data) {
      token = data.token;
      store("set", KEY_TOKEN, token);
      $("chat-transcript").hidden = !data.can_email_transcript;
      if (data.can_email_transcript && !data.verified) store("set", KEY_VERIFY, "1");
      $("chat-verify").hidden = store("get", KEY_VERIFY) !== "1";
      show("conversation");
      connect();
      // The question typed before the chat is its first message (sent from the outbox once connected).
      if (question.value.trim()) {
        input.value = question.value;
        sendText();
        question.value = "";
        showSuggestions([]);
      }
    }, function () {});
  });

  // Articles that may answer the question before the chat starts (kb's suggestions).
  var suggestions = $("prechat-suggestions");
  var suggestTimer = null;
  var suggestedFor = "";

  function showSuggestions(results) {
    window.helpdeskRenderSuggestions(suggestions.querySelector("ul"), results, { marked: true });
    suggestions.hidden = results.length === 0;
  }

  function suggest() {
    var q = $("prechat-question").value.trim().slice(0, 200);
    if (q === suggestedFor) return;
    suggestedFor = q;
    if (q.length < 3) { showSuggestions([]); return; }
    var url = body.dataset.suggestUrl + "?limit=3&q=" + encodeURIComponent(q) + "&lang=" + encodeURIComponent(body.dataset.lang || "");
    fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (q === suggestedFor) showSuggestions(data.results || []); })
      .catch(function () {});
  }

  $("prechat-question").addEventListener("input", function () {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(suggest, 350);
  });

  // Proving the pre-chat email: a code by email, typed back here (tickets/services/claims.py).
  function verifyDone(message) {
    store("del", KEY_VERIFY);
    $("chat-verify").hidden = true;
    $("verify-form").hidden = true;
    if (message) setStatus(message);
  }

  $("chat-verify").addEventListener("click", function () {
    fetch(body.dataset.verifyUrl + "?lang=" + encodeURIComponent(body.dataset.lang), {
      method: "POST", headers: { "X-Chat-Token": token || "" },
    }).then(function (response) {
      return response.json().then(function (data) {
        if (response.ok) {
          setStatus(data.message);
          $("verify-form").hidden = false;
          $("verify-form").code.focus();
        } else if (response.status === 404) {
          verifyDone("");
        } else {
          setStatus((data.error && data.error.message) || S.error);
        }
      });
    }).catch(function () { setStatus(S.error); });
  });

  $("verify-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var url = body.dataset.verifyConfirmUrl + "?lang=" + encodeURIComponent(body.dataset.lang);
    postForm(event.target, url, { "X-Chat-Token": token || "" }).then(function (data) {
      event.target.reset();
      verifyDone(data.message);
    }, function () {});
  });

  $("offline-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    if (!form.email.value.trim() && !form.phone.value.trim()) {
      var error = form.querySelector(".chat-form-error");
      error.textContent = S.need_contact;
      error.hidden = false;
      return;
    }
    postForm(form, body.dataset.offlineUrl, token ? { "X-Chat-Token": token } : {}).then(function () {
      form.hidden = true;
      $("offline-thanks").hidden = false;
    }, function () {});
  });

  // The parent page opens and closes the iframe.
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || !event.data) return;
    if (event.data.helpdeskChat === "open") {
      isOpen = true;
      markRead();
      if (!panes.conversation.hidden) input.focus();
    } else if (event.data.helpdeskChat === "closed") {
      isOpen = false;
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && isOpen) markRead();
  });
  window.addEventListener("online", function () { if (!ws) { attempts = 0; connect(); } });

  tell({ helpdeskChat: "label", text: S.title });
  if (token) {
    $("chat-verify").hidden = store("get", KEY_VERIFY) !== "1";
    show("conversation");
    connect();
  } else {
    show(body.dataset.online === "1" ? "prechat" : "offline");
    setStatus(body.dataset.online === "1" ? S.online : S.offline_title);
  }
})();
