// Q&A: asking, editing, withdrawing and upvoting over the live socket (each acknowledged after commit),
// and keeping question lists in order as live fragments change them. Fragments are rendered once for
// everyone, so this script marks the reader's own upvotes and questions. Reordering moves the other
// items around the one holding the focus (a moved element would lose it) and restores the reading
// position, so the list never jumps under the reader; new questions are announced, not focused.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-workshop]");
  if (!root) { return; }
  var myVotes = new Set();
  var myQuestions = new Set();
  var seenList = null;
  var SORT_KEY = "qa-sort";

  function idOf(item) { return Number(item.id.replace(/^\D+/, "")); }

  function idSet(text) {
    return new Set((text || "").split(",").filter(Boolean).map(Number));
  }

  function sortMode(list) {
    if (list.dataset.qaOrder) { return list.dataset.qaOrder; }
    var checked = document.querySelector("input[name=qa-sort]:checked");
    return checked ? checked.value : "votes";
  }

  var STATUS_RANK = { pending: 0, approved: 1, answered: 2, dismissed: 3 };

  // [group, then within the group] for each item; smaller comes first.
  function sortKey(item, mode) {
    var id = idOf(item);
    var votes = Number(item.dataset.votes || 0);
    var status = item.dataset.status;
    var pinned = item.dataset.pinned === "1" ? 0 : 1;
    if (item.hidden) { return [9, 0, id]; }
    if (mode === "queue") { return [pinned, STATUS_RANK[status] || 0, -votes, id]; }
    var answered = status === "answered" ? 1 : 0;
    if (mode === "newest") { return [pinned, answered, -id, 0]; }
    return [pinned, answered, -votes, id];
  }

  function compare(a, b) {
    for (var i = 0; i < a.key.length; i += 1) {
      if (a.key[i] !== b.key[i]) { return a.key[i] - b.key[i]; }
    }
    return 0;
  }

  // The item the reader is on: the one holding focus, else the first one in view.
  function readingAnchor(items) {
    var active = document.activeElement;
    var focused = items.find(function (item) { return item.contains(active); });
    if (focused) { return focused; }
    return items.find(function (item) { return !item.hidden && item.getBoundingClientRect().bottom > 0; });
  }

  function arrange(list) {
    var items = Array.prototype.slice.call(list.children);
    var mode = sortMode(list);
    var ordered = items.map(function (item) { return { item: item, key: sortKey(item, mode) }; })
      .sort(compare).map(function (entry) { return entry.item; });
    if (ordered.every(function (item, i) { return items[i] === item; })) { return; }
    var focused = items.find(function (item) { return item.contains(document.activeElement); });
    var anchor = readingAnchor(items);
    var before = anchor ? anchor.getBoundingClientRect().top : 0;
    var pivot = focused || ordered[0];
    var at = ordered.indexOf(pivot);
    // Never move the pivot itself: the others are placed before and after it, in order.
    for (var i = at - 1; i >= 0; i -= 1) {
      var next = i + 1 < at ? ordered[i + 1] : pivot;
      if (ordered[i].nextElementSibling !== next) { list.insertBefore(ordered[i], next); }
    }
    var cursor = pivot;
    for (var j = at + 1; j < ordered.length; j += 1) {
      if (cursor.nextElementSibling !== ordered[j]) { list.insertBefore(ordered[j], cursor.nextElementSibling); }
      cursor = ordered[j];
    }
    if (anchor) { window.scrollBy(0, anchor.getBoundingClientRect().top - before); }
  }

  function limit(list) {
    var most = Number(list.dataset.qaLimit || 0);
    if (!most) { return; }
    var shown = 0;
    Array.prototype.forEach.call(list.children, function (item) {
      var show = !item.hidden && item.dataset.status === "approved" && (item.dataset.pinned === "1" || shown < most);
      if (show && item.dataset.pinned !== "1") { shown += 1; }
      item.classList.toggle("beyond-limit", !show);
    });
  }

  function decorate(list) {
    if (list !== seenList && list.dataset.myVotes !== undefined) {
      // A fresh list from the server (the page joined or rejoined): its marks are the truth.
      seenList = list;
      myVotes = idSet(list.dataset.myVotes);
      myQuestions = idSet(list.dataset.myQuestions);
    }
    list.querySelectorAll("[data-upvote]").forEach(function (button) {
      button.setAttribute("aria-pressed", myVotes.has(Number(button.dataset.upvote)) ? "true" : "false");
      button.textContent = myVotes.has(Number(button.dataset.upvote)) ? "Upvoted" : "Upvote";
    });
    list.querySelectorAll("[data-edit-question], [data-withdraw-question]").forEach(function (button) {
      button.hidden = !myQuestions.has(Number(button.dataset.editQuestion || button.dataset.withdrawQuestion));
    });
  }

  // Upvotes arrive as counts ([id, version, votes]), not as whole items. The newest count of each question
  // is kept and written into every copy of it on the page, also after a whole item (perhaps an older one,
  // rendered before the count) was swapped in.
  var latestCounts = new Map();

  function showCount(element, version, votes) {
    var shown = Math.max(Number(element.dataset.version || 0), Number(element.dataset.votesVersion || 0));
    if (shown >= version) { return; }
    element.dataset.votesVersion = version;
    element.dataset.votes = votes;
    var count = element.querySelector("[data-testid=votes]");
    if (count) { count.textContent = votes; }
    var word = element.querySelector("[data-votes-word]");
    if (word) { word.textContent = votes === 1 ? "vote" : "votes"; }
  }

  function takeCount(id, version, votes) {
    var known = latestCounts.get(id);
    if (!known || known[0] < version) { latestCounts.set(id, [version, votes]); }
  }

  function showCounts() {
    latestCounts.forEach(function (count, id) {
      ["question-", "queue-question-"].forEach(function (prefix) {
        var element = document.getElementById(prefix + id);
        if (element && !element.hidden) { showCount(element, count[0], count[1]); }
      });
    });
  }

  function listenForCounts(socket) {
    socket.on("qa_counts", function (message) {
      message.counts.forEach(function (count) { takeCount(count[0], count[1], count[2]); });
      schedule();
    });
  }
  // live.js runs first (both deferred, in order) and may have made the socket already.
  if (window.workshopSocket) { listenForCounts(window.workshopSocket); }
  document.addEventListener("live:socket", function (event) { listenForCounts(event.detail); });

  var scheduled = false;
  function refresh() {
    scheduled = false;
    showCounts();
    document.querySelectorAll("[data-qa-list]").forEach(function (list) {
      decorate(list);
      arrange(list);
      limit(list);
    });
  }
  function schedule() {
    if (!scheduled) { scheduled = true; window.requestAnimationFrame(refresh); }
  }
  new MutationObserver(schedule).observe(root, { childList: true, subtree: true });
  schedule();

  // New questions are announced in the live region; the reader's focus stays where it is.
  document.addEventListener("live:added", function (event) {
    var item = event.detail;
    var announce = document.getElementById("qa-announce");
    if (!announce || !item.closest || !item.closest("[data-qa-list]") || myQuestions.has(idOf(item))) { return; }
    var text = item.querySelector(".question-text");
    announce.textContent = "New question: " + (text ? text.textContent.slice(0, 120) : "");
  });

  document.addEventListener("change", function (event) {
    if (event.target.name !== "qa-sort") { return; }
    try { window.localStorage.setItem(SORT_KEY, event.target.value); } catch (e) { /* private mode */ }
    schedule();
  });
  try {
    var saved = window.localStorage.getItem(SORT_KEY);
    var radio = saved && document.querySelector("input[name=qa-sort][value=" + saved + "]");
    if (radio) { radio.checked = true; }
  } catch (e) { /* private mode */ }

  // Actions over the socket --------------------------------------------------------------------------

  function send(event, payload, showError, done) {
    var socket = window.workshopSocket;
    if (!socket || !socket.connected) { showError("Not connected; nothing was sent. Try again in a moment."); return; }
    showError("");
    socket.timeout(10000).emit(event, payload, function (failure, ack) {
      if (failure) { showError("No answer from the server; try again."); return; }
      if (!ack.ok) { showError(ack.message); return; }
      done(ack);
      schedule();
    });
  }

  function errorIn(id) {
    return function (message) {
      var box = document.getElementById(id);
      if (box) { box.textContent = message; }
    };
  }

  document.addEventListener("submit", function (event) {
    var ask = event.target.closest("form[data-qa-ask]");
    if (ask) {
      event.preventDefault();
      var text = ask.querySelector("[name=text]");
      var anonymous = ask.querySelector("[name=anonymous]");
      var button = ask.querySelector("button[type=submit]");
      button.disabled = true;
      send("qa_ask", { session: Number(ask.dataset.qaAsk), text: text.value, anonymous: !!(anonymous && anonymous.checked) },
        function (message) { errorIn("ask-error")(message); if (message) { button.disabled = false; } },
        function (ack) {
          button.disabled = false;
          myQuestions.add(ack.question);
          text.value = "";
          errorIn("ask-error")(ack.pending ? "Sent. Your question will appear for everyone once a moderator approves it." : "");
        });
      return;
    }
    var edit = event.target.closest("form.qa-edit-form");
    if (edit) {
      event.preventDefault();
      var dialog = edit.closest("dialog");
      send("qa_edit", { question: Number(dialog.dataset.question), text: edit.querySelector("[name=text]").value },
        errorIn("qa-edit-error"), function () { dialog.close(); });
    }
  });

  document.addEventListener("click", function (event) {
    var upvote = event.target.closest("[data-upvote]");
    if (upvote) {
      var id = Number(upvote.dataset.upvote);
      send("qa_upvote", { question: id, on: !myVotes.has(id) }, errorIn("qa-action-error"), function (ack) {
        if (ack.on) { myVotes.add(id); } else { myVotes.delete(id); }
        // Show the stored count now, unless a newer broadcast got here first.
        takeCount(id, ack.version, ack.votes);
        showCounts();
        var item = document.getElementById("question-" + id);
        var list = item && item.closest("[data-qa-list]");
        if (list) { decorate(list); }
      });
      return;
    }
    var editButton = event.target.closest("[data-edit-question]");
    if (editButton) {
      var dialog = document.getElementById("qa-edit-dialog");
      var question = document.getElementById("question-" + editButton.dataset.editQuestion);
      dialog.dataset.question = editButton.dataset.editQuestion;
      dialog.querySelector("[name=text]").value = question.querySelector(".question-text").textContent;
      errorIn("qa-edit-error")("");
      dialog.showModal();
      return;
    }
    if (event.target.closest("[data-qa-edit-cancel]")) {
      event.target.closest("dialog").close();
      return;
    }
    var withdraw = event.target.closest("[data-withdraw-question]");
    if (withdraw && window.confirm("Withdraw your question?")) {
      send("qa_withdraw", { question: Number(withdraw.dataset.withdrawQuestion) }, errorIn("qa-action-error"),
        function () {});
    }
  });
})();
