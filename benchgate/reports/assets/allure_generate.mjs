// `allure generate` with the quality gate evaluated into the report (Allure 3.14.3).
//
//   node allure_generate.mjs ALLURE_CLI CONFIG RESULTS_DIR
//
// `allure generate` leaves the report's "Quality Gates" tab empty: only `allure run` validates
// the gate and sends its results to the store before the plugins write the report
// (allure/dist/commands/commons/run.js). This does the same for results already on disk: read
// them, validate the config's qualityGate over every non-retry result, send the failed rules
// to the store, then write the report. Prints the results as `allure quality-gate` does;
// exit status 3 when a rule failed.
import { dirname } from "node:path";
import { createRequire } from "node:module";
import process from "node:process";
import { pathToFileURL } from "node:url";

const [cli, configPath, resultsDir] = process.argv.slice(2);
const require = createRequire(cli);
const core = await import(pathToFileURL(require.resolve("@allurereport/core")).href);
const config = await core.readConfig(dirname(configPath), configPath);
const report = new core.AllureReport(config);
await report.start();
await report.readDirectory(resultsDir);
const knownIssues = await report.store.allKnownIssues();
const trs = await report.store.allTestResults({ includeRetries: false });
const { results } = await report.validate({ trs, knownIssues });
report.realtimeDispatcher.sendQualityGateResults(results);
await report.done();
if (results.length) {
  console.error(core.stringifyQualityGateResults(results));
  process.exitCode = 3;  // allure_render.GATE_FAILED
}
