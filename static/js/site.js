// The header menu button under 640 px. Without JavaScript the menu links simply wrap below the
// brand; with it, they fold behind the button.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    // A table wider than the screen scrolls in its box: keyboard users can reach it too.
    function focusableScrollBoxes() {
      document.querySelectorAll(".overflow-auto").forEach(function (box) {
        if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) {
          var heading = document.querySelector("h1");
          box.setAttribute("tabindex", "0");
          box.setAttribute("role", "region");
          if (heading) box.setAttribute("aria-label", heading.textContent.trim());
        }
      });
    }
    focusableScrollBoxes();
    window.addEventListener("resize", focusableScrollBoxes);
    var button = document.querySelector(".menu-toggle");
    var menu = document.getElementById("site-menu");
    if (!button || !menu) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("is-open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        button.setAttribute("aria-expanded", "false");
        menu.classList.remove("is-open");
        button.focus();
      }
    });
  });
})();
