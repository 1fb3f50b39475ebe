/* Decision-table editor: open the table in dmn-js, edit and run its example cases against the
   unsaved table, put the edited XML into the form on deploy. Every text from the server or the
   cases goes into the page with textContent, never as HTML. */
(function () {
  "use strict";
  var container = document.getElementById("dmn-editor");
  if (!container || !window.DmnJS) { return; }
  var form = document.getElementById("deploy-form");
  var casesBox = document.getElementById("dmn-cases");
  var syntax = document.getElementById("cases-syntax");
  var results = document.getElementById("case-results");
  var text = JSON.parse(document.getElementById("rules-text").textContent);
  var modeler = new window.DmnJS({ container: container, common: { keyboard: { bindTo: window } } });
  var xml = JSON.parse(document.getElementById("dmn-source").textContent);
  modeler.importXML(xml).then(function () {
    var table = modeler.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
    if (table) { return modeler.open(table); }
  }).then(function () {
    container.setAttribute("data-ready", "1");
  }).catch(function (error) {
    container.textContent = String(error);
  });

  function element(tag, content, className) {
    var node = document.createElement(tag);
    if (content !== undefined && content !== null) { node.textContent = content; }
    if (className) { node.className = className; }
    return node;
  }

  function show(value) {
    return value === null || value === undefined ? text.no_match : JSON.stringify(value);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }

  /* The cases document, or null after showing why it is not valid JSON. */
  function parseCases() {
    try {
      var doc = JSON.parse(casesBox.value);
      syntax.hidden = true;
      return doc;
    } catch (error) {
      syntax.textContent = text.bad_json + " " + error.message;
      syntax.hidden = false;
      return null;
    }
  }

  function showMessage(className, title, lines) {
    results.textContent = "";
    var box = element("div", null, "alert " + className);
    box.setAttribute("role", "alert");
    box.appendChild(element("strong", title));
    var list = element("ul");
    lines.forEach(function (line) { list.appendChild(element("li", line)); });
    box.appendChild(list);
    results.appendChild(box);
  }

  function problemLine(p) {
    return [p.file, p.element, p.line ? text.line + " " + p.line : null].filter(Boolean).join(" · ") + ": " + p.message;
  }

  function showResults(data) {
    results.textContent = "";
    if (!data.results.length) {
      results.appendChild(element("p", text.no_cases, "text-muted"));
      return;
    }
    var total = data.passed + data.failed;
    results.appendChild(element("p", fill(text.summary, { passed: data.passed, total: total }),
      data.failed ? "text-danger" : "text-success"));
    var wrap = element("div", null, "table-responsive");
    var table = element("table", null, "table table-condensed table-bordered");
    var head = element("tr");
    [text.result, text.case, text.expected, text.actual, text.rules].forEach(function (label) {
      head.appendChild(element("th", label));
    });
    table.appendChild(element("thead")).appendChild(head);
    var body = table.appendChild(element("tbody"));
    data.results.forEach(function (r) {
      var row = element("tr", null, r.passed ? "success" : "danger");
      row.setAttribute("data-case", r.passed ? "passed" : "failed");
      var label = r.error ? text.error : (r.passed ? text.passed : text.failed);
      row.appendChild(element("td", label));
      row.appendChild(element("td", r.name));
      row.appendChild(element("td", show(r.expected), "dms-code"));
      row.appendChild(element("td", r.error ? r.error : show(r.actual), "dms-code"));
      row.appendChild(element("td", r.matched_rules.map(function (m) {
        return m.row + " (" + m.id + ")";
      }).join(", ")));
      body.appendChild(row);
    });
    wrap.appendChild(table);
    results.appendChild(wrap);
  }

  document.getElementById("add-case").addEventListener("click", function () {
    var doc = parseCases();
    if (!doc) { return; }
    var blank = JSON.parse(document.getElementById("blank-case").textContent);
    if (!Array.isArray(doc.cases)) { doc.cases = []; }
    blank.name = blank.name + " " + (doc.cases.length + 1);
    doc.cases.push(blank);
    casesBox.value = JSON.stringify(doc, null, 2) + "\n";
    casesBox.focus();
  });

  document.getElementById("run-cases").addEventListener("click", function () {
    var button = this;
    if (!parseCases()) { return; }
    button.disabled = true;
    results.textContent = "";
    results.appendChild(element("p", text.running, "text-muted"));
    modeler.saveXML({ format: true }).then(function (saved) {
      return fetch(form.getAttribute("data-run-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": form.querySelector("input[name=csrf_token]").value
        },
        body: JSON.stringify({ xml: saved.xml, cases: casesBox.value })
      });
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) {
        showMessage("alert-danger", fill(text.http, { status: response.status }), []);
        return;
      }
      return response.json().then(function (data) {
        if (response.ok) {
          showResults(data);
        } else if (response.status === 422) {
          showMessage("alert-danger", text.refused, (data.errors || []).map(problemLine));
        } else {
          showMessage("alert-danger", fill(text.http, { status: response.status }), [data.message || ""]);
        }
      });
    }).catch(function (error) {
      showMessage("alert-danger", text.refused, [String(error)]);
    }).then(function () {
      button.disabled = false;
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!parseCases()) { return; }
    modeler.saveXML({ format: true }).then(function (result) {
      document.getElementById("dmn-xml").value = result.xml;
      form.submit();
    });
  });
})();
