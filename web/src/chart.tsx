/**
 * Charts with uPlot: a time chart (several series, optional stacking, drag across it to choose a range)
 * and a sparkline. Times on the x axis are epoch seconds, shown in the browser's zone.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface SeriesSpec {
  label: string;
  color: string;
  values: Array<number | null>;
  /** Bars (counts) rather than a line. */
  bars?: boolean;
  dash?: number[];
}

/** Stacks series (each value becomes the sum of it and those before it), for stacked bars. */
export function stack(series: Array<Array<number | null>>): Array<Array<number | null>> {
  const out: Array<Array<number | null>> = [];
  series.forEach((s, i) => {
    out.push(s.map((v, j) => (v ?? 0) + (i > 0 ? (out[i - 1]![j] ?? 0) : 0)));
  });
  return out;
}

export function TimeChart(props: {
  title: string;
  times: number[];
  series: SeriesSpec[];
  unit?: string;
  height?: number;
  /** Called with the range dragged across (epoch ms). */
  onSelect?: (from: number, to: number) => void;
  testId?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const onSelect = useRef(props.onSelect);
  onSelect.current = props.onSelect;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const bars = uPlot.paths.bars?.({ size: [0.8, 40] });
    const opts: Options = {
      width: Math.max(280, el.clientWidth),
      height: props.height ?? 180,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false, setScale: false } },
      scales: { x: { time: true } },
      axes: [
        {},
        {
          size: 72,
          values: (_u, ticks) => ticks.map((t) => `${t}${props.unit ? ` ${props.unit}` : ''}`),
        },
      ],
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: s.bars ? `${s.color}cc` : undefined,
          width: s.bars ? 0 : 1.5,
          ...(s.bars && bars ? { paths: bars, points: { show: false } } : {}),
          ...(s.dash ? { dash: s.dash } : {}),
          spanGaps: false,
        })),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 4) return;
            const from = u.posToVal(u.select.left, 'x') * 1000;
            const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            onSelect.current?.(Math.round(from), Math.round(to));
          },
        ],
      },
    };
    // Stacked bars are drawn last-first so each shows above the one it sits on.
    const data = [props.times, ...props.series.map((s) => s.values)] as AlignedData;
    plot.current = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(280, el.clientWidth), height: props.height ?? 180 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [props.times, props.series, props.unit, props.height]);

  // Each series' total over the range, on the element: what a test (or a curious reader) compares with
  // the records, since the canvas itself cannot be read back.
  const sums = Object.fromEntries(
    props.series.map((s) => [s.label, s.values.reduce<number>((a, v) => a + (v ?? 0), 0)]),
  );
  return (
    <figure class="chart" data-testid={props.testId} data-sums={JSON.stringify(sums)}>
      <figcaption>{props.title}</figcaption>
      <div ref={ref} class="chart-body" />
    </figure>
  );
}

/** A sparkline, with its figure (`summary`) beside it: a one-minute spike is hard to read alone. */
export function Sparkline(props: {
  values: Array<number | null>;
  color: string;
  title: string;
  summary: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const xs = props.values.map((_, i) => i);
    const u = new uPlot(
      {
        width: 120,
        height: 28,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false } },
        axes: [{ show: false }, { show: false }],
        series: [{}, { stroke: props.color, width: 1.25, fill: `${props.color}33`, points: { size: 3 } }],
      },
      [xs, props.values] as AlignedData,
      el,
    );
    return () => u.destroy();
  }, [props.values, props.color]);
  return (
    <span class="spark-cell" title={`${props.title}: ${props.summary}`}>
      <span ref={ref} class="spark" />
      <span class="spark-figure">{props.summary}</span>
    </span>
  );
}
