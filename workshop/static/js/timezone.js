// The browser's timezone (Intl API) as a suggestion: hidden fields are filled
// with it, and where a page shows the person's saved zone and the browser's
// differs, a "Use it" button offers to switch. Browsers report some zones by
// old names (Chromium: Asia/Calcutta, Asia/Katmandu, Europe/Kiev); the page
// gives this script the map to current names (data-zone-aliases), so the zone
// offered and compared is the one the server saves.
(function () {
  "use strict";
  var script = document.currentScript;
  var aliases = {};
  try { aliases = JSON.parse(script.dataset.zoneAliases || "{}"); } catch (e) { aliases = {}; }
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  if (!zone) { return; }
  zone = aliases[zone] || zone;
  document.querySelectorAll("input[data-browser-timezone]").forEach(function (input) {
    if (!input.value) { input.value = zone; }
  });
  document.querySelectorAll("[data-timezone-suggestion]").forEach(function (box) {
    if (box.dataset.current === zone) { return; }
    box.querySelector("[data-browser-zone]").textContent = zone;
    box.hidden = false;
    box.querySelector("[data-use-browser-zone]").addEventListener("click", function () {
      var form = box.closest("form");
      form.querySelector("input[name=timezone]").value = zone;
      form.requestSubmit();
    });
  });
})();
