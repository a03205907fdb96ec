// The console's flows in headless Chromium (Debian's, through playwright-core), against `oktavault serve` over a
// simulated org. Started by tests/e2e/console.rs, which starts the simulator and the server and hands over:
//   CONSOLE_LINK      the one-time sign-in link `oktavault serve` printed
//   SIM_URL, SIM_TOKEN the simulator and its API token (the org to authorize; also read over HTTP to check)
//   DELETED_USER      id of a user this script deletes in the simulator between two backups, then restores
//   DELETED_GROUP     id of a group it deletes too, whose restore the simulator refuses (the failed job)
//   SCREENSHOTS       where each page's screenshot is written, at 1280 and 390 px wide
//   CHROMIUM          the browser (default /usr/bin/chromium)
// Through the browser: authorize the org; back it up; find the deleted user by search; preview and apply its
// restore and see it back in the simulator; download a selection and read the file; open the failed restore
// and read its per-object error. Any console error or page error fails the run.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through tests/e2e/console.rs (cargo test --test e2e console)`);
  return value;
};
const LINK = env('CONSOLE_LINK');
const SIM = env('SIM_URL');
const SIM_TOKEN = env('SIM_TOKEN');
const USER = env('DELETED_USER');
const GROUP = env('DELETED_GROUP');
const SHOTS = env('SCREENSHOTS');
const BASE = new URL(LINK).origin;
mkdirSync(SHOTS, { recursive: true });

const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 390, height: 844 };
const JOB_TIMEOUT = 240_000;

const step = (what) => console.log(`flows: ${what}`);

