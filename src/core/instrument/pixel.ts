import { writeAttributeValue } from './attribute-value.js';
import type { Landmarks } from './html-scan.js';

/**
 * The open pixel: a 1x1 image that takes no room. Not `display:none`, because
 * some clients and image proxies skip loading hidden images.
 */
export function pixelMarkup(openUrl: string): string {
  const src = writeAttributeValue(openUrl, '"').value;
  return `<img src="${src}" width="1" height="1" alt="" ` +
    'style="display:block;width:1px;height:1px;border:0;margin:0;padding:0;" />';
}

/**
 * Just before the last `</body>`, so the image loads after the content; at the
 * end when the part has none (a fragment), where browsers put it in the body,
 * but before a tag or comment left unterminated there, which would swallow it.
 */
export function pixelPosition(landmarks: Landmarks): number {
  return landmarks.lastBodyCloseStart ?? landmarks.markupEnd;
}
