// Countdowns to session boundaries. When a boundary passes, the enclosing
// [data-boundary-at] element gets a "boundary" event, and htmx reloads it
// (hx-trigger="boundary"), so "now and next" moves on without a page reload.
(function () {
  "use strict";
  function describe(ms) {
    var minutes = Math.max(0, Math.ceil(ms / 60000));
    if (minutes < 1) { return "less than a minute"; }
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var rest = minutes % 60;
    if (days > 0) { return days + " d " + hours + " h"; }
    if (hours > 0) { return hours + " h " + (rest < 10 ? "0" : "") + rest + " min"; }
    return rest + " min";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown-to]").forEach(function (el) {
      var left = Date.parse(el.dataset.countdownTo) - now;
      el.textContent = (el.dataset.countdownPrefix || "in") + " " + describe(left);
    });
    document.querySelectorAll("[data-boundary-at]").forEach(function (el) {
      if (!el.dataset.boundaryFired && Date.parse(el.dataset.boundaryAt) <= now) {
        el.dataset.boundaryFired = "1";
        htmx.trigger(el, "boundary");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
})();
