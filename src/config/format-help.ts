import { displayKey, labelKeys } from '../core/labels/labels.js';
import { describeFlagDefault, type FlagName, FLAGS } from './flags.js';
import { toEnvName } from './to-env-name.js';

/** Where each flag's text starts in `--help`, and how wide its lines may be. */
const INDENT = 34;
const WIDTH = 100;

/**
 * The text `--help` prints, from the declarations of the flags and labels: each flag with
 * its value, what it does, its default and its variable.
 */
export function formatHelp(): string {
  const rows = (Object.keys(FLAGS) as FlagName[]).map((name) => {
    const flag = FLAGS[name];
    const left = `  --${name}${flag.value ? ` ${flag.value}` : ''}`;
    const text = [
      toPlainText(flag.doc),
      `env: ${toEnvName(name)}; default: ${toPlainText(describeFlagDefault(flag))}`,
    ];
    const lines = text.flatMap((paragraph) => wrap(paragraph, WIDTH - INDENT));
    const [first = '', ...rest] = lines;
    return [
      left.length < INDENT
        ? `${left.padEnd(INDENT)}${first}`
        : `${left}\n${''.padEnd(INDENT)}${first}`,
      ...rest.map((line) => `${''.padEnd(INDENT)}${line}`),
    ].join('\n');
  });
  const keys = (scope: 'container' | 'service') =>
    labelKeys(scope).map((key) => `.${displayKey(key)}`);
  return [
    'eds-agent: serves Docker containers labelled <prefix>.service to Envoy over gRPC xDS (ADS) and REST EDS.',
    '',
    'Usage: eds-agent [flags]',
    '       eds-agent bootstrap [flags]   print the Envoy bootstrap (JSON) for the agent these flags describe',
    '',
    'Flags (each also read from the environment; a flag wins over its variable):',
    ...rows,
    `  ${'--help'.padEnd(INDENT - 2)}print this help and exit`,
    `  ${'--version'.padEnd(INDENT - 2)}print the version and exit`,
    '',
    ...wrap(
      `Labels: <prefix>${[...keys('container'), ...keys('service')].join(', ')}, and <prefix>.services.<cluster>.<key> for several clusters, <key> being any of ${labelKeys('service').map(displayKey).join(', ')}.`,
      WIDTH,
      '        ',
    ),
    'gRPC:   ADS, EDS, CDS, LDS, RDS and SDS, state of the world and delta (envoy.service.*.v3).',
    'HTTP:   POST /v3/discovery:endpoints, POST /v2/discovery:endpoints, GET /healthz, GET /readyz,',
    '        GET / (live status page), GET /status (JSON), GET /metrics (Prometheus),',
    '        GET /pki/root.pem (the internal CA root, with --listen https=),',
    '        /edsservice[/<service>[/hosts/<ip>:<port>]] (registration), GET /v1/registration/<service>',
  ].join('\n');
}

/** Markdown as plain text: code spans and links keep their text only. */
function toPlainText(markdown: string): string {
  return markdown.replaceAll(/\[([^\]]*)\]\([^)]*\)/g, '$1').replaceAll('`', '');
}

/** Words joined into lines of at most `width` characters; later lines start with `indent`. */
function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const limit = width - (lines.length > 0 ? indent.length : 0);
    if (line !== '' && line.length + 1 + word.length > limit) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((text, index) => (index > 0 ? `${indent}${text}` : text));
}
