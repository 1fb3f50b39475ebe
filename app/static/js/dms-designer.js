/* Form designer: check the JSON of each box while typing and say on which line and column it
   breaks (the server checks again on every action). */
(function () {
  "use strict";
  var boxes = ["schema", "uischema", "sample"].map(function (id) { return document.getElementById(id); })
    .filter(Boolean);
  var texts = document.getElementById("designer-texts");
  var prefix = texts ? texts.getAttribute("data-not-json") : "Not valid JSON";
  var atLine = texts ? texts.getAttribute("data-at") : "line %l, column %c";

  /* Where a JSON text first breaks: the index, or -1 when it is valid. */
  function firstError(s) {
    var i = 0;
    function ws() { while (i < s.length && " \t\n\r".indexOf(s[i]) >= 0) { i++; } }
    function fail() { throw i; }
    function word(w) { if (s.slice(i, i + w.length) !== w) { fail(); } i += w.length; }
    function string() {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === "\\") {
          i++;
          if (s[i] === "u") { if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5))) { fail(); } i += 4; }
          else if ('"\\/bfnrt'.indexOf(s[i]) < 0) { fail(); }
        } else if (s.charCodeAt(i) < 32) { fail(); }
        i++;
      }
      if (s[i] !== '"') { fail(); }
      i++;
    }
    function value() {
      ws();
      var c = s[i];
      if (c === "{") {
        i++; ws();
        if (s[i] === "}") { i++; return; }
        for (;;) {
          ws(); if (s[i] !== '"') { fail(); } string(); ws();
          if (s[i] !== ":") { fail(); } i++; value(); ws();
          if (s[i] === ",") { i++; continue; }
          if (s[i] === "}") { i++; return; }
          fail();
        }
      } else if (c === "[") {
        i++; ws();
        if (s[i] === "]") { i++; return; }
        for (;;) {
          value(); ws();
          if (s[i] === ",") { i++; continue; }
          if (s[i] === "]") { i++; return; }
          fail();
        }
      } else if (c === '"') { string(); }
      else if (c === "t") { word("true"); } else if (c === "f") { word("false"); } else if (c === "n") { word("null"); }
      else {
        var m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(s.slice(i));
        if (!m || !m[0]) { fail(); }
        i += m[0].length;
      }
    }
    try { value(); ws(); if (i < s.length) { fail(); } return -1; } catch (at) { return at; }
  }

  function check(box) {
    var note = box.parentNode.querySelector(".dms-json-error");
    if (!note) {
      note = document.createElement("span");
      note.className = "help-block dms-json-error";
      note.setAttribute("data-json-error", box.id);
      box.parentNode.appendChild(note);
    }
    var text = box.value;
    var at = text.trim() ? firstError(text) : -1;
    if (at < 0) {
      note.textContent = "";
      box.parentNode.classList.remove("has-error");
      return;
    }
    var lines = text.slice(0, at).split("\n");
    var near = text.slice(at, at + 12).split("\n")[0];
    note.textContent = prefix + ": " + atLine.replace("%l", lines.length)
      .replace("%c", lines[lines.length - 1].length + 1) + (near ? " «" + near + "»" : "");
    box.parentNode.classList.add("has-error");
  }

  boxes.forEach(function (box) {
    var timer = null;
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { check(box); }, 300);
    });
  });
})();
