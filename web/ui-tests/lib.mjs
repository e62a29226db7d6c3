// The pieces the browser tests of `hotline ui` are made of (docs/ui.md,
// "Browser tests"): Debian's Chromium through playwright-core, axe-core run
// in every page visited, a screenshot of every page, and one function per
// page or step of the duty officer's work. The flows (two_parties.mjs,
// three_parties.mjs) call these in order; a new page gets a new function
// here and a line in a flow.
//
// Nothing here downloads a browser: playwright-core drives the Chromium at
// $CHROMIUM (default /usr/bin/chromium, Debian's package).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = require('axe-core').source;

/// How long a step waits for something the server does by itself (a sync
/// every 3 s, an event, a deadline dated): a bound so a broken UI fails.
export const PATIENCE = 30_000;

/// The impacts that fail the test.
const FAILING = new Set(['serious', 'critical']);

/// An environment variable the Rust test sets, or a clear failure.
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name} (crates/cli/tests/ui_browser.rs runs this script)`);
  return v;
}

/// Debian's Chromium, headless, without anything that reaches out.
export async function launch() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: apt-get install chromium`);
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// What the test records of one party's browser: its name, its UI's base
/// address, and the problems its pages showed (script errors, CSP
/// violations, requests to anywhere but its own origin).
export class Party {
  constructor(name, login, context, page) {
    this.name = name;
    this.login = login;
    this.base = new URL(login).origin;
    this.context = context;
    this.page = page;
    this.problems = [];
  }
}

/// Every party logged in, for the screenshots taken when a flow fails.
const everyone = [];

/// A fresh browser context (its own cookie jar: every UI is on 127.0.0.1,
/// and cookies do not tell ports apart) logged in with the printed address.
export async function login(browser, name, loginUrl) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  const party = new Party(name, loginUrl, context, page);
  everyone.push(party);
  page.on('pageerror', (e) => party.problems.push(`script error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) {
      party.problems.push(`console: ${m.text()}`);
    }
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(party.base + '/')) party.problems.push(`request to another origin: ${u}`);
  });
  const resp = await page.goto(loginUrl);
  // The login answers 303 to the inbox: the token leaves the address bar.
  if (new URL(page.url()).pathname !== '/' || new URL(page.url()).search !== '') {
    throw new Error(`${name}: the login did not land on the inbox: ${page.url()}`);
  }
  if (resp.status() !== 200) throw new Error(`${name}: inbox ${resp.status()}`);
  log(`${name}: logged in at ${party.base}`);
  return party;
}

export function log(s) {
  console.log(`[ui-tests] ${s}`);
}

export function assert(cond, what) {
  if (!cond) throw new Error(`assertion failed: ${what}`);
}

/// Runs axe-core in the page, in light and in dark mode; fails on any
/// violation of impact serious or critical (each printed with its nodes).
/// Every page a flow visits goes through this.
export async function checkAxe(page, name) {
  const bad = [];
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    // evaluate, not a <script> tag: the page's CSP allows no inline script.
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
    const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    for (const v of r.violations) {
      const line = `${name} (${colorScheme}): ${v.impact} ${v.id}: ${v.help}\n` +
        v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.replace(/\n/g, ' ')}`).join('\n');
      if (FAILING.has(v.impact)) bad.push(line);
      else log(`axe (not failing): ${line}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  if (bad.length) throw new Error(`axe-core: serious or critical violations:\n${bad.join('\n')}`);
  log(`axe: ${name}: no serious or critical violation (light and dark)`);
}

/// checkAxe must be able to fail: on a page with a critical violation (an
/// image without a text alternative) and a serious one (a button without a
/// name) it throws.
export async function axeCanFail(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.setContent('<!doctype html><html lang="en"><title>t</title><main><img src="data:,"><button></button></main></html>');
  let threw = false;
  try {
    await checkAxe(page, 'axe self-test');
  } catch (e) {
    threw = /image-alt/.test(e.message) && /button-name/.test(e.message);
  }
  await context.close();
  assert(threw, 'checkAxe fails on a page with critical and serious violations');
  log('axe: the self-test page fails as it should');
}

let shotDir;
/// The folder the screenshots go to ($HOTLINE_UI_SCREENSHOTS).
export function screenshots() {
  if (!shotDir) {
    shotDir = env('HOTLINE_UI_SCREENSHOTS');
    mkdirSync(shotDir, { recursive: true });
  }
  return shotDir;
}

/// A full-page screenshot `NAME.png` (and `NAME-dark.png`, and
/// `NAME-narrow.png` on a phone-sized screen, when asked).
export async function shot(page, name, { dark = false, narrow = false } = {}) {
  const file = join(screenshots(), `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (dark) {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(screenshots(), `${name}-dark.png`), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  }
  if (narrow) {
    const size = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 800 });
    await page.screenshot({ path: join(screenshots(), `${name}-narrow.png`), fullPage: true });
    await page.setViewportSize(size);
  }
  log(`screenshot ${file}`);
}

