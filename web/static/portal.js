/* Hoclieu portal enhancements. Every page works without this file; it adds:
   search suggestions, video quality switch + HLS where native, upload progress (resumable for
   large files), live status, and the service worker that keeps opened lessons for offline reading. */
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

  /* Video quality is the student's choice, remembered on this device: the lowest rendition (360p)
     unless they pick another; "auto" (the adaptive HLS ladder, which may climb to 720p) only when
     they pick it. Nothing is swapped behind the label, also where the browser plays HLS itself. */
  var QUALITY_KEY = "hoclieu.quality";
  function players() {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-player]"), function (sel) {
      var video = document.getElementById(sel.getAttribute("data-player"));
      function apply(opt, keepPosition) {
        var at = video.currentTime, playing = !video.paused;
        if (opt.value === "auto" && !video.canPlayType(opt.getAttribute("data-type") || "")) return false;
        video.src = opt.getAttribute("data-src");
        if (keepPosition && at) video.addEventListener("loadedmetadata", function once() { video.removeEventListener("loadedmetadata", once); video.currentTime = at; });
        if (keepPosition && playing) video.play();
        return true;
      }
      var auto = sel.querySelector("option[value='auto']");
      if (auto && !video.canPlayType(auto.getAttribute("data-type") || "")) auto.disabled = true;
      // A choice made on another lesson applies here too, unless the link asks for one.
      var saved = store("get", QUALITY_KEY), asked = /[?&]quality=/.test(location.search);
      if (saved && !asked && sel.value !== saved) {
        var opt = sel.querySelector("option[value='" + saved + "']");
        if (opt && !opt.disabled) { sel.value = saved; apply(opt, false); }
      }
      sel.addEventListener("change", function () {
        var opt = sel.options[sel.selectedIndex];
        if (apply(opt, true)) store("set", QUALITY_KEY, opt.value);
      });
    });
  }

  /* "Học tiếp": this device remembers the lessons opened and where each video was left (in
     localStorage: nothing is sent, no account needed); the home page links the latest one, at its
     video position. A page reads fine without this: it only adds the link and the resume. */
  var PROGRESS_KEY = "hoclieu.progress", KEEP = 20;
  function readProgress() {
    try { var list = JSON.parse(store("get", PROGRESS_KEY) || "[]"); return Array.isArray(list) ? list : []; }
    catch (err) { return []; }
  }
  function clock(s) { s = Math.floor(s); return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2); }
  function progress() {
    var article = $("article[data-progress]");
    if (article) {
      var id = article.getAttribute("data-progress"), list = readProgress();
      var entry = list.filter(function (e) { return e.id === id; })[0] || { id: id, t: 0 };
      entry.title = article.getAttribute("data-title"); entry.at = Date.now();
      var save = function () {
        list = [entry].concat(readProgress().filter(function (e) { return e.id !== id; })).slice(0, KEEP);
        store("set", PROGRESS_KEY, JSON.stringify(list));
      };
      save();
      var video = article.querySelector("video");
      if (video) {
        var asked = /[?&]t=(\d+)/.exec(location.search), from = asked ? parseInt(asked[1], 10) : 0;
        if (from > 0) video.addEventListener("loadedmetadata", function once() {
          video.removeEventListener("loadedmetadata", once);
          if (from < video.duration) video.currentTime = from;
        });
        var last = 0;
        video.addEventListener("timeupdate", function () {
          if (Math.abs(video.currentTime - last) < 1) return;
          last = video.currentTime; entry.t = video.currentTime; save();
        });
        video.addEventListener("pause", function () { entry.t = video.currentTime; save(); });
        video.addEventListener("ended", function () { entry.t = 0; entry.done = true; save(); tell("watched"); });
      }
      // A signed-in student's progress is also kept on the server (watched, downloaded).
      var post = article.getAttribute("data-progress-post");
      function tell(event) {
        if (!post || !window.fetch) return;
        var body = new URLSearchParams({ event: event });
        fetch(post, { method: "POST", body: body, credentials: "same-origin", keepalive: true,
          headers: { "X-CSRF-Token": article.getAttribute("data-csrf") } }).catch(function () {});
      }
      Array.prototype.forEach.call(article.querySelectorAll("ul.downloads a"), function (a) {
        a.addEventListener("click", function () { tell("downloaded"); });
      });
    }
    var box = $("#continue"), latest = readProgress()[0];
    if (!box || !latest || !latest.id) return;
    var link = $("#continue-link", box), t = Math.floor(latest.t || 0);
    link.href = "/m/" + encodeURIComponent(latest.id) + (t > 0 ? "?t=" + t : "") + "#viewer";
    link.textContent = fmt(box.getAttribute("data-msg-at"), "title", latest.title || "");
    if (t > 0) $("#continue-time", box).textContent = fmt(box.getAttribute("data-msg-video"), "time", clock(t));
    box.hidden = false;
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

  /* Upload: each file with its own progress bar, then a link to its details. Small files go in one
     request (POST /teach/upload). Large ones (lecture videos over 3G) go through the resumable API,
     /api/v1/uploads (tus 1.0), in chunks: a dropped connection retries with backoff and resumes from
     the offset the server reports (HEAD), also after a reload, because the upload's URL is kept in
     localStorage under the file's name, size and date. */
  var RESUMABLE_ABOVE = 8 * 1024 * 1024, CHUNK = 2 * 1024 * 1024, MAX_TRIES = 40;
  var pct = function (done, total) { return Math.floor(done / total * 100) + "%"; };
  function b64(text) { return btoa(unescape(encodeURIComponent(text))); }
  function store(op, key, value) {
    try { return op === "get" ? localStorage.getItem(key) : op === "set" ? localStorage.setItem(key, value) : localStorage.removeItem(key); }
    catch (err) { return null; }  // private mode, quota: resuming within the page still works
  }

  /* One HTTP request; resolves with the XHR whatever its status, rejects on a network failure. */
  function request(method, url, csrf, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.timeout = 180000;  // 2 MB at 3G upload speeds takes well under a minute; a stalled one is dead
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Tus-Resumable", "1.0.0");
      Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      if (onProgress) xhr.upload.addEventListener("progress", function (ev) { onProgress(ev.loaded); });
      xhr.addEventListener("load", function () { resolve(xhr); });
      xhr.addEventListener("error", function () { reject(new Error("network")); });
      xhr.addEventListener("timeout", function () { reject(new Error("timeout")); });
      xhr.addEventListener("abort", function () { reject(new Error("abort")); });
      xhr.send(body === undefined ? null : body);
    });
  }
  function failure(xhr) {
    var data = null;
    try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
    var e = new Error(data && data.error ? data.error.message : String(xhr.status));
    e.status = xhr.status;
    return e;
  }

  function resumable(file, form, ui) {
    var csrf = form.getAttribute("data-csrf"), key = "hoclieu.upload:" + file.name + ":" + file.size + ":" + file.lastModified;
    var url = store("get", key), tries = 0;
    function create() {
      return request("POST", "/api/v1/uploads", csrf, {
        "Upload-Length": String(file.size),
        "Upload-Metadata": "filename " + b64(file.name) + ",filetype " + b64(file.type || "application/octet-stream"),
        Accept: "application/json"
      }).then(function (xhr) {
        if (xhr.status !== 201) throw failure(xhr);
        url = xhr.getResponseHeader("Location");
        store("set", key, url);
        return 0;
      });
    }
    function offset() {
      if (!url) return create();
      return request("HEAD", url, csrf, {}).then(function (xhr) {
        if (xhr.status === 404 || xhr.status === 410) { store("remove", key); url = null; return create(); }  // expired
        if (xhr.status !== 200) throw failure(xhr);
        var at = parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
        if (at > 0) ui.note(fmt(form.getAttribute("data-msg-resuming"), "pct", pct(at, file.size)));
        return at;
      });
    }
    function send(at) {
      ui.progress(at / file.size);
      if (at >= file.size) return Promise.resolve(at);
      var end = Math.min(at + CHUNK, file.size);
      return request("PATCH", url, csrf, { "Upload-Offset": String(at), "Content-Type": "application/offset+octet-stream" },
        file.slice(at, end), function (loaded) { ui.progress((at + loaded) / file.size); }
      ).then(function (xhr) {
        if (xhr.status === 409) return offset().then(send);  // the server has a different offset: ask, go on from there
        if (xhr.status !== 204) throw failure(xhr);
        tries = 0;
        return send(parseInt(xhr.getResponseHeader("Upload-Offset"), 10));
      });
    }
    function attempt() {
      return offset().then(send).catch(function (err) {
        // HTTP refusals (4xx: too large, signed out...) are final; network trouble and 5xx are retried.
        if ((err.status && err.status < 500) || ++tries > MAX_TRIES) throw err;
        var wait = Math.min(30, Math.pow(2, tries - 1));
        ui.note(fmt(fmt(form.getAttribute("data-msg-retrying"), "s", wait), "pct", pct(ui.done * file.size, file.size)));
        return new Promise(function (resolve) {
          var timer = setTimeout(resolve, wait * 1000);
          window.addEventListener("online", function again() { window.removeEventListener("online", again); clearTimeout(timer); resolve(); });
        }).then(attempt);
      });
    }
    return attempt().then(function () {
      ui.note(form.getAttribute("data-msg-finishing"));
      var id = url.split("/").pop();
      return request("POST", "/api/v1/materials", csrf, { "Content-Type": "application/json", Accept: "application/json" },
        JSON.stringify({ uploads: [id], metadata: {} }));
    }).then(function (xhr) {
      if (xhr.status !== 201) throw failure(xhr);
      store("remove", key);
      return JSON.parse(xhr.responseText);
    });
  }

  function simple(file, form, ui) {
    var body = new FormData(); body.append("file", file, file.name);
    return request("POST", "/teach/upload", form.getAttribute("data-csrf"), { Accept: "application/json" }, body,
      function (loaded) { ui.progress(loaded / file.size); }
    ).then(function (xhr) {
      if (xhr.status !== 201) throw failure(xhr);
      return JSON.parse(xhr.responseText)[0];
    });
  }

  function uploads() {
    var form = $("#upload"), out = $("#uploads");
    if (!form || !out || !window.FormData || !window.Promise) return;
    var help = $("#resumable-help");
    if (help) help.hidden = false;
    form.addEventListener("submit", function (e) {
      var files = $("#files", form).files;
      if (!files.length) return;
      e.preventDefault();
      Array.prototype.forEach.call(files, function (file) {
        var li = document.createElement("li"), label = document.createElement("span"), bar = document.createElement("progress");
        var note = document.createElement("span");
        label.textContent = file.name + " ";
        note.className = "upload-note";
        bar.max = 100; bar.value = 0; bar.setAttribute("aria-label", fmt(form.getAttribute("data-msg-progress"), "name", file.name));
        li.appendChild(label); li.appendChild(bar); li.appendChild(note); out.appendChild(li);
        var ui = {
          done: 0,
          progress: function (f) { ui.done = Math.max(ui.done, f); bar.value = Math.round(Math.min(1, f) * 100); },
          note: function (text) { note.textContent = " " + text; }
        };
        var big = file.size > RESUMABLE_ABOVE && window.Blob && Blob.prototype.slice;
        (big ? resumable(file, form, ui) : simple(file, form, ui)).then(function (material) {
          bar.value = 100; note.textContent = "";
          var a = document.createElement("a");
          a.href = "/teach/m/" + material.id; a.textContent = form.getAttribute("data-msg-open");
          a.className = "uploaded"; a.setAttribute("data-material", material.id);
          label.textContent = file.name + " — " + form.getAttribute("data-msg-done") + " ";
          li.appendChild(document.createTextNode(" ")); li.appendChild(a);
        }).catch(function (err) {
          note.textContent = "";
          label.textContent = file.name + " — " + fmt(form.getAttribute("data-msg-failed"), "error", err.message || "network");
        });
      });
      form.reset();
    });
  }

  /* Installable portal: the service worker (/sw.js) keeps the lessons a student opens; keeping
     videos and the "Bài đã lưu" list live in offline.js, loaded by the pages that use them. */
  function offline() {
    if (!("serviceWorker" in navigator)) return;
    var register = function () { navigator.serviceWorker.register("/sw.js").catch(function () {}); };
    if (document.readyState === "complete") register(); else window.addEventListener("load", register);
  }

  /* Search filters: folded on a phone (results first), open beside the results on wide screens. */
  function filters() {
    var fold = $("#filters");
    if (!fold || !window.matchMedia) return;
    var wide = window.matchMedia("(min-width: 48rem)");
    var apply = function () { fold.open = wide.matches; };
    apply();
    if (wide.addEventListener) wide.addEventListener("change", apply);
  }

  function start() {
    suggest(); players(); uploads(); offline(); filters(); progress();
    Array.prototype.forEach.call(document.querySelectorAll("[data-poll]"), poll);
    // LTI deep linking: the signed answer goes back to the LMS without a click (the button stays for no-JS).
    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosubmit]"), function (f) { f.submit(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
