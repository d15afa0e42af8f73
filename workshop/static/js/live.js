// Live glue: one socket per page; the server sends rendered fragments that
// carry hx-swap-oob and data-version, and htmx swaps them in. A fragment
// older than what the page shows is dropped, so a late or repeated
// broadcast never rolls the page back.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-workshop]");
  if (!root || typeof io === "undefined") { return; }
  var status = document.getElementById("live-status");

  function setStatus(state, text) {
    if (!status) { return; }
    status.dataset.state = state;
    status.innerHTML = "";
    var small = document.createElement("small");
    small.textContent = text;
    status.appendChild(small);
  }

  // Keep only fragments this page shows, and only if they are not older than what it shows.
  function dropStale(template) {
    template.content.querySelectorAll("[hx-swap-oob][id]").forEach(function (incoming) {
      var current = document.getElementById(incoming.id);
      if (!current || Number(current.dataset.version) > Number(incoming.dataset.version)) {
        incoming.remove();
      }
    });
  }

  // A new item (a poll just opened) is added to its list; one the page has already is updated in place.
  function appendNew(template) {
    template.content.querySelectorAll("[data-append-to][id]").forEach(function (incoming) {
      var list = document.getElementById(incoming.dataset.appendTo);
      incoming.remove();
      if (list && !document.getElementById(incoming.id)) {
        list.prepend(incoming);
        htmx.process(incoming);
        document.dispatchEvent(new CustomEvent("live:added", { detail: incoming }));
      }
    });
  }

  function applyFragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    appendNew(template);
    dropStale(template);
    if (template.content.childElementCount > 0) {
      htmx.swap(document.body, template.innerHTML, { swapStyle: "none" });
    }
  }

  var auth = { workshop: root.dataset.liveWorkshop };
  if (root.dataset.liveSession) { auth.session = Number(root.dataset.liveSession); }
  if (root.dataset.liveBreakoutRoom) { auth.breakout_room = Number(root.dataset.liveBreakoutRoom); }
  var socket = io({
    auth: auth,
    transports: ["websocket", "polling"],
  });
  socket.on("fragment", applyFragment);
  // The server's message queue was away and this page may have missed updates: reconnect, which sends
  // the whole current state, at a random moment within two seconds so that pages do not all come at once.
  socket.on("resync", function () {
    setTimeout(function () { socket.disconnect().connect(); }, Math.random() * 2000);
  });
  socket.on("connect", function () { setStatus("live", "Live"); });
  socket.on("disconnect", function () { setStatus("offline", "Connection lost, reconnecting…"); });
  socket.on("connect_error", function (error) {
    setStatus("offline", "Not connected: " + (error && error.message ? error.message : "retrying…"));
    // A refusal for a passing reason (the database is not answering) says so: try again in a few
    // seconds, spread out so that a room full of pages does not return at once. Others stay refused.
    if (!socket.active && error && error.data && error.data.retry) {
      setTimeout(function () { socket.connect(); }, 3000 + Math.random() * 4000);
    }
  });
  window.workshopSocket = socket;
  document.dispatchEvent(new CustomEvent("live:socket", { detail: socket }));
})();