/// Every page visited: axe-core, then a screenshot.
export async function visit(page, name, opts) {
  await checkAxe(page, name);
  await shot(page, name, opts);
}

/// The inbox, opened by clicking the navigation.
export async function openInbox(p, name = `${p.name}-inbox`) {
  await p.page.click('header nav a[href="/"]:not(.brand)');
  await p.page.waitForURL(`${p.base}/`);
  await visit(p.page, name);
}

/// Marks the open page, so that a later check tells whether it was
/// reloaded or left (a live update must do neither).
export async function markPage(p) {
  p.navigations = 0;
  p.page.on('framenavigated', (f) => { if (f === p.page.mainFrame()) p.navigations += 1; });
  await p.page.evaluate(() => { window.__hotlineMark = 'still here'; });
}

export async function assertNotReloaded(p) {
  assert(p.navigations === 0, `${p.name}: the page navigated ${p.navigations} time(s)`);
  const mark = await p.page.evaluate(() => window.__hotlineMark);
  assert(mark === 'still here', `${p.name}: the page was reloaded (its mark is gone)`);
}

/// Waits, on an open inbox and without touching it, for the case to appear
/// (pushed by server-sent events and the fragment swap of live.js).
export async function waitForCaseInInbox(p, caseId, title) {
  const link = p.page.locator(`#live a[href="/case/${caseId}"]`);
  await link.waitFor({ timeout: PATIENCE });
  assert((await link.textContent()) === title, `${p.name}: the inbox shows the title "${title}"`);
  await assertNotReloaded(p);
  log(`${p.name}: the case appeared in the open inbox without a reload`);
}

/// A small valid STIX 2.1 bundle: an indicator of a malware and the
/// relationship between them (so that the evidence graph has an edge).
export const STIX = JSON.stringify({
  type: 'bundle',
  id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d',
  objects: [{
    type: 'indicator',
    spec_version: '2.1',
    id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
    created: '2026-01-01T00:00:00.000Z',
    modified: '2026-01-01T00:00:00.000Z',
    name: 'C2 server of the campaign',
    pattern: "[ipv4-addr:value = '198.51.100.1']",
    pattern_type: 'stix',
    valid_from: '2026-01-01T00:00:00Z',
  }, {
    type: 'malware',
    spec_version: '2.1',
    id: 'malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc',
    created: '2026-01-01T00:00:00.000Z',
    modified: '2026-01-01T00:00:00.000Z',
    name: 'GridLock loader',
    is_family: true,
  }, {
    type: 'relationship',
    spec_version: '2.1',
    id: 'relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad',
    created: '2026-01-01T00:00:00.000Z',
    modified: '2026-01-01T00:00:00.000Z',
    relationship_type: 'indicates',
    source_ref: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
    target_ref: 'malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc',
  }],
}, null, 2);

/// STIX written to a file in the screenshots folder, for an upload.
export function stixFile(name = 'evidence.stix.json', stix = STIX) {
  const file = join(screenshots(), name);
  writeFileSync(file, stix);
  return file;
}

