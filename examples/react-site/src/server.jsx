import { renderToString } from 'react-dom/server';
import { App, ROUTE_PATHS } from './App.jsx';

export { ROUTE_PATHS };
export const render = (path) => renderToString(<App path={path} />);
