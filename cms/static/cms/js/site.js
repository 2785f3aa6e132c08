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

    // Close the header menus on Escape or a click elsewhere.
    document.querySelectorAll("[data-user-menu], [data-menu]").forEach(function (userMenu) {
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
    });

    // Unread notifications on the bell: fetched after the page, so no page pays
    // a query for it and a slow answer never delays the page itself.
    var bell = document.querySelector("[data-unread-count]");
    if (bell && window.fetch) {
      fetch(bell.getAttribute("data-unread-count"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          var badge = bell.querySelector(".badge-count");
          var count = data && (data.unread || data.count || 0);
          if (badge && count > 0) {
            badge.textContent = count > 99 ? "99+" : String(count);
            badge.hidden = false;
          }
        })
        .catch(function () {});
    }
  });
})();
