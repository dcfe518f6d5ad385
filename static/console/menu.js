/* The console's menu on narrow screens: one button opens the links under the header;
 * Escape, a second press or a click elsewhere closes them. Wide screens show the links. */
(function () {
  "use strict";
  var button = document.getElementById("cn-menu-toggle");
  var header = button && button.closest(".cn-top");
  if (!header) return;

  function setOpen(open) {
    header.classList.toggle("cn-nav-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && header.classList.contains("cn-nav-open")) {
      setOpen(false);
      button.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (header.classList.contains("cn-nav-open") && !event.target.closest("#cn-nav, #cn-menu-toggle")) setOpen(false);
  });
})();