/// Attaches evidence on the Compose form: a STIX bundle pasted as JSON
/// (`stix`), a STIX file uploaded (`stixFile`, a path) and other files
/// (`files`, paths).
export async function attachEvidence(page, { stix, stixFile, files = [] }) {
  if (stix) await page.fill('#c-stix', stix);
  if (stixFile) await page.setInputFiles('#c-stix-file', stixFile);
  if (files.length) await page.setInputFiles('#c-files', files);
}

/// Compose: kind, addressed parties, TLP, title, Markdown body, evidence;
/// Check (the preview page gets axe and a screenshot), then Send. Returns
/// the new case's id (from the case page Send lands on).
export async function composeInquiry(p, { kind = 'inquiry', to, tlp = 'TLP:AMBER', title, body, stix, stixFile, files, second }) {
  const page = p.page;
  await page.click('header nav a[href="/compose"]');
  await page.waitForURL(`${p.base}/compose`);
  await visit(page, `${p.name}-compose`);
  await page.selectOption('#c-kind', kind);
  for (const party of to) await page.check(`#c-to-${party}`);
  await page.selectOption('#c-tlp', tlp);
  await page.fill('#c-title', title);
  await page.fill('#c-body', body);
  if (second) {
    // The same text in another language, under its disclosure widget.
    await page.click('details summary');
    await page.fill('#c-body2', second.body);
    await page.fill('#c-lang2', second.lang);
    await page.selectOption('#c-authentic', second.authentic);
  }
  await attachEvidence(page, { stix, stixFile, files });

  await Promise.all([page.waitForNavigation(), page.click('button[name="step"][value="check"]')]);
  await page.locator('section.preview').waitFor();
  const result = await page.textContent('section.stix-check');
  assert(/Valid STIX 2\.1/.test(result), `${p.name}: the check says the STIX is valid: ${result}`);
  assert((await page.locator('.errors').count()) === 0, `${p.name}: the check found nothing wrong`);
  assert((await page.textContent('section.preview h3')) === title, 'the preview shows the title');
  if (second) {
    const langs = await page.$$eval('section.preview section.text', (s) => s.map((x) => x.lang));
    assert(langs.join() === `en,${second.lang}`, `${p.name}: the preview shows both texts side by side: ${langs}`);
  }
  await visit(page, `${p.name}-compose-preview`);
  // The form keeps what was entered.
  for (const party of to) assert(await page.isChecked(`#c-to-${party}`), `${party} still addressed`);
  assert((await page.inputValue('#c-title')) === title, 'the title kept');

  await Promise.all([page.waitForURL(/\/case\/[0-9a-f]+$/), page.click('button[name="step"][value="send"]')]);
  const caseId = new URL(page.url()).pathname.split('/').pop();
  await page.locator('h1').waitFor();
  assert((await page.textContent('h1')) === title, `${p.name}: the new case page shows its title`);
  await visit(page, `${p.name}-case-sent`);
  log(`${p.name}: sent case ${caseId}`);
  return caseId;
}

/// On an inbox that shows the case: open it by clicking its title.
export async function openCase(p, caseId, name = `${p.name}-case`) {
  await Promise.all([p.page.waitForURL(`${p.base}/case/${caseId}`), p.page.click(`a[href="/case/${caseId}"]`)]);
  await visit(p.page, name);
}

/// On a case page: acknowledge, then answer, by the case page's forms.
export async function acknowledgeAndAnswer(p, caseId, { ack, answer }) {
  const page = p.page;
  await page.fill('#ack-body', ack);
  await Promise.all([page.waitForNavigation(), page.click('#act-ack button[type="submit"]')]);
  assert(page.url() === `${p.base}/case/${caseId}`, `${p.name}: back on the case after acknowledging`);
  assert((await page.locator('#act-ack').count()) === 0, `${p.name}: no acknowledge form once acknowledged`);
  await visit(page, `${p.name}-case-acknowledged`);

  await page.fill('#answer-body', answer);
  await Promise.all([page.waitForNavigation(), page.click('#act-answer button[type="submit"]')]);
  assert(page.url() === `${p.base}/case/${caseId}`, `${p.name}: back on the case after answering`);
  assert((await page.locator('#act-answer').count()) === 0, `${p.name}: no answer form once answered`);
  const last = page.locator('ol.timeline li.entry').last();
  assert(/answer/.test(await last.locator('.who').textContent()), `${p.name}: the answer last on the timeline`);
  await visit(page, `${p.name}-case-answered`);
  log(`${p.name}: acknowledged and answered ${caseId}`);
}

