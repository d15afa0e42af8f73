// Times in live fragments, which are rendered once for a whole room in UTC ("07:59 UTC", see _time.html), shown
// in the page's zone and language: the viewer's saved zone, labelled as the server labels the times it formats
// itself ("13:44 Asia/Kathmandu, UTC+5:45"). Fragments that arrive later are formatted as htmx swaps them in
// (htmx:load, also after live.js's htmx.swap) or as live.js adds them to a list (live:added).
(function () {
  "use strict";
  var script = document.currentScript;
  var zone = script.dataset.zone;
  var clock, offsets;
  try {
    clock = new Intl.DateTimeFormat(script.dataset.locale || undefined, { timeStyle: "short", timeZone: zone });
    offsets = new Intl.DateTimeFormat("en", { timeZone: zone, timeZoneName: "shortOffset" });
  } catch (e) {
    return; // a browser without these keeps the UTC times, labelled UTC
  }

  // "Asia/Kathmandu, UTC+5:45" ("GMT+5:45" from Intl), "Europe/London, UTC" in winter, "UTC" for UTC.
  function label(moment) {
    if (zone === "UTC") { return "UTC"; }
    var offset = offsets.formatToParts(moment).filter(function (part) { return part.type === "timeZoneName"; })[0];
    return zone + ", " + offset.value.replace("GMT", "UTC");
  }

  function show(time) {
    var moment = new Date(time.dateTime);
    if (time.dataset.shownIn === zone || isNaN(moment)) { return; }
    var zoneLabel = document.createElement("small");
    zoneLabel.className = "zone";
    zoneLabel.textContent = label(moment);
    time.replaceChildren(clock.format(moment) + " ", zoneLabel);
    time.dataset.shownIn = zone;
  }

  function showWithin(node) {
    if (!node || !node.querySelectorAll) { return; }
    if (node.matches("time[data-local-time]")) { show(node); }
    node.querySelectorAll("time[data-local-time]").forEach(show);
  }

  showWithin(document.body);
  document.addEventListener("htmx:load", function (event) { showWithin(event.target); });
  document.addEventListener("live:added", function (event) { showWithin(event.detail); });
})();
