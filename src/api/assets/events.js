// Tailor's optional reporter (GET /__tailor/events.js). It sends the block's
// name and the page's path, nothing else; the edge works out which variant
// the visitor was served there. Include with
// <script src="/__tailor/events.js" defer></script>.
//  - click: a link or button inside a personalized block was clicked;
//  - seen: a block is rendered and at least half visible (a `display:
//    contents` block, which has no box: one of its child elements; once per block and
//    page view, also for blocks a client-side navigation mounts; a block
//    marked data-tailor-pending is still being filled and is reported after).
(() => {
  const send = (body) => {
    const data = JSON.stringify(body);
    if (!(navigator.sendBeacon && navigator.sendBeacon('/__tailor/event', data))) {
      fetch('/__tailor/event', { method: 'POST', body: data, keepalive: true, credentials: 'same-origin' }).catch(() => {});
    }
  };
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest('a, button') : null;
    const block = target && target.closest('tailor-block[name]');
    if (block) send({ type: 'click', block: block.getAttribute('name'), path: location.pathname });
  }, { capture: true });
  // For origins: window.tailorGoal('signup') credits every block on the page.
  window.tailorGoal = (goal) => send({ type: 'goal', goal, path: location.pathname });

  if (typeof IntersectionObserver !== 'function') return;
  let path = location.pathname;
  let reported = new Set();
  // Observed element → the block it stands for. A block styled `display:
  // contents` (as docs/markers.md advises) has no box, so the observer never
  // sees it intersect: its element children stand in for it.
  const blockOf = new WeakMap();
  const visible = new Set();
  const isVisible = (block) => [...visible].some((target) => blockOf.get(target) === block);
  const report = (el) => {
    if (location.pathname !== path) {
      path = location.pathname;
      reported = new Set();
    }
    const name = el.getAttribute('name');
    if (!name || reported.has(name) || el.hasAttribute('data-tailor-pending') || !el.isConnected) return;
    reported.add(name);
    send({ type: 'seen', block: name, path });
  };
  const watcher = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const block = blockOf.get(entry.target);
      if (entry.isIntersecting) {
        visible.add(entry.target);
        report(block);
      } else {
        visible.delete(entry.target);
      }
    }
  }, { threshold: 0.5 });
  const observe = (target, block) => {
    if (blockOf.has(target)) return;
    blockOf.set(target, block);
    watcher.observe(target);
  };
  const boxless = (block) => getComputedStyle(block).display === 'contents';
  const watch = (root) => {
    const blocks = root.matches && root.matches('tailor-block[name]') ? [root] : [];
    if (root.querySelectorAll) blocks.push(...root.querySelectorAll('tailor-block[name]'));
    for (const el of blocks) {
      observe(el, el);
      if (boxless(el)) for (const child of el.children) observe(child, el);
    }
  };
  watch(document);
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === 'attributes') {
        if (isVisible(change.target)) report(change.target);
      } else {
        for (const node of change.addedNodes) {
          if (node.nodeType !== 1) continue;
          watch(node);
          // New content of a box-less block (filled in place).
          const block = node.parentElement;
          if (block && blockOf.get(block) === block && boxless(block)) observe(node, block);
        }
      }
    }
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-tailor-pending'] });
})();
