/* Hoclieu service worker: the portal keeps working for what a student already opened.

   Served as /sw.js (scope "/") by web/portal/offline.py; a static, same-origin file, no inline code.
   What it keeps (Cache API, all bounded; the oldest entry goes first, and opening a lesson again
   makes it the newest):
   - hoclieu-shell-<version>: the "Bài đã lưu" page (/offline, precached) and the static assets
     (/static/..., content-hashed URLs) as they are fetched;
   - hoclieu-pages: material pages (/m/<id>) the student opened, when the server marks them
     keepable (X-Hoclieu-Offline: keep, i.e. approved public content), at most MAX_PAGES;
   - hoclieu-media: the images those pages show (thumbnails, posters, document pages), at most
     MAX_MEDIA;
   - hoclieu-videos: videos (and their listen-only audio) only when the student asks to keep them
     (portal.js puts them there); served with byte ranges, as media elements ask for them.
   Pages are network first (fresh when online), the cache answers when the network fails; a page
   never opened answers with the "Bài đã lưu" page. Signing out empties the kept lessons. */
"use strict";

var VERSION = "v1";
var SHELL = "hoclieu-shell-" + VERSION;
var PAGES = "hoclieu-pages";
var MEDIA = "hoclieu-media";
var VIDEOS = "hoclieu-videos";
var MAX_PAGES = 30;
var MAX_MEDIA = 400;
var OFFLINE_PAGE = "/offline";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL).then(function (cache) { return cache.add(OFFLINE_PAGE); }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) {
        return n.indexOf("hoclieu-shell-") === 0 && n !== SHELL;
      }).map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); })
  );
});

/* Keep at most `max` entries: Cache keys come back in insertion order, and a put replaces. */
function trim(name, max) {
  return caches.open(name).then(function (cache) {
    return cache.keys().then(function (keys) {
      var extra = keys.length - max;
      var drops = [];
      for (var i = 0; i < extra; i++) drops.push(cache.delete(keys[i]));
      return Promise.all(drops);
    });
  });
}

function keep(name, max, request, response) {
  return caches.open(name).then(function (cache) {
    return cache.delete(request).then(function () { return cache.put(request, response); });
  }).then(function () { return trim(name, max); });
}

function isLesson(url) { return /^\/m\/[^/]+$/.test(url.pathname); }
function isImage(request, url) {
  return request.destination === "image" && url.pathname.indexOf("/api/v1/materials/") === 0;
}

/* A cached full response answered as the byte range a media element asked for. */
function ranged(request, response) {
  var range = request.headers.get("range");
  if (!range) return response;
  var m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  return response.blob().then(function (blob) {
    var size = blob.size;
    var start = m && m[1] ? parseInt(m[1], 10) : 0;
    var end = m && m[2] ? Math.min(parseInt(m[2], 10), size - 1) : size - 1;
    if (m && !m[1] && m[2]) { start = Math.max(0, size - parseInt(m[2], 10)); end = size - 1; }
    if (!m || start > end || start >= size) {
      return new Response(null, {status: 416, headers: {"Content-Range": "bytes */" + size}});
    }
    return new Response(blob.slice(start, end + 1), {
      status: 206,
      headers: {
        "Content-Type": response.headers.get("Content-Type") || "application/octet-stream",
        "Content-Range": "bytes " + start + "-" + end + "/" + size,
        "Content-Length": String(end - start + 1),
        "Accept-Ranges": "bytes"
      }
    });
  });
}

function page(event, url) {
  var request = event.request;
  return fetch(request).then(function (response) {
    if (isLesson(url) && response.ok && response.headers.get("X-Hoclieu-Offline") === "keep") {
      event.waitUntil(keep(PAGES, MAX_PAGES, request, response.clone()));
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(request).then(function (hit) {
        return hit || cache.match(request, {ignoreSearch: true});
      });
    }).then(function (hit) {
      if (hit) return hit;
      return caches.match(OFFLINE_PAGE).then(function (offline) {
        return offline || new Response("Không có kết nối mạng.", {
          status: 503, headers: {"Content-Type": "text/plain; charset=utf-8"}
        });
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/signout") {
    // A shared computer: what one student kept must not stay for the next one.
    event.waitUntil(Promise.all([PAGES, MEDIA, VIDEOS].map(function (n) { return caches.delete(n); })));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(page(event, url));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(SHELL).then(function (cache) {
      return cache.match(request).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          if (response.ok) cache.put(request, response.clone());
          return response;
        });
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/api/v1/materials/") !== 0) return;
  event.respondWith(caches.open(VIDEOS).then(function (videos) {
    return videos.match(request.url).then(function (kept) {
      if (kept) return ranged(request, kept);
      if (!isImage(request, url)) return fetch(request);
      return caches.open(MEDIA).then(function (media) {
        return media.match(request).then(function (hit) {
          if (hit) return hit;
          return fetch(request).then(function (response) {
            if (response.ok && response.status === 200) {
              event.waitUntil(keep(MEDIA, MAX_MEDIA, request, response.clone()));
            }
            return response;
          });
        });
      });
    });
  }));
});
