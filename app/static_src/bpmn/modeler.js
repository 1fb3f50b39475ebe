/* The BPMN modeler with our properties panel (bundled by esbuild into app/static/vendor/dms-bpmn/).
 * The page passes its configuration as JSON; every request carries the CSRF token. */
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import spiffworkflow from './spiffworkflow.json';
import DmsPropertiesProvider from './provider';
import { el, withDiagram } from './common';
import translateModule from './translate';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';

function post(url, csrf, body) {
  return fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf, 'Accept': 'application/json' },
    body: JSON.stringify(body)
  }).then(function (response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      return { status: response.status, data: data };
    });
  });
}

function modeler(config) {
  var labels = config.catalog.labels;
  var status = document.getElementById(config.statusId);
  var problemsBox = document.getElementById(config.problemsId);
  var bpmn = new BpmnModeler({
    container: '#' + config.canvasId,
    propertiesPanel: { parent: '#' + config.panelId },
    additionalModules: [
      BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, translateModule(config.locale),
      { __init__: ['dmsPropertiesProvider'], dmsPropertiesProvider: ['type', DmsPropertiesProvider], dmsCatalog: ['value', config.catalog] }
    ],
    moddleExtensions: { spiffworkflow: spiffworkflow }
  });
  var marked = [];

  function say(message, kind) {
    status.className = 'alert alert-' + (kind || 'info');
    status.textContent = message;
    status.hidden = !message;
  }

  function clearProblems() {
    var canvas = bpmn.get('canvas');
    marked.forEach(function (id) { try { canvas.removeMarker(id, 'dms-error'); } catch (e) { /* gone */ } });
    marked = [];
    bpmn.get('overlays').remove({ type: 'dms-problem' });
    problemsBox.replaceChildren();
    problemsBox.hidden = true;
  }

  function showProblems(problems) {
    clearProblems();
    var registry = bpmn.get('elementRegistry');
    var list = el('ul');
    problems.forEach(function (p) {
      var where = [p.file, p.element, p.line ? labels.line + ' ' + p.line : null].filter(Boolean).join(' · ');
      var item = el('li', { 'data-element': p.element || '' }, where + ': ' + p.message);
      var shape = p.element && registry.get(p.element);
      if (shape) {
        bpmn.get('canvas').addMarker(p.element, 'dms-error');
        marked.push(p.element);
        bpmn.get('overlays').add(p.element, 'dms-problem', {
          position: { top: -14, right: 14 }, html: el('span', { 'class': 'dms-problem-badge', title: p.message }, '!')
        });
        item.className = 'dms-problem-link';
        item.addEventListener('click', function () {
          bpmn.get('selection').select(shape);
          bpmn.get('canvas').scrollToElement(shape);
        });
      }
      list.appendChild(item);
    });
    problemsBox.appendChild(el('strong', {}, labels.problems));
    problemsBox.appendChild(list);
    problemsBox.hidden = false;
  }

  function xml() {
    return bpmn.saveXML({ format: true }).then(function (r) { return r.xml; });
  }

  function send(url, doneMessage) {
    return xml().then(function (content) { return post(url, config.csrf, { xml: content }); }).then(function (r) {
      if (r.status === 422 && r.data.problems) {
        showProblems(r.data.problems);
        say(r.data.message || labels.refused, 'danger');
      } else if (r.status >= 400) {
        say(r.data.message || (labels.failed + ' (' + r.status + ')'), 'danger');
      } else {
        clearProblems();
        say(doneMessage(r.data), 'success');
      }
      return r;
    });
  }

  var actions = {
    validate: function () {
      return send(config.urls.validate, function () { return labels.valid; });
    },
    draft: function () {
      return send(config.urls.draft, function (d) { return d.message; });
    },
    deploy: function () {
      return send(config.urls.deploy, function (d) {
        var shown = document.getElementById('deployed-version');
        if (shown && d.version) { shown.textContent = 'v' + d.version; }
        return d.message;
      });
    },
    download: function () {
      return xml().then(function (content) {
        var link = el('a', { download: config.filename });
        link.href = URL.createObjectURL(new Blob([content], { type: 'application/xml' }));
        document.body.appendChild(link);
        link.click();
        link.remove();
      });
    }
  };
  Object.keys(actions).forEach(function (name) {
    var button = document.querySelector('[data-action="' + name + '"]');
    if (button) {
      button.addEventListener('click', function () {
        button.disabled = true;
        actions[name]().catch(function (error) { say(String(error), 'danger'); })
          .finally(function () { button.disabled = false; });
      });
    }
  });

  return withDiagram(config.xml).then(function (prepared) {
    return bpmn.importXML(prepared.xml).then(function () {
      bpmn.get('canvas').zoom('fit-viewport');
      if (prepared.generated) { say(labels.generatedLayout, 'info'); }
      if (config.problems && config.problems.length) { showProblems(config.problems); }
      document.getElementById(config.canvasId).setAttribute('data-ready', '1');
      window.dmsModeler = bpmn;
      return bpmn;
    });
  }).catch(function (error) {
    say(labels.cannotOpen + ': ' + error.message, 'danger');
  });
}

window.DmsBpmnModeler = modeler;
