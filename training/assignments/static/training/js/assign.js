/*
 * Assign a course: show only the fields of the chosen target (people, unit,
 * audience). Without the script every panel stays visible and the server
 * ignores the ones that do not apply.
 */
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("assign-form");
    if (!form) {
      return;
    }
    var radios = form.querySelectorAll('input[name="target"]');
    var panels = form.querySelectorAll("[data-target-panel]");

    function update() {
      var chosen = "";
      Array.prototype.forEach.call(radios, function (radio) {
        if (radio.checked) {
          chosen = radio.value;
        }
        radio.closest(".target-option").classList.toggle("is-checked", radio.checked);
      });
      Array.prototype.forEach.call(panels, function (panel) {
        var kinds = panel.getAttribute("data-target-panel").split(" ");
        panel.hidden = kinds.indexOf(chosen) === -1;
      });
    }

    Array.prototype.forEach.call(radios, function (radio) {
      radio.addEventListener("change", update);
    });
    update();

    // On narrow screens the preview sits below the form: bring it into view.
    var preview = document.querySelector("#assign-preview.is-ready");
    if (preview && window.matchMedia && window.matchMedia("(max-width: 960px)").matches) {
      preview.scrollIntoView();
    }

    // Enter in the person search box finds people instead of previewing.
    var search = form.querySelector('input[name="people_query"]');
    var find = form.querySelector('button[value="find"]');
    if (search && find) {
      search.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          find.click();
        }
      });
    }
  }

  if (document.readyState !== "loading") {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
