// The example site: two routes, each with one personalizable block. The
// children of <TailorBlock> are the fallback, what a visitor sees when the
// edge does not personalize the block.
import { useState } from 'react';
import { TailorBlock } from '@tailor-edge/react';
import { Link, Router, useRoute } from './router.jsx';

function Home() {
  return (
    <>
      <TailorBlock name="hero">
        <section className="hero" data-variant="default">
          <h1>Ledgers for every finance team</h1>
          <p>Close the books in days, not weeks.</p>
        </section>
      </TailorBlock>
      <p>Already convinced? <Link to="/pricing" id="to-pricing">See pricing</Link>.</p>
    </>
  );
}

function Pricing() {
  // Client state beside the block: stays interactive whatever the block shows.
  const [yearly, setYearly] = useState(false);
  return (
    <>
      <h1>Pricing</h1>
      <p>
        Team plan: <strong id="price">{yearly ? '$490 / year' : '$49 / month'}</strong>{' '}
        <button id="billing" type="button" onClick={() => setYearly(!yearly)}>{yearly ? 'monthly' : 'yearly'} billing</button>
      </p>
      <TailorBlock name="plan-cta">
        <div className="cta" data-variant="default"><a className="btn" href="/signup">Start your free trial</a></div>
      </TailorBlock>
    </>
  );
}

const ROUTES = { '/': Home, '/pricing': Pricing };
export const ROUTE_PATHS = Object.keys(ROUTES);

function Page() {
  const { path } = useRoute();
  const Route = ROUTES[path];
  return (
    <>
      <nav>
        <Link to="/" id="nav-home">Home</Link> · <Link to="/pricing" id="nav-pricing">Pricing</Link>
      </nav>
      <main>{Route ? <Route /> : <h1>Not found</h1>}</main>
    </>
  );
}

export function App({ path }) {
  return (
    <Router initialPath={path}>
      <Page />
    </Router>
  );
}
