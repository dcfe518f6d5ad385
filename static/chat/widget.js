/* The live chat's embed loader: one script tag on any site,
 *   <script src="https://HOST/chat/embed.js" async></script>
 * adds a launcher button and an iframe that holds the chat. The chat runs in our
 * own origin inside the iframe, so its websocket and uploads never cross origins. */
(function () {
  "use strict";
  if (window.helpdeskChatLoaded) return;
  window.helpdeskChatLoaded = true;

  var script = document.currentScript || document.querySelector('script[src*="/chat/embed.js"]');
  if (!script) return;
  var origin = new URL(script.src, window.location.href).origin;
  var lang = script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "en";

  var css =
    ".hd-chat-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;" +
    "border:0;border-radius:50%;background:#2563eb;color:#fff;font-size:26px;line-height:56px;cursor:pointer;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".hd-chat-launcher:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}" +
    ".hd-chat-badge{position:absolute;top:-2px;right:-2px;min-width:18px;height:18px;border-radius:9px;" +
    "background:#dc2626;color:#fff;font:600 11px/18px sans-serif;text-align:center}" +
    ".hd-chat-frame{position:fixed;right:20px;bottom:88px;z-index:2147483001;width:370px;height:560px;" +
    "max-height:calc(100vh - 108px);border:0;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);" +
    "background:#fff;display:none}" +
    ".hd-chat-open .hd-chat-frame{display:block}" +
    "@media (max-width:480px){.hd-chat-frame{right:0;bottom:0;width:100%;height:100%;max-height:none;" +
    "border-radius:0}.hd-chat-open .hd-chat-launcher{display:none}}";
  var style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);

  var root = document.createElement("div");
  root.className = "hd-chat";
  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "hd-chat-launcher";
  launcher.setAttribute("aria-label", "Chat");
  launcher.setAttribute("aria-expanded", "false");
  // An SVG, not an emoji: a page without an emoji font would show an empty box.
  var svgNs = "http://www.w3.org/2000/svg";
  var icon = document.createElementNS(svgNs, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("width", "28");
  icon.setAttribute("height", "28");
  icon.setAttribute("aria-hidden", "true");
  icon.style.verticalAlign = "middle";
  var bubblePath = document.createElementNS(svgNs, "path");
  bubblePath.setAttribute("fill", "currentColor");
  bubblePath.setAttribute("d", "M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v9a2.5 2.5 0 0 1-2.5 2.5H11l-4.4 3.6c-.6.5-1.6.1-1.6-.7V17h-.5A.5.5 0 0 1 4 16.5Z");
  icon.appendChild(bubblePath);
  launcher.appendChild(icon);
  var badge = document.createElement("span");
  badge.className = "hd-chat-badge";
  badge.hidden = true;
  launcher.appendChild(badge);
  var frame = document.createElement("iframe");
  frame.className = "hd-chat-frame";
  frame.title = "Chat";
  frame.setAttribute("allow", "clipboard-write");
  frame.src = origin + "/chat/widget/?lang=" + encodeURIComponent(lang.slice(0, 5));
  root.appendChild(frame);
  root.appendChild(launcher);

  function setOpen(open) {
    root.classList.toggle("hd-chat-open", open);
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) badge.hidden = true;
    frame.contentWindow && frame.contentWindow.postMessage({ helpdeskChat: open ? "open" : "closed" }, origin);
  }
  launcher.addEventListener("click", function () {
    setOpen(!root.classList.contains("hd-chat-open"));
  });
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || typeof event.data !== "object") return;
    var data = event.data;
    if (data.helpdeskChat === "close") setOpen(false);
    if (data.helpdeskChat === "unread" && !root.classList.contains("hd-chat-open")) {
      badge.textContent = String(data.count);
      badge.hidden = !data.count;
    }
    if (data.helpdeskChat === "label" && typeof data.text === "string") {
      launcher.setAttribute("aria-label", data.text);
      frame.title = data.text;
    }
  });

  function mount() {
    document.body.appendChild(root);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
