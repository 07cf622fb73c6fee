/** This package's version, reported as the instrumentation scope version of mirrored spans. */
export const VERSION = '0.1.0';
