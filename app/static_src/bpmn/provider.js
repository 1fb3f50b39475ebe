/* Properties-panel groups for what our flows need, edited without XML:
 * a user task's form, candidate roles, time limit and instructions; a service task's operation
 * (from the registry), result variable and parameters; a business rule task's decision; a
 * gateway flow's condition; a timer's duration/date/cycle. Labels come translated from the page. */
import { jsx } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import {
  Group, SelectEntry, TextAreaEntry, TextFieldEntry,
  isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';
import {
  getBody, getCondition, getOperator, getProperty, getTimer, parametersText,
  setBody, setCondition, setOperator, setParametersText, setProperty, setTimer, timerDefinition
} from './extensions';

var ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
var ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
var ISO_CYCLE = /^R\d*\/(P.+|.+\/P.+)$/;

function useServices() {
  return { modeling: useService('modeling'), bpmnFactory: useService('bpmnFactory') };
}

function useCatalog() {
  return useService('dmsCatalog');
}

function text(props, getValue, setValue, validate) {
  return jsx(TextFieldEntry, {
    element: props.element, id: props.id, label: props.label, description: props.description,
    getValue: getValue, setValue: setValue, debounce: useService('debounceInput'), validate: validate
  });
}

function area(props, getValue, setValue, rows) {
  return jsx(TextAreaEntry, {
    element: props.element, id: props.id, label: props.label, description: props.description,
    getValue: getValue, setValue: setValue, debounce: useService('debounceInput'), rows: rows || 3,
    monospace: true
  });
}

function select(props, options, getValue, setValue) {
  return jsx(SelectEntry, {
    element: props.element, id: props.id, label: props.label, description: props.description,
    getValue: getValue, setValue: setValue,
    getOptions: function () { return options; }
  });
}

function options(names, emptyLabel, current) {
  var list = [{ value: '', label: emptyLabel }];
  var seen = {};
  names.forEach(function (n) { seen[n] = true; list.push({ value: n, label: n }); });
  if (current && !seen[current]) { list.push({ value: current, label: current + ' (?)' }); }
  return list;
}

function FormEntry(props) {
  var el = props.element, services = useServices(), catalog = useCatalog();
  var current = getProperty(el, 'formJsonSchemaFilename').replace(/\.schema\.json$/, '');
  return select(Object.assign({}, props, { label: catalog.labels.form, description: catalog.labels.formHelp }),
    options(catalog.forms, catalog.labels.decisionForm, current),
    function () { return current; },
    function (v) { setProperty(el, 'formJsonSchemaFilename', v, services); });
}

function RolesEntry(props) {
  var el = props.element, services = useServices(), catalog = useCatalog();
  var lane = (el.businessObject.lanes || [])[0];
  var laneHelp = lane && lane.name ? catalog.labels.laneRole + ': ' + lane.name + '. ' : '';
  return text(Object.assign({}, props, {
    label: catalog.labels.roles, description: laneHelp + catalog.labels.knownRoles + ': ' + catalog.roles.join(', ')
  }), function () { return getProperty(el, 'candidateRoles'); },
  function (v) { setProperty(el, 'candidateRoles', (v || '').trim(), services); },
  function (v) {
    var unknown = (v || '').split(',').map(function (r) { return r.trim(); }).filter(function (r) {
      return r && catalog.roles.indexOf(r) < 0;
    });
    return unknown.length ? catalog.labels.unknownRole + ': ' + unknown.join(', ') : null;
  });
}

function DueEntry(props) {
  var el = props.element, services = useServices(), catalog = useCatalog();
  return text(Object.assign({}, props, { label: catalog.labels.dueIn, description: catalog.labels.dueInHelp }),
    function () { return getProperty(el, 'dueIn'); },
    function (v) { setProperty(el, 'dueIn', (v || '').trim(), services); },
    function (v) { return v && !ISO_DURATION.test(v.trim()) ? catalog.labels.badDuration : null; });
}

function InstructionsEntry(props) {
  var el = props.element, services = useServices(), catalog = useCatalog();
  return area(Object.assign({}, props, { label: catalog.labels.instructions }),
    function () { return getBody(el, 'spiffworkflow:InstructionsForEndUser'); },
    function (v) { setBody(el, 'spiffworkflow:InstructionsForEndUser', v, services); });
}

function OperationEntry(props) {
  var el = props.element, services = useServices(), catalog = useCatalog();
  var operator = getOperator(el);
  var current = operator ? operator.id || '' : '';
  return select(Object.assign({}, props, { label: catalog.labels.operation }),
    options(catalog.operations, '—', current),
    function () { return current; },
    function (v) { setOperator(el, { id: v }, services); });
}

function ResultEntry(props) {
  var el = props.element, services = useServices(), catalog = useCatalog();
  return text(Object.assign({}, props, { label: catalog.labels.resultVariable }),
    function () { var op = getOperator(el); return op ? op.resultVariable || '' : ''; },
    function (v) { setOperator(el, { resultVariable: (v || '').trim() || undefined }, services); },
    function (v) { return v && !/^[A-Za-z][A-Za-z0-9_]*$/.test(v.trim()) ? catalog.labels.badName : null; });
}

function ParametersEntry(props) {
  var el = props.element, services = useServices(), catalog = useCatalog();
  return area(Object.assign({}, props, { label: catalog.labels.parameters, description: catalog.labels.parametersHelp }),
    function () { return parametersText(el); },
    function (v) { setParametersText(el, v, services); }, 4);
}

function DecisionEntry(props) {
  var el = props.element, services = useServices(), catalog = useCatalog();
  var current = getBody(el, 'spiffworkflow:CalledDecisionId');
  return select(Object.assign({}, props, { label: catalog.labels.decision }),
    options(catalog.decisions, '—', current),
    function () { return current; },
    function (v) { setBody(el, 'spiffworkflow:CalledDecisionId', v, services); });
}

function ConditionEntry(props) {
  var el = props.element, services = useServices(), catalog = useCatalog();
  return area(Object.assign({}, props, { label: catalog.labels.condition, description: catalog.labels.conditionHelp }),
    function () { return getCondition(el); },
    function (v) { setCondition(el, (v || '').trim(), services); }, 2);
}

function TimerKindEntry(props) {
  var el = props.element, services = useServices(), catalog = useCatalog();
  return select(Object.assign({}, props, { label: catalog.labels.timerKind }), [
    { value: 'timeDuration', label: catalog.labels.timeDuration },
    { value: 'timeDate', label: catalog.labels.timeDate },
    { value: 'timeCycle', label: catalog.labels.timeCycle }
  ], function () { return getTimer(el).kind; },
  function (v) { setTimer(el, v, getTimer(el).value, services); });
}

function TimerValueEntry(props) {
  var el = props.element, services = useServices(), catalog = useCatalog();
  return text(Object.assign({}, props, { label: catalog.labels.timerValue, description: catalog.labels.timerHelp }),
    function () { return getTimer(el).value; },
    function (v) { setTimer(el, getTimer(el).kind, v, services); },
    function (v) {
      var kind = getTimer(el).kind, value = (v || '').trim();
      var ok = !value || (kind === 'timeDuration' ? ISO_DURATION : kind === 'timeDate' ? ISO_DATE : ISO_CYCLE).test(value);
      return ok ? null : catalog.labels.badTimer;
    });
}

function entry(id, component, isEdited) {
  return { id: id, component: component, isEdited: isEdited };
}

function group(id, label, entries) {
  return { id: id, label: label, component: Group, entries: entries, shouldOpen: true };
}

function fromGateway(element) {
  var source = element.source && element.source.businessObject;
  return source && (is(source, 'bpmn:ExclusiveGateway') || is(source, 'bpmn:InclusiveGateway'));
}

export default function DmsPropertiesProvider(propertiesPanel, injector) {
  this._injector = injector;
  propertiesPanel.registerProvider(400, this);
}

DmsPropertiesProvider.$inject = ['propertiesPanel', 'injector'];

DmsPropertiesProvider.prototype.getGroups = function (element) {
  var labels = this._injector.get('dmsCatalog').labels;
  return function (groups) {
    var bo = getBusinessObject(element);
    var added = [];
    if (is(bo, 'bpmn:UserTask')) {
      added.push(group('dms-user-task', labels.userTask, [
        entry('dms-form', FormEntry, isSelectEntryEdited),
        entry('dms-roles', RolesEntry, isTextFieldEntryEdited),
        entry('dms-due', DueEntry, isTextFieldEntryEdited),
        entry('dms-instructions', InstructionsEntry, isTextAreaEntryEdited)
      ]));
    }
    if (is(bo, 'bpmn:ServiceTask')) {
      added.push(group('dms-service-task', labels.serviceTask, [
        entry('dms-operation', OperationEntry, isSelectEntryEdited),
        entry('dms-result', ResultEntry, isTextFieldEntryEdited),
        entry('dms-parameters', ParametersEntry, isTextAreaEntryEdited)
      ]));
    }
    if (is(bo, 'bpmn:BusinessRuleTask')) {
      added.push(group('dms-rule-task', labels.ruleTask, [entry('dms-decision', DecisionEntry, isSelectEntryEdited)]));
    }
    if (is(bo, 'bpmn:SequenceFlow') && fromGateway(element)) {
      added.push(group('dms-condition', labels.condition, [entry('dms-condition-expr', ConditionEntry, isTextAreaEntryEdited)]));
    }
    if (timerDefinition(element)) {
      groups = groups.filter(function (g) { return g.id !== 'timer'; });
      added.push(group('dms-timer', labels.timer, [
        entry('dms-timer-kind', TimerKindEntry, isSelectEntryEdited),
        entry('dms-timer-value', TimerValueEntry, isTextFieldEntryEdited)
      ]));
    }
    var at = groups.findIndex(function (g) { return g.id === 'general'; });
    groups.splice(at < 0 ? 0 : at + 1, 0, ...added);
    return groups;
  };
};
