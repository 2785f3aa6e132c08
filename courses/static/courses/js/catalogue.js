/*
 * Catalogue filters: apply a filter as soon as it changes (the form is a plain GET
 * form, so the URL always holds the filter state and can be shared). Without the
 * script the "Apply filters" button does the same.
 */
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("catalogue-filters");
    if (!form) {
      return;
    }
    // Phones: the filters fold away unless one is in use.
    var disclosure = form.querySelector(".filters-disclosure");
    if (
      disclosure &&
      !disclosure.hasAttribute("data-active") &&
      window.matchMedia &&
      window.matchMedia("(max-width: 960px)").matches
    ) {
      disclosure.open = false;
    }

    // Keep shared URLs short: leave empty fields and the default sort out.
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!field.name) {
          return;
        }
        var empty = field.value === "" || (field.name === "sort" && field.value === "newest");
        if (empty && (field.type !== "radio" || field.checked)) {
          field.disabled = true;
        }
      });
    });
    // Coming back through the history cache: the fields must work again.
    window.addEventListener("pageshow", function () {
      Array.prototype.forEach.call(form.elements, function (field) {
        field.disabled = false;
      });
    });
    var controls = document.querySelectorAll("[data-autosubmit]");
    Array.prototype.forEach.call(controls, function (control) {
      control.addEventListener("change", function () {
        if (form.requestSubmit) {
          form.requestSubmit();
        } else {
          form.submit();
        }
      });
    });
  }

  if (document.readyState !== "loading") {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
