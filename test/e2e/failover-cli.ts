// The CLI straight from the sources, for tests that spawn real onair processes without a build:
// `node --import tsx test/e2e/failover-cli.ts serve ...` is one process, so SIGKILL by PID kills it.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2), process.env);
