// Report uploads: a file chosen or dropped is sent with XMLHttpRequest so a
// progress bar can follow it. The server's answer (JSON) is shown in the
// form's status line; on success the page reloads to show the new version.
// Without JavaScript the same form posts normally.
(function () {
  "use strict";
  function csrfToken(form) {
    var field = form.querySelector("input[name=csrf_token]");
    if (field) { return field.value; }
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function say(form, text, failed) {
    var message = form.querySelector(".upload-message");
    message.textContent = text;
    message.classList.toggle("field-error", Boolean(failed));
  }

  function chosenName(form) {
    var input = form.querySelector("input[type=file]");
    return input.files.length ? input.files[0].name : "";
  }

  function send(form) {
    var input = form.querySelector("input[type=file]");
    var file = input.files[0];
    if (!file) { say(form, "Choose a file to upload.", true); return; }
    if (file.size === 0) { say(form, "The file is empty. Nothing was saved.", true); return; }
    if (file.size > Number(form.dataset.maxBytes)) {
      say(form, "The file is larger than the limit of " + form.dataset.maxLabel + ". Nothing was saved.", true);
      return;
    }
    var progress = form.querySelector("progress");
    var button = form.querySelector("button[type=submit]");
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.setRequestHeader("X-CSRFToken", csrfToken(form));
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) { progress.value = Math.round(100 * event.loaded / event.total); }
    });
    request.addEventListener("load", function () {
      var answer = null;
      try { answer = JSON.parse(request.responseText); } catch (e) { answer = null; }
      button.disabled = false;
      if (request.status === 200 && answer && answer.ok) {
        progress.value = 100;
        say(form, answer.message, false);
        window.location.assign(answer.url);
        return;
      }
      progress.hidden = true;
      if (answer && answer.message) { say(form, answer.message, true); return; }
      say(form, request.status === 413 ? "The file is larger than the server accepts. Nothing was saved."
        : "The upload failed (" + request.status + "). Nothing was saved; please try again.", true);
    });
    request.addEventListener("error", function () {
      button.disabled = false;
      progress.hidden = true;
      say(form, "The connection was lost during the upload. Nothing was saved; please try again.", true);
    });
    progress.value = 0;
    progress.hidden = false;
    button.disabled = true;
    say(form, "Uploading " + file.name + "…", false);
    var data = new FormData();
    data.append("file", file, file.name);
    request.send(data);
  }

  document.querySelectorAll("form[data-report-upload]").forEach(function (form) {
    var zone = form.querySelector("[data-drop-zone]");
    var input = form.querySelector("input[type=file]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(form);
    });
    input.addEventListener("change", function () { if (chosenName(form)) { say(form, "Ready: " + chosenName(form), false); } });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
      input.files = event.dataTransfer.files;
      send(form);
    });
  });
})();
