import type { Exporter, SettingsStore } from '@chatdebug/sdk';

/**
 * What an exporter package hands the conformance suite: a ready exporter and settings store,
 * and a way to empty them between tests. Created once per test file.
 */
export interface ConformanceHarness {
  exporter: Exporter;
  settings: SettingsStore;
  /** Removes every run, step and setting, so each test starts from an empty store. */
  reset(): Promise<void>;
  /** Releases everything the factory created. */
  close(): Promise<void>;
}

/** Options of `describeExporterConformance`. */
export interface ConformanceOptions {
  /**
   * Capabilities the implementation lacks; tests that need them are reported as skipped with a reason.
   * Reserved: currently every exporter must support everything.
   */
  readonly skip?: readonly string[];
}
