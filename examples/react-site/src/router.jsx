// A tiny client router: the current path in context, <Link> and navigate()
// push history entries, the back button re-renders. No router dependency.
import { createContext, useContext, useEffect, useState } from 'react';

const RouteContext = createContext({ path: '/', navigate: () => {} });

export function Router({ initialPath, children }) {
  const [path, setPath] = useState(initialPath);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    document.documentElement.dataset.hydrated = 'true'; // for tests: the app is live
    return () => removeEventListener('popstate', onPop);
  }, []);
  const navigate = (to) => {
    if (to === location.pathname) return;
    // The URL changes before the new route renders, so its blocks ask for the right path.
    history.pushState(null, '', to);
    setPath(to);
    scrollTo(0, 0);
  };
  return <RouteContext.Provider value={{ path, navigate }}>{children}</RouteContext.Provider>;
}

export const useRoute = () => useContext(RouteContext);

export function Link({ to, children, ...rest }) {
  const { navigate } = useRoute();
  const onClick = (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={onClick} {...rest}>{children}</a>;
}
