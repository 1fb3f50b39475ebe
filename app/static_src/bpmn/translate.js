/* Chinese for the texts bpmn-js and its properties panel show themselves (palette, context pad,
 * standard groups); our own panel texts come translated from the server. */
var ZH = {
  'Activate hand tool': '抓手工具', 'Activate lasso tool': '套索工具',
  'Activate create/remove space tool': '创建/删除空间', 'Activate global connect tool': '全局连线工具',
  'Create start event': '开始事件', 'Create intermediate/boundary event': '中间/边界事件',
  'Create end event': '结束事件', 'Create gateway': '网关', 'Create task': '任务',
  'Create expanded sub-process': '展开的子流程', 'Create data object reference': '数据对象',
  'Create data store reference': '数据存储', 'Create pool/participant': '池/参与者', 'Create group': '分组',
  'Append end event': '追加结束事件', 'Append gateway': '追加网关', 'Append task': '追加任务',
  'Append intermediate/boundary event': '追加中间/边界事件', 'Change element': '更改类型',
  'Change type': '更改类型', 'Delete': '删除', 'Connect using sequence/message flow or association': '连线',
  'Connect to other element': '连接到其他元素',
  'Add text annotation': '添加注释', 'Add lane above': '在上方添加泳道', 'Add lane below': '在下方添加泳道',
  'Divide into two lanes': '拆分为两条泳道', 'Divide into three lanes': '拆分为三条泳道',
  'General': '常规', 'Name': '名称', 'ID': '标识', 'Documentation': '说明', 'Element documentation': '元素说明',
  'Process documentation': '流程说明', 'Process': '流程', 'Executable': '可执行', 'Version tag': '版本标签',
  'Multi-instance': '多实例', 'Loop cardinality': '实例数', 'Completion condition': '完成条件',
  'Timer': '定时器', 'Message': '消息', 'Signal': '信号', 'Error': '错误', 'Escalation': '升级',
  'Link': '链接', 'Compensation': '补偿', 'Global message reference': '消息引用',
  'Global signal reference': '信号引用', 'Global error reference': '错误引用',
  'Global escalation reference': '升级引用', '<none>': '<无>', 'Create new ...': '新建…',
  'Sequence Flow': '顺序流', 'Start Event': '开始事件', 'End Event': '结束事件', 'User Task': '人工任务',
  'Service Task': '服务任务', 'Business Rule Task': '规则任务', 'Script Task': '脚本任务', 'Task': '任务',
  'Exclusive Gateway': '排他网关', 'Parallel Gateway': '并行网关', 'Inclusive Gateway': '包容网关',
  'Event-based Gateway': '事件网关', 'Boundary Event': '边界事件', 'Timer Boundary Event': '定时边界事件',
  'Intermediate Throw Event': '中间抛出事件', 'Sub Process': '子流程', 'Call Activity': '调用活动',
  'Participant': '参与者', 'Lane': '泳道', 'Text Annotation': '注释', 'Group': '分组',
  'Search in diagram': '在图中搜索', 'Toggle section': '展开/收起'
};

export default function translateModule(locale) {
  var zh = /^zh/.test(locale || '');
  function translate(template, replacements) {
    var text = zh && ZH[template] ? ZH[template] : template;
    replacements = replacements || {};
    return text.replace(/{([^}]+)}/g, function (_, key) {
      return replacements[key] !== undefined ? replacements[key] : '{' + key + '}';
    });
  }
  return { translate: ['value', translate] };
}
