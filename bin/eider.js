#!/usr/bin/env node
// The eider command. The TypeScript sources are compiled to dist/ by `npm install` (the prepare script).
import { main } from '../dist/cli/main.js';
import { exitWhenWritten, guardProcess } from '../dist/cli/process.js';

guardProcess();
// Exit with the command's code as soon as its output is written (a pipe's reader may not have taken it all yet):
// winding down on its own, the process would pass through a moment of default signal handling where a late
// SIGTERM turns a finished, published build into a death by signal.
await exitWhenWritten(await main(process.argv));
