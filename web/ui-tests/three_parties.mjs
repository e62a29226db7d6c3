// Three parties of one channel: Northland addresses Southland and Eastland
// in one inquiry; both open inboxes show it without a reload. Eastland's
// login address replayed in another browser starts locked; the passphrase
// unlocks it. An alarm in Southland's archive is a banner on every page
// until acknowledged on the health page. Eastland sees the set-up draft
// form. Northland's pages in Russian and in Arabic (right to left). Southland allows browser notifications; a warning Northland sends
// then shows as one, with nothing of its TLP:RED title (crates/cli/tests/ui_browser.rs starts everything).
//
// Environment: HOTLINE_UI_A, HOTLINE_UI_B, HOTLINE_UI_C (the printed login
// addresses), HOTLINE_UI_PASSPHRASE, HOTLINE_UI_SCREENSHOTS.
import {
  run, env, login, visit, markPage, composeInquiry, waitForCaseInInbox, openCase, assertNoProblems, STIX, log, twoTextsSideBySide,
  replayedLoginIsLocked, alarmUntilAcknowledged, openSetupDraft, enableNotifications, waitForNotification, assert, inOtherLanguages,
} from './lib.mjs';

const TITLE = 'Coordinated phishing against three ministries';

await run(async (browser) => {
  const a = await login(browser, 'northland', env('HOTLINE_UI_A'));
  const others = [
    await login(browser, 'southland', env('HOTLINE_UI_B')),
    await login(browser, 'eastland', env('HOTLINE_UI_C')),
  ];
  for (const p of others) {
    await visit(p.page, `three-${p.name}-inbox-before`);
    await markPage(p);
  }
  const caseId = await composeInquiry(a, {
    to: others.map((p) => p.name),
    tlp: 'TLP:GREEN',
    title: TITLE,
    body: 'The same lure reached all three of us. Indicators attached.',
    stix: STIX,
  });
  for (const p of others) {
    await waitForCaseInInbox(p, caseId, TITLE);
    await visit(p.page, `three-${p.name}-inbox`);
  }
  for (const p of others) await openCase(p, caseId, `three-${p.name}-case`);
  await enableNotifications(others[0]);
  const WARNING = 'Wiper staged against the ministries';
  const RU = 'Отключите серверы резервного копирования.';
  const warning = await composeInquiry(a, {
    kind: 'warning', to: ['southland'], tlp: 'TLP:RED', title: WARNING, body: 'Disconnect the backup servers.', stix: STIX,
    second: { lang: 'ru', body: RU, authentic: '1' },
  });
  const n = await waitForNotification(others[0], warning);
  assert(/warning in case/.test(n.title), `the notification says what it is: ${n.title}`);
  assert(!n.title.includes(WARNING), `a TLP:RED title stays off the notification: ${n.title}`);
  await twoTextsSideBySide(others[0], warning, { lang: 'ru', body: RU });
  await replayedLoginIsLocked(browser, others[1], env('HOTLINE_UI_PASSPHRASE'));
  await alarmUntilAcknowledged(others[0]);
  await openSetupDraft(others[1]);
  await inOtherLanguages(a, caseId);
  assertNoProblems([a, ...others]);
  log(`three parties: case ${caseId} reached southland and eastland live; warning notified; replayed login locked; alarm shown until acknowledged`);
});
