/*
 * The exam page: autosave, countdown, question navigator, submit confirmation.
 *
 * Plain ES5 for slow office PCs and old Chromium-based browsers. Without this file
 * the page is still a form that saves and submits.
 *
 * Autosave: a change waits 600 ms, then the answer gets the item's next sequence
 * number (the server keeps the highest one, so an old tab or a retried request
 * never overwrites a newer answer) and joins a queue sent one request at a time.
 * Until the server confirms it, the answer also sits in localStorage under
 * attempt + position + seq, so a crash or a reload restores and re-sends it.
 * The clock is the server's: the page gets the seconds left, never a client time.
 * A 5xx or a network error (the database restarting answers 503) is retried with
 * backoff, for saves and for the submit alike; the answers stay on the page.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 600;
  var MAX_BACKOFF_MS = 30000;
  var FLUSH_TIMEOUT_MS = 10000;
  var MAX_SEQ = 2147483647;
  var STORE_PREFIX = "exam-answer:";

  function ready(fn) {
    if (document.readyState !== "loading") {
      fn();
    } else {
      document.addEventListener("DOMContentLoaded", fn);
    }
  }

  function now() {
    return window.performance && performance.now ? performance.now() : Date.now();
  }

  // localStorage may be missing or full (private windows, quotas): never fatal.
  var store = {
    get: function (key) {
      try {
        return window.localStorage.getItem(key);
      } catch (e) {
        return null;
      }
    },
    set: function (key, value) {
      try {
        window.localStorage.setItem(key, value);
      } catch (e) {
        /* saving still works, only crash recovery is lost */
      }
    },
    remove: function (key) {
      try {
        window.localStorage.removeItem(key);
      } catch (e) {
        /* ignore */
      }
    },
    keys: function (prefix) {
      var found = [];
      try {
        for (var i = 0; i < window.localStorage.length; i++) {
          var key = window.localStorage.key(i);
          if (key && key.indexOf(prefix) === 0) {
            found.push(key);
          }
        }
      } catch (e) {
        /* ignore */
      }
      return found;
    },
  };

  ready(function () {
    var form = document.getElementById("attempt-form");
    if (!form || !window.fetch || !window.JSON) {
      return;
    }
    var attemptId = form.getAttribute("data-attempt");
    var answerUrl = form.getAttribute("data-answer-url");
    var reviewUrl = form.getAttribute("data-review-url");
    var draftPrefix = STORE_PREFIX + attemptId + ":";
    var summary = document.getElementById("save-summary");
    var submitButton = document.getElementById("submit-attempt");
    var answeredCount = document.getElementById("answered-count");

    var items = {};
    var order = [];
    var queue = [];
    var pending = {};
    var inflight = null;
    var retryTimer = null;
    var backoff = 0;
    var submitting = false;

    function msg(name, values) {
      var text = form.getAttribute("data-msg-" + name) || "";
      for (var key in values || {}) {
        text = text.replace("{" + key + "}", values[key]);
      }
      return text;
    }

    // --- reading and writing the inputs ------------------------------------------

    function inputs(item, selector) {
      return item.el.querySelectorAll(selector);
    }

    function readResponse(item) {
      var i, list;
      if (item.qtype === "single" || item.qtype === "true_false") {
        list = inputs(item, "input[type=radio]");
        for (i = 0; i < list.length; i++) {
          if (list[i].checked) {
            return list[i].value;
          }
        }
        return null;
      }
      if (item.qtype === "multiple") {
        var chosen = [];
        list = inputs(item, "input[type=checkbox]");
        for (i = 0; i < list.length; i++) {
          if (list[i].checked) {
            chosen.push(list[i].value);
          }
        }
        return chosen.sort();
      }
      if (item.qtype === "fill") {
        var blanks = [];
        list = inputs(item, "input[type=text]");
        for (i = 0; i < list.length; i++) {
          blanks.push(list[i].value);
        }
        return blanks;
      }
      var area = item.el.querySelector("textarea");
      return area ? area.value : null;
    }

    function writeResponse(item, response) {
      var i, list;
      if (item.qtype === "single" || item.qtype === "true_false") {
        list = inputs(item, "input[type=radio]");
        for (i = 0; i < list.length; i++) {
          list[i].checked = list[i].value === response;
        }
      } else if (item.qtype === "multiple") {
        list = inputs(item, "input[type=checkbox]");
        for (i = 0; i < list.length; i++) {
          list[i].checked = !!response && response.indexOf(list[i].value) >= 0;
        }
      } else if (item.qtype === "fill") {
        list = inputs(item, "input[type=text]");
        for (i = 0; i < list.length; i++) {
          list[i].value = (response && response[i]) || "";
        }
      } else {
        var area = item.el.querySelector("textarea");
        if (area) {
          area.value = response || "";
        }
      }
    }

    function isAnswered(response) {
      if (response === null || response === undefined) {
        return false;
      }
      if (typeof response === "string") {
        return response.replace(/\s+/g, "") !== "";
      }
      for (var i = 0; i < response.length; i++) {
        if (String(response[i]).replace(/\s+/g, "") !== "") {
          return true;
        }
      }
      return false;
    }

    // --- status, navigator -------------------------------------------------------

    function setStatus(item, kind, text) {
      if (!item.status) {
        return;
      }
      var span = document.createElement("span");
      span.className = kind;
      span.textContent = text;
      item.status.innerHTML = "";
      item.status.appendChild(span);
      item.el.setAttribute("data-save-state", kind);
    }

    function refreshAnswered(item) {
      var answered = isAnswered(readResponse(item));
      if (item.nav) {
        item.nav.className = answered ? "is-answered" : "";
      }
      var count = 0;
      for (var i = 0; i < order.length; i++) {
        var nav = items[order[i]].nav;
        if (nav && nav.className === "is-answered") {
          count += 1;
        }
      }
      if (answeredCount) {
        answeredCount.textContent = count;
      }
    }

    function hasUnsaved() {
      if (inflight || queue.length) {
        return true;
      }
      for (var i = 0; i < order.length; i++) {
        if (items[order[i]].timer) {
          return true;
        }
      }
      return false;
    }

    function refreshSummary() {
      if (summary && !submitting) {
        summary.textContent = hasUnsaved() && retryTimer ? msg("unsaved") : "";
      }
    }

    // --- drafts in localStorage ----------------------------------------------------

    function draftKey(position, seq) {
      return draftPrefix + position + ":" + seq;
    }

    function draftsOf(position) {
      var prefix = draftPrefix + position + ":";
      var keys = store.keys(prefix);
      var found = [];
      for (var i = 0; i < keys.length; i++) {
        var seq = parseInt(keys[i].slice(prefix.length), 10);
        if (seq > 0) {
          found.push({ key: keys[i], seq: seq });
        }
      }
      return found;
    }

    function dropDrafts(position, upToSeq) {
      var drafts = draftsOf(position);
      for (var i = 0; i < drafts.length; i++) {
        if (drafts[i].seq <= upToSeq) {
          store.remove(drafts[i].key);
        }
      }
    }

    function keepDraft(position, seq, response) {
      dropDrafts(position, seq - 1);
      store.set(draftKey(position, seq), JSON.stringify(response));
    }

    function dropAllDrafts() {
      var keys = store.keys(draftPrefix);
      for (var i = 0; i < keys.length; i++) {
        store.remove(keys[i]);
      }
    }

    // --- the save queue ------------------------------------------------------------

    function csrfToken() {
      var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
      if (match) {
        return decodeURIComponent(match[1]);
      }
      var input = form.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }

    function schedule(item) {
      if (item.timer) {
        window.clearTimeout(item.timer);
        item.timer = null;
      }
      var response = readResponse(item);
      item.seq = Math.min(item.seq + 1, MAX_SEQ);
      var entry = { seq: item.seq, response: response, tries: 0 };
      keepDraft(item.position, entry.seq, response);
      pending[item.position] = entry;
      if (queue.indexOf(item.position) < 0) {
        queue.push(item.position);
      }
      pump();
    }

    function pump() {
      if (inflight || retryTimer || !queue.length) {
        refreshSummary();
        return;
      }
      var position = queue.shift();
      var entry = pending[position];
      if (!entry) {
        pump();
        return;
      }
      var item = items[position];
      inflight = { position: position, entry: entry };
      entry.tries += 1;
      if (entry.tries === 1) {
        setStatus(item, "pending", msg("saving"));
      }
      fetch(answerUrl, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
        },
        body: JSON.stringify({
          position: position,
          response: entry.response,
          seq: entry.seq,
        }),
      })
        .then(function (response) {
          return response.json().then(
            function (data) {
              return { status: response.status, data: data || {} };
            },
            function () {
              return { status: response.status, data: {} };
            }
          );
        })
        .then(
          function (result) {
            answered(item, entry, result.status, result.data);
          },
          function () {
            retry(item, entry, msg("retrying"));
          }
        );
    }

    function settle(item, entry) {
      inflight = null;
      if (pending[item.position] === entry) {
        delete pending[item.position];
      }
      dropDrafts(item.position, entry.seq);
    }

    function markSaved(item, seq, savedAt) {
      if (seq > item.acked) {
        item.acked = seq;
        if (item.seqInput) {
          item.seqInput.value = seq;
        }
      }
      var time = String(savedAt || "").match(/T(\d\d:\d\d:\d\d)/);
      if (pending[item.position] === undefined && !item.timer) {
        setStatus(item, "saved", msg("saved", { time: time ? time[1] : "" }));
      }
    }

    function answered(item, entry, status, data) {
      if (status === 200 && data.ok) {
        backoff = 0;
        settle(item, entry);
        markSaved(item, data.seq, data.saved_at);
        pump();
        return;
      }
      if (status === 409 && data.error === "closed") {
        submitting = true;
        dropAllDrafts();
        window.location.href = data.review_url || reviewUrl;
        return;
      }
      if (status === 409 && data.error === "stale") {
        settle(item, entry);
        if (entry.tries > 1 && data.saved_seq === entry.seq) {
          // An earlier try of this very save landed; only its reply was lost.
          markSaved(item, entry.seq, "");
        } else {
          setStatus(item, "error", msg("stale"));
        }
        pump();
        return;
      }
      if (status === 400 || status === 404) {
        settle(item, entry);
        setStatus(item, "error", data.message || "");
        pump();
        return;
      }
      if (status === 401 || status === 403) {
        retry(item, entry, msg("signed-out"));
        return;
      }
      retry(item, entry, msg("retrying"));
    }

    function retry(item, entry, text) {
      inflight = null;
      if (pending[item.position] === entry && queue.indexOf(item.position) < 0) {
        queue.unshift(item.position);
      }
      setStatus(item, "failed", text);
      backoff = Math.min(Math.max(1000, backoff * 2), MAX_BACKOFF_MS);
      retryTimer = window.setTimeout(function () {
        retryTimer = null;
        pump();
      }, backoff);
      refreshSummary();
    }

    function retryNow() {
      if (retryTimer) {
        window.clearTimeout(retryTimer);
        retryTimer = null;
      }
      pump();
    }

    function flush(done) {
      for (var i = 0; i < order.length; i++) {
        if (items[order[i]].timer) {
          schedule(items[order[i]]);
        }
      }
      retryNow();
      var started = now();
      (function wait() {
        if (!hasUnsaved() || now() - started > FLUSH_TIMEOUT_MS) {
          done();
        } else {
          window.setTimeout(wait, 100);
        }
      })();
    }

    // --- wiring the questions ------------------------------------------------------

    var fieldsets = form.querySelectorAll("fieldset.question[data-position]");
    for (var f = 0; f < fieldsets.length; f++) {
      var el = fieldsets[f];
      var position = parseInt(el.getAttribute("data-position"), 10);
      var seq = parseInt(el.getAttribute("data-seq"), 10) || 0;
      items[position] = {
        el: el,
        position: position,
        qtype: el.getAttribute("data-qtype"),
        seq: seq,
        acked: seq,
        timer: null,
        status: document.getElementById("save-" + position),
        seqInput: el.querySelector("input[data-seq-input]"),
        nav: document.querySelector("[data-nav-position='" + position + "']"),
      };
      order.push(position);
    }

    function onEdit(event) {
      var el = event.target;
      while (el && el !== form && !(el.tagName === "FIELDSET" && el.hasAttribute("data-position"))) {
        el = el.parentNode;
      }
      if (!el || el === form || submitting) {
        return;
      }
      var item = items[parseInt(el.getAttribute("data-position"), 10)];
      if (!item) {
        return;
      }
      refreshAnswered(item);
      // The draft is written at once (under the seq it will be sent with), so even
      // a crash inside the debounce window loses nothing.
      keepDraft(item.position, Math.min(item.seq + 1, MAX_SEQ), readResponse(item));
      if (item.timer) {
        window.clearTimeout(item.timer);
      }
      item.timer = window.setTimeout(function () {
        item.timer = null;
        schedule(item);
      }, DEBOUNCE_MS);
    }

    form.addEventListener("input", onEdit);
    form.addEventListener("change", onEdit);
    window.addEventListener("online", retryNow);

    // Answers typed before a crash or reload and never confirmed: put them back
    // and send them again (only if newer than what the server holds).
    for (var r = 0; r < order.length; r++) {
      var item = items[order[r]];
      var drafts = draftsOf(item.position);
      var best = null;
      for (var d = 0; d < drafts.length; d++) {
        if (drafts[d].seq <= item.acked) {
          store.remove(drafts[d].key);
        } else if (!best || drafts[d].seq > best.seq) {
          best = drafts[d];
        }
      }
      if (best) {
        var value;
        try {
          value = JSON.parse(store.get(best.key));
        } catch (e) {
          store.remove(best.key);
          continue;
        }
        writeResponse(item, value);
        item.seq = best.seq;
        pending[item.position] = { seq: best.seq, response: value, tries: 0 };
        queue.push(item.position);
      }
      refreshAnswered(item);
    }
    pump();

    window.addEventListener("beforeunload", function (event) {
      if (!submitting && hasUnsaved()) {
        event.preventDefault();
        event.returnValue = msg("unsaved");
        return event.returnValue;
      }
    });

    // --- submitting ----------------------------------------------------------------

    var dialog = document.getElementById("submit-dialog");
    var confirmButton = document.getElementById("submit-confirm");
    var cancelButton = document.getElementById("submit-cancel");

    function unanswered() {
      var missing = [];
      for (var i = 0; i < order.length; i++) {
        if (!isAnswered(readResponse(items[order[i]]))) {
          missing.push(order[i]);
        }
      }
      return missing;
    }

    function submitNow(reason) {
      if (submitting) {
        return;
      }
      submitting = true;
      if (submitButton) {
        submitButton.disabled = true;
      }
      if (summary) {
        summary.textContent = reason;
      }
      // Typing is over (onEdit ignores input now); what is pending goes first.
      flush(function () {
        sendSubmit(0);
      });
    }

    // A submit that meets a server or network outage (a 5xx: the database is
    // restarting, a proxy has no upstream) keeps the page and its answers and
    // tries again with backoff, saving what is still pending first; the server
    // closes an overdue attempt with what it saved, and a late submit of a closed
    // attempt still lands on its review. Other refusals fall back to the plain
    // form post, which carries every answer.
    function sendSubmit(delay) {
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      })
        .then(
          function (response) {
            if (response.ok) {
              return response.json().then(function (data) {
                dropAllDrafts();
                window.location.href = data.review_url || reviewUrl;
              });
            }
            if (response.status >= 500 || response.status === 429) {
              return retrySubmit(delay);
            }
            HTMLFormElement.prototype.submit.call(form);
          },
          function () {
            retrySubmit(delay);
          }
        )
        .catch(function () {
          retrySubmit(delay);
        });
    }

    function retrySubmit(delay) {
      var next = Math.min(Math.max(1000, delay * 2), MAX_BACKOFF_MS);
      if (summary) {
        summary.textContent = msg("submit-retrying");
      }
      window.setTimeout(function () {
        flush(function () {
          sendSubmit(next);
        });
      }, next);
    }

    function openConfirm() {
      var missing = unanswered();
      if (!dialog || typeof dialog.showModal !== "function") {
        var text = missing.length
          ? msg("confirm-missing", { list: missing.join(", ") })
          : msg("confirm");
        if (window.confirm(text)) {
          submitNow(msg("submitting"));
        }
        return;
      }
      var list = document.getElementById("submit-dialog-list");
      list.innerHTML = "";
      for (var i = 0; i < missing.length; i++) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = "#q-" + missing[i];
        a.textContent = msg("question", { n: missing[i] });
        a.addEventListener("click", function () {
          dialog.close();
        });
        li.appendChild(a);
        list.appendChild(li);
      }
      document.getElementById("submit-dialog-missing").hidden = !missing.length;
      document.getElementById("submit-dialog-all").hidden = !!missing.length;
      dialog.showModal();
      confirmButton.focus();
    }

    if (confirmButton) {
      confirmButton.addEventListener("click", function () {
        dialog.close();
        submitNow(msg("submitting"));
      });
    }
    if (cancelButton) {
      cancelButton.addEventListener("click", function () {
        dialog.close();
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!submitting) {
        openConfirm();
      }
    });

    // --- the countdown -------------------------------------------------------------

    var remainingAttr = form.getAttribute("data-remaining");
    var clock = document.getElementById("countdown");
    var clockValue = document.getElementById("countdown-value");
    if (remainingAttr !== null && clockValue) {
      var endsAt = now() + parseInt(remainingAttr, 10) * 1000;
      var pad = function (n) {
        return (n < 10 ? "0" : "") + n;
      };
      var tick = function () {
        var left = Math.max(0, Math.round((endsAt - now()) / 1000));
        clockValue.textContent =
          pad(Math.floor(left / 3600)) + ":" + pad(Math.floor((left % 3600) / 60)) + ":" + pad(left % 60);
        if (clock) {
          clock.className = "countdown" + (left <= 60 ? " is-critical" : left <= 300 ? " is-warning" : "");
        }
        if (left <= 0) {
          window.clearInterval(timer);
          if (dialog && dialog.open) {
            dialog.close();
          }
          submitNow(msg("time-up"));
        }
      };
      var timer = window.setInterval(tick, 1000);
      tick();
    }
  });
})();
