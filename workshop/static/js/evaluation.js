// The evaluation's unfinished answers stay in this browser (localStorage) until they are sent, and are forgotten
// once the server says the evaluation was received. Also the printable summary's Print button.
(function () {
  "use strict";

  function store(action) {
    try { return action(window.localStorage); } catch (error) { return null; } // private mode, storage full
  }

  var sent = document.querySelector("[data-draft-clear]");
  if (sent) {
    store(function (storage) { storage.removeItem(sent.dataset.draftClear); });
  }

  var printButton = document.querySelector("[data-print]");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }

  var form = document.querySelector("form[data-draft-key]");
  if (!form) {
    return;
  }
  var key = form.dataset.draftKey;
  var status = document.querySelector("#draft-status small");

  function fields() {
    return Array.prototype.filter.call(form.elements, function (element) { return /^q\d+$/.test(element.name); });
  }

  function save() {
    var answers = {};
    fields().forEach(function (element) {
      if (element.type !== "radio") {
        answers[element.name] = element.value;
      } else if (element.checked) {
        answers[element.name] = element.value;
      }
    });
    store(function (storage) { storage.setItem(key, JSON.stringify(answers)); });
    if (status) {
      status.textContent = "Your answers are kept in this browser until you send them.";
    }
  }

  function restore() {
    var saved = store(function (storage) { return JSON.parse(storage.getItem(key) || "null"); });
    if (!saved) {
      return;
    }
    fields().forEach(function (element) {
      if (!(element.name in saved)) {
        return;
      }
      if (element.type === "radio") {
        element.checked = element.value === saved[element.name];
      } else if (!element.value) {
        element.value = saved[element.name];
      }
    });
    if (status) {
      status.textContent = "Your unsent answers from before were restored.";
    }
  }

  restore();
  form.addEventListener("input", save);
  form.addEventListener("change", save);
})();
