// Live glue: one socket per page; the server sends rendered fragments that
// carry hx-swap-oob and data-version, and htmx swaps them in. A fragment
// older than what the page shows is dropped, so a late or repeated
// broadcast never rolls the page back.
//
// When the server refuses the connection, or ends it (an invite withdrawn, a
// member removed, signed out elsewhere), it says why in the participant's
// words, whether trying again can help, and what the page may offer: a link to
// sign in, or to reload. The page shows that, and connects again only if the
// server said that trying again can help.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-workshop]");
  if (!root || typeof io === "undefined") { return; }
  var script = document.currentScript;
  var signInUrl = (script && script.dataset.signIn) || "/login";
  var status = document.getElementById("live-status");
  var ended = false;

  function setStatus(state, text) {
    if (!status) { return; }
    status.dataset.state = state;
    status.innerHTML = "";
    var small = document.createElement("small");
    small.textContent = text;
    status.appendChild(small);
  }

  function actionLink(action) {
    var link = document.createElement("a");
    if (action === "sign in") {
      link.href = signInUrl + "?next=" + encodeURIComponent(location.pathname + location.search);
      link.textContent = "Go to the sign-in page";
    } else {
      link.href = location.href;
      link.textContent = "Reload this page";
    }
    return link;
  }

  // The page no longer updates, and says why, where the live status was (projectors hide it: not now).
  function showEnded(message, data) {
    ended = true;
    if (!status) { return; }
    status.dataset.state = "ended";
    status.dataset.reason = (data && data.reason) || "";
    status.classList.remove("visually-hidden");
    status.setAttribute("role", "alert");
    status.innerHTML = "";
    var words = document.createElement("strong");
    words.textContent = message || "The server closed this page's live connection, so the page no longer updates.";
    status.appendChild(words);
    var action = (data && data.action) || (data && data.reason ? null : "reload");
    if (action) {
      status.appendChild(document.createTextNode(" "));
      status.appendChild(actionLink(action));
    }
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
    setTimeout(function () { if (!ended) { socket.disconnect().connect(); } }, Math.random() * 2000);
  });
  socket.on("connect", function () { setStatus("live", "Live"); });
  // Sent just before the server disconnects this page because the person's access ended.
  socket.on("access_ended", function (data) { showEnded(data && data.message, data); });
  socket.on("disconnect", function (reason) {
    if (ended) { return; }
    // Disconnected by the server, socket.io-client does not reconnect: say so rather than "reconnecting".
    if (reason === "io server disconnect") { showEnded(null, null); return; }
    setStatus("offline", "Connection lost, reconnecting…");
  });
  socket.on("connect_error", function (error) {
    var data = (error && error.data) || {};
    // A network error: socket.io-client tries again by itself.
    if (socket.active) { setStatus("offline", "Not connected, trying again…"); return; }
    // Refused by the server, socket.io-client does not try again. For a passing reason (the database is
    // not answering) this page does, in a few seconds, spread out so that a room full of pages does not
    // return at once; any other refusal stands, and the page says why.
    if (data.retry) {
      setStatus("offline", "Not connected: " + error.message + " Trying again in a few seconds…");
      setTimeout(function () { socket.connect(); }, 3000 + Math.random() * 4000);
      return;
    }
    showEnded(error && error.message, data);
  });
  window.workshopSocket = socket;
  document.dispatchEvent(new CustomEvent("live:socket", { detail: socket }));
})();
