/**
 * Opens and clicks per hour or per day (the report's timeline) as a uPlot chart, with a sentence
 * beside it saying the same for whoever cannot see the chart.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';
import type { CampaignReport } from '../api.js';
import { count, dateTime } from '../format.js';

type Period = CampaignReport['timeline']['hourly'][number];
export type Scope = 'human' | 'all';
export type Resolution = 'hourly' | 'daily';

/** Chart height in CSS pixels: tall enough to read peaks, short enough to leave the funnel in view. */
const CHART_HEIGHT = 240;
const COLOURS = { opens: '#0b57a4', clicks: '#b3261e' };

function peak(periods: readonly Period[], pick: (p: Period) => number): Period | null {
  let best: Period | null = null;
  for (const p of periods) if (pick(p) > 0 && (!best || pick(p) > pick(best))) best = p;
  return best;
}

/** The chart in words: totals and the busiest period of each series. */
export function seriesSummary(periods: readonly Period[], scope: Scope, resolution: Resolution): string {
  if (periods.length === 0) return 'No opens or clicks yet.';
  const unit = resolution === 'hourly' ? 'hour' : 'day';
  const who = scope === 'human' ? 'human ' : '';
  const part = (name: 'opens' | 'clicks') => {
    const total = periods.reduce((sum, p) => sum + p[name][scope], 0);
    const top = peak(periods, (p) => p[name][scope]);
    return `${count(total)} ${who}${name}${top ? `, most (${count(top[name][scope])}) in the ${unit} from ${dateTime(top.at)}` : ''}`;
  };
  return `Over ${count(periods.length)} ${unit}s from ${dateTime(periods[0]!.at)}: ${part('opens')}; ${part('clicks')}.`;
}

export function SeriesChart({ periods, scope, resolution, label }: { periods: readonly Period[]; scope: Scope; resolution: Resolution; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const target = box.current;
    if (!target || periods.length === 0) return;
    const data: uPlot.AlignedData = [periods.map((p) => p.at / 1000), periods.map((p) => p.opens[scope]), periods.map((p) => p.clicks[scope])];
    const chart = new uPlot(
      {
        width: Math.max(target.clientWidth, 280),
        height: CHART_HEIGHT,
        series: [
          {},
          { label: scope === 'human' ? 'Human opens' : 'Opens', stroke: COLOURS.opens, width: 2, fill: 'rgba(11,87,164,0.08)' },
          { label: scope === 'human' ? 'Human clicks' : 'Clicks', stroke: COLOURS.clicks, width: 2 },
        ],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [{}, { size: 50 }],
      },
      data,
      target,
    );
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(target.clientWidth, 280), height: CHART_HEIGHT }));
    resize.observe(target);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [periods, scope, resolution]);

  const summary = seriesSummary(periods, scope, resolution);
  return (
    <figure class="series">
      {periods.length > 0 && <div ref={box} class="series-chart" role="img" aria-label={`${label}. ${summary}`} />}
      <figcaption class="muted">{summary}</figcaption>
    </figure>
  );
}
