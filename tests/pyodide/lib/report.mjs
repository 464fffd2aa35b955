// Results of the tier: one line per check as it finishes, the failures again in full at the end,
// and a closing "N passed, N failed" line.

export class Report {
  constructor() {
    this.passed = 0;
    this.failures = [];
  }

  async check(phase, name, fn) {
    const started = performance.now();
    try {
      await fn();
      this.passed += 1;
      console.log(`  ok    ${phase}: ${name} (${Math.round(performance.now() - started)} ms)`);
      return true;
    } catch (error) {
      const message = error?.stack && !(error?.message ?? "").includes("Traceback") ? error.stack : String(error?.message ?? error);
      this.failures.push({ phase, name, message });
      console.log(`  FAIL  ${phase}: ${name}`);
      return false;
    }
  }

  /** Print the failures and the closing line; the process exit code to use. */
  finish() {
    for (const { phase, name, message } of this.failures) {
      console.log(`\n---- FAILED ${phase}: ${name}\n${message}`);
    }
    console.log(`\npyodide-tier: ${this.passed} passed, ${this.failures.length} failed`);
    return this.failures.length ? 1 : 0;
  }
}
