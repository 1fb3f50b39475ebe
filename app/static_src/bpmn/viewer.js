/* The instance viewer: a process version's diagram with the instance's path (bundled by esbuild). */
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import spiffworkflow from './spiffworkflow.json';
import { withDiagram } from './common';
import translateModule from './translate';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';

/* Completed steps in green, the current ones in blue, the flows taken between them. */
function viewer(config) {
  var bpmn = new NavigatedViewer({
    container: '#' + config.canvasId,
    additionalModules: [translateModule(config.locale)],
    moddleExtensions: { spiffworkflow: spiffworkflow }
  });
  return withDiagram(config.xml).then(function (prepared) {
    return bpmn.importXML(prepared.xml);
  }).then(function () {
    var canvas = bpmn.get('canvas'), registry = bpmn.get('elementRegistry');
    var done = new Set(config.completed), now = new Set(config.current);
    registry.forEach(function (shape) {
      var id = shape.id;
      if (now.has(id)) { canvas.addMarker(id, 'dms-current'); }
      else if (done.has(id)) { canvas.addMarker(id, 'dms-completed'); }
      else if (shape.type === 'bpmn:SequenceFlow' && shape.source && shape.target &&
               done.has(shape.source.id) && (done.has(shape.target.id) || now.has(shape.target.id))) {
        canvas.addMarker(id, 'dms-taken');
      }
    });
    canvas.zoom('fit-viewport');
    document.getElementById(config.canvasId).setAttribute('data-ready', '1');
    return bpmn;
  }).catch(function (error) {
    document.getElementById(config.canvasId).textContent = String(error.message || error);
  });
}

window.DmsBpmnViewer = viewer;
