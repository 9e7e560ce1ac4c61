/**
 * The message in a sandboxed frame: no script of the mail runs (no allow-scripts), but the dashboard
 * may read the frame (allow-same-origin) to size it to its content and to export it as a PNG. Links
 * in it do not navigate (the document's `<base target="_blank">` opens a window, which the sandbox
 * forbids without allow-popups): the view is a picture of the message, not a way to follow it.
 */
import type { Ref } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

interface FrameProps {
  /** The annotated document (core annotateHotClicks), policy included. */
  doc: string;
  title: string;
  frameRef?: Ref<HTMLIFrameElement>;
}

/** Height of the frame before its document is measured, in pixels. */
const INITIAL_HEIGHT = 480;

export function HotClicksFrame({ doc, title, frameRef }: FrameProps) {
  const own = useRef<HTMLIFrameElement>(null);

  const fit = () => {
    const frame = own.current;
    const root = frame?.contentDocument?.documentElement;
    if (frame && root) frame.style.height = `${Math.max(root.scrollHeight, 120)}px`;
  };

  useEffect(() => {
    addEventListener('resize', fit);
    return () => removeEventListener('resize', fit);
  }, []);

  return (
    <iframe
      ref={(element) => {
        own.current = element;
        if (typeof frameRef === 'function') frameRef(element);
        else if (frameRef) frameRef.current = element;
      }}
      class="hot-frame"
      title={title}
      sandbox="allow-same-origin"
      referrerpolicy="no-referrer"
      srcdoc={doc}
      style={{ height: `${INITIAL_HEIGHT}px` }}
      onLoad={fit}
    />
  );
}
