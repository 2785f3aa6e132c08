/* Lesson progress: video heartbeats and the reading timer.
 *
 * The server is the judge: it credits at most the wall time between beats and
 * ignores seeks. This script only reports honestly, resumes at the saved position,
 * keeps playback at normal speed and stops seeking past the watched part.
 */
(function () {
  "use strict";

  var lesson = document.getElementById("lesson");
  if (!lesson || !lesson.dataset.tracking) return;

  var BEAT_MS = 20000;
  var csrf = (document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] || "";
  var statusEl = lesson.querySelector("[data-status]");
  var courseBar = document.querySelector("[data-course-progress]");
  var seq = parseInt(lesson.dataset.seq || "0", 10);
  var furthest = parseFloat(lesson.dataset.furthest || "0");
  var completed = lesson.dataset.completed === "1";

  function say(text) {
    if (statusEl) statusEl.textContent = text;
  }

  // fetch with keepalive rather than sendBeacon: it survives the page closing
  // and, unlike sendBeacon, can send the CSRF header.
  function post(url, body, leaving) {
    var payload = body ? JSON.stringify(body) : "";
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!leaving,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: payload
    }).then(function (response) {
      return response.json().then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function courseDone(data) {
    if (data.course_completed) {
      say(lesson.dataset.msgCourseDone || "✓");
      window.setTimeout(function () { window.location.reload(); }, 1500);
    }
  }

  // --- video -----------------------------------------------------------------
  var video = lesson.querySelector("video[data-lesson-video]");
  if (video && lesson.dataset.kind === "video") {
    var timer = null;
    var resumeAt = parseFloat(lesson.dataset.position || "0");

    video.addEventListener("loadedmetadata", function () {
      if (resumeAt > 1 && resumeAt < video.duration - 2) video.currentTime = resumeAt;
    });

    function beat(playing, leaving) {
      seq += 1;
      return post(lesson.dataset.beatUrl, {
        position: Math.round(video.currentTime * 100) / 100,
        seq: seq,
        playing: playing
      }, leaving).then(function (result) {
        if (!result.ok) {
          if (result.data && result.data.error === "stale_seq") seq += 10;
          return;
        }
        var data = result.data;
        furthest = Math.max(furthest, data.furthest);
        if (data.completed && !completed) {
          completed = true;
          say(lesson.dataset.msgDone || "✓");
          if (courseBar) courseBar.value = Math.max(courseBar.value, 1);
        }
        courseDone(data);
      }).catch(function () { /* offline: the next beat carries on */ });
    }

    video.addEventListener("play", function () {
      video.playbackRate = 1;
      beat(true);
      if (timer) window.clearInterval(timer);
      timer = window.setInterval(function () { beat(!video.paused); }, BEAT_MS);
    });
    video.addEventListener("pause", function () {
      if (timer) window.clearInterval(timer);
      timer = null;
      beat(false);
    });
    video.addEventListener("ended", function () {
      if (timer) window.clearInterval(timer);
      timer = null;
      beat(false);
    });
    video.addEventListener("ratechange", function () {
      if (video.playbackRate !== 1) video.playbackRate = 1;
    });
    video.addEventListener("seeking", function () {
      // Only the watched part (and a little slack) may be skipped to.
      if (!completed && video.currentTime > furthest + 5) {
        video.currentTime = furthest;
      }
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && !video.paused) beat(true, true);
    });
    window.addEventListener("pagehide", function () {
      if (!video.paused) beat(false, true);
    });
  }

  // --- reading -----------------------------------------------------------------
  var readButton = lesson.querySelector("[data-mark-read]");
  if (readButton) {
    var countdown = readButton.querySelector("[data-countdown]");
    var remaining = Math.max(
      0,
      parseInt(lesson.dataset.readingSeconds || "0", 10) -
        parseInt(lesson.dataset.readElapsed || "0", 10)
    );
    function tick() {
      if (remaining <= 0) {
        readButton.disabled = false;
        if (countdown) countdown.textContent = "";
        return;
      }
      var m = Math.floor(remaining / 60);
      var s = remaining % 60;
      if (countdown) countdown.textContent = "(" + m + ":" + (s < 10 ? "0" : "") + s + ")";
      remaining -= 1;
      window.setTimeout(tick, 1000);
    }
    tick();
    readButton.addEventListener("click", function () {
      readButton.disabled = true;
      post(lesson.dataset.readUrl, null).then(function (result) {
        if (result.ok) {
          readButton.hidden = true;
          say(lesson.dataset.msgDone || "✓");
          courseDone(result.data);
          if (!result.data.course_completed) window.setTimeout(function () { window.location.reload(); }, 800);
        } else {
          remaining = (result.data && result.data.remaining) || 5;
          say(result.data && result.data.message);
          tick();
        }
      }).catch(function () { readButton.disabled = false; });
    });
  }
})();