/// On the opener's side: the case page (reloaded until the background sync
/// brought the answer and a time attestation dated it) shows the answer and
/// the answering party's answer as met (on time).
export async function seeAnsweredOnTime(p, caseId, { answeredBy, answerText }) {
  const page = p.page;
  await page.goto(`${p.base}/case/${caseId}`);
  const end = Date.now() + PATIENCE;
  for (;;) {
    const row = page.locator('table.deadlines tbody tr', { hasText: answeredBy });
    const cell = row.locator('td').nth(2);
    if ((await row.count()) === 1 && (await cell.getAttribute('class')) === 'met') {
      const body = await page.locator('ol.timeline').textContent();
      assert(body.includes(answerText), `${p.name}: the timeline has the answer`);
      assert(/^met/.test(await cell.textContent()), `${p.name}: the answer shown as met`);
      break;
    }
    if (Date.now() > end) throw new Error(`${p.name}: the answer was not shown on time within ${PATIENCE} ms`);
    await page.waitForTimeout(500);
    await page.reload();
  }
  await visit(page, `${p.name}-case-answered-on-time`);
  log(`${p.name}: sees ${caseId} answered on time`);
}

/// On a case page with STIX evidence: the evidence graph, by its link;
/// the SVG names every object given and draws the relationships.
export async function openEvidenceGraph(p, caseId, names) {
  const page = p.page;
  await page.goto(`${p.base}/case/${caseId}`);
  await Promise.all([page.waitForURL(`${p.base}/case/${caseId}/evidence`), page.click(`a[href="/case/${caseId}/evidence"]`)]);
  const svg = page.locator('svg.evidence-graph');
  await svg.waitFor();
  const text = await svg.textContent();
  for (const n of names) assert(text.includes(n), `${p.name}: the evidence graph names ${n}: ${text}`);
  assert((await page.locator('.evidence-relations li, .evidence-relations tr').count()) > 0, `${p.name}: the evidence page lists a relationship`);
  await visit(page, `${p.name}-evidence-graph`, { dark: true, narrow: true });
  log(`${p.name}: the evidence graph of ${caseId} renders`);
}

/// The responsiveness dashboard, by the navigation: charts (server-rendered
/// SVG) and the figures table, with at least one case answered on time.
export async function openDashboard(p) {
  const page = p.page;
  await Promise.all([page.waitForURL(`${p.base}/dashboard`), page.click('header nav a[href="/dashboard"]')]);
  assert((await page.locator('svg.chart').count()) > 0, `${p.name}: the dashboard draws its charts`);
  const figures = await page.locator('table.figures').first().textContent();
  assert(/\d/.test(figures), `${p.name}: the dashboard has figures: ${figures}`);
  await visit(page, `${p.name}-dashboard`, { dark: true, narrow: true });
  log(`${p.name}: the dashboard renders`);
}

/// Channel health, by the navigation: the latest verified checkpoint.
export async function openHealth(p) {
  const page = p.page;
  await Promise.all([page.waitForURL(`${p.base}/health`), page.click('header nav a[href="/health"]')]);
  assert((await page.locator('.health-channel').count()) > 0, `${p.name}: the health page shows the channel`);
  assert((await page.locator('.checkpoint').count()) > 0, `${p.name}: the health page shows a checkpoint`);
  await visit(page, `${p.name}-health`, { dark: true, narrow: true });
  log(`${p.name}: the health page renders`);
}

/// The help page, by its keyboard shortcut (?), and back to the inbox (g i).
export async function openHelpByKeyboard(p) {
  const page = p.page;
  await page.goto(`${p.base}/`);
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await Promise.all([page.waitForURL(`${p.base}/help`), page.keyboard.press('?')]);
  assert((await page.locator('table.shortcuts tr').count()) > 5, `${p.name}: the help page lists the shortcuts`);
  await visit(page, `${p.name}-help`);
  await page.keyboard.press('g');
  await Promise.all([page.waitForURL(`${p.base}/`), page.keyboard.press('i')]);
  log(`${p.name}: ? opens the help page, g i the inbox`);
}

