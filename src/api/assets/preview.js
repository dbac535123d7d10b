// The preview UI: explain panel, force selects and gallery, from the worker's
// own JSON endpoints. No framework; served as /__tailor/preview.js.
(function () {
  const $ = (selector) => document.querySelector(selector);
  const text = (tag, value) => { const el = document.createElement(tag); el.textContent = value; return el; };
  const stylesheets = (document.body.dataset.stylesheets || '').split(' ').filter(Boolean);

  async function explain(path) {
    const response = await fetch('/__tailor/decide?path=' + encodeURIComponent(path), { credentials: 'same-origin' });
    const data = await response.json();
    const body = $('#explain tbody');
    body.replaceChildren();
    for (const d of data.decisions || []) {
      const row = document.createElement('tr');
      row.dataset.block = d.block;
      row.append(text('td', d.block), text('td', d.variant));
      const why = text('td', d.reason.kind + ': ' + d.reason.explanation);
      if (d.reason.condition) why.append(document.createElement('br'), text('code', JSON.stringify(d.reason.condition)));
      if (d.reason.experiment) why.append(document.createElement('br'), text('code', d.reason.experiment.key + ' arm ' + d.reason.experiment.arm));
      row.append(why);
      body.append(row);
    }
    if (!data.decisions || data.decisions.length === 0) {
      const row = document.createElement('tr');
      const cell = text('td', 'No personalized blocks on this page (' + data.outcome + ').');
      cell.colSpan = 3;
      row.append(cell);
      body.append(row);
    }
    return data;
  }

  function forceForm(block, variants, chosen) {
    const form = document.createElement('form');
    form.method = 'post';
    form.action = '/__tailor/preview/force';
    const hidden = document.createElement('input');
    hidden.type = 'hidden'; hidden.name = 'block'; hidden.value = block;
    const select = document.createElement('select');
    select.name = 'variant';
    select.append(new Option('(decide normally)', ''));
    for (const v of variants) select.append(new Option(v.id, v.id, false, v.id === chosen));
    select.addEventListener('change', () => form.submit());
    const label = text('label', block);
    label.append(select);
    form.append(hidden, label);
    return form;
  }

  function galleryFrame(html) {
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', '');
    const links = stylesheets.map((href) => '<link rel="stylesheet" href="' + href + '">').join('');
    frame.srcdoc = '<!doctype html><base href="' + location.origin + '/">' + links + '<tailor-block>' + (html || '<p>(fragment unavailable)</p>') + '</tailor-block>';
    return frame;
  }

  async function gallery(decisions) {
    const response = await fetch('/__tailor/preview/gallery', { credentials: 'same-origin' });
    const data = await response.json();
    const chosen = Object.fromEntries((decisions || []).map((d) => [d.block, d]));
    const root = $('#gallery');
    const force = $('#force');
    root.replaceChildren();
    force.replaceChildren();
    for (const block of data.blocks || []) {
      const forced = chosen[block.block] && chosen[block.block].reason.kind === 'forced' ? chosen[block.block].variant : '';
      force.append(forceForm(block.block, block.variants, forced));
      const section = document.createElement('div');
      section.className = 'gallery-block';
      section.append(text('h3', block.block));
      const row = document.createElement('div');
      row.className = 'variants';
      for (const v of block.variants) {
        const card = document.createElement('div');
        card.className = 'variant' + (chosen[block.block] && chosen[block.block].variant === v.id ? ' chosen' : '');
        card.dataset.variant = v.id;
        card.append(text('p', v.id + (v.id === block.default ? ' (default)' : '') + (v.condition ? ' · ' + JSON.stringify(v.condition) : '')));
        card.append(galleryFrame(v.html));
        row.append(card);
      }
      section.append(row);
      root.append(section);
    }
  }

  // The review queue: each draft beside the live variant its segment sees
  // now, with approve (pending drafts) and reject (asks why).
  async function reviewAction(form) {
    const response = await fetch('/__tailor/preview/review', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    const data = await response.json().catch(() => ({}));
    $('#review-status').textContent = response.ok
      ? (data.status === 'approved' ? 'Approved: variant ' + data.variant + ' is live in ' + data.publish.version : 'Rejected.')
      : 'Refused: ' + (data.error || response.status);
    await review();
  }

  function draftCard(draft) {
    const card = document.createElement('div');
    card.className = 'draft ' + draft.status;
    card.dataset.id = draft.id;
    const labels = Object.entries(draft.segment || {}).map(([k, v]) => k + '=' + v).join(' ');
    card.append(text('h3', draft.block + ' · ' + labels));
    const facts = text('p', draft.status === 'pending'
      ? 'Pending approval (generated for ' + draft.catalog_version + ')'
      : 'Refused: broke ' + draft.rule + (draft.detail ? ' (' + draft.detail + ')' : ''));
    facts.className = 'facts';
    card.append(facts);
    const pair = document.createElement('div');
    pair.className = 'pair';
    const side = (title, html, cls) => {
      const box = document.createElement('div');
      box.className = cls;
      box.append(text('p', title), galleryFrame(html));
      return box;
    };
    pair.append(side('Live: ' + draft.variant, draft.live_html, 'live'), side('Draft', draft.html, 'candidate'));
    card.append(pair);
    const buttons = document.createElement('div');
    buttons.className = 'buttons';
    const look = text('button', 'In the page');
    look.name = 'in-page';
    look.className = 'secondary';
    look.addEventListener('click', async () => {
      const shown = await inPage(draft.block, draft.html);
      const old = card.querySelector('.in-page');
      if (old) old.replaceWith(shown);
      else card.append(shown);
    });
    buttons.append(look);
    if (draft.status === 'pending') {
      const approve = text('button', 'Approve');
      approve.name = 'approve';
      approve.addEventListener('click', () => reviewAction({ action: 'approve', id: draft.id }));
      buttons.append(approve);
    }
    const reject = text('button', draft.status === 'pending' ? 'Reject' : 'Reject (dismiss)');
    reject.name = 'reject';
    reject.className = 'secondary';
    reject.addEventListener('click', () => {
      const reason = window.prompt('Why reject this draft? (kept with the rejection; the segment gets no new drafts)');
      if (reason && reason.trim()) reviewAction({ action: 'reject', id: draft.id, reason: reason.trim() });
    });
    buttons.append(reject);
    card.append(buttons);
    return card;
  }

  /**
   * The page the preview shows, as this preview visitor gets it, with every
   * `block` marker filled by the draft's HTML instead: rendered in a frame
   * without scripts (the draft is the control worker's sanitized HTML).
   */
  async function inPage(block, html) {
    const path = $('#page').value;
    const box = document.createElement('div');
    box.className = 'in-page';
    const response = await fetch(path, { credentials: 'same-origin' }).catch(() => null);
    const doc = response && response.ok ? new DOMParser().parseFromString(await response.text(), 'text/html') : null;
    const marked = doc ? [...doc.querySelectorAll('tailor-block')].filter((el) => el.getAttribute('name') === block) : [];
    if (marked.length === 0) {
      box.append(text('p', 'The block ' + block + ' is not on ' + path + ': choose the page it is on above, then look again.'));
      return box;
    }
    for (const el of marked) {
      el.innerHTML = html;
      el.setAttribute('data-tailor-draft', '');
    }
    const base = doc.createElement('base');
    base.href = location.origin + path;
    doc.head.prepend(base);
    const mark = doc.createElement('style');
    mark.textContent = '[data-tailor-draft]{display:block;outline:3px dashed #f79009;outline-offset:2px}';
    doc.head.append(mark);
    box.append(text('p', 'The draft in ' + path));
    const frame = document.createElement('iframe');
    // No scripts run in it; same origin only so that this page can scroll it to the draft.
    frame.setAttribute('sandbox', 'allow-same-origin');
    frame.addEventListener('load', () => {
      const first = frame.contentDocument && frame.contentDocument.querySelector('[data-tailor-draft]');
      if (first) first.scrollIntoView({ block: 'center' });
    });
    frame.title = 'The draft for ' + block + ' in ' + path;
    frame.srcdoc = '<!doctype html>' + doc.documentElement.outerHTML;
    box.append(frame);
    return box;
  }

  async function review() {
    const root = $('#drafts');
    const response = await fetch('/__tailor/preview/review', { credentials: 'same-origin' });
    const data = await response.json().catch(() => ({}));
    const status = text('p', '');
    status.id = 'review-status';
    status.className = 'note';
    const previous = $('#review-status');
    if (previous) status.textContent = previous.textContent;
    root.replaceChildren(status);
    if (!response.ok) {
      root.append(text('p', 'The review queue is not available here: ' + (data.error || response.status)));
      return;
    }
    if (!data.drafts || data.drafts.length === 0) root.append(text('p', 'No drafts to review.'));
    for (const draft of data.drafts || []) root.append(draftCard(draft));
    root.dataset.loaded = 'true';
  }

  async function show(path) {
    $('#site').src = path;
    $('#open').href = path;
    const data = await explain(path);
    await gallery(data.decisions);
    await review();
    document.body.dataset.ready = 'true';
  }

  $('#page').addEventListener('change', (event) => show(event.target.value));
  show($('#page').value);
})();
