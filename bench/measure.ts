import { availableParallelism, cpus } from 'node:os';

// Small timing harness for the benchmarks: interleaves the candidates round by round so drift
// (CPU frequency, GC, the other core) hits them alike, and reports medians of per-op times.

export interface Candidate {
  name: string;
  /** Runs the measured operation `iterations` times. A synchronous `run` is timed without yielding. */
  run(iterations: number): void | Promise<void>;
  /** Work the operations left behind (flushing queues), done after each round, untimed. */
  settle?(): Promise<void>;
}

export interface Measurement {
  name: string;
  /** Median nanoseconds per operation across rounds. */
  medianNanos: number;
  /** 99th percentile of the per-round averages. */
  p99Nanos: number;
}

export async function measure(candidates: Candidate[], options: { iterations?: number; rounds?: number; warmupRounds?: number } = {}): Promise<Measurement[]> {
  const iterations = options.iterations ?? 10_000;
  const rounds = options.rounds ?? 30;
  const warmup = options.warmupRounds ?? 5;
  const samples = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (const candidate of candidates) {
      const start = process.hrtime.bigint();
      const pending = candidate.run(iterations);
      if (pending) await pending;
      const nanos = Number(process.hrtime.bigint() - start) / iterations;
      if (round >= warmup) samples.get(candidate.name)!.push(nanos);
      await candidate.settle?.();
    }
  }
  return candidates.map((c) => {
    const sorted = samples.get(c.name)!.sort((a, b) => a - b);
    return {
      name: c.name,
      medianNanos: sorted[Math.floor(sorted.length / 2)]!,
      p99Nanos: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!,
    };
  });
}

export function printTable(title: string, results: Measurement[], baseline: string): void {
  const base = results.find((r) => r.name === baseline);
  console.log(`\n${title}`);
  for (const r of results) {
    const ratio = base ? (r.medianNanos / base.medianNanos).toFixed(2) : '-';
    console.log(`  ${r.name.padEnd(52)} ${r.medianNanos.toFixed(1).padStart(10)} ns/op  p99 ${r.p99Nanos.toFixed(1).padStart(10)} ns/op  ×${ratio} vs ${baseline}`);
  }
}

export function machine(): string {
  return `node ${process.version}, ${process.platform}/${process.arch}, ${availableParallelism()} cpus, ${cpus()[0]?.model ?? 'unknown cpu'}`;
}
