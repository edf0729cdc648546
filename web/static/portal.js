/* Hoclieu portal enhancements. Every page works without this file; it adds:
   search suggestions, video quality switch + HLS where native, upload progress, live status. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var fmt = function (tpl, key, value) { return tpl.split("{" + key + "}").join(value); };

  /* Search box: an ARIA combobox fed by /api/v1/suggest (accents optional). */
  function suggest() {
    var input = $("#q"), list = $("#q-suggest");
    if (!input || !list) return;
    var timer = 0, items = [], active = -1, seq = 0;
    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; }
    function go(item) {
      if (item.kind !== "subject" && item.id) { location.href = "/m/" + encodeURIComponent(item.id); return; }
      input.value = item.text; close(); input.form.submit();
    }
    function mark(i) {
      var nodes = list.children;
      for (var k = 0; k < nodes.length; k++) nodes[k].setAttribute("aria-selected", k === i ? "true" : "false");
      active = i;
      if (i >= 0) input.setAttribute("aria-activedescendant", nodes[i].id); else input.removeAttribute("aria-activedescendant");
    }
    function show(data) {
      items = data.suggestions || [];
      list.textContent = "";
      items.forEach(function (it, i) {
        var li = document.createElement("li");
        li.id = "q-opt-" + i; li.setAttribute("role", "option"); li.setAttribute("aria-selected", "false");
        li.textContent = it.text;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); go(it); });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      active = -1;
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch("/api/v1/suggest?size=6&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (d) { if (mine === seq) show(d); })
          .catch(close);
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); mark((active + 1) % items.length); }
      else if (e.key === "ArrowUp") { e.preventDefault(); mark((active - 1 + items.length) % items.length); }
      else if (e.key === "Escape") { e.preventDefault(); close(); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); go(items[active]); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  /* Video: quality switch keeps the position; native HLS (Safari, Android) adapts by itself. */
  function players() {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-player]"), function (sel) {
      sel.addEventListener("change", function () {
        var video = document.getElementById(sel.getAttribute("data-player"));
        var opt = sel.options[sel.selectedIndex];
        var at = video.currentTime, playing = !video.paused;
        video.src = opt.getAttribute("data-src");
        if (at) video.addEventListener("loadedmetadata", function once() { video.removeEventListener("loadedmetadata", once); video.currentTime = at; });
        if (playing) video.play();
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("video[data-hls]"), function (video) {
      var conn = navigator.connection || {};
      var slow = conn.saveData || /(^|-)2g|3g/.test(conn.effectiveType || "");
      // Only where the browser plays HLS itself, and not on slow/save-data connections (360p MP4 is smaller).
      if (!slow && video.canPlayType("application/vnd.apple.mpegurl")) {
        // Swapped before any play: with preload="none" nothing is fetched until the user plays.
        video.src = video.getAttribute("data-hls");
        var q = video.id && document.querySelector("select[data-player='" + video.id + "']");
        if (q) q.closest("form").hidden = true;  // HLS picks the quality itself
      }
    });
  }

  /* Live ingest status on a teacher's material page. */
  function poll(ul) {
    var url = ul.getAttribute("data-poll");
    function text(f) {
      if (f.status === "processing") return fmt(ul.getAttribute("data-msg-processing"), "pct", Math.round((f.progress || 0) * 100) + "%");
      if (f.status === "failed") return fmt(ul.getAttribute("data-msg-failed"), "error", f.error || "");
      return ul.getAttribute("data-msg-" + f.status) || f.status;
    }
    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          var busy = false;
          d.files.forEach(function (f) {
            var s = ul.querySelector(".status[data-file='" + f.id + "']"), p = ul.querySelector("progress[data-file='" + f.id + "']");
            if (s) { s.textContent = text(f); s.className = "status st-" + f.status; }
            if (p) p.value = f.status === "ready" ? 100 : Math.round((f.progress || 0) * 100);
            if (f.status === "queued" || f.status === "processing") busy = true;
          });
          if (busy) setTimeout(tick, 1500);
        })
        .catch(function () { setTimeout(tick, 5000); });
    }
    tick();
  }

  /* Upload: one request per file, each with its own progress bar, then its live status. */
  function uploads() {
    var form = $("#upload"), out = $("#uploads");
    if (!form || !out || !window.FormData) return;
    form.addEventListener("submit", function (e) {
      var files = $("#files", form).files;
      if (!files.length) return;
      e.preventDefault();
      Array.prototype.forEach.call(files, function (file) {
        var li = document.createElement("li"), label = document.createElement("span"), bar = document.createElement("progress");
        label.textContent = file.name + " ";
        bar.max = 100; bar.value = 0; bar.setAttribute("aria-label", fmt(form.getAttribute("data-msg-progress"), "name", file.name));
        li.appendChild(label); li.appendChild(bar); out.appendChild(li);
        var body = new FormData(); body.append("file", file, file.name);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", "/teach/upload");
        xhr.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.addEventListener("progress", function (ev) { if (ev.lengthComputable) bar.value = Math.round(ev.loaded / ev.total * 100); });
        xhr.addEventListener("load", function () {
          var ok = xhr.status === 201, data = null;
          try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
          if (ok && data && data[0]) {
            bar.value = 100;
            var a = document.createElement("a");
            a.href = "/teach/m/" + data[0].id; a.textContent = form.getAttribute("data-msg-open");
            a.className = "uploaded"; a.setAttribute("data-material", data[0].id);
            label.textContent = file.name + " — " + form.getAttribute("data-msg-done") + " ";
            li.appendChild(document.createTextNode(" ")); li.appendChild(a);
          } else {
            var msg = data && data.error ? data.error.message : String(xhr.status);
            label.textContent = file.name + " — " + fmt(form.getAttribute("data-msg-failed"), "error", msg);
          }
        });
        xhr.addEventListener("error", function () { label.textContent = file.name + " — " + fmt(form.getAttribute("data-msg-failed"), "error", "network"); });
        xhr.send(body);
      });
      form.reset();
    });
  }

  function start() {
    suggest(); players(); uploads();
    Array.prototype.forEach.call(document.querySelectorAll("[data-poll]"), poll);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
