// Live glue: one socket per page; the server sends rendered fragments that
// carry hx-swap-oob and data-version, and htmx swaps them in. The page keeps
// only what is newer than what it shows, at every level of a fragment, so a
// late or repeated broadcast, or a snapshot overtaken by a broadcast, never
// rolls the page back.
//
// When the server refuses the connection, or ends it (an invite withdrawn, a
// member removed, signed out elsewhere), it says why in the participant's
// words, whether trying again can help, and what the page may offer: a link to
// sign in, or to reload. The page shows that, and connects again only if the
// server said that trying again can help.
//
// The live status says what a person would: connecting, live, reconnecting,
// offline, or why the server refused; never a transport's error text
// ("websocket error", "xhr poll error"). A page whose root says
// data-live-catch-up="reload" gets no fresh state when it reconnects (the
// reports dashboard), so after a lost connection it offers a reload instead.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-workshop]");
  if (!root || typeof io === "undefined") { return; }
  var script = document.currentScript;
  var signInUrl = (script && script.dataset.signIn) || "/login";
  var status = document.getElementById("live-status");
  var catchesUpByItself = root.dataset.liveCatchUp !== "reload";
  var ended = false;
  var wasLive = false;
  var missedUpdates = false;

  var WORDS = {
    live: "Live",
    reconnecting: "Reconnecting…",
    offline: catchesUpByItself
      ? "You are offline; this page will catch up when you are back."
      : "You are offline; when you are back, reload this page to see what changed meanwhile.",
    liveAgain: "Live again. Changes made while this page was not connected show when you reload it.",
    serverBusy: "The server is not answering just now; this page tries again in a few seconds.",
    closed: "The server closed this page's live connection, so the page no longer updates.",
  };

  function setStatus(state, text, action) {
    if (!status) { return; }
    status.dataset.state = state;
    status.innerHTML = "";
    var small = document.createElement("small");
    small.textContent = text;
    if (action) {
      small.appendChild(document.createTextNode(" "));
      small.appendChild(actionLink(action));
    }
    status.appendChild(small);
  }

  // Not connected, and trying again: offline if the browser knows it is, else reconnecting.
  function showNotConnected() {
    if (ended) { return; }
    if (wasLive) { missedUpdates = true; }
    if (navigator.onLine === false) { setStatus("offline", WORDS.offline); } else { setStatus("offline", WORDS.reconnecting); }
  }

  function showLive() {
    wasLive = true;
    if (missedUpdates && !catchesUpByItself) { setStatus("live", WORDS.liveAgain, "reload"); } else { setStatus("live", WORDS.live); }
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
    words.textContent = message || WORDS.closed;
    status.appendChild(words);
    var action = (data && data.action) || (data && data.reason ? null : "reload");
    if (action) {
      status.appendChild(document.createTextNode(" "));
      status.appendChild(actionLink(action));
    }
  }

  // Versions: every live element carries the revision of what it shows, and a page keeps only a strictly newer
  // one (an equal revision is the same content). A placeholder the page was served without a version takes
  // anything; an element sent without one (not live state) is always taken.
  function versionOf(element, missing) {
    return element.dataset.version === undefined ? missing : Number(element.dataset.version);
  }

  function newer(incoming, current) {
    return versionOf(incoming, Infinity) > versionOf(current, -Infinity);
  }

  // The outermost versioned elements inside an element (not counting itself).
  function versionedChildren(element) {
    return Array.prototype.filter.call(element.querySelectorAll("[id][data-version]"), function (inner) {
      return inner.parentElement.closest("[id][data-version]") === element;
    });
  }

  // Which parts of an incoming fragment the page takes. A newer element replaces the page's copy, except
  // where the page already shows a part of it at the same or a newer revision (a snapshot rendered before a
  // broadcast but delivered after it); an element that is not newer may still carry newer parts.
  function takeNewer(incoming, taken) {
    var current = document.getElementById(incoming.id);
    if (!current) { return; }
    if (newer(incoming, current)) {
      incoming.querySelectorAll("[id][data-version]").forEach(function (inner) {
        var shown = document.getElementById(inner.id);
        if (shown && current.contains(shown) && !newer(inner, shown)) { inner.replaceWith(shown.cloneNode(true)); }
      });
      taken.push(incoming);
      return;
    }
    versionedChildren(incoming).forEach(function (inner) {
      inner.setAttribute("hx-swap-oob", "outerHTML");
      takeNewer(inner, taken);
    });
  }

  function keepNewer(template) {
    var taken = [];
    Array.prototype.slice.call(template.content.children).forEach(function (incoming) {
      if (incoming.id && incoming.hasAttribute("hx-swap-oob")) { takeNewer(incoming, taken); } else { taken.push(incoming); }
    });
    template.content.replaceChildren.apply(template.content, taken);
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
    keepNewer(template);
    if (template.content.childElementCount > 0) {
      htmx.swap(document.body, template.innerHTML, { swapStyle: "none" });
    }
  }

  var auth = { workshop: root.dataset.liveWorkshop };
  if (root.dataset.liveSession) { auth.session = Number(root.dataset.liveSession); }
  if (root.dataset.liveBreakoutRoom) { auth.breakout_room = Number(root.dataset.liveBreakoutRoom); }
  // A projector shows a session to a room: it is nobody's attendance.
  if (root.dataset.liveProjector !== undefined) { auth.projector = true; }
  // Reconnecting after a lost connection (a worker died, the network dropped): the first try comes 0.25-0.75 s
  // later, the next ones 0.5-1.5 s, 1-3 s and 2-5 s after the one before, then about every 5 s, each at a
  // random point of its window so that a room full of pages does not come back at one instant. socket.io-client's
  // default first wait, 0.5-1.5 s, was half of the 3 s in which every page of a worker that died should be live
  // again on another (docs/operations.md).
  var socket = io({
    auth: auth,
    transports: ["websocket", "polling"],
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    randomizationFactor: 0.5,
  });
  socket.on("fragment", applyFragment);
  // The server's message queue was away and this page may have missed updates: reconnect, which sends
  // the whole current state, at a random moment within two seconds so that pages do not all come at once.
  socket.on("resync", function () {
    setTimeout(function () { if (!ended) { socket.disconnect().connect(); } }, Math.random() * 2000);
  });
  socket.on("connect", showLive);
  // Sent just before the server disconnects this page because the person's access ended.
  socket.on("access_ended", function (data) { showEnded(data && data.message, data); });
  socket.on("disconnect", function (reason) {
    if (ended) { return; }
    // Disconnected by the server, socket.io-client does not reconnect: say so rather than "reconnecting".
    if (reason === "io server disconnect") { showEnded(null, null); return; }
    // Anything else (the network, a server restarting) socket.io-client reconnects from by itself.
    showNotConnected();
  });
  socket.on("connect_error", function (error) {
    // A network error, or a server not up yet: socket.io-client tries again by itself. Its message is the
    // transport's ("websocket error"), not for people.
    if (socket.active) { showNotConnected(); return; }
    // Refused by the server, whose message is in the participant's words; socket.io-client does not try
    // again. For a passing reason (the database is not answering) this page does, in a few seconds, spread
    // out so that a room full of pages does not return at once; any other refusal stands, and says why.
    var data = (error && error.data) || {};
    if (data.retry) {
      if (wasLive) { missedUpdates = true; }
      setStatus("offline", WORDS.serverBusy);
      setTimeout(function () { socket.connect(); }, 3000 + Math.random() * 4000);
      return;
    }
    showEnded(error && error.data ? error.message : null, data);
  });
  // The browser knows at once when the network goes; the socket may take a while to notice.
  window.addEventListener("offline", showNotConnected);
  window.addEventListener("online", function () {
    if (ended) { return; }
    if (socket.connected) { showLive(); } else { showNotConnected(); }
  });
  window.workshopSocket = socket;
  document.dispatchEvent(new CustomEvent("live:socket", { detail: socket }));
})();
