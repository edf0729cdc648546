/* Offline package search: the index is assets/search-index.js (window.HOCLIEU_INDEX), loaded by
   a <script> tag because fetch() of local files is refused under file://. Matching is accent-free:
   the query is folded like the index (NFD, drop combining marks, đ → d, lowercase), and every
   query word must start a word of the title or of the description, lesson and keywords. */
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d")
      .toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  }
  function words(text) { return text ? text.split(" ") : []; }
  function hits(queryWords, textWords) {
    var n = 0;
    for (var i = 0; i < queryWords.length; i++) {
      var q = queryWords[i], found = false;
      for (var j = 0; j < textWords.length; j++) { if (textWords[j].indexOf(q) === 0) { found = true; break; } }
      if (found) { n++; }
    }
    return n;
  }
  function search(query) {
    var q = words(fold(query));
    if (!q.length) { return []; }
    var out = [];
    (window.HOCLIEU_INDEX || []).forEach(function (row) {
      var title = words(row.ft), rest = words(row.fk);
      var inTitle = hits(q, title), all = hits(q, title.concat(rest));
      if (all === q.length) {
        var phrase = (" " + row.ft + " ").indexOf(" " + q.join(" ")) >= 0 ? 10 : 0;
        out.push({row: row, score: phrase + inTitle * 3 + all});
      }
    });
    out.sort(function (a, b) { return b.score - a.score || a.row.t.localeCompare(b.row.t, "vi"); });
    return out.slice(0, 50).map(function (x) { return x.row; });
  }
  function show() {
    var list = document.getElementById("results");
    if (!list) { return; }
    var params = new URLSearchParams(window.location.search);
    var query = params.get("q") || "";
    var box = document.getElementById("q");
    if (box) { box.value = query; }
    var status = document.getElementById("search-status");
    if (!query.trim()) { return; }
    var found = search(query);
    list.textContent = "";
    found.forEach(function (row) {
      var li = document.createElement("li");
      li.className = "card";
      if (row.th) {
        var img = document.createElement("img");
        img.src = row.th; img.alt = ""; img.width = 160; img.height = 90; img.loading = "lazy";
        li.appendChild(img);
      }
      var a = document.createElement("a");
      a.href = row.u; a.textContent = row.t;
      li.appendChild(a);
      var s = document.createElement("span");
      s.className = "type"; s.textContent = row.s;
      li.appendChild(s);
      list.appendChild(li);
    });
    status.textContent = found.length
      ? "Tìm thấy " + found.length + " học liệu cho “" + query + "”."
      : "Không tìm thấy học liệu nào cho “" + query + "”. Thử bỏ bớt từ.";
  }
  window.HoclieuOffline = {fold: fold, search: search};
  // search-index.js is deferred after this file: run once both are in.
  window.addEventListener("DOMContentLoaded", show);
})();
