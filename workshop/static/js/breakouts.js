// Breakout rooms in the browser: the countdown to a round's end (with a warning a minute before),
// and the room's notes editor, which autosaves through htmx. A writer with nothing unsaved takes
// notes another writer saved; one with unsaved words is told, and a save on an old revision comes
// back with both texts, to keep either.
(function () {
  "use strict";
  var WARN_SECONDS = 60;

  function clock(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var mm = (h > 0 && m < 10 ? "0" : "") + m;
    return (h > 0 ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }

  function warningFor(el) {
    var card = el.closest(".breakout-mine");
    return card ? card.querySelector(".breakout-warning") : null;
  }

  // On a room's own page its card's "Go to the room" link would lead where the reader already is.
  function hideLinksToHere() {
    document.querySelectorAll("a.breakout-room-link").forEach(function (link) {
      link.hidden = link.pathname === window.location.pathname;
    });
  }

  function tick() {
    hideLinksToHere();
    var now = Date.now();
    document.querySelectorAll("[data-breakout-ends]").forEach(function (el) {
      var ends = el.dataset.breakoutEnds;
      var left = Math.max(0, Math.round((Date.parse(ends) - now) / 1000));
      el.textContent = left > 0 ? clock(left) : "none, the round is ending";
      el.classList.toggle("ending", left <= WARN_SECONDS);
      var warning = warningFor(el);
      if (!warning) { return; }
      // Announced once per end time: an extension gives a new end time and a new warning.
      if (left <= WARN_SECONDS && left > 0 && warning.dataset.warnedFor !== ends) {
        warning.dataset.warnedFor = ends;
        warning.textContent = "One minute left in this round.";
      } else if (left > WARN_SECONDS && warning.textContent) {
        warning.textContent = "";
        delete warning.dataset.warnedFor;
      } else if (left === 0 && warning.dataset.warnedFor !== "end:" + ends) {
        warning.dataset.warnedFor = "end:" + ends;
        warning.textContent = "Time is up: the round is ending.";
      }
    });
  }

  // Notes -------------------------------------------------------------------------------------------
  var form = document.querySelector("form[data-notes-form]");
  if (form) {
    var text = form.querySelector("textarea[name=notes]");
    var revision = function () { return document.getElementById(form.id.replace("notes-form", "notes-revision")); };
    var status = function () { return document.getElementById(form.id.replace("notes-form", "notes-status")); };
    var dirty = false;
    var inFlight = false;
    var sending = null;

    text.addEventListener("input", function () { dirty = true; });
    form.addEventListener("htmx:beforeRequest", function () { inFlight = true; sending = text.value; });
    form.addEventListener("htmx:afterRequest", function (event) {
      inFlight = false;
      if (event.detail.successful && text.value === sending) { dirty = false; }
    });

    var say = function (message) {
      var line = status();
      if (!line) { return; }
      line.innerHTML = "";
      var small = document.createElement("small");
      small.textContent = message;
      var p = document.createElement("p");
      p.className = "muted";
      p.appendChild(small);
      line.appendChild(p);
    };

    // Another writer saved: the room page's copy of the latest notes was swapped in over the socket.
    var adopt = function (view) {
      var newer = Number(view.dataset.notesRevision);
      var input = revision();
      if (!input || newer <= Number(input.value)) { return; }
      if (dirty || inFlight) {
        say("Someone saved revision " + newer + " while you were writing; saving yours will show both texts.");
        return;
      }
      var saved = view.querySelector(".notes-text");
      text.value = saved ? saved.textContent : "";
      input.value = String(newer);
      say("Updated to revision " + newer + ", saved by someone else.");
    };
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (node) {
          if (node.nodeType === 1 && node.id && node.id.indexOf("room-notes-view-") === 0) { adopt(node); }
        });
      });
    }).observe(document.body, { childList: true, subtree: true });

    // The answer to a stale save offers both texts.
    document.addEventListener("click", function (event) {
      var conflict = event.target.closest(".notes-conflict");
      if (!conflict) { return; }
      var theirs = conflict.dataset.theirRevision;
      if (event.target.closest("[data-notes-keep-mine]")) {
        revision().value = theirs;
        htmx.trigger(form, "notes-save");
        text.focus();
      } else if (event.target.closest("[data-notes-take-theirs]")) {
        text.value = conflict.querySelector("[data-their-text]").textContent;
        revision().value = theirs;
        dirty = false;
        say("Using their text, revision " + theirs + ".");
        text.focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
})();
