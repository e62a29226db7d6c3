// Hotline's own script (docs/ui.md, "Scripts, dates and keyboard"). Without
// it every page works, by reloading; with it:
// - live updates: on each "changed" event of /events it fires the DOM event
//   "hotline-changed" on <body>, which the page's htmx attributes listen to
//   (hx-trigger="hotline-changed from:body") to swap the inbox list or the
//   case timeline; on "locked" (the idle lock) it reloads, showing the
//   locked page;
// - dates: each <time datetime> (UTC, rendered by the server) is shown in
//   the browser's time zone, its UTC text kept as the title;
// - keyboard shortcuts, from the table the server serves at
//   /static/shortcuts.json (the one the help page lists).
"use strict";
(function () {
  // --- Dates ------------------------------------------------------------
  var lang = document.documentElement.lang || undefined;
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(lang, {
      year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
  } catch (e) {
    fmt = null;
  }
  function localise(root) {
    if (!fmt || !root || !root.querySelectorAll) return;
    var times = root.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var t = times[i];
      if (t.hasAttribute("data-utc")) continue;
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) continue;
      var utc = t.textContent;
      t.setAttribute("data-utc", utc);
      t.title = utc;
      t.textContent = fmt.format(d);
    }
  }

  // --- Keyboard shortcuts ------------------------------------------------
  var table = [];
  var pending = [];
  var pendingTimer = null;

  function typing(el) {
    if (!el) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }
  function same(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  function startsWith(keys, prefix) {
    return keys.length > prefix.length && same(keys.slice(0, prefix.length), prefix);
  }
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#live tr.case"));
  }
  var selected = null; // the selected case's id, kept across swaps
  function select(row) {
    var all = rows();
    for (var i = 0; i < all.length; i++) {
      all[i].classList.remove("selected");
      all[i].removeAttribute("aria-current");
    }
    if (!row) return;
    row.classList.add("selected");
    row.setAttribute("aria-current", "true");
    selected = row.getAttribute("data-case");
    var a = row.querySelector("a.row-title");
    if (a) a.focus();
  }
  function move(by) {
    var all = rows();
    if (!all.length) return false;
    var at = -1;
    for (var i = 0; i < all.length; i++) {
      if (all[i].classList.contains("selected")) at = i;
    }
    var next = at < 0 ? (by > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + by));
    select(all[next]);
    return true;
  }
  function run(s) {
    switch (s["do"]) {
      case "go":
        if (typeof s.to === "string" && s.to.charAt(0) === "/" && s.to.charAt(1) !== "/") {
          window.location.assign(s.to);
          return true;
        }
        return false;
      case "focus":
        for (var i = 0; i < (s.to || []).length; i++) {
          var el = document.querySelector(s.to[i]);
          if (el) {
            el.focus();
            if (el.scrollIntoView) el.scrollIntoView({ block: "center" });
            return true;
          }
        }
        return false;
      case "next": return move(1);
      case "prev": return move(-1);
      case "open":
        var row = document.querySelector("#live tr.case.selected a.row-title");
        if (row) { window.location.assign(row.getAttribute("href")); return true; }
        return false;
      case "blur":
        if (document.activeElement && document.activeElement.blur) {
          document.activeElement.blur();
          return true;
        }
        return false;
    }
    return false;
  }
  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    var inField = typing(e.target);
    var seq = pending.concat([e.key]);
    var candidates = table.filter(function (s) {
      return inField ? s["do"] === "blur" : true;
    });
    var hit = null, longer = false;
    for (var i = 0; i < candidates.length; i++) {
      if (same(candidates[i].keys, seq)) hit = candidates[i];
      else if (startsWith(candidates[i].keys, seq)) longer = true;
    }
    if (!hit && !longer && pending.length) {
      // Not a sequence after all: try the key alone.
      pending = [];
      seq = [e.key];
      for (var j = 0; j < candidates.length; j++) {
        if (same(candidates[j].keys, seq)) hit = candidates[j];
        else if (startsWith(candidates[j].keys, seq)) longer = true;
      }
    }
    clearTimeout(pendingTimer);
    if (hit) {
      pending = [];
      if (run(hit)) e.preventDefault();
    } else if (longer) {
      pending = seq;
      pendingTimer = setTimeout(function () { pending = []; }, 1500);
    } else {
      pending = [];
    }
  }

  // --- Browser notifications of alerts ------------------------------------
  // An alert raised while a page is open (GET /events, event "alert") shows
  // as a notification once the officer allowed them (the button in the
  // header, a click: browsers ask only on one). It says what alerts.toml
  // lets an alert say, nothing more; clicking it opens the case.
  function notifications() {
    return "Notification" in window;
  }
  function notifyButton() {
    var b = document.getElementById("notify");
    if (!b || !notifications() || Notification.permission !== "default") return;
    b.hidden = false;
    b.addEventListener("click", function () {
      Notification.requestPermission().then(function (p) {
        b.hidden = p === "granted" || p === "denied";
        if (p === "granted") live();
      });
    });
  }
  function notify(data) {
    if (!notifications() || Notification.permission !== "granted") return;
    var a;
    try { a = JSON.parse(data); } catch (e) { return; }
    if (!a || typeof a.subject !== "string" || typeof a.path !== "string") return;
    var n = new Notification(a.subject, { tag: a.key });
    n.onclick = function () {
      window.focus();
      // Only a path of this UI, never another origin.
      if (a.path.charAt(0) === "/" && a.path.charAt(1) !== "/") window.location.href = a.path;
    };
  }

  // --- Live updates ------------------------------------------------------
  var stream = null;
  function live() {
    if (!window.EventSource || stream) return;
    var listed = document.getElementById("live") || document.getElementById("live-case");
    var notifying = notifications() && Notification.permission === "granted";
    if (!listed && !notifying) return;
    var es = new EventSource("/events");
    stream = es;
    es.addEventListener("alert", function (e) { notify(e.data); });
    es.addEventListener("changed", function () {
      document.body.dispatchEvent(new CustomEvent("hotline-changed"));
    });
    es.addEventListener("locked", function () {
      es.close();
      window.location.reload();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localise(document);
    // Content htmx swapped in: its dates, and the inbox selection again.
    document.body.addEventListener("htmx:load", function (e) {
      localise(e.target);
      if (selected) {
        var all = rows();
        for (var i = 0; i < all.length; i++) {
          if (all[i].getAttribute("data-case") === selected) {
            all[i].classList.add("selected");
            all[i].setAttribute("aria-current", "true");
          }
        }
      }
    });
    fetch("/static/shortcuts.json", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (t) { if (Array.isArray(t)) table = t; })
      .catch(function () { /* no shortcuts, the pages still work */ });
    document.addEventListener("keydown", onKey);
    notifyButton();
    live();
  });
})();
