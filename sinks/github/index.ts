export { GitHubSink, createGitHubSink, githubSinkConfigSchema, githubDedupLabel, githubRateLimit, type GitHubSinkConfig } from './github.js';
export { issueBody, issueTitle, commentBody } from './markdown.js';
