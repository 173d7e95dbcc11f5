import { readFileSync } from 'node:fs';

/** A V8 CPU profile as `node --cpu-prof` writes it. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { functionName: string; url: string; lineNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
}

/** One function's share of the samples. */
export interface ProfileLine {
  readonly fn: string;
  readonly where: string;
  /** Percent of all samples spent in the function itself. */
  readonly selfPercent: number;
  /** Percent of all samples with the function on the stack. */
  readonly totalPercent: number;
}

/**
 * The `top` functions of a `.cpuprofile` by self time, with their total (inclusive) time: the
 * flame graph's widest frames, as a table. Frames of the same function and place are merged;
 * `(idle)`, `(program)` and `(garbage collector)` keep V8's names.
 */
export function summarizeCpuProfile(file: string, top = 12): ProfileLine[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = (id: number) => {
    const frame = byId.get(id)?.callFrame;
    const where = frame?.url
      ? `${frame.url.replace(/^.*\/(node_modules|dist|src)\//, '$1/')}:${frame.lineNumber + 1}`
      : '';
    return { fn: frame?.functionName || '(anonymous)', where };
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const names = new Map<string, { fn: string; where: string }>();
  for (const sample of profile.samples) {
    const leaf = keyOf(sample);
    const leafKey = `${leaf.fn} ${leaf.where}`;
    names.set(leafKey, leaf);
    self.set(leafKey, (self.get(leafKey) ?? 0) + 1);
    const onStack = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const frame = keyOf(id);
      const key = `${frame.fn} ${frame.where}`;
      if (onStack.has(key)) continue;
      onStack.add(key);
      names.set(key, frame);
      total.set(key, (total.get(key) ?? 0) + 1);
    }
  }
  const samples = profile.samples.length || 1;
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, count]) => ({
      ...(names.get(key) ?? { fn: key, where: '' }),
      selfPercent: (count / samples) * 100,
      totalPercent: ((total.get(key) ?? count) / samples) * 100,
    }));
}

/** The summary as a Markdown table. */
export function formatProfile(lines: readonly ProfileLine[]): string {
  return [
    '| function | where | self % | total % |',
    '|---|---|---|---|',
    ...lines.map(
      (line) =>
        `| \`${line.fn}\` | ${line.where || '–'} | ${line.selfPercent.toFixed(1)} | ${line.totalPercent.toFixed(1)} |`,
    ),
  ].join('\n');
}

if (process.argv[1]?.endsWith('summarize-cpu-profile.ts') && process.argv[2])
  console.log(formatProfile(summarizeCpuProfile(process.argv[2])));
