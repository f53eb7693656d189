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
  const page = browser.pages()[0] ?? await browser.newPage();
  page.setDefaultTimeout(60000);
  await page.goto(`${netbox}/`);                       // LOGIN_REQUIRED: NetBox shows its login page
  await page.getByRole('button', { name: buttonLabel }).click();
  await page.waitForSelector('#kc-form-login');         // Keycloak's login form
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(u => u.toString().startsWith(netbox) && !u.pathname.startsWith('/oauth/')),
                     page.click('#kc-login')]);
  const who = await page.locator('html').getAttribute('data-netbox-user-name');
  if (who !== netboxUser) throw new Error(`NetBox says the user is ${who}, expected ${netboxUser}`);
  await page.locator('[data-bs-toggle="dropdown"]').filter({ hasText: netboxUser }).first().click();
  await page.locator('.dropdown-menu.show').first().waitFor();
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
