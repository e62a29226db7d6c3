// The page around the verifier: load a bundle file (picker or drop), verify
// it here, show the verdict. Nothing leaves the page (see its CSP).
import { verifyBundle } from './verifier.js';

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
}

function show(name, report) {
  const out = $('result');
  out.replaceChildren();
  const words = { valid: 'VALID', 'not-consented': 'NOT CONSENTED', invalid: 'INVALID' }[report.verdict];
  const verdict = el('p', { id: 'verdict', class: report.verdict, 'data-verdict': report.verdict }, `${words}: ${name}`);
  out.append(verdict);
  if (report.missing_consents.length) out.append(el('p', { id: 'missing' }, `Missing consents: ${report.missing_consents.join(', ')}`));
  const facts = el('dl', {});
  const fact = (k, v) => { if (v) facts.append(el('dt', {}, k), el('dd', {}, v)); };
  fact('Channel', report.channel);
  fact('Log', report.checkpoint && `${report.checkpoint[0]}, ${report.checkpoint[1]} entries`);
  fact('Purpose', report.purpose);
  for (const p of report.parties) {
    fact(`Party ${p.short}`, [p.name, p.required ? 'party of the cases' : '', p.consented ? 'consented' : p.required ? 'NOT consented' : '', p.refused ? 'REFUSED' : '', p.receipt ? 'receipt on the checkpoint' : ''].filter(Boolean).join(', '));
  }
  out.append(facts);
  const checks = el('ul', { id: 'checks' });
  for (const c of report.checks) checks.append(el('li', { class: c.ok ? 'ok' : 'fail' }, `${c.ok ? '✓' : '✗'} ${c.what}: ${c.detail}`));
  out.append(el('h2', {}, 'Checks'), checks);
  const msgs = el('ol', { id: 'messages' });
  for (const m of report.messages) {
    const li = el('li', {}, el('strong', {}, `#${m.index} ${m.kind} from ${m.party}: ${m.title}`));
    if (m.redacted_parts) li.append(` (${m.redacted_parts} part(s) redacted)`);
    // The body in each language, with its tag, whether it is authentic
    // when there are several, and where the disclosure redacted it.
    for (const t of m.texts) {
      const label = m.texts.length > 1 ? `[${t.lang}, ${t.authentic ? 'authentic' : 'translation'}]` : `[${t.lang}]`;
      const div = el('div', { class: 'text', 'data-lang': t.lang }, el('p', { class: 'text-label' }, t.body === null ? `${label} redacted` : label));
      if (t.body !== null) div.append(el('pre', { lang: t.lang, dir: 'auto' }, t.body));
      li.append(div);
    }
    msgs.append(li);
  }
  out.append(el('h2', {}, `Messages disclosed (${report.messages.length})`), msgs);
}

async function load(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let report;
  try { report = verifyBundle(bytes); } catch (e) {
    report = { verdict: 'invalid', checks: [{ what: 'the verifier', ok: false, detail: String(e) }], parties: [], messages: [], missing_consents: [] };
  }
  show(file.name, report);
  window.hotlineReport = report;
}

$('file').addEventListener('change', (e) => { if (e.target.files[0]) load(e.target.files[0]); });
document.body.addEventListener('dragover', (e) => e.preventDefault());
document.body.addEventListener('drop', (e) => { e.preventDefault(); if (e.dataTransfer.files[0]) load(e.dataTransfer.files[0]); });
