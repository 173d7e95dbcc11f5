import { fileURLToPath } from 'node:url';

import { describeFlagDefault, type FlagName, FLAGS } from '../src/config/flags.js';
import { toEnvName } from '../src/config/to-env-name.js';
import {
  describeLabelDefault,
  displayKey,
  type LabelKey,
  labelKeys,
  LABELS,
  type LabelSpec,
} from '../src/core/labels/labels.js';

/** The README, whose reference tables are generated between `<!-- <name>:start -->` and `<!-- <name>:end -->`. */
export const README_PATH = fileURLToPath(new URL('../README.md', import.meta.url));

/** The labels as the README shows them: with the default prefix. */
const PREFIX = FLAGS['label-prefix'].default;

const code = (text: string) => `\`${text}\``;
const cell = (markdown: string) => markdown.replaceAll('|', '\\|');

/**
 * The xDS type a label reaches Envoy by: an endpoint's own labels by EDS (REST or gRPC); a
 * service's cluster, route and listener options by CDS, RDS and LDS, which only gRPC serves.
 */
function servedBy(spec: LabelSpec<unknown>): string {
  return { none: 'EDS', cluster: 'CDS', route: 'RDS', listener: 'LDS' }[spec.option ?? 'none'];
}

/** The table of labels, from their declarations (`src/core/labels/labels.ts`). */
export function renderLabelsTable(): string {
  const row = (label: string, fallback: string, by: string, meaning: string) =>
    `| ${cell(label)} | ${cell(fallback)} | ${by} | ${cell(meaning)} |`;
  return [
    '| label | default | Envoy gets it by | meaning |',
    '| --- | --- | --- | --- |',
    ...(Object.keys(LABELS) as LabelKey[]).map((key) =>
      row(
        code(`${PREFIX}.${displayKey(key)}`),
        describeLabelDefault(LABELS[key]),
        servedBy(LABELS[key]),
        LABELS[key].doc,
      ),
    ),
    row(
      code(`${PREFIX}.services.<cluster>.<key>`),
      `the top-level ${code(`${PREFIX}.<key>`)}`,
      `as \`<key>\``,
      `One container serving several clusters: ${code('<key>')} is any of ${labelKeys('service')
        .map((key) => code(displayKey(key)))
        .join(', ')}.`,
    ),
  ].join('\n');
}

/** The table of flags and their variables, from their declarations (`src/config/flags.ts`). */
export function renderFlagsTable(): string {
  return [
    '| flag | variable | default | meaning |',
    '| --- | --- | --- | --- |',
    ...(Object.keys(FLAGS) as FlagName[]).map((name) => {
      const flag = FLAGS[name];
      return `| ${code(`--${name}`)} | ${code(toEnvName(name))} | ${cell(describeFlagDefault(flag))} | ${cell(flag.doc)} |`;
    }),
  ].join('\n');
}

/** Every generated block of the README, by its marker name. */
const BLOCKS: Readonly<Record<string, () => string>> = {
  labels: renderLabelsTable,
  flags: renderFlagsTable,
};

/**
 * `readme` with each generated block rendered anew. The tables are left unpadded (Prettier is
 * told to leave them), so the README's raw Markdown stays readable. Throws when a block's
 * markers are missing.
 */
export function updateReadme(readme: string): string {
  let text = readme;
  for (const [name, render] of Object.entries(BLOCKS)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md has no ${start} ... ${end} block`);
    const block = ['<!-- prettier-ignore-start -->', render(), '<!-- prettier-ignore-end -->'];
    text = `${text.slice(0, from + start.length)}\n\n${block.join('\n')}\n\n${text.slice(to)}`;
  }
  return text;
}
