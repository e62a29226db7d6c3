// Two parties of one channel, each with its own `hotline ui`, driven by
// clicking (crates/cli/tests/ui_browser.rs starts everything and reads our
// stdout): Northland composes an inquiry with STIX evidence, checks and
// sends it; Southland's open inbox shows it without a reload; Southland
// opens it, acknowledges and answers it; Northland's case page shows the
// answer, on time. The evidence graph, the dashboard, channel health, the
// help page (by keyboard) and the set-up page render. Northland requests
// the case's disclosure, Southland consents, Northland exports it and the
// verify page verifies it, all by clicking. Error pages are visited. Then
// we ask the test to stop the relay, and both UIs say the relay is
// unreachable.
//
// Environment: HOTLINE_UI_A and HOTLINE_UI_B (the printed login addresses),
// HOTLINE_UI_SCREENSHOTS (the folder for the screenshots).
import {
  run, env, login, visit, shot, markPage, composeInquiry, waitForCaseInInbox, openCase,
  acknowledgeAndAnswer, seeAnsweredOnTime, errorPages, ask, waitForNotice, assertNoProblems, stixFile, log,
  openEvidenceGraph, openDashboard, openHealth, openHelpByKeyboard, openSetup, requestDisclosure,
  consentToDisclosure, exportAndVerify,
} from './lib.mjs';

const TITLE = 'Scanning of the grid operator from 198.51.100.1';
const ANSWER = 'The host is **ours**: a compromised university server, now cleaned.';

await run(async (browser) => {
  const a = await login(browser, 'northland', env('HOTLINE_UI_A'));
  const b = await login(browser, 'southland', env('HOTLINE_UI_B'));
  await visit(a.page, 'northland-inbox-before');
  // Southland's inbox stays open, untouched, while Northland sends.
  await visit(b.page, 'southland-inbox-before');
  await markPage(b);

  const caseId = await composeInquiry(a, {
    kind: 'inquiry',
    to: ['southland'],
    tlp: 'TLP:AMBER',
    title: TITLE,
    body: 'Since 02:10 UTC we see **scanning** of the grid operator\'s VPN from `198.51.100.1`.\n\n- Is the host yours?\n- Can you stop it?',
    stixFile: stixFile(),
  });

  await waitForCaseInInbox(b, caseId, TITLE);
  await checkInboxRow(b, caseId);
  await visit(b.page, 'southland-inbox');
  await shot(b.page, 'inbox', { dark: true, narrow: true });

  await openCase(b, caseId, 'southland-case');
  await acknowledgeAndAnswer(b, caseId, {
    ack: 'Received; we are looking at it.',
    answer: ANSWER,
  });
  await shot(b.page, 'case', { dark: true, narrow: true });

  await seeAnsweredOnTime(a, caseId, { answeredBy: 'Southland', answerText: 'a compromised university server, now cleaned.' });
  await openEvidenceGraph(a, caseId, ['C2 server of the campaign', 'GridLock loader']);
  await openDashboard(a);
  await openDashboard(b);
  await openHealth(a);
  await openHelpByKeyboard(a);
  await openSetup(a);

  const disclosure = await requestDisclosure(a, caseId, 'Joint report to the OSCE on the scanning incident');
  await consentToDisclosure(b, disclosure);
  await exportAndVerify(a, disclosure);

  await errorPages(browser, a);

  // The relay goes away: Southland's open inbox says so by itself, and
  // Northland's case page after a reload.
  await b.page.goto(`${b.base}/`);
  await markPage(b);
  ask('stop-relay');
  await waitForNotice(b, 'relay unreachable');
  await visit(b.page, 'southland-inbox-relay-unreachable');
  await a.page.goto(`${a.base}/case/${caseId}`);
  await waitForNotice(a, 'relay unreachable', { reload: true });
  await visit(a.page, 'northland-case-relay-unreachable');

  assertNoProblems([a, b]);
  log(`two parties: case ${caseId} sent with a STIX file, seen live, acknowledged, answered on time; graph, dashboard, health, help, set-up rendered; disclosure ${disclosure} requested, consented, exported, verified; relay outage shown`);
});

/// The inbox row of the new case: needs us, TLP badge, a deadline.
async function checkInboxRow(p, caseId) {
  const row = p.page.locator('#live tr.case', { has: p.page.locator(`a[href="/case/${caseId}"]`) });
  const text = await row.textContent();
  if (!/needs us/.test(text) || !/TLP:AMBER/.test(text) || !/left to acknowledge/.test(text)) {
    throw new Error(`${p.name}: the inbox row lacks "needs us", the TLP badge or the time left: ${text}`);
  }
}
