import { fileURLToPath } from 'node:url';

import * as prettier from 'prettier';

import { describeFlagDefault, type FlagName, FLAGS } from '../src/config/flags.js';
import { toEnvName } from '../src/config/to-env-name.js';
import { describeLabelDefault, type LabelKey, labelKeys, LABELS } from '../src/core/labels.js';

/** The README, whose reference tables are generated between `<!-- <name>:start -->` and `<!-- <name>:end -->`. */
export const README_PATH = fileURLToPath(new URL('../README.md', import.meta.url));

/** The labels as the README shows them: with the default prefix. */
const PREFIX = FLAGS['label-prefix'].default;

const code = (text: string) => `\`${text}\``;
const cell = (markdown: string) => markdown.replaceAll('|', '\\|');

/** The table of labels, from their declarations (`src/core/labels.ts`). */
export function renderLabelsTable(): string {
  const row = (label: string, fallback: string, meaning: string) =>
    `| ${cell(label)} | ${cell(fallback)} | ${cell(meaning)} |`;
  return [
    '| label | default | meaning |',
    '| --- | --- | --- |',
    ...(Object.keys(LABELS) as LabelKey[]).map((key) =>
      row(code(`${PREFIX}.${key}`), describeLabelDefault(LABELS[key]), LABELS[key].doc),
    ),
    row(
      code(`${PREFIX}.services.<cluster>.<key>`),
      `the top-level ${code(`${PREFIX}.<key>`)}`,
      `One container serving several clusters: ${code('<key>')} is any of ${labelKeys('service')
        .map(code)
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
 * `readme` with each generated block rendered anew and formatted as `prettier --check` wants
 * it. Throws when a block's markers are missing.
 */
export async function updateReadme(readme: string): Promise<string> {
  const options = { ...(await prettier.resolveConfig(README_PATH)), parser: 'markdown' };
  let text = readme;
  for (const [name, render] of Object.entries(BLOCKS)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md has no ${start} ... ${end} block`);
    const table = (await prettier.format(render(), options)).trimEnd();
    text = `${text.slice(0, from + start.length)}\n\n${table}\n\n${text.slice(to)}`;
  }
  return text;
}