async function sim(method, path) {
  const response = await fetch(`${SIM}${path}`, { method, headers: { Authorization: `SSWS ${SIM_TOKEN}`, Accept: 'application/json' } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const profile = mkdtempSync(join(tmpdir(), 'oktavault-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: WIDE,
  acceptDownloads: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

// A failed request shows as a console error; these are the answers the flows expect: a job the API does not know
// for a moment after it started (docs/api.md), and the spent sign-in link opened again on purpose.
const expected = [/\/v1\/jobs\/job-[^/]+(\/log)?$/, /\/v1\/console\/sessions$/];
const problems = [];
const failedUrls = new Map();
function watch(page) {
  page.on('response', (r) => {
    if (r.status() >= 400) failedUrls.set(r.url(), r.status());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location()?.url ?? '';
    const allowed = m.text().startsWith('Failed to load resource') && expected.some((re) => re.test(new URL(url, BASE).pathname));
    if (!allowed) problems.push(`console error: ${m.text()} (${url})`);
  });
}

let shotCount = 0;
/** The page at both widths, then back to the wide one. */
async function shoot(page, name) {
  for (const [label, size] of [['1280', WIDE], ['390', NARROW]]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SHOTS, `${name}-${label}.png`), fullPage: false });
  }
  await page.setViewportSize(WIDE);
  shotCount++;
}

async function finishedJob(page) {
  await page.waitForURL(/\/jobs\/job-/, { timeout: 30_000 });
  const badge = page.locator('.facts .badge').first();
  await page.waitForFunction(() => {
    const b = document.querySelector('.facts .badge');
    return b && b.textContent !== 'running';
  }, null, { timeout: JOB_TIMEOUT, polling: 500 });
  return (await badge.textContent()).trim();
}

/** The console's OIDC sign-in (authorization code with PKCE) in a fresh tab: the server's sign-in config and the
 * identity provider are stood in for by request interception (no network), the provider checks the PKCE
 * verifier against the challenge, and the console must send the ID token it was issued as the API's bearer. */
async function oidcSignIn() {
  const idp = 'https://idp.oktavault.test';
  const tab = await context.newPage();
  watch(tab);
  const cors = { 'access-control-allow-origin': BASE };
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  let authorize = null;
  let idToken = null;
  let bearer = null;
  await tab.route(`${BASE}/v1/console/config`, (r) =>
    r.fulfill({ json: { sign_in: 'oidc', issuer: idp, client_id: '0oaconsole', token: 'id_token', scopes: ['openid', 'profile'] } }),
  );
  await tab.route(`${idp}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/.well-known/openid-configuration') {
      return route.fulfill({ json: { issuer: idp, authorization_endpoint: `${idp}/authorize`, token_endpoint: `${idp}/token` }, headers: cors });
    }
    if (url.pathname === '/authorize') {
      authorize = Object.fromEntries(url.searchParams);
      return route.fulfill({ status: 302, headers: { location: `${BASE}/sign-in?code=the-code&state=${encodeURIComponent(authorize.state)}` } });
    }
    if (url.pathname === '/token') {
      const form = new URLSearchParams(route.request().postData() ?? '');
      const verified = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') === authorize?.code_challenge;
      if (!verified || form.get('code') !== 'the-code' || form.get('grant_type') !== 'authorization_code') {
        return route.fulfill({ status: 400, json: { error: 'invalid_grant', error_description: 'PKCE verification failed' }, headers: cors });
      }
      idToken = `${b64({ alg: 'RS256' })}.${b64({ sub: 'ada@acme.com', aud: '0oaconsole', nonce: authorize.nonce })}.signature`;
      return route.fulfill({ json: { id_token: idToken, access_token: 'an-access-token', token_type: 'Bearer' }, headers: cors });
    }
    return route.fulfill({ status: 404, headers: cors });
  });
  await tab.route(`${BASE}/v1/orgs`, (r) => {
    bearer = r.request().headers().authorization;
    return r.fulfill({ json: { orgs: [] } });
  });
  // The provider refuses first (the person is not assigned to the app): the page says so in its words.
  let refuse = true;
  await tab.route(`${idp}/authorize?*`, (route) => {
    if (!refuse) return route.fallback();
    refuse = false;
    const state = new URL(route.request().url()).searchParams.get('state');
    return route.fulfill({
      status: 302,
      headers: { location: `${BASE}/sign-in?error=access_denied&error_description=User+is+not+assigned+to+the+client+application.&state=${state}` },
    });
  });
  await tab.goto(`${BASE}/sign-in`);
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await tab.getByRole('alert').filter({ hasText: 'User is not assigned to the client application.' }).waitFor();
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await tab.getByRole('heading', { name: 'Orgs' }).waitFor();
  assert.equal(authorize.code_challenge_method, 'S256');
  assert.equal(authorize.client_id, '0oaconsole');
  assert.equal(authorize.redirect_uri, `${BASE}/sign-in`);
  assert.ok(idToken, 'the stand-in provider issued tokens: the PKCE verifier matched its challenge');
  assert.equal(bearer, `Bearer ${idToken}`, 'the console sends the ID token as the bearer');
  assert.equal(new URL(tab.url()).search, '', 'the spent code is gone from the address bar');
  await tab.close();
}

let page;
try {
  page = context.pages()[0] ?? (await context.newPage());
  watch(page);

  step('sign in with the printed link');
  await page.goto(LINK);
  await page.getByRole('heading', { name: 'Orgs' }).waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the spent code is gone from the address bar');

  step('1. authorize the simulated org');
  await page.getByRole('button', { name: 'Authorize an org' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Org URL').fill(SIM);
  await dialog.getByLabel('An API token (SSWS)').check();
  await dialog.getByLabel('API token', { exact: true }).fill(SIM_TOKEN);
  await shoot(page, 'authorize');
  await dialog.getByRole('button', { name: 'Check and authorize' }).click();
  await dialog.getByRole('table', { name: 'The live check, per scope' }).waitFor();
  const granted = await dialog.getByText('granted', { exact: true }).count();
  assert.ok(granted >= 3, `the live check shows the scopes granted (${granted})`);
  await shoot(page, 'authorize-check');
  await dialog.getByRole('button', { name: 'Done' }).click();
  const card = page.locator('.card').first();
  await card.getByText('allowed').waitFor();
  await card.getByRole('button', { name: 'Turn backup off' }).click();
  await card.getByText('backup is off').waitFor();
  await card.getByRole('button', { name: 'Turn backup on' }).click();
  await card.getByText(/^on, every \d+ h$/).waitFor();
  await card.getByRole('button', { name: 'Re-authorize' }).click();
  const reauthorize = page.getByRole('dialog', { name: 'Re-authorize the org' });
  assert.equal(await reauthorize.getByLabel('Org URL').inputValue(), SIM, 'the dialog knows the org');
  await reauthorize.getByLabel('An API token (SSWS)').check();
  await reauthorize.getByLabel('API token', { exact: true }).fill(SIM_TOKEN);
  await reauthorize.getByRole('button', { name: 'Check and authorize' }).click();
  await reauthorize.getByText('is re-authorized').waitFor();
  await reauthorize.getByRole('button', { name: 'Done' }).click();

  step('2. back it up (twice: the user and the group are deleted in between)');
  await card.getByRole('button', { name: /Back up .* now/ }).click();
  await page.getByText('updating live').waitFor({ timeout: 30_000 }).catch(() => {});
  await shoot(page, 'job-running');
  assert.equal(await finishedJob(page), 'completed');
  await shoot(page, 'job-backup');
  const login = (await sim('GET', `/api/v1/users/${USER}`)).body.profile.login;
  const groupName = (await sim('GET', `/api/v1/groups/${GROUP}`)).body.profile.name;
  assert.equal((await sim('POST', `/api/v1/users/${USER}/lifecycle/deactivate`)).status, 200);
  assert.equal((await sim('DELETE', `/api/v1/users/${USER}`)).status, 204);
  assert.equal((await sim('DELETE', `/api/v1/groups/${GROUP}`)).status, 204);
  await page.getByRole('link', { name: 'Orgs' }).click();
  await page.locator('.card').first().getByRole('button', { name: /Back up .* now/ }).click();
  assert.equal(await finishedJob(page), 'completed');
  await shoot(page, 'orgs-after-backup');

  step('timeline and browse');
  await page.getByRole('link', { name: 'Timeline' }).click();
  await page.getByRole('heading', { name: 'Last 24 hours' }).waitFor();
  const org = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]);
  await page.locator('.snapshot').nth(1).waitFor();
  assert.match(await page.locator('.snapshot').first().textContent(), /users.*−1/, 'the newest snapshot counts the deleted user');
  await shoot(page, 'timeline');
  await page.locator('.snapshot-link').first().click();
  await page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: /^Users \d+$/ }).click();
  await page.locator('.object-list tbody tr').first().waitFor();
  await shoot(page, 'browse');
  await page.locator('.object-list tbody a').first().click();
  await page.getByRole('heading', { name: 'History' }).waitFor();
  await page.locator('.json a.ref').first().waitFor();
  await shoot(page, 'object');

  step('3. find the deleted user by search');
  await page.getByRole('link', { name: 'Search' }).click();
  await page.getByLabel('Name, login, email, label or id').fill(login);
  await page.getByLabel('Type').selectOption('users');
  await page.getByRole('button', { name: 'Search' }).click();
  const result = page.locator('.result').filter({ hasText: login });
  await result.waitFor();
  await result.getByText('deleted', { exact: true }).waitFor();
  await shoot(page, 'search');

  step('4. preview and apply its restore');
  assert.equal((await sim('GET', `/api/v1/users/${USER}`)).status, 404, 'the user is gone from the org');
  await result.getByRole('button', { name: `Pick ${login} for a restore or download` }).click();
  await page.getByRole('complementary', { name: 'Picked objects' }).getByRole('button', { name: 'Restore…' }).click();
  const restore = page.getByRole('dialog', { name: 'Restore' });
  await restore.getByLabel('With relationships').check();
  await restore.getByRole('button', { name: 'Preview the plan' }).click();
  await restore.getByRole('heading', { name: /The plan for/ }).waitFor({ timeout: JOB_TIMEOUT });
  await restore.locator('.planned > li').filter({ hasText: login }).locator('.action-create').first().waitFor();
  await shoot(page, 'restore-plan');
  await restore.getByRole('button', { name: /Restore|Confirm and restore/ }).click();
  assert.match(await finishedJob(page), /^completed/);
  await page.getByRole('heading', { name: 'What the restore did' }).waitFor();
  await shoot(page, 'job-restore');
  const back = await sim('GET', `/api/v1/users?search=${encodeURIComponent(`profile.login eq "${login}"`)}`);
  assert.equal(back.status, 200);
  assert.equal(back.body.length, 1, `the simulator holds ${login} again`);
  assert.equal(back.body[0].profile.login, login);

  step('5. download a selection and read the file');
  await page.getByRole('link', { name: 'Downloads' }).click();
  const usersBox = page.getByRole('checkbox', { name: /^Users \(\d+\)$/ });
  const listed = Number((await page.locator('label', { has: usersBox }).textContent()).match(/\((\d+)\)/)[1]);
  await usersBox.check();
  await page.getByLabel('Format').selectOption('json');
  await shoot(page, 'downloads');
  await page.getByRole('button', { name: 'Start the download' }).click();
  assert.equal(await finishedJob(page), 'completed');
  await page.getByRole('button', { name: 'Download the file' }).waitFor();
  await shoot(page, 'job-download');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the file' }).click()]);
  const file = JSON.parse(readFileSync(await download.path(), 'utf8'));
  // The latest snapshot was taken while the user was deleted: it holds every other user, and not that one.
  const found = (Array.isArray(file) ? file : Object.values(file).find(Array.isArray) ?? []).filter((u) => u?.profile?.login);
  assert.equal(found.length, listed, `${download.suggestedFilename()} holds the ${listed} users of the snapshot`);
  assert.ok(!found.some((u) => u.profile.login === login), `the snapshot without ${login} does not hold it`);

  step('undo from the System Log event of the group\'s deletion: its restore preview');
  const logs = (await sim('GET', '/api/v1/logs?limit=1000')).body;
  const deletion = logs.find((e) => e.eventType === 'group.lifecycle.delete' && (e.target ?? []).some((t) => t.id === GROUP));
  assert.ok(deletion, `the simulator logged the deletion of group ${GROUP}`);
  await page.goto(`${BASE}/orgs/${encodeURIComponent(org)}/snapshots/latest/system_log/${deletion.uuid}`);
  await page.getByText('group.lifecycle.delete').first().waitFor();
  await page.getByRole('button', { name: 'Undo this change' }).click();
  const undo = page.getByRole('dialog', { name: 'Undo this change' });
  await undo.getByRole('heading', { name: /The plan for/ }).waitFor({ timeout: JOB_TIMEOUT });
  await undo.locator('.planned > li').filter({ hasText: groupName }).locator('.action-create').first().waitFor();
  await shoot(page, 'undo-plan');
  await undo.getByRole('button', { name: 'Back' }).click();

  step('6. open a failed job and read its per-object error');
  await page.getByRole('link', { name: 'Search' }).click();
  await page.getByLabel('Name, login, email, label or id').fill(groupName);
  await page.getByLabel('Type').selectOption('groups');
  await page.getByRole('button', { name: 'Search' }).click();
  const groupResult = page.locator('.result').filter({ hasText: groupName });
  await groupResult.getByText('deleted', { exact: true }).waitFor();
  await page.getByRole('complementary', { name: 'Picked objects' }).getByRole('button', { name: 'Clear' }).click();
  await groupResult.getByRole('button', { name: `Pick ${groupName} for a restore or download` }).click();
  await page.getByRole('complementary', { name: 'Picked objects' }).getByRole('button', { name: 'Restore…' }).click();
  await restore.getByLabel('With relationships').uncheck();
  await restore.getByRole('button', { name: 'Preview the plan' }).click();
  await restore.getByRole('heading', { name: /The plan for/ }).waitFor({ timeout: JOB_TIMEOUT });
  await restore.getByRole('button', { name: /Restore|Confirm and restore/ }).click();
  const failedState = await finishedJob(page);
  assert.match(failedState, /failed|with errors/, `the group's restore failed (${failedState})`);
  const jobUrl = page.url();
  await page.getByRole('link', { name: 'Jobs' }).click();
  await page.getByLabel('State').selectOption(failedState === 'failed' ? 'failed' : 'completed_with_errors');
  await page.getByRole('link', { name: /restore job/ }).first().waitFor();
  await shoot(page, 'jobs');
  await page.getByRole('link', { name: /restore job/ }).first().click();
  assert.equal(page.url(), jobUrl);
  const failure = page.locator('.failure').first();
  await failure.waitFor();
  const words = await failure.textContent();
  assert.match(words, /groups/, words);
  assert.match(words, /Api validation failed/, `the per-object error says why: ${words}`);
  await shoot(page, 'job-failed');

  step('the spent sign-in link says so');
  const again = await context.newPage();
  watch(again);
  await again.goto(LINK);
  await again.getByRole('alert').filter({ hasText: 'used already' }).waitFor();
  await shoot(again, 'sign-in');
  await again.close();

  step('OIDC sign-in with PKCE, as on AWS, at a stand-in identity provider');
  await oidcSignIn();

  assert.deepEqual(problems, [], `the pages logged errors:\n${problems.join('\n')}`);
  step(`all flows passed; ${shotCount} pages shot at 1280 and 390 px into ${SHOTS}`);
} catch (e) {
  // What the page showed when a step failed, beside the step's error.
  await page?.screenshot({ path: join(SHOTS, 'failure.png'), fullPage: true }).catch(() => {});
  console.error(`flows: failed at ${page?.url()}; the page is in ${join(SHOTS, 'failure.png')}`);
  throw e;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
