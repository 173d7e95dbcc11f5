import { createHash } from 'node:crypto';

/**
 * The live status page `GET /` serves: one self-contained document (no build step, no request
 * but to this agent, works offline) that reads `/status` every second and shows it. Container
 * names, labels and reasons are the user's data: they are set as text, never as markup. When
 * the agent runs with `--protect-status`, the page asks for the admin token and keeps it in the
 * tab's session storage only.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>eds-agent</title>
<link rel="icon" href="data:,">
<style>
  :root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --dim: #6e7781; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; max-width: 90rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; } h2 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #8884; vertical-align: top; }
  th { font-weight: 600; } code, .mono { font-family: ui-monospace, monospace; font-size: 12.5px; }
  .badge { display: inline-block; padding: 0 .45rem; border-radius: .6rem; color: #fff; font-size: 12px; }
  .served, .ready, .HEALTHY, .up { background: var(--ok); } .withheld, .DRAINING { background: var(--warn); }
  .invalid, .down, .notready { background: var(--bad); } .ignored { background: var(--dim); }
  tr.skipped td.reason { color: var(--bad); font-weight: 600; } tr.withheld-row td.reason { color: var(--warn); }
  .dim { color: var(--dim); } #error { color: var(--bad); } form { margin: 1rem 0; }
</style>
</head>
<body>
<h1>eds-agent <span id="version" class="dim"></span> <span id="readiness"></span></h1>
<div id="summary" class="dim">loading…</div>
<div id="error" role="alert"></div>
<form id="login" hidden>
  This agent protects its status (<code>--protect-status</code>): give its admin token.
  <input id="token" type="password" autocomplete="off" aria-label="admin token"> <button>Show</button>
</form>
<h2>Containers</h2>
<table id="containers"><thead><tr><th>container</th><th>state</th><th>served as</th><th>reason</th></tr></thead><tbody></tbody></table>
<h2>Clusters</h2>
<table id="clusters"><thead><tr><th>cluster</th><th>version</th><th>endpoints</th></tr></thead><tbody></tbody></table>
<h2>Routes <span id="routes-name" class="dim"></span></h2>
<table id="routes"><thead><tr><th>virtual host</th><th>domains</th><th>routes</th></tr></thead><tbody></tbody></table>
<div id="conflicts"></div>
<section id="front-door" hidden>
<h2>HTTPS <span id="front-listeners" class="dim"></span></h2>
<table id="certificates"><thead><tr><th>domain</th><th>service</th><th>issuer</th><th>certificate</th></tr></thead><tbody></tbody></table>
<details id="trust"><summary>Trust the agent's root CA (<a href="pki/root.pem">root.pem</a>)</summary><table id="trust-commands"><tbody></tbody></table></details>
</section>
<h2>Clients</h2>
<table id="clients"><thead><tr><th>node</th><th>how</th><th>subscribed</th><th>last</th></tr></thead><tbody></tbody></table>
<script>
'use strict';
const $ = (id) => document.getElementById(id);
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ''));
  return node;
}
const badge = (text, kind) => el('span', { class: 'badge ' + kind }, text);
function fill(id, rows) {
  const columns = $(id).querySelectorAll('th').length;
  const empty = el('tr', {}, el('td', { colspan: String(columns), class: 'dim' }, 'none yet'));
  $(id).querySelector('tbody').replaceChildren(...(rows.length > 0 ? rows : [empty]));
}
function lines(items) { return items.flatMap((item, i) => (i ? [el('br'), item] : [item])); }

function containerRow(c) {
  const skipped = c.state === 'invalid' || c.state === 'ignored';
  const served = c.endpoints.map((e) => e.cluster + ' → ' + e.address + (e.health === 'DRAINING' ? ' (draining)' : ''));
  return el('tr', { 'data-container': c.name, 'data-state': c.state, class: skipped ? 'skipped' : c.state === 'withheld' ? 'withheld-row' : '' },
    el('td', {}, c.name, el('br'), el('span', { class: 'mono dim' }, c.id + ' on ' + c.engine)),
    el('td', {}, badge(c.state, c.state)),
    el('td', { class: 'mono' }, ...lines(served)),
    el('td', { class: 'reason' }, c.reason ?? c.notes.join('; ')));
}
function clusterRow(c) {
  const endpoints = c.endpoints.map((e) => el('span', {}, badge(e.health, e.health), ' ' + e.address + ' ' + e.hostname + ' [' + e.source + ']'));
  return el('tr', { 'data-cluster': c.name }, el('td', {}, c.name), el('td', { class: 'mono dim' }, c.version), el('td', { class: 'mono' }, ...lines(endpoints)));
}
function hostRow(h) {
  return el('tr', {}, el('td', {}, h.name), el('td', { class: 'mono' }, h.domains.join(' ')), el('td', { class: 'mono' }, ...lines(h.routes)));
}
function restRow(p) {
  return el('tr', {}, el('td', {}, p.node || '(no node id)'), el('td', {}, 'REST ' + p.api + ', ' + p.polls + ' polls'),
    el('td', { class: 'mono' }, p.clusters), el('td', { class: 'mono' }, p.lastPollAt + ' → ' + p.answer));
}
function grpcRow(s) {
  const names = s.types.map((t) => t.type + ': ' + t.names.join(', ') + (t.namesTotal > t.names.length ? ' …' : ''));
  const replies = s.types.map((t) => (t.lastNack ? 'NACK ' + t.lastNack.version + ': ' + t.lastNack.message : 'ACK ' + (t.acked ?? '–')));
  return el('tr', {}, el('td', {}, s.node || '(no node id)'), el('td', {}, 'gRPC ' + s.service + ' ' + s.protocol + ' since ' + s.connectedAt),
    el('td', { class: 'mono' }, ...lines(names)), el('td', { class: 'mono' }, ...lines(replies)));
}

function certificateRow(c) {
  const state = c.error ? badge(c.notAfter ? 'renewal failing' : 'failing', 'withheld') : c.notAfter ? badge('valid', 'served') : badge('issuing', 'withheld');
  const detail = c.error ? ' ' + c.error + ' (try ' + c.failures + ', next ' + c.nextAttempt + ')' : c.notAfter ? ' until ' + c.notAfter + ', renewed ' + c.renewAt : '';
  return el('tr', { 'data-domain': c.domain }, el('td', { class: 'mono' }, c.domain), el('td', {}, c.service), el('td', {}, c.issuer), el('td', { class: 'reason' }, state, detail));
}
function renderFrontDoor(front) {
  $('front-door').hidden = !front;
  if (!front) return;
  $('front-listeners').textContent = front.listeners.map((l) => l.name).join(' ') + (front.store ? ' · store ' + front.store : ' · no store');
  fill('certificates', front.certificates.map(certificateRow));
  $('trust-commands').querySelector('tbody').replaceChildren(...Object.entries(front.trustRoot).map(([where, how]) => el('tr', {}, el('td', {}, where), el('td', { class: 'mono' }, how))));
}

function engineBadge(e) {
  const up = e.connected && e.responsive;
  const state = up ? 'connected' : e.withdrawn ? 'away, endpoints withdrawn' : e.synced || e.awaySince ? 'unreachable' : 'connecting';
  const engine = e.engine ? e.engine.product + ' ' + e.engine.version : 'not reached yet';
  return el('span', { 'data-engine': e.name }, badge(e.name + ' ' + state, up ? 'up' : 'down'),
    ' ' + e.host + ' (' + engine + (e.swarm && e.swarm.active ? ', Swarm manager' : '') + (!up && e.awaySince ? ', away since ' + e.awaySince : '') + ')');
}

function render(status) {
  $('version').textContent = 'v' + status.agent.version;
  $('readiness').replaceChildren(status.agent.ready ? badge('ready', 'ready') : badge('not ready: ' + status.agent.notReadyReasons.join('; '), 'notready'));
  const engines = status.engines.map(engineBadge);
  $('summary').replaceChildren(...engines.flatMap((badge) => [badge, ' · ']),
    status.containers.length + ' containers · ' + status.clusters.length + ' clusters · updated ' + new Date().toLocaleTimeString());
  fill('containers', status.containers.map(containerRow));
  fill('clusters', status.clusters.map(clusterRow));
  $('routes-name').textContent = status.routes.name + ' ' + status.routes.version;
  fill('routes', status.routes.virtualHosts.map(hostRow));
  $('conflicts').replaceChildren(...status.routes.conflicts.map((text) => el('p', { class: 'reason' }, badge('conflict', 'withheld'), ' ' + text)));
  fill('clients', [...status.clients.rest.map(restRow), ...status.clients.grpc.map(grpcRow)]);
  renderFrontDoor(status.frontDoor);
}

async function refresh() {
  const token = sessionStorage.getItem('eds-agent-token');
  try {
    const response = await fetch('status', { headers: token ? { authorization: 'Bearer ' + token } : {}, cache: 'no-store' });
    if (response.status === 401) { $('login').hidden = false; $('error').textContent = token ? 'that token was refused' : ''; return; }
    if (!response.ok) throw new Error('/status answered ' + response.status);
    $('login').hidden = true; $('error').textContent = '';
    render(await response.json());
  } catch (error) {
    $('error').textContent = 'cannot reach the agent: ' + error.message;
  }
}
$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem('eds-agent-token', $('token').value);
  $('token').value = '';
  refresh();
});
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
`;

/**
 * The page's Content-Security-Policy: nothing loads but its own script and style (allowed by
 * their hashes, so no other inline code runs even if data slipped in as markup), it reads only
 * this agent (`connect-src 'self'`), and no other site may frame it (clickjacking).
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src '${hashOf('script')}'`,
  `style-src '${hashOf('style')}'`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** `sha256-…` of the page's one element `tag` (its text, as CSP hashes it). */
function hashOf(tag: 'script' | 'style'): string {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(STATUS_PAGE);
  if (!match?.[1]) throw new Error(`the status page has no <${tag}>`);
  return `sha256-${createHash('sha256').update(match[1]).digest('base64')}`;
}