/// The set-up page (a member's channels and their rosters).
export async function openSetup(p) {
  const page = p.page;
  await Promise.all([page.waitForURL(`${p.base}/setup`), page.click('header nav a[href="/setup"]')]);
  assert((await page.locator('.setup-channel').count()) > 0, `${p.name}: the set-up page lists the channel`);
  await visit(page, `${p.name}-setup`);
}

/// Disclosure, requester's side: the form, by the navigation; the case
/// ticked, a purpose; lands on the request's page. Returns its id.
export async function requestDisclosure(p, caseId, purpose) {
  const page = p.page;
  await Promise.all([page.waitForURL(`${p.base}/disclosure`), page.click('header nav a[href="/disclosure"]')]);
  await visit(page, `${p.name}-disclosure`);
  await page.check(`#d-case-${caseId}`);
  await page.fill('#d-purpose', purpose);
  await Promise.all([page.waitForURL(/\/disclosure\/[0-9a-f]{32}$/), page.click('#d-request-submit')]);
  const id = new URL(page.url()).pathname.split('/').pop();
  assert((await page.locator('#d-export').count()) === 0, `${p.name}: no export before the others consent`);
  await visit(page, `${p.name}-disclosure-requested`);
  log(`${p.name}: requested disclosure ${id}`);
  return id;
}

/// Disclosure, another party's side: the request appears in its list
/// (reloaded until its sync brought it), marked as needing its answer; it
/// opens the request and consents.
export async function consentToDisclosure(p, id) {
  const page = p.page;
  await Promise.all([page.waitForURL(`${p.base}/disclosure`), page.click('header nav a[href="/disclosure"]')]);
  const row = page.locator(`#d-row-${id}`);
  const end = Date.now() + PATIENCE;
  while ((await row.count()) === 0) {
    if (Date.now() > end) throw new Error(`${p.name}: disclosure ${id} never reached the list`);
    await page.waitForTimeout(500);
    await page.reload();
  }
  assert(/needs/.test(await row.textContent()), `${p.name}: the request is marked as needing our answer`);
  await visit(page, `${p.name}-disclosure-list`);
  await Promise.all([page.waitForURL(`${p.base}/disclosure/${id}`), row.locator(`a[href="/disclosure/${id}"]`).click()]);
  await visit(page, `${p.name}-disclosure-request`);
  await Promise.all([page.waitForNavigation(), page.click('#d-consent')]);
  assert((await page.locator('#d-consent').count()) === 0, `${p.name}: answered once consented`);
  assert(/consented/.test(await page.locator('table.answers').textContent()), `${p.name}: the answers say consented`);
  await visit(page, `${p.name}-disclosure-consented`);
  log(`${p.name}: consented to ${id}`);
}

