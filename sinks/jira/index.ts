export { JiraSink, createJiraSink, jiraSinkConfigSchema, jiraDedupLabel, JIRA_PRIORITY, type JiraSinkConfig } from './jira.js';
export { descriptionDoc, commentDoc, type AdfDoc, type AdfBlock, type AdfInline } from './adf.js';
