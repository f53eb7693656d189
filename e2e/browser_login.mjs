// One real browser login: Debian's Chromium, driven by playwright-core, logs in through NetBox's SSO
// button and Keycloak's login form, opens NetBox's user menu and takes a screenshot of it.
// usage: node browser_login.mjs NETBOX_URL USERNAME PASSWORD BUTTON_LABEL NETBOX_USERNAME SCREENSHOT.png
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [netbox, username, password, buttonLabel, netboxUser, screenshot] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'netbox-sso-e2e-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 720 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let status = 1;
try {
  // loopback only: the browser may talk to NetBox and Keycloak on this machine and to nothing else
  await browser.route('**/*', route => {
    const host = new URL(route.request().url()).hostname;
    return ['127.0.0.1', 'localhost', '[::1]'].includes(host) ? route.continue() : route.abort();
  });
  const page = browser.pages()[0] ?? await browser.newPage();
  page.setDefaultTimeout(60000);
  // LOGIN_REQUIRED: NetBox answers with its login page, which returns to the profile after the login
  // (not to the dashboard, whose news widget would make NetBox reach out to the internet)
  await page.goto(`${netbox}/user/profile/`);
  // the SSO button: a form button on NetBox 4.7, a link styled as a button on 4.4
  await page.getByRole('button', { name: buttonLabel }).or(page.getByRole('link', { name: buttonLabel })).click();
  await page.waitForSelector('#kc-form-login');         // Keycloak's login form
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(u => u.toString().startsWith(netbox) && !u.pathname.startsWith('/oauth/')),
                     page.click('#kc-login')]);
  const who = await page.locator('html').getAttribute('data-netbox-user-name');
  if (who !== netboxUser) throw new Error(`NetBox says the user is ${who}, expected ${netboxUser}`);
  // the desktop top bar's user menu (the layout has a second copy for narrow screens, hidden here)
  await page.locator('header a[data-bs-toggle="dropdown"]').filter({ hasText: netboxUser }).click();
  await page.locator('header .dropdown-menu.show').waitFor();
  await page.waitForTimeout(300);                       // let the menu's fade-in finish
  await page.screenshot({ path: screenshot });
  console.log(JSON.stringify({ user: who, url: page.url(), screenshot }));
  status = 0;
} catch (err) {
  console.error(`browser login failed: ${err.message}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(status);
