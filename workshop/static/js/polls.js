// Voting: a poll form sends its answer over the live socket and shows the
// acknowledgement (sent only after the ballot is committed). The answer
// shown as "yours" and the error message come back with the acknowledgement.
(function () {
  "use strict";
  function answerOf(form) {
    var kind = form.dataset.kind;
    var checked = Array.prototype.map.call(form.querySelectorAll("input:checked"), function (i) { return Number(i.value); });
    if (kind === "single choice") { return { option: checked[0] }; }
    if (kind === "multiple choice") { return { options: checked }; }
    if (kind === "rating") { return { rating: checked[0] }; }
    if (kind === "ranking") {
      var placed = Array.prototype.filter.call(form.querySelectorAll("select[data-option]"), function (s) { return s.value; });
      placed.sort(function (a, b) { return Number(a.value) - Number(b.value); });
      return { options: placed.map(function (s) { return Number(s.dataset.option); }) };
    }
    return { text: form.querySelector("[name=text]").value };
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-poll-form]");
    if (!form) { return; }
    event.preventDefault();
    var socket = window.workshopSocket;
    var pollId = Number(form.dataset.pollForm);
    var error = form.querySelector(".poll-error");
    var button = form.querySelector("button[type=submit]");
    if (!socket || !socket.connected) { error.textContent = "Not connected; your vote was not sent. Try again in a moment."; return; }
    button.disabled = true;
    error.textContent = "";
    socket.timeout(10000).emit("vote", { poll: pollId, answer: answerOf(form) }, function (failure, ack) {
      button.disabled = false;
      if (failure) { error.textContent = "No answer from the server; your vote may not have been counted. Try again."; return; }
      if (!ack.ok) { error.textContent = ack.message; return; }
      var mine = document.getElementById("poll-mine-" + pollId);
      if (mine) { mine.outerHTML = ack.mine; }
    });
  });
})();
