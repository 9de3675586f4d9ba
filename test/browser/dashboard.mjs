// The dashboard driven as a user would, in the system's headless Chromium.
// test/e2e/dashboard_test.go starts `tributary dev` with the education
// pipelines and runs this script; it talks back over stdin/stdout for what a
// browser cannot do (producing a poison record to Kafka): a line `NEED
// <what>` on stdout, answered by a line `OK` on stdin.
//
// Environment: BASE_URL (the worker's REST URL), TOKEN (its bearer token for
// writes; the page is opened once with ?token=), OUT_DIR (screenshots),
// SINK_FILE (the file the created sink writes), CHROMIUM (the browser).
// Exit status 0 when every step passed; on a failure, the page at that moment
// is saved as failure.png beside the screenshots.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const base = process.env.BASE_URL;
const out = process.env.OUT_DIR;
const sinkFile = process.env.SINK_FILE;
mkdirSync(out, { recursive: true });

const answers = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function need(what) {
  console.log(`NEED ${what}`);
  const { value } = await answers.next();
  if (value !== 'OK') throw new Error(`the test answered ${JSON.stringify(value)} to NEED ${what}`);
}

function step(name) {
  console.log(`STEP ${name}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const page = await context.newPage();
const problems = [];
page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
page.on('console', (msg) => {
  if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
});

const tid = (id) => `[data-testid="${id}"]`;
const row = (name) => `tr[data-testid="connector-row"][data-name="${name}"]`;

async function expectText(selector, want, timeout = 30000) {
  const el = page.locator(selector).first();
  try {
    await el.waitFor({ timeout });
    await page.waitForFunction(
      ([sel, text]) => document.querySelector(sel)?.textContent.trim() === text,
      [selector, want], { timeout });
  } catch (err) {
    const got = await el.textContent().catch(() => '(absent)');
    throw new Error(`${selector}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
}

// setField fills a form field whatever control the form chose for it.
async function setField(key, value) {
  const field = page.locator(`${tid('field')}[data-key="${key}"]`);
  await field.waitFor();
  const tag = await field.evaluate((el) => el.tagName);
  if (tag === 'SELECT') await field.selectOption(value);
  else await field.fill(value);
}

async function confirm() {
  await page.locator(tid('confirm-dialog')).waitFor();
  await page.click(tid('confirm-yes'));
  await page.locator(`${tid('toast')}.ok`).last().waitFor({ timeout: 15000 });
}

try {
  step('overview');
  await page.goto(`${base}/ui/${process.env.TOKEN ? `?token=${encodeURIComponent(process.env.TOKEN)}` : ''}`);
  await page.locator(tid('view-overview')).waitFor();
  if (page.url().includes('token=')) throw new Error(`the token stays in the address bar: ${page.url()}`);
  await page.locator(tid('worker-row')).first().waitFor();
  for (const name of ['signal-etl', 'classroom-performance', 'classroom-performance-rds']) {
    await expectText(`${row(name)} ${tid('state')}`, 'RUNNING', 60000);
  }
  // The search box narrows the table.
  await page.fill(tid('search'), 'signal');
  await page.locator(row('classroom-performance')).waitFor({ state: 'hidden' });
  await page.locator(row('signal-etl')).waitFor();
  await page.fill(tid('search'), '');
  await page.locator(row('classroom-performance')).waitFor();
  // Rates come from two polls: wait for the signal job's output rate.
  await page.waitForFunction((sel) => {
    const cell = document.querySelector(sel);
    return cell && parseFloat(cell.textContent.replace(/,/g, '')) > 0;
  }, `${row('signal-etl')} ${tid('rate-out')}`, { timeout: 30000 });
  await page.locator(`${row('signal-etl')} ${tid('sparkline')}`).waitFor();
  await page.screenshot({ path: join(out, 'overview.png'), fullPage: true });

  step('create through the form');
  await page.click(tid('new-connector'));
  await page.locator(tid('view-form')).waitFor();
  await page.selectOption(tid('plugin-select'), 'tributary.sinks.file');
  await page.locator(`${tid('field')}[data-key="file"]`).waitFor();
  await page.fill(tid('name-input'), 'ui-orders');
  await setField('topics', 'ui.orders');
  // Submitted without its required file: the error shows at the field.
  await page.click(tid('submit'));
  await page.locator(`${tid('field-error')}[data-key="file"]`).waitFor({ timeout: 15000 });
  await setField('file', sinkFile);
  await setField('value.converter', 'json');
  await page.screenshot({ path: join(out, 'form.png'), fullPage: true });
  await page.click(tid('submit'));
  await page.locator(tid('view-connector')).waitFor();
  await expectText(tid('connector-state'), 'RUNNING', 60000);
  await expectText(`tr[data-testid="task-row"][data-task="0"] ${tid('task-state')}`, 'RUNNING', 60000);

  step('pause and resume');
  await page.click(tid('action-pause'));
  await confirm();
  await expectText(tid('connector-state'), 'PAUSED');
  await expectText(`tr[data-testid="task-row"][data-task="0"] ${tid('task-state')}`, 'PAUSED');
  await page.click(tid('action-resume'));
  await confirm();
  await expectText(tid('connector-state'), 'RUNNING');
  await expectText(`tr[data-testid="task-row"][data-task="0"] ${tid('task-state')}`, 'RUNNING');

  step('a poison record fails the task');
  await need('poison');
  await expectText(`tr[data-testid="task-row"][data-task="0"] ${tid('task-state')}`, 'FAILED', 60000);
  const trace = page.locator(tid('task-trace')).first();
  await trace.waitFor();
  const text = await trace.textContent();
  if (!/VALUE_CONVERTER|JSON/i.test(text)) throw new Error(`the error trace does not say why: ${text}`);
  await page.screenshot({ path: join(out, 'connector-failed.png'), fullPage: true });

  step('tolerate and dead-letter it');
  await page.click(tid('action-edit'));
  await page.locator(tid('view-form')).waitFor();
  await setField('errors.tolerance', 'all');
  await setField('errors.deadletterqueue.topic.name', 'dlq.ui-orders');
  await page.click(tid('submit'));
  await page.locator(tid('view-connector')).waitFor();
  await expectText(`tr[data-testid="task-row"][data-task="0"] ${tid('task-state')}`, 'RUNNING', 60000);
  await page.click(tid('open-dlq'));
  await page.locator(tid('view-dlq')).waitFor();
  const record = page.locator(tid('dlq-record')).first();
  for (let i = 0; ; i++) {
    // The dead letter lands once the task has re-read the poison record
    // under the new config.
    if (await record.count() > 0) break;
    if (i > 60) throw new Error('no dead letter shown');
    await page.waitForTimeout(1000);
    await page.reload();
    await page.locator(tid('view-dlq')).waitFor();
  }
  const payload = await record.locator(tid('dlq-payload')).textContent();
  const reason = await record.locator(tid('dlq-error')).textContent();
  if (!payload.includes('not json')) throw new Error(`dead letter payload ${JSON.stringify(payload)}`);
  if (!reason.trim()) throw new Error('dead letter shows no reason');
  await page.screenshot({ path: join(out, 'dlq.png'), fullPage: true });

  step('pipeline graph');
  await page.click(tid('nav-graph'));
  await page.locator(`svg${tid('graph')}`).waitFor();
  for (const name of ['signal-etl', 'classroom-performance', 'classroom-performance-rds', 'ui-orders']) {
    await page.locator(`g[data-testid="graph-connector"][data-name="${name}"]`).waitFor();
  }
  // A straight edge has a box of zero height, which Playwright calls
  // hidden: edges are waited for in the document.
  for (const [from, to] of [['t:ods.classroom_signal', 'c:signal-etl'], ['c:signal-etl', 't:dwd.student_signal'],
    ['t:dwd.student_signal', 'c:classroom-performance'], ['t:ui.orders', 'c:ui-orders']]) {
    await page.locator(`path[data-testid="graph-edge"][data-from="${from}"][data-to="${to}"]`).waitFor({ state: 'attached' });
  }
  const state = await page.getAttribute('g[data-testid="graph-connector"][data-name="signal-etl"]', 'data-state');
  if (state !== 'RUNNING') throw new Error(`signal-etl is ${state} in the graph`);
  await page.screenshot({ path: join(out, 'graph.png'), fullPage: true });

  step('phone');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.click(tid('nav-overview'));
  await page.locator(row('signal-etl')).waitFor();
  await page.screenshot({ path: join(out, 'overview-phone.png'), fullPage: true });

  if (problems.length) throw new Error(problems.join('\n'));
  console.log('PASS');
} catch (err) {
  await page.screenshot({ path: join(out, 'failure.png'), fullPage: true }).catch(() => {});
  console.log(`FAIL ${err.stack || err}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  process.stdin.destroy();
}
