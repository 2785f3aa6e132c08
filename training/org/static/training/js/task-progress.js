/*
 * Progress of a background task (roster import, course assignment …): poll the
 * status URL of the box marked data-task-progress every 1.5 s, update its
 * <progress> bar, its status line and its label, and reload the page once the
 * task has finished so the server renders the result. The status JSON carries
 * percent, processed, total, status_display and finished.
 */
(function () {
  "use strict";

  var INTERVAL_MS = 1500;
  var MAX_FAILURES = 5;

  function start() {
    var box = document.querySelector("[data-task-progress]");
    if (!box || !window.fetch) {
      return;
    }
    var url = box.getAttribute("data-status-url");
    var bar = box.querySelector("progress");
    var text = box.querySelector("[role=status]");
    var label = box.querySelector("[data-status-label]");
    var template = box.getAttribute("data-progress-text") || "{percent}%";
    var failures = 0;
    var lastText = text ? text.textContent : "";

    function say(message) {
      // Only touch the live region when the words change, so screen readers are
      // not told the same thing every 1.5 seconds.
      if (text && message !== lastText) {
        text.textContent = message;
        lastText = message;
      }
    }

    function render(data) {
      var percent = Math.max(0, Math.min(100, Number(data.percent) || 0));
      if (bar) {
        bar.value = percent;
        bar.textContent = percent + "%";
      }
      if (label && data.status_display) {
        label.textContent = data.status_display;
      }
      say(
        template
          .replace("{processed}", data.processed)
          .replace("{total}", data.total)
          .replace("{percent}", percent)
      );
    }

    function poll() {
      fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          render(data);
          if (data.finished) {
            say(box.getAttribute("data-finished-text") || "");
            window.location.reload();
          } else {
            window.setTimeout(poll, INTERVAL_MS);
          }
        })
        .catch(function () {
          failures += 1;
          if (failures >= MAX_FAILURES) {
            say(box.getAttribute("data-error-text") || "");
          } else {
            window.setTimeout(poll, INTERVAL_MS * failures);
          }
        });
    }

    window.setTimeout(poll, INTERVAL_MS);
  }

  if (document.readyState !== "loading") {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
