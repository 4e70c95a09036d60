import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ExperimentsView } from './experiments-view.js';
import { ModelView } from './model-view.js';
import { CompareView, RunsList, RunView } from './runs-view.js';
import { WhatIfView } from './what-if-view.js';

/**
 * widedeep studio's page: four views switched by the URL's hash (#/runs, #/runs/<id>, #/runs/compare?a=&b=,
 * #/experiments, #/model, #/what-if), each reading the studio's JSON API on 127.0.0.1. Bundled by
 * scripts/build-studio.mjs (esbuild) with Preact and vega-embed into dist-studio/app.js.
 */

type Route = { view: 'runs' } | { view: 'run'; id: string } | { view: 'compare'; a: string; b: string } | { view: 'experiments' } | { view: 'model' } | { view: 'what-if' };

/** The view a hash names; anything unknown is the runs list. */
export function routeOf(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  if (path === '/runs/compare') return { view: 'compare', a: params.get('a') ?? '', b: params.get('b') ?? '' };
  if (path.startsWith('/runs/')) return { view: 'run', id: decodeURIComponent(path.slice('/runs/'.length)) };
  if (path === '/experiments') return { view: 'experiments' };
  if (path === '/model') return { view: 'model' };
  if (path === '/what-if') return { view: 'what-if' };
  return { view: 'runs' };
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function View(props: { route: Route }) {
  const r = props.route;
  switch (r.view) {
    case 'run':
      return <RunView id={r.id} />;
    case 'compare':
      return <CompareView a={r.a} b={r.b} />;
    case 'experiments':
      return <ExperimentsView />;
    case 'model':
      return <ModelView />;
    case 'what-if':
      return <WhatIfView />;
    default:
      return <RunsList />;
  }
}

function App() {
  const route = routeOf(useHash());
  const tab = route.view === 'run' || route.view === 'compare' ? 'runs' : route.view;
  const link = (view: string, label: string) => (
    <a href={`#/${view}`} class={tab === view ? 'active' : undefined} aria-current={tab === view ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <header>
        <h1>widedeep studio</h1>
        <nav>
          {link('runs', 'Runs')}
          {link('experiments', 'Experiments')}
          {link('model', 'Model')}
          {link('what-if', 'What if')}
        </nav>
      </header>
      <main>
        <View route={route} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
