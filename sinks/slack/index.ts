export { SlackSink, createSlackSink, slackSinkConfigSchema, type SlackSinkConfig } from './slack.js';
export { buildSlackMessage, SLACK_LIMITS, type SlackMessage } from './format.js';
