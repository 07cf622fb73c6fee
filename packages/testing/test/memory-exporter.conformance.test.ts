import { MemoryExporter, MemorySettingsStore, describeExporterConformance } from '@chatdebug/testing';

describeExporterConformance('MemoryExporter', async () => {
  const exporter = new MemoryExporter();
  const settings = new MemorySettingsStore();
  return {
    exporter,
    settings,
    reset: async () => {
      exporter.reset();
      settings.reset();
    },
    close: () => exporter.shutdown(),
  };
});
