/*
 * Tributary dashboard.
 *
 * One plain ES2020 file, no framework and no build step: the Go binary embeds
 * this folder and serves it under /ui/. The page talks to the REST API of the
 * same origin.
 *
 * Sections:
 *   1. DOM helpers (h, svg, morph) and formatting
 *   2. API client and token
 *   3. Store and polling (rates, history, live indicator)
 *   4. Components (toasts, dialogs, badges, sparkline)
 *   5. Router
 *   6. Views: overview, connector, form, pipeline graph (with its layout), DLQ
 *   7. Boot
 *
 * Rendering model: views that show live data build a fresh element tree on
 * every poll and `morph` it into the DOM already on screen. Morphing keeps the
 * existing elements (focus, open <details>, text selection, a button under
 * the mouse) and only touches what changed. The form view is built once and
 * never re-rendered by polling, so typing is never lost.
 */
'use strict';

(() => {
  // ───────────────────────── 1. DOM helpers and formatting ─────────────────────────

  const POLL_MS = 2000;
  const HISTORY_MS = 5 * 60 * 1000;
  const REQUEST_TIMEOUT_MS = 15000;
  const TOKEN_KEY = 'tributary.token';
  const HIDDEN = '[hidden]'; // the server's mask of a secret value
  const FILTER_STATES = ['RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'UNASSIGNED'];
  const SVG_NS = 'http://www.w3.org/2000/svg';
  // Event handlers are set as properties (el.onclick = fn) so morph can move
  // them from the new tree to the kept element.
  const HANDLERS = ['onclick', 'onchange', 'oninput', 'ontoggle', 'onkeydown', 'onsubmit'];

  /** Sets attributes: `testid` → data-testid, `mkey` → data-mkey (morph identity), on* → handler. */
  function setAttrs(el, attrs) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el[k] = v;
      else if (k === 'testid') el.setAttribute('data-testid', v);
      else if (k === 'mkey') el.setAttribute('data-mkey', v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function appendAll(el, children) {
    for (const c of children) {
      if (c == null || c === false) continue;
      if (Array.isArray(c)) appendAll(el, c);
      else if (c instanceof Node) el.appendChild(c);
      else el.appendChild(document.createTextNode(String(c)));
    }
  }

  /** h('a', {href}, 'text', child…): builds an element; strings become text nodes (never HTML). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    appendAll(el, children);
    return el;
  }

  /** Same as h for SVG elements. */
  function svg(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    setAttrs(el, attrs);
    appendAll(el, children);
    return el;
  }

  const mkeyOf = (n) => (n.nodeType === 1 ? n.getAttribute('data-mkey') : null);
  const sameKind = (a, b) => a.nodeType === b.nodeType && a.nodeName === b.nodeName && mkeyOf(a) === mkeyOf(b);

  /** Makes `from` (in the document) look like `to` (detached), reusing elements. Returns the live node. */
  function morph(from, to) {
    if (!sameKind(from, to)) {
      from.replaceWith(to);
      return to;
    }
    if (from.nodeType !== 1) {
      if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
      return from;
    }
    for (const a of Array.from(from.attributes)) if (!to.hasAttribute(a.name)) from.removeAttribute(a.name);
    for (const a of Array.from(to.attributes)) if (from.getAttribute(a.name) !== a.value) from.setAttribute(a.name, a.value);
    for (const ev of HANDLERS) if (from[ev] !== to[ev]) from[ev] = to[ev];
    morphChildren(from, to);
    return from;
  }

  // Children are matched by data-mkey when they have one, else by position and tag.
  function morphChildren(from, to) {
    const keyed = new Map();
    for (const c of from.childNodes) {
      const k = mkeyOf(c);
      if (k != null) keyed.set(k, c);
    }
    let cur = from.firstChild;
    for (const t of Array.from(to.childNodes)) {
      const k = mkeyOf(t);
      let match = null;
      if (k != null) {
        match = keyed.get(k) || null;
        if (match) keyed.delete(k);
      } else if (cur && mkeyOf(cur) == null && sameKind(cur, t)) {
        match = cur;
      }
      if (match) {
        if (match === cur) cur = cur.nextSibling;
        else from.insertBefore(match, cur);
        morph(match, t);
      } else {
        from.insertBefore(t, cur);
      }
    }
    while (cur) {
      const next = cur.nextSibling;
      cur.remove();
      cur = next;
    }
  }

  /** Replaces the children of `parent` with `children`, morphing when possible. */
  function patch(parent, ...children) {
    const tmp = parent.cloneNode(false);
    appendAll(tmp, children);
    morphChildren(parent, tmp);
  }

  const nf = new Intl.NumberFormat('en-US');

  /** Rates: one decimal under 10, whole numbers with thousands separators above. */
  function fmtRate(v) {
    if (v == null || !Number.isFinite(v)) return '—';
    if (v < 10) return v.toFixed(1);
    return nf.format(Math.round(v));
  }

  function fmtInt(v) {
    return v == null || !Number.isFinite(Number(v)) ? '—' : nf.format(Number(v));
  }

  function fmtAgo(ms) {
    if (ms == null || !Number.isFinite(ms)) return '—';
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return `${s}s ago`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m ago`;
    const hr = Math.floor(m / 60);
    if (hr < 48) return `${hr}h ago`;
    return `${Math.floor(hr / 24)}d ago`;
  }

  function fmtTime(ms) {
    if (ms == null || !Number.isFinite(ms) || ms <= 0) return '—';
    const d = new Date(ms);
    const pad = (n, w = 2) => String(n).padStart(w, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  const shortClass = (c) => (c ? String(c).split('.').filter(Boolean).pop() || String(c) : '');
  const firstLine = (s) => (s ? String(s).split('\n').find((l) => l.trim() !== '') || '' : '');
  const truncate = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const splitList = (v) => (v ? String(v).split(',').map((x) => x.trim()).filter(Boolean) : []);
  const byName = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  const enc = encodeURIComponent;
  const connectorHref = (name, suffix = '') => `#/connectors/${enc(name)}${suffix}`;
  const go = (hash) => {
    if (location.hash !== hash) location.hash = hash;
  };

  // ───────────────────────── 2. API client and token ─────────────────────────

  // The API lives at the root of the origin; when the dashboard sits behind a
  // path prefix (…/prefix/ui/), the API is at …/prefix.
  const API_BASE = (() => {
    const i = location.pathname.lastIndexOf('/ui/');
    return i >= 0 ? location.pathname.slice(0, i) : '';
  })();

  class ApiError extends Error {
    constructor(status, message, body) {
      super(message);
      this.status = status; // 0 for a network failure
      this.body = body;
    }
  }

  const tokenStore = {
    get() {
      try {
        return localStorage.getItem(TOKEN_KEY) || '';
      } catch {
        return '';
      }
    },
    set(v) {
      try {
        if (v) localStorage.setItem(TOKEN_KEY, v);
        else localStorage.removeItem(TOKEN_KEY);
      } catch {
        /* storage disabled: the token lasts for this page only */
        memoryToken = v;
      }
      auth.required = false;
      auth.prompted = false;
      renderTokenButton();
    },
  };
  let memoryToken = '';
  const currentToken = () => tokenStore.get() || memoryToken;

  // auth.required: the last request answered 401. auth.prompted: the token
  // dialog was already opened for it, so polling does not reopen it every 2 s.
  const auth = { required: false, prompted: false };

  /** Sends a request; resolves to the parsed JSON (or null), rejects with ApiError. */
  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = currentToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), REQUEST_TIMEOUT_MS);
    let res;
    let text;
    try {
      res = await fetch(API_BASE + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'same-origin',
        signal: ctl.signal,
      });
      text = await res.text();
    } catch (e) {
      const msg = e && e.name === 'AbortError' ? 'the server did not answer in time' : 'cannot reach the server';
      throw new ApiError(0, msg);
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!res.ok) {
      let msg = data && typeof data === 'object' && data.message ? String(data.message) : '';
      if (!msg) msg = typeof data === 'string' && data.length < 300 ? data.trim() : `${res.status} ${res.statusText}`;
      if (res.status === 401) onUnauthorized(msg);
      throw new ApiError(res.status, msg || `HTTP ${res.status}`, data);
    }
    if (auth.required) {
      auth.required = false;
      renderTokenButton();
    }
    return data;
  }

  function onUnauthorized(msg) {
    auth.required = true;
    renderTokenButton();
    if (!auth.prompted) {
      auth.prompted = true;
      openTokenDialog(`The server needs a token: ${msg}`);
    }
  }

  // A token given once in the page address (?token=…) is stored, then removed
  // from the address bar so it does not stay in history or get shared.
  function takeTokenFromURL() {
    const params = new URLSearchParams(location.search);
    if (!params.has('token')) return;
    tokenStore.set(params.get('token') || '');
    params.delete('token');
    const q = params.toString();
    history.replaceState(history.state, '', location.pathname + (q ? `?${q}` : '') + location.hash);
  }

  // ───────────────────────── 3. Store and polling ─────────────────────────

  const store = {
    server: null, // GET /
    connectors: null, // name → {status, info}, from the last good poll
    workers: null,
    workersError: null,
    metrics: null, // last GET /api/v1/metrics/tasks answer
    metricsError: null,
    rates: new Map(), // connector → aggregated metrics and rates (see ingestMetrics)
    haveRates: false, // two metrics samples were seen, so rates are known
    history: new Map(), // connector → [{t, v}] out-rate samples of the last HISTORY_MS
    prevTotals: null, // {time, totals: Map(task key → {in, out})}
    loaded: false, // one poll of /connectors succeeded
    lastOk: 0, // Date.now() of the last good poll
    error: null, // ApiError of the last failed poll, null when it worked
  };

  const connectorNames = () => Object.keys(store.connectors || {}).sort(byName);

  /**
   * Folds a metrics answer into store.rates. Counters are totals since the
   * task's worker started, so a rate is the difference between two polls over
   * the time between them. A total that went down means the task restarted:
   * that interval counts as 0 for it.
   */
  function ingestMetrics(m) {
    const now = Number(m.time_ms) || Date.now();
    const prev = store.prevTotals;
    if (prev && now <= prev.time) return; // the same snapshot again: keep the last rates
    const dt = prev ? (now - prev.time) / 1000 : 0;
    const totals = new Map();
    const agg = new Map();
    const entry = (name) => {
      let a = agg.get(name);
      if (!a) {
        a = { dIn: 0, dOut: 0, lag: 0, dlq: 0, errors: 0, topicsIn: new Set(), topicsOut: new Set(), tasks: new Map() };
        agg.set(name, a);
      }
      return a;
    };
    for (const t of m.tasks || []) {
      const a = entry(t.connector);
      const key = `${t.worker}\u0000${t.connector}\u0000${t.task}`;
      const cur = { in: Number(t.records_in) || 0, out: Number(t.records_out) || 0 };
      totals.set(key, cur);
      const p = prev && prev.totals.get(key);
      const dIn = p && cur.in >= p.in ? cur.in - p.in : 0;
      const dOut = p && cur.out >= p.out ? cur.out - p.out : 0;
      a.dIn += dIn;
      a.dOut += dOut;
      a.lag += Number(t.lag) || 0;
      a.dlq += Number(t.dlq) || 0;
      a.errors += Number(t.errors) || 0;
      for (const x of t.topics_in || []) a.topicsIn.add(x);
      for (const x of t.topics_out || []) a.topicsOut.add(x);
      let tk = a.tasks.get(t.task);
      if (!tk) a.tasks.set(t.task, (tk = { dIn: 0, dOut: 0, lag: 0, dlq: 0, errors: 0, worker: t.worker }));
      tk.dIn += dIn;
      tk.dOut += dOut;
      tk.lag += Number(t.lag) || 0;
      tk.dlq += Number(t.dlq) || 0;
      tk.errors += Number(t.errors) || 0;
    }
    const rate = (d) => (dt > 0 ? d / dt : null);
    const rates = new Map();
    for (const [name, a] of agg) {
      const tasks = new Map();
      for (const [id, tk] of a.tasks) {
        tasks.set(id, { in: rate(tk.dIn), out: rate(tk.dOut), lag: tk.lag, dlq: tk.dlq, errors: tk.errors });
      }
      rates.set(name, {
        in: rate(a.dIn),
        out: rate(a.dOut),
        lag: a.lag,
        dlq: a.dlq,
        errors: a.errors,
        topicsIn: Array.from(a.topicsIn).sort(byName),
        topicsOut: Array.from(a.topicsOut).sort(byName),
        tasks,
      });
    }
    store.rates = rates;
    store.prevTotals = { time: now, totals };
    if (dt > 0) {
      store.haveRates = true;
      for (const name of connectorNames()) {
        let hist = store.history.get(name);
        if (!hist) store.history.set(name, (hist = []));
        const r = rates.get(name);
        hist.push({ t: now, v: r && r.out != null ? r.out : 0 });
        while (hist.length && hist[0].t < now - HISTORY_MS) hist.shift();
      }
    }
  }

  /** Metrics of one connector; rates are 0 for a connector without tasks once rates are known. */
  function metricsOf(name) {
    const r = store.rates.get(name);
    if (r) return r;
    if (!store.metrics) return null;
    const z = store.haveRates ? 0 : null;
    return { in: z, out: z, lag: 0, dlq: 0, errors: 0, topicsIn: [], topicsOut: [], tasks: new Map() };
  }

  async function pollOnce() {
    const [c, w, m, srv] = await Promise.allSettled([
      api('GET', '/connectors?expand=status&expand=info'),
      api('GET', '/api/v1/workers'),
      api('GET', '/api/v1/metrics/tasks'),
      store.server ? Promise.resolve(store.server) : api('GET', '/'),
    ]);
    if (c.status === 'rejected') {
      // Keep showing the last data; the header says we are disconnected.
      store.error = c.reason;
      return;
    }
    store.connectors = c.value && typeof c.value === 'object' ? c.value : {};
    store.loaded = true;
    store.lastOk = Date.now();
    store.error = null;
    if (w.status === 'fulfilled') {
      store.workers = Array.isArray(w.value) ? w.value : [];
      store.workersError = null;
    } else {
      store.workers = null;
      store.workersError = w.reason.message;
    }
    if (m.status === 'fulfilled' && m.value && typeof m.value === 'object') {
      store.metrics = m.value;
      store.metricsError = null;
      ingestMetrics(m.value);
    } else {
      store.metrics = null;
      store.metricsError = m.status === 'rejected' ? m.reason.message : 'empty answer';
    }
    if (srv.status === 'fulfilled') store.server = srv.value;
    // Forget the history of connectors that are gone.
    for (const name of store.history.keys()) if (!(name in store.connectors)) store.history.delete(name);
  }

  /**
   * One poll at a time, chained with setTimeout. refresh() asks for a poll
   * now (after an action) and resolves when a poll that started after the
   * call has finished. Polling stops while the page is hidden.
   */
  const poller = {
    timer: null,
    running: false,
    again: false,
    waiters: [],
    refresh() {
      return new Promise((resolve) => {
        this.waiters.push(resolve);
        this.tick();
      });
    },
    async tick() {
      if (this.running) {
        this.again = true;
        return;
      }
      clearTimeout(this.timer);
      this.timer = null;
      if (document.hidden) {
        this.waiters.splice(0).forEach((r) => r());
        return;
      }
      this.running = true;
      const batch = this.waiters.splice(0);
      try {
        await pollOnce();
      } catch (e) {
        store.error = e instanceof ApiError ? e : new ApiError(0, String(e && e.message ? e.message : e));
      } finally {
        this.running = false;
      }
      renderLive();
      renderFooter();
      if (currentView && currentView.update) {
        try {
          currentView.update();
        } catch (e) {
          // A rendering bug must not stop polling; keep it visible to developers.
          console.error(e);
        }
      }
      batch.forEach((r) => r());
      if (this.again || this.waiters.length) {
        this.again = false;
        this.tick();
        return;
      }
      if (!document.hidden) this.timer = setTimeout(() => this.tick(), POLL_MS);
    },
  };

  function renderLive() {
    const el = document.querySelector('[data-testid="live"]');
    if (!el) return;
    let status;
    let text;
    let title = '';
    if (store.error) {
      status = 'disconnected';
      text = store.error.status === 401 ? 'disconnected · token required' : 'disconnected';
      title = store.error.message;
      if (store.lastOk) title += ` — last update ${fmtAgo(Date.now() - store.lastOk)}`;
    } else if (!store.loaded) {
      status = 'connecting';
      text = 'connecting…';
    } else {
      status = 'live';
      text = `live · updated ${fmtAgo(Date.now() - store.lastOk)}`;
      title = `Polling every ${POLL_MS / 1000}s`;
    }
    el.dataset.status = status;
    // "live" and the age are separate spans so a narrow screen can drop the age.
    const [head, ...rest] = text.split(' · ');
    patch(el, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), h('span', { class: 'live-head' }, head), rest.length ? h('span', { class: 'live-rest' }, ` · ${rest.join(' · ')}`) : null);
    el.title = title;
  }

  function renderFooter() {
    const el = document.getElementById('footer');
    if (!el) return;
    const s = store.server;
    patch(
      el,
      h('span', null, 'Tributary'),
      s && s.version ? h('span', null, `v${s.version}`) : null,
      s && s.commit ? h('span', { title: 'commit' }, s.commit) : null,
      s && s.kafka_cluster_id ? h('span', null, `Kafka cluster ${s.kafka_cluster_id}`) : null,
      h('a', { href: `${API_BASE}/openapi.yaml`, target: '_blank', rel: 'noopener' }, 'API'),
    );
  }

  // ───────────────────────── 4. Components ─────────────────────────

  function toast(message, kind = 'ok') {
    const box = document.getElementById('toasts');
    if (!box) return;
    let timer = null;
    const el = h(
      'div',
      { class: `toast ${kind}`, testid: 'toast', role: kind === 'error' ? 'alert' : 'status' },
      h('span', { class: 'toast-msg' }, message),
      // An icon, not a "×" character, so the toast's text is only its message.
      h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', title: 'Dismiss', onclick: () => dismiss() }, svg('svg', { viewBox: '0 0 12 12', width: 12, height: 12, 'aria-hidden': 'true' }, svg('path', { d: 'M2 2l8 8M10 2l-8 8' }))),
    );
    function dismiss() {
      clearTimeout(timer);
      el.classList.add('leaving');
      setTimeout(() => el.remove(), 200);
    }
    box.appendChild(el);
    // Errors stay longer: they usually carry a server message worth reading.
    timer = setTimeout(dismiss, kind === 'error' ? 9000 : 4500);
    while (box.children.length > 5) box.firstElementChild.remove();
  }

  /** An in-page modal confirmation. Resolves true on Confirm, false on Cancel/Escape/backdrop. */
  function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false }) {
    return new Promise((resolve) => {
      const yes = h('button', { type: 'button', class: `btn ${danger ? 'danger' : 'primary'}`, testid: 'confirm-yes' }, confirmLabel);
      const no = h('button', { type: 'button', class: 'btn', testid: 'confirm-no' }, 'Cancel');
      const dlg = h(
        'dialog',
        { class: 'dialog', testid: 'confirm-dialog', role: 'alertdialog', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-message' },
        h(
          'div',
          { class: 'dialog-body' },
          h('h2', { id: 'confirm-title' }, title),
          h('p', { id: 'confirm-message' }, message),
          h('div', { class: 'dialog-actions' }, no, yes),
        ),
      );
      let done = false;
      const finish = (v) => {
        if (done) return;
        done = true;
        if (dlg.open) dlg.close();
        dlg.remove();
        resolve(v);
      };
      yes.onclick = () => finish(true);
      no.onclick = () => finish(false);
      dlg.addEventListener('cancel', (e) => {
        e.preventDefault();
        finish(false);
      });
      // The dialog has no padding of its own, so a click on it is on the backdrop.
      dlg.addEventListener('click', (e) => {
        if (e.target === dlg) finish(false);
      });
      document.body.appendChild(dlg);
      dlg.showModal();
      (danger ? no : yes).focus();
    });
  }

  function openTokenDialog(reason) {
    const dlg = document.getElementById('token-dialog');
    if (!dlg || dlg.open) return;
    const input = document.getElementById('token-input');
    const hint = document.getElementById('token-hint');
    input.value = currentToken();
    hint.textContent = reason || 'When the server is started with a token, requests must carry it. It is kept in this browser only (localStorage).';
    hint.classList.toggle('error-text', Boolean(reason));
    dlg.showModal(); // stacks above a confirmation when one is open
    input.focus();
  }

  function setupTokenDialog() {
    const dlg = document.getElementById('token-dialog');
    const form = document.getElementById('token-form');
    const input = document.getElementById('token-input');
    document.getElementById('token-button').onclick = () => openTokenDialog();
    document.getElementById('token-cancel').onclick = () => dlg.close();
    document.getElementById('token-clear').onclick = () => {
      input.value = '';
      input.focus();
    };
    form.onsubmit = (e) => {
      e.preventDefault();
      const v = input.value.trim();
      tokenStore.set(v);
      dlg.close();
      toast(v ? 'Token saved' : 'Token cleared', 'ok');
      poller.refresh();
    };
    renderTokenButton();
  }

  function renderTokenButton() {
    const b = document.getElementById('token-button');
    if (!b) return;
    const state = auth.required ? 'required' : currentToken() ? 'set' : 'unset';
    b.dataset.state = state;
    b.title = { required: 'A token is required — click to enter it', set: 'API token set — click to change', unset: 'API token (none set)' }[state];
  }

  function stateClass(state) {
    switch (state) {
      case 'RUNNING':
        return 'ok';
      case 'FAILED':
        return 'bad';
      case 'PAUSED':
      case 'STOPPED':
      case 'RESTARTING':
        return 'warn';
      case 'UNASSIGNED':
        return 'idle';
      default:
        return 'unknown';
    }
  }

  function badge(state, testid) {
    const s = state || 'UNKNOWN';
    return h('span', { class: `badge ${stateClass(s)}`, testid }, s);
  }

  /** Out-rate trend of the last five minutes, time on x (newest at the right). */
  function sparkline(points, { width = 96, height = 24, label = 'records/s out' } = {}) {
    const pad = 2;
    const pts = points || [];
    const max = Math.max(0, ...pts.map((p) => p.v));
    const tEnd = pts.length ? pts[pts.length - 1].t : 0;
    // The time axis spans the samples kept, at least a minute: a fresh page
    // fills it from the left instead of drawing a speck at the right edge.
    const span = Math.min(HISTORY_MS, Math.max(60000, pts.length ? tEnd - pts[0].t : 0));
    const x = (t) => pad + (width - 2 * pad) * (1 - (tEnd - t) / span);
    const y = (v) => height - pad - (max > 0 ? (v / max) * (height - 2 * pad) : 0);
    const line = pts.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
    const title = pts.length > 1 ? `${label}, last ${Math.round((tEnd - pts[0].t) / 60000) || '<1'} min: now ${fmtRate(pts[pts.length - 1].v)}, max ${fmtRate(max)}` : `${label}: collecting samples…`;
    return svg(
      'svg',
      { class: 'spark', testid: 'sparkline', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title },
      svg('title', null, title),
      svg('line', { class: 'spark-base', x1: pad, x2: width - pad, y1: height - pad, y2: height - pad }),
      pts.length > 1
        ? [
            svg('path', { class: 'spark-area', d: `M${x(pts[0].t).toFixed(1)},${height - pad} L${line.replace(/ /g, ' L')} L${x(tEnd).toFixed(1)},${height - pad} Z` }),
            svg('polyline', { class: 'spark-line', points: line }),
          ]
        : null,
    );
  }

  /** Counts task states: "2 RUNNING · 1 FAILED". */
  function taskSummary(tasks) {
    if (!tasks || !tasks.length) return 'no tasks';
    const counts = new Map();
    for (const t of tasks) counts.set(t.state, (counts.get(t.state) || 0) + 1);
    const order = ['RUNNING', 'FAILED', 'PAUSED', 'STOPPED', 'RESTARTING', 'UNASSIGNED'];
    const rank = (s) => (order.includes(s) ? order.indexOf(s) : order.length);
    return Array.from(counts.entries())
      .sort((a, b) => rank(a[0]) - rank(b[0]))
      .map(([s, n]) => `${n} ${s}`)
      .join(' · ');
  }

  /** The first error of a connector: its own trace, else the first task's. */
  function lastError(status) {
    if (!status) return '';
    if (status.connector && status.connector.trace) return status.connector.trace;
    const t = (status.tasks || []).find((x) => x.trace);
    return t ? t.trace : '';
  }

  function emptyState(text, ...extra) {
    return h('div', { class: 'empty' }, h('p', null, text), ...extra);
  }

  function loadingState(text = 'Loading…') {
    return h('div', { class: 'empty loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
  }

  /** Shows a failed request: a toast, and the token dialog on 401. */
  function reportError(prefix, e) {
    const msg = e && e.message ? e.message : String(e);
    toast(prefix ? `${prefix}: ${msg}` : msg, 'error');
    if (e && e.status === 401) openTokenDialog(`The server refused the request: ${msg}`);
  }

  /** Leaves a page whose connector was deleted. */
  function connectorGone(name) {
    toast(`Connector “${name}” not found: it may have been deleted`, 'error');
    go('#/');
  }

  // ───────────────────────── 5. Router ─────────────────────────

  let currentView = null;

  function parseRoute(hash) {
    const raw = (hash || '').replace(/^#/, '');
    const parts = raw.split('/').filter(Boolean).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
    if (parts.length === 0) return { view: 'overview' };
    if (parts[0] === 'graph' && parts.length === 1) return { view: 'graph' };
    if (parts[0] === 'new' && parts.length === 1) return { view: 'form' };
    if (parts[0] === 'connectors' && parts.length >= 2) {
      const name = parts[1];
      if (parts.length === 2) return { view: 'connector', name };
      if (parts.length === 3 && parts[2] === 'edit') return { view: 'form', name };
      if (parts.length === 3 && parts[2] === 'dlq') return { view: 'dlq', name };
    }
    return { view: 'notfound' };
  }

  function route() {
    const r = parseRoute(location.hash);
    if (currentView && currentView.destroy) currentView.destroy();
    const root = document.getElementById('app');
    root.replaceChildren();
    switch (r.view) {
      case 'overview':
        currentView = OverviewView();
        break;
      case 'connector':
        currentView = ConnectorView(r.name);
        break;
      case 'form':
        currentView = FormView(r.name);
        break;
      case 'graph':
        currentView = GraphView();
        break;
      case 'dlq':
        currentView = DlqView(r.name);
        break;
      default:
        currentView = NotFoundView();
    }
    currentView.mount(root);
    document.title = currentView.title ? `${currentView.title} · Tributary` : 'Tributary';
    for (const a of document.querySelectorAll('[data-nav]')) {
      const active = a.dataset.nav === (r.view === 'graph' ? 'graph' : r.view === 'overview' ? 'overview' : '');
      a.classList.toggle('active', active);
      if (active) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    window.scrollTo(0, 0);
  }

  function NotFoundView() {
    return {
      title: 'Not found',
      mount(root) {
        root.appendChild(h('section', { class: 'view' }, emptyState('There is no such page.', h('a', { href: '#/', class: 'btn' }, 'Back to the overview'))));
      },
    };
  }

  /** The breadcrumb above connector pages. */
  function crumbs(...items) {
    const out = [];
    items.forEach((it, i) => {
      if (i) out.push(h('span', { class: 'sep', 'aria-hidden': 'true' }, '/'));
      out.push(it.href ? h('a', { href: it.href }, it.text) : h('span', { 'aria-current': 'page' }, it.text));
    });
    return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, out);
  }

  // ───────────────────────── 6a. Overview ─────────────────────────

  // Filters survive navigation within the session.
  const overviewFilters = { q: '', state: '' };

  function OverviewView() {
    let clusterBox;
    let tableBox;
    let countEl;

    function matches(name, entry) {
      const f = overviewFilters;
      const cls = (entry.info && entry.info.config && entry.info.config['connector.class']) || '';
      if (f.q) {
        const q = f.q.toLowerCase();
        if (!name.toLowerCase().includes(q) && !cls.toLowerCase().includes(q)) return false;
      }
      if (f.state) {
        const st = entry.status || {};
        const cs = st.connector && st.connector.state;
        // A connector whose task failed keeps running; FAILED shows it too.
        const taskFailed = f.state === 'FAILED' && (st.tasks || []).some((t) => t.state === 'FAILED');
        if (cs !== f.state && !taskFailed) return false;
      }
      return true;
    }

    function renderCluster() {
      const s = store.server || {};
      const broker = store.metrics && store.metrics.broker;
      const workers = store.workers;
      const metricWorkerErrors = ((store.metrics && store.metrics.workers) || []).filter((w) => w.error);
      const facts = h(
        'dl',
        { class: 'facts' },
        h('div', null, h('dt', null, 'Kafka cluster'), h('dd', { testid: 'kafka-cluster-id' }, s.kafka_cluster_id || '—')),
        h('div', null, h('dt', null, 'Broker'), h('dd', { testid: 'broker' }, broker || '—')),
        h('div', null, h('dt', null, 'Workers'), h('dd', null, workers ? String(workers.length) : '—')),
        h('div', null, h('dt', null, 'Connectors'), h('dd', null, store.connectors ? String(connectorNames().length) : '—')),
      );
      let body;
      if (!workers) {
        body = store.workersError ? h('p', { class: 'muted' }, `Workers unavailable: ${store.workersError}`) : loadingState();
      } else if (!workers.length) {
        body = h('p', { class: 'muted' }, 'No workers reported.');
      } else {
        body = h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table cards' },
            h('thead', null, h('tr', null, h('th', null, 'Worker'), h('th', null, 'URL'), h('th', null, 'Role'), h('th', { class: 'num' }, 'Tasks'), h('th', null, 'Heartbeat'))),
            h(
              'tbody',
              null,
              workers.map((w) => {
                const age = w.heartbeat_age_ms != null ? w.heartbeat_age_ms : w.last_heartbeat_ms ? 0 : null;
                const skew = Number(w.clock_skew_ms) || 0;
                return h(
                  'tr',
                  { testid: 'worker-row', 'data-id': w.id, mkey: `w:${w.id}`, class: w.error ? 'row-bad' : null },
                  h('td', { 'data-label': 'Worker', class: 'wide' }, h('span', { class: 'mono' }, w.id), w.error ? h('div', { class: 'error-text small' }, w.error) : null),
                  h('td', { 'data-label': 'URL', class: 'wide' }, w.url ? h('span', { class: 'mono small' }, w.url) : '—'),
                  h('td', { 'data-label': 'Role' }, w.leader ? h('span', { class: 'badge leader', testid: 'leader' }, 'leader') : h('span', { class: 'muted' }, 'member')),
                  h('td', { 'data-label': 'Tasks', class: 'num', testid: 'worker-tasks' }, String((w.tasks || []).length)),
                  h(
                    'td',
                    { 'data-label': 'Heartbeat', class: age != null && age > 10000 ? 'warn-text' : null },
                    age == null ? '—' : fmtAgo(age),
                    Math.abs(skew) >= 1000 ? h('span', { class: 'muted small', title: 'clock skew' }, ` · skew ${nf.format(skew)} ms`) : null,
                  ),
                );
              }),
            ),
          ),
        );
      }
      patch(
        clusterBox,
        h('div', { class: 'panel-head' }, h('h2', null, 'Cluster'), facts),
        body,
        metricWorkerErrors.length
          ? h('ul', { class: 'notes' }, metricWorkerErrors.map((w) => h('li', { class: 'warn-text' }, `Metrics unavailable from ${w.id}: ${w.error}`)))
          : null,
        store.metricsError && store.loaded ? h('p', { class: 'muted small' }, `Task metrics unavailable: ${store.metricsError}`) : null,
      );
    }

    function renderRow(name, entry) {
      const st = entry.status || {};
      const info = entry.info || {};
      const cfg = info.config || {};
      const cls = cfg['connector.class'] || '';
      const state = (st.connector && st.connector.state) || 'UNKNOWN';
      const m = metricsOf(name);
      const err = lastError(st);
      const errLine = firstLine(err);
      // A failed task marks the row even while the connector itself runs.
      const rowState = (st.tasks || []).some((t) => t.state === 'FAILED') ? 'bad' : stateClass(state);
      return h(
        'tr',
        { testid: 'connector-row', 'data-name': name, mkey: `c:${name}`, class: `state-${rowState}` },
        h('td', { 'data-label': 'Name', class: 'name-cell wide' }, h('a', { href: connectorHref(name), class: 'strong' }, name)),
        h('td', { 'data-label': 'Type' }, h('span', { class: `type-tag type-${st.type || info.type}` }, st.type || info.type || '—')),
        h('td', { 'data-label': 'Class', title: cls }, h('span', { class: 'mono small' }, shortClass(cls) || '—')),
        h('td', { 'data-label': 'State' }, badge(state, 'state')),
        h('td', { 'data-label': 'Tasks', class: 'small' }, taskSummary(st.tasks)),
        h('td', { 'data-label': 'In/s', class: 'num', testid: 'rate-in' }, fmtRate(m && m.in)),
        h('td', { 'data-label': 'Out/s', class: 'num', testid: 'rate-out' }, fmtRate(m && m.out)),
        h('td', { 'data-label': 'Lag', class: 'num' }, m ? fmtInt(m.lag) : '—'),
        h(
          'td',
          { 'data-label': 'DLQ', class: 'num', testid: 'dlq-count' },
          m && m.dlq > 0 ? h('a', { href: connectorHref(name, '/dlq'), class: 'dlq-link', title: 'Open the dead-letter queue' }, fmtInt(m.dlq)) : m ? fmtInt(m.dlq) : '—',
        ),
        h('td', { 'data-label': 'Last error', class: 'error-cell wide', title: err || null }, errLine ? h('span', { class: 'error-text small' }, truncate(errLine, 80)) : h('span', { class: 'muted' }, '—')),
        h('td', { 'data-label': 'Out trend', class: 'spark-cell wide' }, sparkline(store.history.get(name))),
      );
    }

    function renderTable() {
      if (!store.connectors) {
        patch(tableBox, store.error ? emptyState(`Cannot load connectors: ${store.error.message}`) : loadingState('Loading connectors…'));
        countEl.textContent = '';
        return;
      }
      const names = connectorNames();
      const shown = names.filter((n) => matches(n, store.connectors[n]));
      countEl.textContent = shown.length === names.length ? `${names.length}` : `${shown.length} of ${names.length}`;
      if (!names.length) {
        patch(tableBox, emptyState('No connectors yet.', h('a', { href: '#/new', class: 'btn primary' }, 'Create the first one')));
        return;
      }
      const cols = ['Name', 'Type', 'Class', 'State', 'Tasks', 'In/s', 'Out/s', 'Lag', 'DLQ', 'Last error', 'Out trend'];
      const numeric = new Set(['In/s', 'Out/s', 'Lag', 'DLQ']);
      patch(
        tableBox,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table cards connectors', testid: 'connectors-table' },
            h('thead', null, h('tr', null, cols.map((c) => h('th', { class: numeric.has(c) ? 'num' : null, scope: 'col' }, c)))),
            h('tbody', null, shown.map((n) => renderRow(n, store.connectors[n]))),
          ),
        ),
        shown.length ? null : h('p', { class: 'empty small' }, 'No connector matches the filter.'),
      );
    }

    return {
      title: 'Overview',
      mount(root) {
        const search = h('input', {
          type: 'search',
          testid: 'search',
          class: 'input',
          placeholder: 'Filter by name or class',
          'aria-label': 'Filter connectors by name or class',
          value: overviewFilters.q,
          oninput: (e) => {
            overviewFilters.q = e.target.value;
            renderTable();
          },
        });
        search.value = overviewFilters.q;
        const filter = h(
          'select',
          {
            testid: 'state-filter',
            class: 'input',
            'aria-label': 'Filter connectors by state',
            onchange: (e) => {
              overviewFilters.state = e.target.value;
              renderTable();
            },
          },
          h('option', { value: '' }, 'All'),
          FILTER_STATES.map((s) => h('option', { value: s }, s)),
        );
        filter.value = overviewFilters.state;
        clusterBox = h('section', { class: 'panel cluster', 'aria-label': 'Cluster' });
        countEl = h('span', { class: 'count' });
        tableBox = h('div');
        root.appendChild(
          h(
            'section',
            { class: 'view', testid: 'view-overview' },
            clusterBox,
            h(
              'section',
              { class: 'panel' },
              h(
                'div',
                { class: 'toolbar' },
                h('h2', null, 'Connectors ', countEl),
                h('div', { class: 'toolbar-fill' }),
                search,
                filter,
                h('a', { href: '#/new', class: 'btn primary', testid: 'new-connector' }, '+ New connector'),
              ),
              tableBox,
            ),
          ),
        );
        this.update();
      },
      update() {
        renderCluster();
        renderTable();
      },
    };
  }

  // ───────────────────────── 6b. Connector page ─────────────────────────

  function ConnectorView(name) {
    let body;
    let fallback = null; // {status, info} fetched directly while the list lacks the connector
    let checking = false;
    let destroyed = false;
    const collapsed = new Set(); // FAILED tasks whose trace the user folded
    const expanded = new Set(); // non-FAILED tasks whose trace the user opened

    // The list did not have the connector (just created, or deleted elsewhere):
    // ask for it directly; a 404 means it is gone.
    async function check() {
      if (checking) return;
      checking = true;
      try {
        const [status, info] = await Promise.all([api('GET', `/connectors/${enc(name)}/status`), api('GET', `/connectors/${enc(name)}`)]);
        fallback = { status, info };
        if (!destroyed) render();
      } catch (e) {
        if (destroyed) return;
        if (e.status === 404) connectorGone(name);
        else if (!fallback) patch(body, emptyState(`Cannot load connector “${name}”: ${e.message}`));
      } finally {
        checking = false;
      }
    }

    async function runAction(a) {
      const ok = await confirmDialog({ title: a.title, message: a.message, confirmLabel: a.label, danger: a.danger });
      if (!ok || destroyed) return;
      try {
        const res = await api(a.method, `/connectors/${enc(name)}${a.path}`);
        const serverMsg = res && typeof res === 'object' && res.message ? String(res.message) : '';
        toast(serverMsg || a.done, 'ok');
      } catch (e) {
        if (e.status === 404 && a.id !== 'reset-offsets') {
          connectorGone(name);
          return;
        }
        reportError(`${a.label} failed`, e);
        poller.refresh();
        return;
      }
      if (a.id === 'delete') {
        if (store.connectors) delete store.connectors[name];
        store.history.delete(name);
        go('#/');
        poller.refresh();
        return;
      }
      poller.refresh();
    }

    async function restartTask(id) {
      const ok = await confirmDialog({ title: `Restart task ${id}?`, message: `Task ${id} of “${name}” stops and starts again.`, confirmLabel: 'Restart task' });
      if (!ok || destroyed) return;
      try {
        await api('POST', `/connectors/${enc(name)}/tasks/${enc(id)}/restart`);
        toast(`Task ${id} restart requested`, 'ok');
      } catch (e) {
        reportError(`Restart of task ${id} failed`, e);
      }
      poller.refresh();
    }

    function actions(state, hasFailed) {
      const stopped = state === 'STOPPED';
      const list = [
        { id: 'pause', label: 'Pause', method: 'PUT', path: '/pause', title: `Pause “${name}”?`, message: 'Its tasks stop processing records until the connector is resumed. Offsets are kept.', done: 'Pause requested' },
        { id: 'resume', label: 'Resume', method: 'PUT', path: '/resume', title: `Resume “${name}”?`, message: 'Its tasks start processing records again from their committed offsets.', done: 'Resume requested' },
        { id: 'stop', label: 'Stop', method: 'PUT', path: '/stop', title: `Stop “${name}”?`, message: 'Its tasks shut down and release their resources. Offsets can be reset while it is stopped; resume to start it again.', done: 'Stop requested' },
        { id: 'restart', label: 'Restart', method: 'POST', path: '/restart?includeTasks=true', title: `Restart “${name}”?`, message: 'The connector and all its tasks restart.', done: 'Restart requested' },
        {
          id: 'restart-failed',
          label: 'Restart failed tasks',
          method: 'POST',
          path: '/restart?includeTasks=true&onlyFailed=true',
          title: `Restart the failed tasks of “${name}”?`,
          message: hasFailed ? 'Only the tasks in state FAILED restart; the others keep running.' : 'No task is FAILED right now: nothing may restart.',
          done: 'Restart of the failed tasks requested',
        },
        {
          id: 'reset-offsets',
          label: 'Reset offsets',
          method: 'DELETE',
          path: '/offsets',
          danger: true,
          disabled: !stopped,
          hint: stopped ? 'Forget the committed offsets' : 'Stop the connector first',
          title: `Reset the offsets of “${name}”?`,
          message: 'Its committed offsets are deleted: when resumed it starts over (sources from the beginning, sinks from their reset policy). This cannot be undone.',
          done: 'Offsets reset',
        },
        { id: 'delete', label: 'Delete', method: 'DELETE', path: '', danger: true, title: `Delete “${name}”?`, message: 'The connector and its tasks are removed. Its topics and source offsets are kept. This cannot be undone.', done: `Connector “${name}” deleted` },
      ];
      return h(
        'div',
        { class: 'actions', role: 'toolbar', 'aria-label': 'Connector actions' },
        h('a', { href: connectorHref(name, '/edit'), class: 'btn', testid: 'action-edit' }, 'Edit'),
        list.map((a) =>
          h(
            'button',
            {
              type: 'button',
              class: `btn${a.danger ? ' danger-outline' : ''}`,
              testid: `action-${a.id}`,
              disabled: a.disabled,
              title: a.hint || null,
              onclick: () => runAction(a),
            },
            a.label,
          ),
        ),
      );
    }

    function taskRows(st, m) {
      const tasks = (st.tasks || []).slice().sort((a, b) => a.id - b.id);
      if (!tasks.length) return [h('tr', { mkey: 'none' }, h('td', { colspan: 6, class: 'muted' }, 'No tasks.'))];
      const rows = [];
      for (const t of tasks) {
        const tm = m && m.tasks.get(t.id);
        const zero = store.haveRates ? 0 : null;
        const rin = tm ? tm.in : m ? zero : null;
        const rout = tm ? tm.out : m ? zero : null;
        rows.push(
          h(
            'tr',
            { testid: 'task-row', 'data-task': t.id, mkey: `t:${t.id}`, class: `state-${stateClass(t.state)}` },
            h('td', { 'data-label': 'Task', class: 'mono' }, String(t.id)),
            h('td', { 'data-label': 'Worker', class: 'mono small' }, t.worker_id || '—'),
            h('td', { 'data-label': 'State' }, badge(t.state, 'task-state')),
            h('td', { 'data-label': 'Records/s in · out', class: 'num' }, `${fmtRate(rin)} · ${fmtRate(rout)}`),
            h('td', { 'data-label': 'Lag', class: 'num' }, tm ? fmtInt(tm.lag) : '—'),
            h('td', { 'data-label': '', class: 'row-actions' }, h('button', { type: 'button', class: 'btn small', testid: 'task-restart', onclick: () => restartTask(t.id) }, 'Restart')),
          ),
        );
        if (t.trace) {
          const failed = t.state === 'FAILED';
          // FAILED traces are open unless folded; others closed unless opened.
          const open = failed ? !collapsed.has(t.id) : expanded.has(t.id);
          rows.push(
            h(
              'tr',
              { class: 'trace-row', mkey: `trace:${t.id}` },
              h(
                'td',
                { colspan: 6 },
                h(
                  'details',
                  {
                    open,
                    ontoggle: (e) => {
                      const isOpen = e.target.open;
                      if (failed) isOpen ? collapsed.delete(t.id) : collapsed.add(t.id);
                      else isOpen ? expanded.add(t.id) : expanded.delete(t.id);
                    },
                  },
                  h('summary', null, h('span', { class: 'error-text' }, `Task ${t.id} error: `), truncate(firstLine(t.trace), 140)),
                  h('pre', { class: 'trace', testid: 'task-trace' }, t.trace),
                ),
              ),
            ),
          );
        }
      }
      return rows;
    }

    function stat(label, value, attrs) {
      return h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, label), h('div', Object.assign({ class: 'stat-value' }, attrs || {}), value));
    }

    function render() {
      const entry = (store.connectors && store.connectors[name]) || fallback;
      if (!entry) {
        patch(body, store.error && !store.loaded ? emptyState(`Cannot load connector: ${store.error.message}`) : loadingState());
        return;
      }
      const st = entry.status || {};
      const info = entry.info || {};
      const cfg = info.config || {};
      const cls = cfg['connector.class'] || '';
      const state = (st.connector && st.connector.state) || 'UNKNOWN';
      const type = st.type || info.type || '';
      const m = metricsOf(name);
      const hasFailed = (st.tasks || []).some((t) => t.state === 'FAILED');
      const connTrace = st.connector && st.connector.trace;
      const dlqTopic = cfg['errors.deadletterqueue.topic.name'];
      patch(
        body,
        h(
          'header',
          { class: 'page-head panel' },
          h(
            'div',
            { class: 'title-row' },
            h('h1', { class: 'title' }, name),
            h('span', { class: `badge big ${stateClass(state)}`, testid: 'connector-state' }, state),
            type ? h('span', { class: `type-tag type-${type}` }, type) : null,
          ),
          h(
            'div',
            { class: 'subtitle' },
            h('span', { class: 'mono', title: cls }, cls || 'unknown class'),
            st.connector && st.connector.worker_id ? h('span', { class: 'muted' }, ` · on ${st.connector.worker_id}`) : null,
          ),
          actions(state, hasFailed),
        ),
        connTrace
          ? h('section', { class: 'panel callout bad' }, h('h2', null, 'Connector error'), h('pre', { class: 'trace', testid: 'connector-trace' }, connTrace))
          : null,
        h(
          'section',
          { class: 'panel stats' },
          stat('Records/s in', fmtRate(m && m.in), { testid: 'rate-in' }),
          stat('Records/s out', fmtRate(m && m.out), { testid: 'rate-out' }),
          stat('Lag', m ? fmtInt(m.lag) : '—'),
          stat('Errors', m ? fmtInt(m.errors) : '—'),
          stat(
            'Dead letters',
            h(
              'a',
              { href: connectorHref(name, '/dlq'), testid: 'open-dlq', title: dlqTopic ? `DLQ topic ${dlqTopic}` : 'No DLQ topic configured' },
              h('span', { testid: 'dlq-count' }, m ? fmtInt(m.dlq) : '—'),
              h('span', { class: 'small' }, ' · browse →'),
            ),
          ),
          h('div', { class: 'stat stat-spark' }, h('div', { class: 'stat-label' }, 'Out, last 5 min'), sparkline(store.history.get(name), { width: 180, height: 36 })),
        ),
        h(
          'section',
          { class: 'panel' },
          h('h2', null, 'Tasks'),
          h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table cards tasks' },
              h('thead', null, h('tr', null, h('th', null, 'Task'), h('th', null, 'Worker'), h('th', null, 'State'), h('th', { class: 'num' }, 'Records/s in · out'), h('th', { class: 'num' }, 'Lag'), h('th', null, h('span', { class: 'sr-only' }, 'Actions')))),
              h('tbody', null, taskRows(st, m)),
            ),
          ),
        ),
        h(
          'section',
          { class: 'panel' },
          h('div', { class: 'toolbar' }, h('h2', null, 'Configuration'), h('div', { class: 'toolbar-fill' }), h('span', { class: 'muted small' }, 'Secret values are hidden by the server.')),
          h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table kv' },
              h(
                'tbody',
                null,
                Object.entries(cfg).map(([k, v]) =>
                  h(
                    'tr',
                    { testid: 'config-row', 'data-key': k, mkey: `k:${k}` },
                    h('th', { scope: 'row', class: 'mono' }, k),
                    h('td', { testid: 'config-value', class: `mono${v === HIDDEN ? ' muted' : ''}` }, v == null ? '' : String(v)),
                  ),
                ),
              ),
            ),
          ),
        ),
      );
    }

    return {
      title: name,
      mount(root) {
        body = h('div', { class: 'stack' });
        root.appendChild(h('section', { class: 'view', testid: 'view-connector' }, crumbs({ href: '#/', text: 'Overview' }, { text: name }), body));
        this.update();
      },
      update() {
        if (store.connectors && store.connectors[name]) fallback = null;
        else if (store.loaded) check();
        render();
      },
      destroy() {
        destroyed = true;
      },
    };
  }

  // ───────────────────────── 6c. Create / edit form ─────────────────────────

  function FormView(editName) {
    const isEdit = editName != null;
    let destroyed = false;
    let busy = false;
    let seq = 0; // ignores answers of a plugin that is no longer selected
    let original = null; // the connector's config, on edit
    let pluginSel;
    let nameInput;
    let fieldsBox;
    let extraArea;
    let submitBtn;
    let formEl;
    let errorTop; // where the form-level error goes
    let summaryEl; // "N problems" next to the submit button
    let fields = new Map(); // key → {def, input, wrap, bool, hadOriginal}

    const SPECIAL = new Set(['name', 'connector.class']);

    async function load() {
      try {
        const [plugins, cfg] = await Promise.all([
          api('GET', '/connector-plugins?connectorsOnly=false'),
          isEdit ? api('GET', `/connectors/${enc(editName)}/config`) : Promise.resolve(null),
        ]);
        if (destroyed) return;
        original = cfg;
        fillPlugins(Array.isArray(plugins) ? plugins : []);
        if (isEdit) {
          const extra = Object.entries(cfg || {}).filter(([k]) => !SPECIAL.has(k));
          // Until the spec is known every key is "extra"; loadSpec moves the known ones into fields.
          extraArea.value = extra.map(([k, v]) => `${k}=${v}`).join('\n');
          const cls = (cfg && cfg['connector.class']) || '';
          if (cls) {
            selectPlugin(cls);
            await loadSpec(cls, true);
          }
        } else {
          patch(fieldsBox, h('p', { class: 'muted' }, 'Choose a plugin to see its settings.'));
        }
      } catch (e) {
        if (destroyed) return;
        if (isEdit && e.status === 404) {
          connectorGone(editName);
          return;
        }
        showFormError([`Cannot load: ${e.message}`]);
        patch(fieldsBox, null);
      }
    }

    function fillPlugins(plugins) {
      const order = { source: 0, transform: 1, sink: 2 };
      plugins.sort((a, b) => (order[a.type] ?? 3) - (order[b.type] ?? 3) || byName(a.class, b.class));
      const groups = new Map();
      for (const p of plugins) {
        if (!groups.has(p.type)) groups.set(p.type, []);
        groups.get(p.type).push(p);
      }
      pluginSel.replaceChildren();
      appendAll(pluginSel, [
        h('option', { value: '' }, 'Choose a plugin…'),
        Array.from(groups.entries()).map(([type, ps]) =>
          h('optgroup', { label: `${type || 'other'}s` }, ps.map((p) => h('option', { value: p.class, title: p.version ? `version ${p.version}` : null }, `${p.class} (${p.type})`))),
        ),
      ]);
    }

    // Selects a class; a config may name a plugin by a short alias, so fall back to the last dotted part.
    function selectPlugin(cls) {
      const opts = Array.from(pluginSel.options);
      let opt = opts.find((o) => o.value === cls) || opts.find((o) => o.value && shortClass(o.value) === shortClass(cls));
      if (!opt) {
        opt = h('option', { value: cls }, `${cls} (not installed)`);
        pluginSel.appendChild(opt);
      }
      pluginSel.value = opt.value;
    }

    /** Loads the spec of a plugin and builds its fields, keeping what the user typed. */
    async function loadSpec(cls, first) {
      const my = ++seq;
      const typed = first ? new Map() : currentRawValues();
      patch(fieldsBox, loadingState('Loading settings…'));
      let defs;
      try {
        defs = await api('GET', `/connector-plugins/${enc(cls)}/config`);
      } catch (e) {
        if (destroyed || my !== seq) return;
        patch(fieldsBox, h('p', { class: 'error-text' }, `Cannot load the settings of ${cls}: ${e.message}`));
        fields = new Map();
        return;
      }
      if (destroyed || my !== seq) return;
      defs = (Array.isArray(defs) ? defs : []).filter((d) => d && d.name && !SPECIAL.has(d.name));
      // On the first load of an edit, move the known keys out of the extra-keys box.
      let extra = parseExtra(extraArea.value).values;
      const prefill = new Map();
      if (first && original) {
        for (const d of defs) {
          if (d.name in original) prefill.set(d.name, original[d.name]);
          delete extra[d.name];
        }
        extraArea.value = Object.entries(extra)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n');
      }
      buildFields(defs, typed, prefill);
    }

    function currentRawValues() {
      const out = new Map();
      for (const [k, f] of fields) out.set(k, f.bool ? (f.input.checked ? 'true' : 'false') : f.input.value);
      return out;
    }

    // Groups in order of first appearance, except that the plugin's own
    // settings (no group) come first: they are what the user came for.
    function groupDefs(defs) {
      const groups = new Map();
      for (const d of defs) {
        const g = d.group || '';
        if (!groups.has(g)) groups.set(g, []);
        groups.get(g).push(d);
      }
      const names = Array.from(groups.keys());
      names.sort((a, b) => (a === '' ? -1 : b === '' ? 1 : 0));
      return names.map((g) => [g, groups.get(g)]);
    }

    function buildFields(defs, typed, prefill) {
      fields = new Map();
      if (!defs.length) {
        patch(fieldsBox, h('p', { class: 'muted' }, 'This plugin declares no settings: use the extra keys below.'));
        return;
      }
      let idx = 0;
      const cls = pluginSel.value;
      const sets = groupDefs(defs).map(([group, ds]) =>
        h(
          'fieldset',
          { class: 'group' },
          h('legend', null, group || `${shortClass(cls)} settings`),
          ds.map((d) => {
            const value = typed.has(d.name) ? typed.get(d.name) : prefill.has(d.name) ? prefill.get(d.name) : null;
            return buildField(d, value, idx++, prefill.has(d.name));
          }),
        ),
      );
      fieldsBox.replaceChildren(...sets);
    }

    function buildField(def, value, idx, hadOriginal) {
      const id = `fld-${idx}`;
      const type = String(def.type || 'STRING').toUpperCase();
      const bool = type === 'BOOLEAN';
      const dflt = def.default_value == null ? null : String(def.default_value);
      const hiddenSecret = type === 'PASSWORD' && value === HIDDEN;
      let input;
      let datalist = null;
      if (bool) {
        input = h('input', { type: 'checkbox', id, testid: 'field', 'data-key': def.name, class: 'check' });
        input.checked = value != null && value !== '' ? String(value).toLowerCase() === 'true' : dflt === 'true';
      } else {
        const attrs = { id, testid: 'field', 'data-key': def.name, name: def.name, class: 'input', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: dflt != null ? dflt : '' };
        // A stored value that is not a number (a ${placeholder}…) would be blanked by a number input.
        const numeric = value == null || value === '' || Number.isFinite(Number(value));
        if ((type === 'INT' || type === 'LONG') && numeric) Object.assign(attrs, { type: 'number', step: '1', inputmode: 'numeric' });
        else if (type === 'DOUBLE' && numeric) Object.assign(attrs, { type: 'number', step: 'any', inputmode: 'decimal' });
        else if (type === 'PASSWORD') Object.assign(attrs, { type: 'password', autocomplete: 'new-password' });
        if (hiddenSecret) attrs.placeholder = 'hidden by the server: enter it again';
        // Enumerated values: a datalist suggests them and the input stays free text.
        if (Array.isArray(def.enum) && def.enum.length) {
          attrs.list = `${id}-list`;
          datalist = h('datalist', { id: `${id}-list` }, def.enum.map((v) => h('option', { value: v })));
        }
        if (def.required) attrs['aria-required'] = 'true';
        input = h('input', attrs);
        input.value = value == null || hiddenSecret ? '' : String(value);
      }
      const help = [];
      if (def.display_name && def.display_name !== def.name) help.push(h('strong', null, `${def.display_name}. `));
      if (def.documentation) help.push(def.documentation);
      const meta = [];
      if (dflt != null && dflt !== '') meta.push(`default ${dflt}`);
      if (Array.isArray(def.enum) && def.enum.length) meta.push(`one of ${def.enum.join(', ')}`);
      if (type === 'LIST') meta.push('comma-separated');
      if (def.importance === 'HIGH') meta.push('importance high');
      const label = h(
        'span',
        { class: 'label-text' },
        h('code', null, def.name),
        def.required ? h('span', { class: 'req', title: 'required' }, ' *') : null,
        h('span', { class: 'type-hint' }, type),
      );
      const helpEl = h('div', { class: 'help', id: `${id}-help` }, help, meta.length ? h('span', { class: 'meta' }, ` (${meta.join('; ')})`) : null);
      input.setAttribute('aria-describedby', `${id}-help`);
      const wrap = bool
        ? h('div', { class: 'field field-bool', 'data-field': def.name }, h('label', { for: id, class: 'check-label' }, input, label), helpEl)
        : h('div', { class: 'field', 'data-field': def.name }, h('label', { for: id, class: 'field-label' }, label), input, datalist, helpEl);
      fields.set(def.name, { def, input, wrap, bool, type, dflt, hadOriginal, hiddenSecret });
      return wrap;
    }

    /** key=value lines; blank lines and # comments are skipped. */
    function parseExtra(text) {
      const values = {};
      const problems = [];
      String(text || '')
        .split('\n')
        .forEach((line, i) => {
          const l = line.trim();
          if (!l || l.startsWith('#')) return;
          const eq = l.indexOf('=');
          if (eq <= 0) {
            problems.push(`Extra keys, line ${i + 1}: expected key=value`);
            return;
          }
          values[l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
        });
      return { values, problems };
    }

    function clearErrors() {
      for (const el of formEl.querySelectorAll('[data-testid="field-error"]')) el.remove();
      for (const el of formEl.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
      errorTop.replaceChildren();
      summaryEl.textContent = '';
    }

    function showFormError(messages) {
      errorTop.replaceChildren(
        h(
          'div',
          { class: 'form-error', testid: 'form-error', role: 'alert' },
          messages.length === 1 ? h('p', null, messages[0]) : h('ul', null, messages.map((m) => h('li', null, m))),
        ),
      );
    }

    /** Puts messages right under the field of `key`; returns false when the key has no field. */
    function showFieldError(key, messages) {
      let input;
      let anchor;
      if (key === 'name') input = anchor = nameInput;
      else if (key === 'connector.class') input = anchor = pluginSel;
      else if (fields.has(key)) {
        const f = fields.get(key);
        input = f.input;
        // Right under the input (a checkbox sits inside its label).
        anchor = f.bool ? f.input.closest('label') || f.input : f.input;
      } else return false;
      input.setAttribute('aria-invalid', 'true');
      const el = h('div', { class: 'field-error', testid: 'field-error', 'data-key': key, role: 'alert' }, messages.join(' · '));
      anchor.insertAdjacentElement('afterend', el);
      return true;
    }

    /** Collects the values to send: non-empty inputs, booleans that differ from their default or were set. */
    function collect() {
      const values = {};
      const local = []; // [key, message] found before asking the server
      for (const [key, f] of fields) {
        if (f.bool) {
          const v = f.input.checked ? 'true' : 'false';
          if (f.hadOriginal || v !== (f.dflt === 'true' ? 'true' : 'false')) values[key] = v;
          continue;
        }
        const raw = f.input.value;
        if (raw.trim() === '') {
          // An empty secret on edit would erase the stored one: the server never sends it back.
          if (f.hiddenSecret) local.push([key, 'The server hides the stored secret: enter it again to keep it.']);
          continue;
        }
        values[key] = f.type === 'PASSWORD' ? raw : raw.trim();
      }
      const extra = parseExtra(extraArea.value);
      for (const [k, v] of Object.entries(extra.values)) {
        if (SPECIAL.has(k)) continue;
        if (v === HIDDEN) extra.problems.push(`Extra key ${k} holds the server's mask ${HIDDEN}: give the real value`);
        values[k] = v;
      }
      return { values, local, problems: extra.problems };
    }

    async function submit(ev) {
      ev.preventDefault();
      if (busy) return;
      clearErrors();
      const cls = pluginSel.value;
      const name = isEdit ? editName : nameInput.value.trim();
      const { values, local, problems } = collect();
      if (!cls) local.push(['connector.class', 'Choose a plugin.']);
      if (!name) local.push(['name', 'A name is required.']);
      else if (name.includes('/')) local.push(['name', 'A name cannot contain “/”.']);
      else if (!isEdit && store.connectors && store.connectors[name]) local.push(['name', `A connector named “${name}” already exists: edit it instead.`]);
      if (local.length || problems.length) {
        for (const [k, msg] of local) if (!showFieldError(k, [msg])) problems.push(`${k}: ${msg}`);
        if (problems.length) showFormError(problems);
        focusFirstError();
        return;
      }
      const body = Object.assign({}, values, { 'connector.class': cls, name });
      busy = true;
      submitBtn.disabled = true;
      submitBtn.textContent = 'Validating…';
      try {
        const res = await api('PUT', `/connector-plugins/${enc(cls)}/config/validate`, body);
        if (destroyed) return;
        if (res && Number(res.error_count) > 0) {
          showValidation(res);
          return;
        }
        submitBtn.textContent = 'Saving…';
        await api('PUT', `/connectors/${enc(name)}/config`, body);
        if (destroyed) return;
        toast(isEdit ? `Saved “${name}”` : `Created “${name}”`, 'ok');
        await poller.refresh();
        if (!destroyed) go(connectorHref(name));
      } catch (e) {
        if (!destroyed) {
          showFormError([e.message]);
          focusFirstError();
        }
      } finally {
        busy = false;
        if (!destroyed) {
          submitBtn.disabled = false;
          submitBtn.textContent = isEdit ? 'Save changes' : 'Create connector';
        }
      }
    }

    function showValidation(res) {
      const top = [];
      let shown = 0;
      for (const c of res.configs || []) {
        const v = c.value || {};
        const errs = (v.errors || []).filter(Boolean);
        if (!errs.length) continue;
        const key = v.name || (c.definition && c.definition.name) || '';
        shown += errs.length;
        if (!showFieldError(key, errs)) top.push(...errs.map((e) => (key ? `${key}: ${e}` : e)));
      }
      if (top.length) showFormError(top);
      else if (!shown) showFormError([`The configuration has ${res.error_count} error(s).`]);
      summaryEl.textContent = `${res.error_count} problem${res.error_count === 1 ? '' : 's'} to fix`;
      focusFirstError();
    }

    function focusFirstError() {
      const el = formEl.querySelector('[aria-invalid="true"]') || formEl.querySelector('[data-testid="form-error"]');
      if (!el) return;
      el.scrollIntoView({ block: 'center', behavior: 'smooth' });
      if (el.focus) el.focus({ preventScroll: true });
    }

    return {
      title: isEdit ? `Edit ${editName}` : 'New connector',
      mount(root) {
        pluginSel = h('select', {
          id: 'plugin-select',
          class: 'input',
          testid: 'plugin-select',
          'aria-required': 'true',
          onchange: () => {
            if (pluginSel.value) loadSpec(pluginSel.value, false);
            else {
              fields = new Map();
              patch(fieldsBox, h('p', { class: 'muted' }, 'Choose a plugin to see its settings.'));
            }
          },
        }, h('option', { value: '' }, 'Loading plugins…'));
        nameInput = h('input', {
          id: 'name-input',
          class: 'input',
          testid: 'name-input',
          type: 'text',
          autocomplete: 'off',
          spellcheck: 'false',
          placeholder: 'e.g. orders-to-es',
          'aria-required': 'true',
          readonly: isEdit,
        });
        nameInput.value = isEdit ? editName : '';
        fieldsBox = h('div', { class: 'fields' }, loadingState());
        extraArea = h('textarea', {
          id: 'extra-keys',
          class: 'input mono',
          testid: 'extra-keys',
          rows: 4,
          spellcheck: 'false',
          placeholder: 'key=value, one per line',
        });
        submitBtn = h('button', { type: 'submit', class: 'btn primary', testid: 'submit' }, isEdit ? 'Save changes' : 'Create connector');
        errorTop = h('div', { class: 'form-error-slot' });
        summaryEl = h('span', { class: 'error-text small', role: 'status' });
        formEl = h(
          'form',
          { class: 'form', novalidate: true, onsubmit: submit },
          errorTop,
          h(
            'fieldset',
            { class: 'group basics' },
            h('legend', null, 'Connector'),
            h('div', { class: 'field' }, h('label', { for: 'plugin-select', class: 'field-label' }, h('span', { class: 'label-text' }, 'Plugin', h('span', { class: 'req' }, ' *'))), pluginSel, h('div', { class: 'help' }, 'The connector class, with its type.')),
            h(
              'div',
              { class: 'field' },
              h('label', { for: 'name-input', class: 'field-label' }, h('span', { class: 'label-text' }, 'Name', h('span', { class: 'req' }, ' *'))),
              nameInput,
              h('div', { class: 'help' }, isEdit ? 'The name of an existing connector cannot change.' : 'Unique in the cluster; no “/”.'),
            ),
          ),
          fieldsBox,
          h(
            'fieldset',
            { class: 'group' },
            h('legend', null, 'Advanced: extra keys'),
            h('div', { class: 'field' }, h('label', { for: 'extra-keys', class: 'field-label' }, h('span', { class: 'label-text' }, 'Keys not listed above')), extraArea, h('div', { class: 'help' }, 'One key=value per line, for keys the plugin does not declare (transforms.*, predicates.*…). Lines starting with # are ignored.')),
          ),
          h('div', { class: 'form-actions' }, submitBtn, h('a', { class: 'btn', href: isEdit ? connectorHref(editName) : '#/' }, 'Cancel'), summaryEl),
        );
        const trail = isEdit ? [{ href: '#/', text: 'Overview' }, { href: connectorHref(editName), text: editName }, { text: 'Edit' }] : [{ href: '#/', text: 'Overview' }, { text: 'New connector' }];
        root.appendChild(
          h(
            'section',
            { class: 'view', testid: 'view-form' },
            crumbs(...trail),
            h('div', { class: 'panel' }, h('h1', { class: 'title' }, isEdit ? `Edit ${editName}` : 'New connector'), formEl),
          ),
        );
        load();
      },
      // No update(): polling must never touch what the user is typing.
      destroy() {
        destroyed = true;
      },
    };
  }

  // ───────────────────────── 6d. Pipeline graph ─────────────────────────

  let graphZoom = 1;

  function GraphView() {
    let canvas;
    let zoomLabel;

    function setZoom(z) {
      graphZoom = Math.min(2, Math.max(0.4, Math.round(z * 10) / 10));
      zoomLabel.textContent = `${Math.round(graphZoom * 100)}%`;
      render();
    }

    function render() {
      if (!store.connectors) {
        patch(canvas, store.error ? emptyState(`Cannot load connectors: ${store.error.message}`) : loadingState());
        return;
      }
      const model = buildGraphModel();
      if (!model.nodes.size) {
        patch(canvas, emptyState('No connectors yet.', h('a', { href: '#/new', class: 'btn primary' }, 'Create one')));
        return;
      }
      patch(canvas, renderGraph(layoutGraph(model), graphZoom));
    }

    return {
      title: 'Pipeline',
      mount(root) {
        canvas = h('div', { class: 'graph-wrap' });
        zoomLabel = h('span', { class: 'zoom-label' }, `${Math.round(graphZoom * 100)}%`);
        const legend = h(
          'ul',
          { class: 'legend', 'aria-label': 'Legend' },
          h('li', null, h('span', { class: 'swatch node ok' }), 'running'),
          h('li', null, h('span', { class: 'swatch node warn' }), 'paused · stopped · unassigned · restarting'),
          h('li', null, h('span', { class: 'swatch node bad' }), 'failed'),
          h('li', null, h('span', { class: 'swatch node unknown' }), 'unknown'),
          h('li', null, h('span', { class: 'swatch topic' }), 'topic'),
          h('li', null, h('span', { class: 'swatch topic minor' }), 'dead-letter / late topic'),
        );
        root.appendChild(
          h(
            'section',
            { class: 'view', testid: 'view-graph' },
            h(
              'div',
              { class: 'panel' },
              h(
                'div',
                { class: 'toolbar' },
                h('h1', { class: 'title' }, 'Pipeline'),
                h('div', { class: 'toolbar-fill' }),
                h(
                  'div',
                  { class: 'zoom', role: 'group', 'aria-label': 'Zoom' },
                  h('button', { type: 'button', class: 'btn small', 'aria-label': 'Zoom out', onclick: () => setZoom(graphZoom - 0.2) }, '−'),
                  zoomLabel,
                  h('button', { type: 'button', class: 'btn small', 'aria-label': 'Zoom in', onclick: () => setZoom(graphZoom + 0.2) }, '+'),
                  h('button', { type: 'button', class: 'btn small', onclick: () => setZoom(1) }, 'Reset'),
                ),
              ),
              h('p', { class: 'muted small' }, 'Sources on the left, sinks on the right; edges follow the topics tasks actually read and write (configured topics until metrics arrive). Click a connector to open it.'),
              legend,
              canvas,
            ),
          ),
        );
        render();
      },
      update: render,
    };
  }

  /** Connectors and topics with edges topic→connector (inputs) and connector→topic (outputs). */
  function buildGraphModel() {
    const nodes = new Map();
    const edges = new Map();
    const minorTopics = new Set();
    const addTopic = (t) => {
      const id = `t:${t}`;
      if (!nodes.has(id)) nodes.set(id, { id, kind: 'topic', name: t });
      return id;
    };
    for (const name of connectorNames()) {
      const entry = store.connectors[name];
      const st = entry.status || {};
      const info = entry.info || {};
      const cfg = info.config || {};
      const m = store.rates.get(name);
      const id = `c:${name}`;
      nodes.set(id, {
        id,
        kind: 'connector',
        name,
        state: (st.connector && st.connector.state) || 'UNKNOWN',
        type: st.type || info.type || '',
        rate: m ? m.out : null,
      });
      // Observed topics first; the configured ones when there are none yet.
      let ins = m && m.topicsIn.length ? m.topicsIn : [];
      if (!ins.length) ins = [...splitList(cfg.topics), ...splitList(cfg['left.topics']), ...splitList(cfg['right.topics']), ...splitList(cfg['lookup.topics'])];
      let outs = m && m.topicsOut.length ? m.topicsOut : [];
      if (!outs.length) outs = [cfg.topic, cfg['late.topic']].filter((x) => x && !String(x).includes('${'));
      if (cfg['late.topic']) minorTopics.add(cfg['late.topic']);
      // The dead-letter topic is drawn (dimmed) even before anything was dead-lettered.
      const dlq = cfg['errors.deadletterqueue.topic.name'];
      if (dlq) {
        minorTopics.add(dlq);
        outs = outs.concat(dlq);
      }
      for (const t of new Set(ins)) {
        const from = addTopic(t);
        edges.set(`${from}>${id}`, { from, to: id });
      }
      for (const t of new Set(outs)) {
        const to = addTopic(t);
        edges.set(`${id}>${to}`, { from: id, to });
      }
    }
    for (const n of nodes.values()) {
      if (n.kind === 'topic') n.minor = /^(dlq|late)[.\-_]/i.test(n.name) || minorTopics.has(n.name);
    }
    return { nodes, edges: Array.from(edges.values()) };
  }

  // ───────────────────────── 6d. Pipeline graph: layout and drawing ─────────────────────────

  const G = {
    connW: 184,
    connH: 50,
    topicW: 168,
    topicH: 30,
    minorW: 148,
    minorH: 24,
    colGap: 86,
    rowGap: 18,
    margin: 24,
  };

  const nodeSize = (n) => (n.kind === 'connector' ? [G.connW, G.connH] : n.minor ? [G.minorW, G.minorH] : [G.topicW, G.topicH]);

  /**
   * Layers by longest path from a node without inputs. Cycles (a transform
   * writing a topic it also reads, directly or not) are broken first: a DFS
   * marks the edges that point back to a node still on its stack, and the
   * longest-path pass ignores them. They are still drawn.
   */
  function layoutGraph(model) {
    const ids = Array.from(model.nodes.keys()).sort(byName);
    const out = new Map(ids.map((id) => [id, []]));
    const indeg = new Map(ids.map((id) => [id, 0]));
    for (const e of model.edges) {
      out.get(e.from).push(e);
      indeg.set(e.to, indeg.get(e.to) + 1);
    }
    for (const list of out.values()) list.sort((a, b) => byName(a.to, b.to));

    // 1. Find back edges with an iterative DFS (no recursion limit on big graphs).
    const back = new Set();
    const color = new Map(); // 1 on stack, 2 done
    const roots = ids.filter((id) => indeg.get(id) === 0).concat(ids.filter((id) => indeg.get(id) > 0));
    for (const root of roots) {
      if (color.has(root)) continue;
      const stack = [[root, 0]];
      color.set(root, 1);
      while (stack.length) {
        const top = stack[stack.length - 1];
        const edgesOut = out.get(top[0]);
        if (top[1] >= edgesOut.length) {
          color.set(top[0], 2);
          stack.pop();
          continue;
        }
        const e = edgesOut[top[1]++];
        const c = color.get(e.to);
        if (c === 1) back.add(e);
        else if (!c) {
          color.set(e.to, 1);
          stack.push([e.to, 0]);
        }
      }
    }

    // 2. Longest path over the forward edges, in topological order (Kahn).
    const layer = new Map(ids.map((id) => [id, 0]));
    const fwdIn = new Map(ids.map((id) => [id, 0]));
    for (const e of model.edges) if (!back.has(e)) fwdIn.set(e.to, fwdIn.get(e.to) + 1);
    const queue = ids.filter((id) => fwdIn.get(id) === 0);
    while (queue.length) {
      const id = queue.shift();
      for (const e of out.get(id)) {
        if (back.has(e)) continue;
        layer.set(e.to, Math.max(layer.get(e.to), layer.get(id) + 1));
        fwdIn.set(e.to, fwdIn.get(e.to) - 1);
        if (fwdIn.get(e.to) === 0) queue.push(e.to);
      }
    }

    // 3. Columns sorted by name, centred vertically.
    const columns = [];
    for (const id of ids) {
      const l = layer.get(id);
      (columns[l] = columns[l] || []).push(model.nodes.get(id));
    }
    const colHeights = columns.map((col) => (col || []).reduce((s, n) => s + nodeSize(n)[1], 0) + Math.max(0, (col || []).length - 1) * G.rowGap);
    const maxH = Math.max(0, ...colHeights);
    const colW = Math.max(G.connW, G.topicW) + G.colGap;
    const pos = new Map();
    columns.forEach((col, l) => {
      if (!col) return;
      col.sort((a, b) => byName(a.name, b.name) || byName(a.kind, b.kind));
      let y = G.margin + (maxH - colHeights[l]) / 2;
      const xCenter = G.margin + l * colW + Math.max(G.connW, G.topicW) / 2;
      for (const n of col) {
        const [w, hgt] = nodeSize(n);
        pos.set(n.id, { x: xCenter - w / 2, y, w, h: hgt, layer: l });
        y += hgt + G.rowGap;
      }
    });
    const width = G.margin * 2 + Math.max(1, columns.length) * colW - G.colGap;
    const height = G.margin * 2 + maxH;
    return { model, pos, back, width, height };
  }

  function edgePath(a, b, isBack, bottom) {
    const x1 = a.x + a.w;
    const y1 = a.y + a.h / 2;
    const x2 = b.x;
    const y2 = b.y + b.h / 2;
    if (!isBack && x2 > x1) {
      const dx = Math.max(30, (x2 - x1) / 2);
      return `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
    }
    // A back edge runs right to left along the bottom of the drawing, below every node.
    const below = bottom;
    return `M${x1},${y1} C${x1 + 60},${y1} ${x1 + 60},${below} ${(x1 + x2) / 2},${below} S${x2 - 60},${y2} ${x2},${y2}`;
  }

  function clip(text, px, charPx) {
    const max = Math.max(4, Math.floor(px / charPx));
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  }

  function renderGraph(layout, zoom) {
    const { model, pos, back, width, height } = layout;
    const extraBottom = back.size ? 40 : 0;
    const edgeEls = model.edges.map((e) => {
      const isBack = back.has(e);
      const target = model.nodes.get(e.to);
      return svg(
        'path',
        {
          class: `edge${isBack ? ' back' : ''}${target.kind === 'topic' && target.minor ? ' minor' : ''}`,
          testid: 'graph-edge',
          'data-from': e.from,
          'data-to': e.to,
          mkey: `e:${e.from}>${e.to}`,
          d: edgePath(pos.get(e.from), pos.get(e.to), isBack, height + 16),
          'marker-end': 'url(#arrow)',
        },
        svg('title', null, `${e.from.slice(2)} → ${e.to.slice(2)}`),
      );
    });
    const nodeEls = Array.from(model.nodes.values()).map((n) => {
      const p = pos.get(n.id);
      if (n.kind === 'connector') {
        const open = () => go(connectorHref(n.name));
        const rate = n.rate != null ? ` · ${fmtRate(n.rate)}/s` : '';
        return svg(
          'g',
          {
            class: `gnode conn ${stateClass(n.state)}`,
            testid: 'graph-connector',
            'data-name': n.name,
            'data-state': n.state,
            mkey: n.id,
            transform: `translate(${p.x},${p.y})`,
            tabindex: 0,
            role: 'link',
            'aria-label': `Connector ${n.name}, ${n.state}`,
            onclick: open,
            onkeydown: (e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                open();
              }
            },
          },
          svg('title', null, `${n.name} — ${n.type || 'connector'}, ${n.state}`),
          svg('rect', { width: p.w, height: p.h, rx: 9, ry: 9 }),
          svg('rect', { class: 'stripe', width: 5, height: p.h - 12, x: 6, y: 6, rx: 2 }),
          svg('text', { class: 'label', x: 18, y: 21 }, clip(n.name, p.w - 26, 7.4)),
          svg('text', { class: 'sub', x: 18, y: 38 }, clip(`${n.type || 'connector'} · ${n.state}${rate}`, p.w - 24, 5.8)),
        );
      }
      return svg(
        'g',
        { class: `gnode topic${n.minor ? ' minor' : ''}`, testid: 'graph-topic', 'data-name': n.name, mkey: n.id, transform: `translate(${p.x},${p.y})` },
        svg('title', null, `topic ${n.name}`),
        svg('rect', { width: p.w, height: p.h, rx: p.h / 2, ry: p.h / 2 }),
        svg('text', { class: 'label', x: p.w / 2, y: p.h / 2 + 4, 'text-anchor': 'middle' }, clip(n.name, p.w - 20, n.minor ? 6.2 : 6.8)),
      );
    });
    const w = width;
    const hgt = height + extraBottom;
    return svg(
      'svg',
      { class: 'graph', testid: 'graph', width: Math.round(w * zoom), height: Math.round(hgt * zoom), viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': 'Pipeline graph of connectors and topics' },
      svg('defs', null, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }))),
      svg('g', { class: 'edges' }, edgeEls),
      svg('g', { class: 'nodes' }, nodeEls),
    );
  }

  // ───────────────────────── 6e. DLQ browser ─────────────────────────

  const ERR_PREFIX = '__connect.errors.';
  const DLQ_RELOAD_MS = 5000;
  // Shown first, in this order; the rest of the headers follow by name.
  const HEADER_ORDER = ['stage', 'exception.message', 'exception.class.name', 'topic', 'partition', 'offset', 'connector.name', 'task.id', 'class.name'];

  /** Escapes control and non-ASCII characters so binary payloads are readable. */
  function escapeView(s) {
    let out = '';
    for (const ch of String(s)) {
      const c = ch.codePointAt(0);
      if (ch === '\\') out += '\\\\';
      else if (ch === '\n') out += '\\n\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
      else if (c > 0x7e) out += c > 0xffff ? `\\u{${c.toString(16)}}` : `\\u${c.toString(16).padStart(4, '0')}`;
      else out += ch;
    }
    return out;
  }

  function DlqView(name) {
    let listBox;
    let headBox;
    let refreshBtn;
    let destroyed = false;
    let loading = false;
    let data = null; // last answer
    let loadedAt = 0;
    let dlqAtLoad = null; // DLQ count when loaded, to hint at new records
    let limit = 20;
    const hexMode = new Set(); // records shown escaped
    const openTraces = new Set();

    // A 404 may be the connector or a missing route: ask for the connector itself.
    async function isGone() {
      try {
        await api('GET', `/connectors/${enc(name)}/status`);
        return false;
      } catch (e) {
        return e.status === 404;
      }
    }

    async function load() {
      if (loading) return;
      loading = true;
      refreshBtn.disabled = true;
      refreshBtn.textContent = 'Loading…';
      try {
        const res = await api('GET', `/api/v1/connectors/${enc(name)}/dlq?limit=${limit}`);
        if (destroyed) return;
        data = res || { topic: '', records: [] };
        loadedAt = Date.now();
        const m = metricsOf(name);
        dlqAtLoad = m ? m.dlq : 0;
        renderList();
      } catch (e) {
        if (destroyed) return;
        if (e.status === 404 && (await isGone())) {
          connectorGone(name);
          return;
        }
        if (e.status === 401) openTokenDialog(`The server refused the request: ${e.message}`);
        if (!data) patch(listBox, emptyState(`Cannot read the dead-letter queue: ${e.message}`));
        else reportError('Refresh failed', e);
      } finally {
        loading = false;
        if (!destroyed) {
          refreshBtn.disabled = false;
          refreshBtn.textContent = 'Refresh';
        }
      }
    }

    function renderHead() {
      const m = metricsOf(name);
      const entry = store.connectors && store.connectors[name];
      const state = entry && entry.status && entry.status.connector ? entry.status.connector.state : null;
      const newer = m && dlqAtLoad != null && m.dlq > dlqAtLoad ? m.dlq - dlqAtLoad : 0;
      patch(
        headBox,
        h('span', null, 'Connector ', h('a', { href: connectorHref(name) }, name), ' ', state ? badge(state) : null),
        h('span', { class: 'muted' }, data && data.topic ? ` · topic ${data.topic}` : ''),
        h('span', { class: 'muted' }, m ? ` · ${fmtInt(m.dlq)} dead-lettered since the worker started` : ''),
        newer ? h('span', { class: 'pill-note' }, `${fmtInt(newer)} new — refresh`) : null,
        loadedAt ? h('span', { class: 'muted small' }, ` · loaded ${fmtAgo(Date.now() - loadedAt)}`) : null,
      );
    }

    function recordView(r, idx) {
      const key = `${r.partition}:${r.offset}`;
      const headers = r.headers || {};
      const errMsg = headers[`${ERR_PREFIX}exception.message`];
      const names = Object.keys(headers);
      // The message is already shown above the list, the stack trace below it.
      const errNames = names.filter((n) => n.startsWith(ERR_PREFIX) && n !== `${ERR_PREFIX}exception.stacktrace` && n !== `${ERR_PREFIX}exception.message`);
      errNames.sort((a, b) => {
        const ia = HEADER_ORDER.indexOf(a.slice(ERR_PREFIX.length));
        const ib = HEADER_ORDER.indexOf(b.slice(ERR_PREFIX.length));
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || byName(a, b);
      });
      const others = names.filter((n) => !n.startsWith(ERR_PREFIX)).sort(byName);
      const stack = headers[`${ERR_PREFIX}exception.stacktrace`];
      const hex = hexMode.has(key);
      const value = r.value == null ? '' : String(r.value);
      const truncated = Number(r.value_bytes) > new TextEncoder().encode(value).length;
      const toggle = (mode) => () => {
        if (mode === 'hex') hexMode.add(key);
        else hexMode.delete(key);
        renderList();
      };
      return h(
        'article',
        { class: 'panel dlq-record', testid: 'dlq-record', mkey: `r:${key}`, 'data-partition': r.partition, 'data-offset': r.offset },
        h(
          'header',
          { class: 'dlq-head' },
          h('span', { class: 'mono strong' }, `#${idx + 1}`),
          h('span', null, 'partition ', h('b', { class: 'mono' }, String(r.partition)), ' · offset ', h('b', { class: 'mono' }, String(r.offset))),
          h('span', { class: 'muted', title: Number(r.timestamp_ms) > 0 && Number(r.timestamp_ms) < 8.64e15 ? new Date(Number(r.timestamp_ms)).toISOString() : null }, `${fmtTime(r.timestamp_ms)} (${fmtAgo(Date.now() - r.timestamp_ms)})`),
          h('span', null, 'key ', r.key == null ? h('i', { class: 'muted' }, 'null') : h('code', null, truncate(String(r.key), 80))),
        ),
        h('div', { class: 'dlq-error', testid: 'dlq-error' }, errMsg != null ? errMsg : h('span', { class: 'muted' }, 'no exception message header')),
        errNames.length || others.length
          ? h(
              'dl',
              { class: 'headers' },
              errNames.map((n) => h('div', { mkey: n }, h('dt', null, n.slice(ERR_PREFIX.length)), h('dd', { class: 'mono' }, headers[n]))),
              others.map((n) => h('div', { mkey: n, class: 'other' }, h('dt', null, n), h('dd', { class: 'mono' }, headers[n]))),
            )
          : null,
        stack
          ? h(
              'details',
              { open: openTraces.has(key), ontoggle: (e) => (e.target.open ? openTraces.add(key) : openTraces.delete(key)) },
              h('summary', null, 'Stack trace'),
              h('pre', { class: 'trace' }, stack),
            )
          : null,
        h(
          'div',
          { class: 'payload-head' },
          h('span', { class: 'small muted' }, `Payload · ${fmtInt(Number(r.value_bytes) || 0)} bytes${truncated ? ' (preview truncated)' : ''}`),
          h(
            'span',
            { class: 'seg', role: 'group', 'aria-label': 'Payload view' },
            h('button', { type: 'button', class: `btn small${hex ? '' : ' on'}`, 'aria-pressed': String(!hex), onclick: toggle('text') }, 'Text'),
            h('button', { type: 'button', class: `btn small${hex ? ' on' : ''}`, 'aria-pressed': String(hex), onclick: toggle('hex') }, 'Escaped'),
          ),
        ),
        h('pre', { class: 'payload', testid: 'dlq-payload' }, hex ? escapeView(value) : value),
      );
    }

    function renderList() {
      renderHead();
      if (!data) return;
      const records = data.records || [];
      if (!data.topic) {
        patch(
          listBox,
          emptyState(
            'This connector has no dead-letter queue.',
            h('p', { class: 'muted small' }, 'Set errors.tolerance=all and errors.deadletterqueue.topic.name to send bad records there instead of failing the task.'),
            h('a', { href: connectorHref(name, '/edit'), class: 'btn' }, 'Edit the connector'),
          ),
        );
        return;
      }
      if (!records.length) {
        patch(listBox, emptyState(`No dead-lettered records in ${data.topic}.`));
        return;
      }
      patch(listBox, records.map((r, i) => recordView(r, i)));
    }

    return {
      title: `DLQ of ${name}`,
      mount(root) {
        refreshBtn = h('button', { type: 'button', class: 'btn primary', testid: 'dlq-refresh', onclick: load }, 'Refresh');
        const limitSel = h(
          'select',
          {
            class: 'input',
            'aria-label': 'Records to show',
            onchange: (e) => {
              limit = Number(e.target.value) || 20;
              load();
            },
          },
          [20, 50, 100].map((n) => h('option', { value: n }, `latest ${n}`)),
        );
        headBox = h('div', { class: 'dlq-summary' });
        listBox = h('div', { class: 'stack' }, loadingState('Reading the dead-letter topic…'));
        root.appendChild(
          h(
            'section',
            { class: 'view', testid: 'view-dlq' },
            crumbs({ href: '#/', text: 'Overview' }, { href: connectorHref(name), text: name }, { text: 'Dead letters' }),
            h(
              'div',
              { class: 'panel' },
              h('div', { class: 'toolbar' }, h('h1', { class: 'title' }, 'Dead-letter queue'), h('div', { class: 'toolbar-fill' }), limitSel, refreshBtn),
              headBox,
            ),
            listBox,
          ),
        );
        renderHead();
        load();
      },
      // Reading a topic is not free, so polling does not re-read the records
      // every time: only when the DLQ counter grew, at most every
      // DLQ_RELOAD_MS (the header says "N new" in between).
      update() {
        if (store.loaded && store.connectors && !store.connectors[name] && !loading) {
          // Confirm with the server before leaving: the list may lag a creation.
          isGone().then((gone) => {
            if (gone && !destroyed) connectorGone(name);
          });
        }
        const m = metricsOf(name);
        if (m && dlqAtLoad != null && m.dlq < dlqAtLoad) dlqAtLoad = m.dlq; // counters restart with their worker
        if (m && data && !loading && dlqAtLoad != null && m.dlq > dlqAtLoad && Date.now() - loadedAt >= DLQ_RELOAD_MS) load();
        renderHead();
      },
      destroy() {
        destroyed = true;
      },
    };
  }

  // ───────────────────────── 7. Boot ─────────────────────────

  function boot() {
    takeTokenFromURL();
    setupTokenDialog();
    window.addEventListener('hashchange', route);
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) poller.tick();
    });
    // The "updated Xs ago" text ticks between polls.
    setInterval(renderLive, 1000);
    route();
    renderFooter();
    poller.tick();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
