#!/usr/bin/env node
// The eider command. The TypeScript sources are compiled to dist/ by `npm install` (the prepare script).
import { main } from '../dist/cli/main.js';

// Exit at once with the command's code (stdout and stderr are written synchronously on Linux): winding the
// process down on its own leaves a moment with default signal handling, where a late SIGTERM would turn a
// finished, published build into a death by signal.
process.exit(await main(process.argv));
