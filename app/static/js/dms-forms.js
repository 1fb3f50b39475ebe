/* Minimal behaviour for server-rendered forms: add/remove array rows, conditional fields,
   a size check of chosen files.
   Without JavaScript the form still posts and is validated on the server. */
(function () {
  "use strict";
  function renumber(array) {
    var name = array.getAttribute("data-array");
    array.querySelectorAll("tbody tr.dms-row").forEach(function (row, index) {
      row.querySelectorAll("[name]").forEach(function (input) {
        var rest = input.name.slice(name.length).replace(/^\[\d+\]/, "");
        input.name = name + "[" + index + "]" + rest;
        input.id = "f-" + input.name;
      });
    });
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.classList.contains("dms-add-row")) {
      var array = target.closest(".dms-array");
      var template = array.querySelector("template.dms-row-template");
      var body = array.querySelector("tbody");
      var html = template.innerHTML.replace(/__index__/g, String(body.children.length));
      body.insertAdjacentHTML("beforeend", html);
      renumber(array);
    } else if (target.classList.contains("dms-remove-row")) {
      var owner = target.closest(".dms-array");
      target.closest("tr").remove();
      renumber(owner);
    }
  });
  function applyConditions(form) {
    form.querySelectorAll("[data-show-if-field]").forEach(function (block) {
      var field = form.querySelector("[name='" + block.getAttribute("data-show-if-field") + "']:checked") ||
                  form.querySelector("[name='" + block.getAttribute("data-show-if-field") + "']");
      var values = JSON.parse(block.getAttribute("data-show-if-values"));
      var matched = field ? values.map(String).indexOf(field.value) >= 0 : false;
      var show = block.getAttribute("data-show-if-negate") === "1" ? !matched : matched;
      block.hidden = !show;
      block.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !show; });
    });
  }
  // A file over the field's limit is not sent at all (the server checks every file again).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "file" || !input.hasAttribute("data-max-bytes")) { return; }
    var box = input.closest(".dms-file");
    var note = box.querySelector(".dms-file-note");
    if (!note) {
      note = document.createElement("span");
      note.className = "help-block dms-error dms-file-note";
      box.appendChild(note);
    }
    var file = input.files && input.files[0];
    var tooLarge = file && file.size > Number(input.getAttribute("data-max-bytes"));
    note.textContent = tooLarge ? input.getAttribute("data-too-large") : "";
    var group = box.closest(".form-group, td");
    if (group) { group.classList.toggle("has-error", Boolean(tooLarge)); }
    if (tooLarge) { input.value = ""; }
  });
  document.querySelectorAll(".dms-form").forEach(function (form) {
    applyConditions(form);
    form.addEventListener("change", function () { applyConditions(form); });
  });
})();
