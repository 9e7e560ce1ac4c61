/**
 * A PNG of the frame's document: serialized into an SVG foreignObject, drawn on a canvas. An SVG
 * drawn as an image loads nothing from the network, so remote images are left out (the page says
 * so) and no request fires; images written as data: URLs are kept.
 */

/** Pixels per CSS pixel of the export: sharp on a high-density screen, still a modest file. */
const EXPORT_SCALE = 2;
/** Canvases larger than this (per side, in pixels) fail in some browsers. */
const MAX_CANVAS_SIDE = 16_384;

export async function exportFramePng(frame: HTMLIFrameElement, filename: string): Promise<void> {
  const document = frame.contentDocument;
  if (!document) throw new Error('the message frame is not loaded yet');
  const root = document.documentElement;
  const width = Math.max(root.scrollWidth, 1);
  const height = Math.max(root.scrollHeight, 1);
  const scale = Math.min(EXPORT_SCALE, MAX_CANVAS_SIDE / width, MAX_CANVAS_SIDE / height);

  const xhtml = new XMLSerializer().serializeToString(withoutComments(root));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><foreignObject x="0" y="0" width="100%" height="100%">${xhtml}</foreignObject></svg>`;
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  await image.decode();

  const canvas = window.document.createElement('canvas');
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(height * scale);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser cannot draw on a canvas');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.scale(scale, scale);
  context.drawImage(image, 0, 0);

  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the browser could not make the PNG');
  const url = URL.createObjectURL(blob);
  const link = window.document.createElement('a');
  link.href = url;
  link.download = filename;
  window.document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A copy of the document without its comments: they show nothing, and the serializer writes them as
 * they are, so a mail's `<!--[if !mso]><!-- -->` would make the SVG ill-formed XML.
 */
function withoutComments(root: HTMLElement): HTMLElement {
  const copy = root.cloneNode(true) as HTMLElement;
  const walker = root.ownerDocument.createTreeWalker(copy, NodeFilter.SHOW_COMMENT);
  const comments: Node[] = [];
  while (walker.nextNode()) comments.push(walker.currentNode);
  for (const comment of comments) comment.parentNode?.removeChild(comment);
  return copy;
}
