// Live updates for Hotline's UI (docs/ui.md, "Live updates"): listens to
// /events and, on each "changed" event, fetches the inbox fragment the server
// renders and puts it in place of the list. Nothing else: without this script
// every page still works, by reloading.
"use strict";
(function () {
  function refresh() {
    var live = document.getElementById("live");
    if (!live) return;
    var url = live.getAttribute("data-fragment");
    if (!url || url.indexOf("/fragment/") !== 0) return;
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var t = document.createElement("template");
        t.innerHTML = html;
        var fresh = t.content.getElementById("live");
        var cur = document.getElementById("live");
        if (fresh && cur) cur.replaceWith(fresh);
      })
      .catch(function () { /* the next event tries again */ });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("live") || !window.EventSource) return;
    var es = new EventSource("/events");
    es.addEventListener("changed", refresh);
  });
})();
