// Tailor's optional click reporter (GET /__tailor/events.js): a click on a
// link or button inside a personalized block sends the block's name and the
// page's path. The edge works out which variant the visitor saw; nothing
// else is sent. Include with <script src="/__tailor/events.js" defer></script>.
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
})();