/// Disclosure, requester's side again: the export appears (reloaded until
/// every consent was synced), is downloaded, and the verify page, by its
/// link, verifies the file in the browser.
export async function exportAndVerify(p, id) {
  const page = p.page;
  await page.goto(`${p.base}/disclosure/${id}`);
  const end = Date.now() + PATIENCE;
  while ((await page.locator('#d-export').count()) === 0) {
    if (Date.now() > end) throw new Error(`${p.name}: disclosure ${id} never became exportable`);
    await page.waitForTimeout(500);
    await page.reload();
  }
  await visit(page, `${p.name}-disclosure-complete`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#d-export')]);
  const file = join(screenshots(), download.suggestedFilename());
  await download.saveAs(file);
  const bundle = JSON.parse(readFileSync(file, 'utf8'));
  assert(typeof bundle === 'object' && bundle !== null, `${p.name}: the export is a JSON bundle`);
  await Promise.all([page.waitForURL(`${p.base}/verify`), page.click('#d-verify')]);
  await page.setInputFiles('#file', file);
  const verdict = page.locator('#verdict');
  await verdict.waitFor({ timeout: PATIENCE });
  const said = await verdict.getAttribute('data-verdict');
  assert(said === 'valid', `${p.name}: verify.html finds the bundle valid, not ${said}: ${await verdict.textContent()}`);
  await visit(page, `${p.name}-verify`);
  log(`${p.name}: exported ${download.suggestedFilename()} and verify.html says: ${(await verdict.textContent()).trim().slice(0, 80)}`);
  return file;
}

/// The login address used a second time (another browser, or the address
/// replayed): the session starts locked. The locked page refuses a wrong
/// passphrase and the right one unlocks it to the inbox.
export async function replayedLoginIsLocked(browser, p, passphrase) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(p.login);
  await page.locator('#unlock').waitFor();
  await visit(page, `${p.name}-locked`);
  await page.fill('#unlock-passphrase', 'not the passphrase');
  await Promise.all([page.waitForNavigation(), page.click('#unlock button[type="submit"]')]);
  assert((await page.locator('#unlock').count()) === 1, `${p.name}: a wrong passphrase does not unlock`);
  assert((await page.locator('.notice[role="alert"]').count()) === 1, `${p.name}: the locked page says the passphrase was wrong`);
  await visit(page, `${p.name}-locked-wrong`);
  await page.fill('#unlock-passphrase', passphrase);
  await Promise.all([page.waitForNavigation(), page.click('#unlock button[type="submit"]')]);
  assert((await page.locator('#unlock').count()) === 0, `${p.name}: the passphrase unlocks`);
  assert(new URL(page.url()).pathname === '/', `${p.name}: unlocked to the inbox, not ${page.url()}`);
  await context.close();
  log(`${p.name}: a replayed login starts locked; the passphrase unlocks it`);
}

/// An alarm on record (the Rust test raises it when asked): a banner on
/// every page, its detail escaped, until acknowledged on the health page;
/// then no banner, and the alarm still listed there, acknowledged.
export async function alarmUntilAcknowledged(p) {
  const page = p.page;
  ask('raise-alarm');
  await page.goto(`${p.base}/`);
  const banner = page.locator('.alarm[role="alert"]');
  const end = Date.now() + PATIENCE;
  while ((await banner.count()) === 0) {
    if (Date.now() > end) throw new Error(`${p.name}: no alarm banner within ${PATIENCE} ms`);
    await page.waitForTimeout(300);
    await page.reload();
  }
  const text = await banner.first().textContent();
  assert(text.includes('<img src=x onerror=alert(1)>'), `${p.name}: the banner shows the detail as text: ${text}`);
  assert((await page.locator('.alarm img').count()) === 0, `${p.name}: no element from the alarm's detail`);
  await visit(page, `${p.name}-inbox-alarm`);
  for (const path of ['/compose', '/dashboard', '/disclosure']) {
    await page.goto(`${p.base}${path}`);
    assert((await banner.count()) > 0, `${p.name}: the alarm banner on ${path}`);
  }
  await Promise.all([page.waitForURL(`${p.base}/health#alarms`), banner.first().locator('a[href="/health#alarms"]').click()]);
  const row = page.locator('table.alarms tr.unacked');
  assert((await row.count()) === 1, `${p.name}: the health page lists the alarm, not acknowledged`);
  await visit(page, `${p.name}-health-alarm`);
  await Promise.all([page.waitForNavigation(), row.locator('button[type="submit"]').click()]);
  assert((await page.locator('table.alarms tr.acked').count()) === 1, `${p.name}: the alarm stays listed, acknowledged`);
  assert((await banner.count()) === 0, `${p.name}: no banner once acknowledged`);
  await page.goto(`${p.base}/`);
  assert((await banner.count()) === 0, `${p.name}: no banner on the inbox once acknowledged`);
  await visit(page, `${p.name}-health-alarm-acknowledged`);
  log(`${p.name}: the alarm was a banner on every page until acknowledged`);
}

