#!/usr/bin/env node
// The eider command. The TypeScript sources are compiled to dist/ by `npm install` (the prepare script).
import { main } from '../dist/cli/main.js';
import { guardProcess } from '../dist/cli/process.js';

guardProcess();
// Exit at once with the command's code (stdout and stderr are written synchronously to files, pipes and
// terminals on Linux): winding down on its own, the process would pass through a moment of default signal
// handling where a late SIGTERM turns a finished, published build into a death by signal.
process.exit(await main(process.argv));
