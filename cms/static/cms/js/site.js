/*
 * Small enhancements for the site shell. Everything works without this file:
 * the menu is simply always open and the user menu is a native <details>.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  root.className = root.className.replace(/\bno-js\b/, "") + " js";

  function ready(fn) {
    if (document.readyState !== "loading") {
      fn();
    } else {
      document.addEventListener("DOMContentLoaded", fn);
    }
  }

  ready(function () {
    // Collapsible main menu on narrow screens.
    var toggle = document.querySelector("[data-nav-toggle]");
    var menu = document.getElementById("site-menu");
    if (toggle && menu) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", open ? "false" : "true");
        menu.classList.toggle("is-open", !open);
      });
    }

    // Close the user menu on Escape or a click elsewhere.
    var userMenu = document.querySelector("[data-user-menu]");
    if (userMenu) {
      document.addEventListener("click", function (event) {
        if (userMenu.open && !userMenu.contains(event.target)) {
          userMenu.open = false;
        }
      });
      userMenu.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && userMenu.open) {
          userMenu.open = false;
          userMenu.querySelector("summary").focus();
        }
      });
    }
  });
})();
