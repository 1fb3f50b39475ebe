/* Decision-table editor: open the table in dmn-js, put the edited XML into the form on deploy. */
(function () {
  "use strict";
  var container = document.getElementById("dmn-editor");
  if (!container || !window.DmnJS) { return; }
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
  document.getElementById("deploy-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    modeler.saveXML({ format: true }).then(function (result) {
      document.getElementById("dmn-xml").value = result.xml;
      form.submit();
    });
  });
})();
