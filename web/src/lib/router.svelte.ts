/** A small history router: the path and query live in `route`; links are intercepted in App. */
export const route = $state({ path: location.pathname, search: location.search });

export function navigate(href: string, replace = false): void {
  const url = new URL(href, location.href);
  if (url.origin !== location.origin) {
    location.href = href;
    return;
  }
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  route.path = url.pathname;
  route.search = url.search;
  if (!replace) window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => {
  route.path = location.pathname;
  route.search = location.search;
});

/** Handles a click on an in-app link without a page load. */
export function interceptLinks(event: MouseEvent): void {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  )
    return;
  const a = (event.target as Element | null)?.closest('a');
  if (!a || a.target !== '' || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (
    url.origin !== location.origin ||
    url.pathname.startsWith('/api/') ||
    url.pathname.startsWith('/proxy/')
  )
    return;
  event.preventDefault();
  navigate(url.pathname + url.search);
}