/// The channel set-up draft form.
export async function openSetupDraft(p) {
  const page = p.page;
  await page.goto(`${p.base}/setup`);
  await Promise.all([page.waitForURL(`${p.base}/setup/draft`), page.click('#setup-draft-link')]);
  await visit(page, `${p.name}-setup-draft`);
}

/// Error pages: an unknown path and an unknown case (404), and a browser
/// without the session (401).
export async function errorPages(browser, p) {
  let r = await p.page.goto(`${p.base}/no-such-page`);
  assert(r.status() === 404, `404 for an unknown path, not ${r.status()}`);
  await visit(p.page, `${p.name}-404`);
  r = await p.page.goto(`${p.base}/case/${'0'.repeat(32)}`);
  assert(r.status() === 404, `404 for an unknown case, not ${r.status()}`);
  await visit(p.page, `${p.name}-case-404`);
  const stranger = await browser.newContext();
  const page = await stranger.newPage();
  r = await page.goto(`${p.base}/`);
  assert(r.status() === 401, `401 without the session, not ${r.status()}`);
  await visit(page, 'not-logged-in-401');
  await stranger.close();
}

/// Asks the Rust test (reading our stdout) to do something and waits for
/// nothing: the effect is observed on the pages.
export function ask(what) {
  console.log(`@@hotline-ui-tests ${what}`);
}

/// Waits, on an open page, for a notice; `reload` to reload between looks
/// (pages without a live list).
export async function waitForNotice(p, text, { reload = false } = {}) {
  const end = Date.now() + PATIENCE;
  for (;;) {
    const n = p.page.locator('.notice', { hasText: text });
    if ((await n.count()) > 0) break;
    if (Date.now() > end) throw new Error(`${p.name}: no notice "${text}" within ${PATIENCE} ms`);
    await p.page.waitForTimeout(500);
    if (reload) await p.page.reload();
  }
  log(`${p.name}: shows "${text}"`);
}

/// The problems every party's pages showed: none allowed.
/// Browser notifications of alerts: the header's button is offered while
/// the browser has not been asked; the officer allows them by clicking it
/// (the permission granted to this origin, as the prompt would), and the
/// button goes. Every notification the page shows is recorded in
/// `window.__notified` (the real Notification is still called).
export async function enableNotifications(p) {
  await p.context.addInitScript(() => {
    const Real = window.Notification;
    if (!Real) return;
    window.__notified = [];
    class Recorded extends Real {
      constructor(title, options) {
        super(title, options);
        window.__notified.push({ title, tag: options && options.tag });
      }
    }
    window.Notification = Recorded;
  });
  await p.page.goto(`${p.base}/`);
  const button = p.page.locator('#notify');
  await button.waitFor({ state: 'visible' });
  await visit(p.page, `${p.name}-notifications-offered`);
  await p.context.grantPermissions(['notifications'], { origin: p.base });
  await button.click();
  await button.waitFor({ state: 'hidden' });
  log(`${p.name}: browser notifications allowed`);
}

/// Waits for a notification about case `caseId` on the open page; returns it.
export async function waitForNotification(p, caseId) {
  const short = caseId.slice(0, 8);
  await p.page.waitForFunction(
    (s) => (window.__notified || []).some((n) => n.title.includes(s)),
    short,
    { timeout: PATIENCE },
  );
  const all = await p.page.evaluate(() => window.__notified);
  const n = all.find((x) => x.title.includes(short));
  log(`${p.name}: notified: ${n.title}`);
  return n;
}

