/* Offline reading helpers (pages with a video or the "Bài đã lưu" list load this file):
   "Lưu video" keeps a video and its listen-only audio on the device, and /offline lists what the
   service worker (/sw.js, which names the caches) keeps. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.caches) return;
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var fmt = function (tpl, key, value) { return tpl.split("{" + key + "}").join(value); };
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("button.keep-video"), function (button) {
      var urls = button.getAttribute("data-urls").split(" ");
      var holder = button.parentNode;
      holder.hidden = false;
      caches.open("hoclieu-videos").then(function (c) { return c.match(urls[0]); }).then(function (hit) {
        if (!hit) return;
        button.textContent = button.getAttribute("data-done"); button.disabled = true;
        // Play the kept MP4 (served from this device), not the HLS ladder, which is not kept.
        var video = button.closest("section").querySelector("video");
        if (video && video.paused && video.currentSrc !== new URL(urls[0], location.href).href) video.src = urls[0];
      });
      button.addEventListener("click", function () {
        button.disabled = true;
        button.textContent = button.getAttribute("data-busy");
        Promise.all([
          caches.open("hoclieu-videos").then(function (c) { return c.addAll(urls); }),
          caches.open("hoclieu-pages").then(function (c) { return c.add(location.pathname); })
        ]).then(function () {
          button.textContent = button.getAttribute("data-done");
        }, function () {
          button.textContent = button.getAttribute("data-failed");
          button.disabled = false;
        });
      });
    });
    var list = $("#kept-list");
    if (!list) return;
    // Shown in place of a page never opened (the service worker answered with this page).
    if (!navigator.onLine || location.pathname !== "/offline") $("#offline-notice").hidden = false;
    window.addEventListener("offline", function () { $("#offline-notice").hidden = false; });
    function fill() {
      caches.open("hoclieu-pages").then(function (cache) {
        return cache.keys().then(function (keys) {
          return Promise.all(keys.reverse().map(function (req) {
            return cache.match(req).then(function (r) { return r.text(); }).then(function (html) {
              var doc = new DOMParser().parseFromString(html, "text/html");
              var h1 = doc.querySelector("main h1");
              return {req: req, title: h1 ? h1.textContent : new URL(req.url).pathname};
            });
          }));
        }).then(function (rows) {
          list.textContent = "";
          if (!rows.length) {
            var none = document.createElement("li");
            none.textContent = list.getAttribute("data-empty");
            list.appendChild(none);
          }
          rows.forEach(function (row) {
            var li = document.createElement("li");
            var a = document.createElement("a");
            a.href = new URL(row.req.url).pathname; a.textContent = row.title;
            var b = document.createElement("button");
            b.type = "button"; b.className = "link"; b.textContent = list.getAttribute("data-remove");
            b.addEventListener("click", function () { cache.delete(row.req).then(fill); });
            li.appendChild(a); li.appendChild(document.createTextNode(" ")); li.appendChild(b);
            list.appendChild(li);
          });
        });
      });
      var videos = $("#kept-videos");
      caches.open("hoclieu-videos").then(function (c) { return c.keys(); }).then(function (keys) {
        videos.hidden = keys.length === 0;
        videos.textContent = fmt(videos.getAttribute("data-label"), "n", keys.length) + " ";
        var clear = document.createElement("button");
        clear.type = "button"; clear.className = "link"; clear.textContent = videos.getAttribute("data-clear");
        clear.addEventListener("click", function () { caches.delete("hoclieu-videos").then(fill); });
        videos.appendChild(clear);
      });
    }
    fill();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
