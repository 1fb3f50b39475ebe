/* Shared by the modeler and the viewer bundles. */
import { layoutProcess } from 'bpmn-auto-layout';

/* A file without a diagram (drawn by hand or by another tool) gets a generated layout. */
export async function withDiagram(xml) {
  if (/BPMNDiagram/.test(xml)) { return { xml: xml, generated: false }; }
  return { xml: await layoutProcess(xml), generated: true };
}

export function el(tag, attrs, textContent) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
  if (textContent !== undefined) { node.textContent = textContent; }
  return node;
}