/// The UI in another language, chosen by the browser's Accept-Language:
/// Russian (complete) on the inbox, a case, the dashboard and health, with
/// axe-core and screenshots; Arabic (partial) laid out right to left: the
/// brand sits at the right, the text is right-aligned. English again after.
export async function inOtherLanguages(p, caseId) {
  const page = p.page;
  await page.setExtraHTTPHeaders({ 'Accept-Language': 'ru-RU,ru;q=0.9,en;q=0.5' });
  for (const [path, name, heading] of [
    ['/', 'ru-inbox', 'Входящие'],
    [`/case/${caseId}`, 'ru-case', null],
    ['/dashboard', 'ru-dashboard', 'Своевременность'],
    ['/health', 'ru-health', 'Состояние канала'],
  ]) {
    await page.goto(`${p.base}${path}`);
    assert((await page.getAttribute('html', 'lang')) === 'ru', `${name}: <html lang="ru">`);
    const nav = await page.textContent('header nav');
    assert(nav.includes('Входящие') && nav.includes('Написать') && !nav.includes('Inbox'), `${name}: the navigation in Russian: ${nav}`);
    if (heading) assert((await page.textContent('h1')).includes(heading), `${name}: the heading in Russian`);
    await visit(page, name);
  }
  await page.goto(`${p.base}/case/${caseId}`);
  const text = await page.textContent('main');
  assert(text.includes('Ход дела') && text.includes('Сроки'), `the case page in Russian: ${text.slice(0, 300)}`);
  // Dates follow the language too (Intl, <html lang>).
  await page.setExtraHTTPHeaders({ 'Accept-Language': 'ar' });
  await page.goto(`${p.base}/`);
  assert((await page.getAttribute('html', 'dir')) === 'rtl', 'Arabic: <html dir="rtl">');
  const brand = await page.locator('header nav a.brand').boundingBox();
  const width = page.viewportSize().width;
  assert(brand.x > width / 2, `Arabic: the brand is at the right (x=${brand.x} of ${width})`);
  const align = await page.evaluate(() => getComputedStyle(document.querySelector('th')).textAlign);
  assert(align === 'start' || align === 'right', `Arabic: table headers start at the right (${align})`);
  assert((await page.textContent('h1')).includes('البريد الوارد'), 'Arabic: the inbox heading');
  await visit(page, 'ar-inbox');
  await page.setExtraHTTPHeaders({ 'Accept-Language': 'en' });
  await page.goto(`${p.base}/`);
  assert((await page.getAttribute('html', 'lang')) === 'en', 'English again');
  log(`${p.name}: the UI in Russian (inbox, case, dashboard, health) and in Arabic right to left`);
}

/// On a case page of a message in two languages: the texts side by side,
/// each in its language, labelled authentic or a translation.
export async function twoTextsSideBySide(p, caseId, { lang, body }) {
  const page = p.page;
  await page.goto(`${p.base}/case/${caseId}`);
  const texts = page.locator('ol.timeline li.entry').first().locator('section.text');
  assert((await texts.count()) === 2, `${p.name}: two texts on the case page`);
  const [a, b] = [await texts.nth(0).boundingBox(), await texts.nth(1).boundingBox()];
  assert(Math.abs(a.y - b.y) < 2 && b.x > a.x + a.width - 1, `${p.name}: the texts side by side (${JSON.stringify([a, b])})`);
  assert((await texts.nth(1).getAttribute('lang')) === lang, `${p.name}: the second text in ${lang}`);
  assert((await texts.nth(1).textContent()).includes(body), `${p.name}: the second text shown`);
  const labels = await texts.locator('.text-label').allTextContents();
  assert(labels[0] === 'en: authentic text' && labels[1] === `${lang}: translation, not authentic`, `${p.name}: labels ${labels}`);
  await visit(page, `${p.name}-case-two-languages`);
  log(`${p.name}: a message in English and ${lang} side by side`);
}

export function assertNoProblems(parties) {
  const all = parties.flatMap((p) => p.problems.map((x) => `${p.name}: ${x}`));
  assert(all.length === 0, `the pages had problems:\n${all.join('\n')}`);
}

/// Runs a flow: prints the failure and exits 1, or exits 0.
export async function run(flow) {
  const browser = await launch();
  try {
    await axeCanFail(browser);
    await flow(browser);
    log('passed');
  } catch (e) {
    console.error(`[ui-tests] FAILED: ${e.stack || e}`);
    process.exitCode = 1;
    for (const p of everyone) {
      try {
        await p.page.screenshot({ path: join(screenshots(), `FAILED-${p.name}.png`), fullPage: true });
        console.error(`[ui-tests] ${p.name} was at ${p.page.url()}; screenshot FAILED-${p.name}.png`);
      } catch { /* the page is gone */ }
    }
  } finally {
    await browser.close();
  }
}
