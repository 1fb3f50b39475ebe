/* Reading and writing the spiffworkflow:* extension elements our engine understands, through
 * bpmn-js's modeling commands so every change can be undone. */
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export function extension(bo, type) {
  var ext = bo.get('extensionElements');
  return ext ? (ext.get('values') || []).filter(function (v) { return is(v, type); })[0] : undefined;
}

function extensionElements(element, bo, services) {
  var ext = bo.get('extensionElements');
  if (!ext) {
    ext = services.bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    services.modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  return ext;
}

function addExtension(element, bo, type, attrs, services) {
  var ext = extensionElements(element, bo, services);
  var created = services.bpmnFactory.create(type, attrs || {});
  services.modeling.updateModdleProperties(element, ext, { values: ext.get('values').concat([created]) });
  return created;
}

function removeExtension(element, bo, item, services) {
  var ext = bo.get('extensionElements');
  services.modeling.updateModdleProperties(element, ext, {
    values: ext.get('values').filter(function (v) { return v !== item; })
  });
}

/* spiffworkflow:property name="…" value="…" */
export function getProperty(element, name) {
  var props = extension(getBusinessObject(element), 'spiffworkflow:Properties');
  var found = props && (props.get('property') || []).filter(function (p) { return p.name === name; })[0];
  return found ? found.value || '' : '';
}

export function setProperty(element, name, value, services) {
  var bo = getBusinessObject(element);
  var props = extension(bo, 'spiffworkflow:Properties');
  if (!props) {
    if (!value) { return; }
    props = addExtension(element, bo, 'spiffworkflow:Properties', { property: [] }, services);
  }
  var list = props.get('property');
  var found = list.filter(function (p) { return p.name === name; })[0];
  if (!value) {
    if (found) {
      services.modeling.updateModdleProperties(element, props, {
        property: list.filter(function (p) { return p !== found; })
      });
    }
    return;
  }
  if (found) {
    services.modeling.updateModdleProperties(element, found, { value: value });
  } else {
    var created = services.bpmnFactory.create('spiffworkflow:Property', { name: name, value: value });
    services.modeling.updateModdleProperties(element, props, { property: list.concat([created]) });
  }
}

/* Elements with a text body: calledDecisionId, instructionsForEndUser. */
export function getBody(element, type) {
  var found = extension(getBusinessObject(element), type);
  return found ? found.value || '' : '';
}

export function setBody(element, type, value, services) {
  var bo = getBusinessObject(element);
  var found = extension(bo, type);
  if (!value) {
    if (found) { removeExtension(element, bo, found, services); }
  } else if (found) {
    services.modeling.updateModdleProperties(element, found, { value: value });
  } else {
    addExtension(element, bo, type, { value: value }, services);
  }
}

/* spiffworkflow:serviceTaskOperator id=… resultVariable=… with its parameters. */
export function getOperator(element) {
  return extension(getBusinessObject(element), 'spiffworkflow:ServiceTaskOperator');
}

export function setOperator(element, attrs, services) {
  var bo = getBusinessObject(element);
  var operator = getOperator(element);
  if (!operator) {
    var parameters = services.bpmnFactory.create('spiffworkflow:Parameters', { parameter: [] });
    addExtension(element, bo, 'spiffworkflow:ServiceTaskOperator', Object.assign({ parameters: parameters }, attrs), services);
  } else {
    services.modeling.updateModdleProperties(element, operator, attrs);
  }
}

/* Parameters as text, one `name = expression` per line. */
export function parametersText(element) {
  var operator = getOperator(element);
  var params = operator && operator.get('parameters');
  return ((params && params.get('parameter')) || []).map(function (p) {
    return p.id + ' = ' + (p.value || '');
  }).join('\n');
}

export function setParametersText(element, text, services) {
  setOperator(element, {}, services);
  var operator = getOperator(element);
  var params = operator.get('parameters');
  if (!params) {
    params = services.bpmnFactory.create('spiffworkflow:Parameters', { parameter: [] });
    services.modeling.updateModdleProperties(element, operator, { parameters: params });
  }
  var list = (text || '').split('\n').map(function (line) {
    var at = line.indexOf('=');
    if (at < 1) { return null; }
    return services.bpmnFactory.create('spiffworkflow:Parameter', {
      id: line.slice(0, at).trim(), value: line.slice(at + 1).trim()
    });
  }).filter(Boolean);
  services.modeling.updateModdleProperties(element, params, { parameter: list });
}

/* A sequence flow's condition (bpmn:conditionExpression). */
export function getCondition(element) {
  var expr = getBusinessObject(element).get('conditionExpression');
  return expr ? expr.get('body') || '' : '';
}

export function setCondition(element, text, services) {
  var bo = getBusinessObject(element);
  var expr = text ? services.bpmnFactory.create('bpmn:FormalExpression', { body: text }) : undefined;
  services.modeling.updateModdleProperties(element, bo, { conditionExpression: expr });
}

/* Timers are stored as quoted ISO-8601 strings ("PT48H"); people type them without quotes. */
var TIMER_KINDS = ['timeDuration', 'timeDate', 'timeCycle'];

export function timerDefinition(element) {
  var bo = getBusinessObject(element);
  return (bo.get('eventDefinitions') || []).filter(function (d) { return is(d, 'bpmn:TimerEventDefinition'); })[0];
}

export function getTimer(element) {
  var timer = timerDefinition(element);
  if (!timer) { return { kind: 'timeDuration', value: '' }; }
  for (var i = 0; i < TIMER_KINDS.length; i++) {
    var expr = timer.get(TIMER_KINDS[i]);
    if (expr) {
      return { kind: TIMER_KINDS[i], value: (expr.get('body') || '').replace(/^\s*"|"\s*$/g, '') };
    }
  }
  return { kind: 'timeDuration', value: '' };
}

export function setTimer(element, kind, value, services) {
  var timer = timerDefinition(element);
  var attrs = {};
  TIMER_KINDS.forEach(function (k) { attrs[k] = undefined; });
  var clean = (value || '').trim().replace(/^"|"$/g, '');
  if (clean) {
    attrs[kind] = services.bpmnFactory.create('bpmn:FormalExpression', { body: '"' + clean + '"' });
  }
  services.modeling.updateModdleProperties(element, timer, attrs);
}
