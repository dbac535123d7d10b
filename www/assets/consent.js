// The demo site's consent banner: what a site's own consent-management
// tool does, reduced to one cookie Tailor reads (TAILOR_CONSENT_COOKIE =
// "site_consent", letters format: `pa` both, `p` personalization only, `-`
// neither). Until the visitor answers, Tailor keeps nothing and sends
// nothing (TAILOR_CONSENT_DEFAULT = "denied"), and shows only what the
// request itself suggests.
(() => {
  const NAME = 'site_consent';
  if (document.cookie.split('; ').some((c) => c.startsWith(`${NAME}=`))) return;
  const banner = document.createElement('div');
  banner.className = 'consent-banner';
  banner.setAttribute('role', 'dialog');
  banner.setAttribute('aria-label', 'Cookie consent');
  banner.innerHTML =
    '<p>May we tailor this site to you and measure what works? Nothing personal is stored: only which version you saw.</p>' +
    '<button type="button" data-choice="pa">Allow both</button>' +
    '<button type="button" data-choice="p">Tailoring only</button>' +
    '<button type="button" data-choice="-">Neither</button>';
  banner.addEventListener('click', (event) => {
    const choice = event.target.getAttribute?.('data-choice');
    if (!choice) return;
    document.cookie = `${NAME}=${choice}; Path=/; Max-Age=31536000; SameSite=Lax`;
    location.reload();
  });
  document.body.append(banner);
})();
