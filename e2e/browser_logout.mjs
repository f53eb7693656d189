// Logout in a real browser: Debian's Chromium, driven by playwright-core, logs in through NetBox's SSO button
// and Keycloak's login form, logs out with the user menu's "Log Out", confirms the logout at the identity
// provider if it asks, and visits NetBox again, pressing the SSO button once more. Prints one JSON line saying
// where the logout led and whether that second SSO login showed Keycloak's login form (asks for the password)
// or logged the user straight back in.
// usage: node browser_logout.mjs NETBOX_URL KEYCLOAK_URL USERNAME PASSWORD BUTTON_LABEL NETBOX_USERNAME
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [netbox, keycloak, username, password, buttonLabel, netboxUser] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'netbox-sso-e2e-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 720 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const atNetBox = u => u.toString().startsWith(netbox);
const atKeycloak = u => u.toString().startsWith(keycloak);
let status = 1;
try {
  // loopback only: the browser may talk to NetBox and Keycloak on this machine and to nothing else
  await browser.route('**/*', route => {
    const host = new URL(route.request().url()).hostname;
    return ['127.0.0.1', 'localhost', '[::1]'].includes(host) ? route.continue() : route.abort();
  });
  const page = browser.pages()[0] ?? await browser.newPage();
  page.setDefaultTimeout(60000);
  const ssoButton = () => page.getByRole('button', { name: buttonLabel }).or(page.getByRole('link', { name: buttonLabel }));

  // 1. log in (as browser_login.mjs)
  await page.goto(`${netbox}/user/profile/`);
  await ssoButton().click();
  await page.waitForSelector('#kc-form-login');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(u => atNetBox(u) && !u.pathname.startsWith('/oauth/')), page.click('#kc-login')]);
  const who = await page.locator('html').getAttribute('data-netbox-user-name');
  if (who !== netboxUser) throw new Error(`NetBox says the user is ${who}, expected ${netboxUser}`);
  const profileUrl = page.url();

  // 2. log out: the user menu's "Log Out"
  await page.locator('header a[data-bs-toggle="dropdown"]').filter({ hasText: netboxUser }).click();
  await Promise.all([page.waitForURL(u => u.toString() !== profileUrl),
                     page.locator('header .dropdown-menu.show').getByRole('link', { name: 'Log Out' }).click()]);
  const afterLogout = page.url();
  let confirmed = false;
  if (atKeycloak(afterLogout)) {
    // without id_token_hint Keycloak asks the user to confirm the logout
    await page.waitForSelector('#kc-logout');
    await Promise.all([page.waitForURL(u => atNetBox(u)), page.click('#kc-logout')]);
    confirmed = true;
  }
  const backAt = page.url();

  // 3. the next visit: NetBox's login page (LOGIN_REQUIRED), its SSO button again
  await page.goto(`${netbox}/user/profile/`);
  let next;
  if (await page.locator('html').getAttribute('data-netbox-user-name')) {
    next = 'still logged in to NetBox';
  } else {
    await Promise.all([
      page.waitForURL(u => atKeycloak(u) || (atNetBox(u) && !u.pathname.startsWith('/oauth/') && !u.pathname.startsWith('/login/'))),
      ssoButton().click()]);
    if (atKeycloak(page.url()) && await page.locator('#kc-form-login').count() > 0) {
      next = 'keycloak login form';
    } else {
      next = `logged in again without a password as ${await page.locator('html').getAttribute('data-netbox-user-name')}`;
    }
  }
  console.log(JSON.stringify({ user: who, afterLogout, confirmed, backAt, next, nextUrl: page.url() }));
  status = 0;
} catch (err) {
  console.error(`browser logout failed: ${err.message}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(status);
