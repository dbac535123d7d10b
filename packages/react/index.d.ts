import type { HTMLAttributes, ReactElement, ReactNode } from 'react';

export interface TailorBlockProps extends Omit<HTMLAttributes<HTMLElement>, 'children' | 'dangerouslySetInnerHTML'> {
  /** The block's id in the catalog (`<tailor-block name="…">`): 1–64 of `a-z 0-9 - _`. */
  name: string;
  /** The fallback: what the block shows when the edge does not personalize it. */
  children?: ReactNode;
  /** Client-side mounts: how long to wait for the block's content before keeping the fallback (default: `configureTailor`'s, 1500). */
  timeoutMs?: number;
  /** Client-side mounts: the page path the block is decided for (default `location.pathname`). */
  path?: string;
}

/** A personalizable block: renders `<tailor-block name>` with the fallback on the server, keeps the edge's markup on hydration, and asks the worker after a client-side navigation. */
export function TailorBlock(props: TailorBlockProps): ReactElement;

export interface TailorOptions {
  /** The fragments endpoint (default `/__tailor/fragments`, same origin; cookies are sent only to the same origin). */
  endpoint?: string;
  /** Default timeout for client-side mounts, in milliseconds (default 1500). */
  timeoutMs?: number;
}

/** Sets module-wide options; call once before the app renders. */
export function configureTailor(options: TailorOptions): void;
