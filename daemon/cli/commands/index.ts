import type { Command } from '../command.js';
import { audit } from './audit.js';
import { sinksDeadLetters } from './sinks.js';
import { configCheckCommand, configSchemaCommand } from './config.js';
import { eventsPublishCommand, eventsTailCommand } from './events.js';
import { runCommand } from './run.js';
import { verifyBundle, verifyCheckpoint } from './trust.js';
import { versionCommand } from './version.js';

/** Every `chainwatch` command. Capabilities add theirs here. */
export const commands: Command[] = [
  runCommand,
  configCheckCommand,
  configSchemaCommand,
  eventsPublishCommand,
  eventsTailCommand,
  verifyBundle,
  verifyCheckpoint,
  audit,
  sinksDeadLetters,
  versionCommand,
];
