/**
 * A small hand-written SVG chart: panels of horizontal bars stacked vertically, one bar per
 * target, showing the median with a min-max whisker. No dependencies, readable in any browser.
 */

export interface Bar {
  label: string;
  value: number;
  min?: number;
  max?: number;
  /** Draws the bar in the accent colour (e.g. bunmq among the peers). */
  highlight?: boolean;
}

export interface BarPanel {
  title: string;
  bars: Bar[];
  /** Formats the value printed at the end of each bar. */
  format?: (v: number) => string;
}

export interface BarChartOptions {
  width: number;
  labelWidth: number;
  barHeight: number;
  gap: number;
}

export const defaultBarChartOptions: Readonly<BarChartOptions> = Object.freeze({
  width: 760,
  labelWidth: 200,
  barHeight: 16,
  gap: 6,
});

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function defaultFormat(v: number): string {
  if (v >= 100) return Math.round(v).toLocaleString("en-US");
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function barChartSvg(panels: readonly BarPanel[], options: Partial<BarChartOptions> = {}): string {
  const o = { ...defaultBarChartOptions, ...options };
  const valueWidth = 90;
  const plotWidth = o.width - o.labelWidth - valueWidth - 20;
  const titleHeight = 26;
  const out: string[] = [];
  let y = 10;
  for (const panel of panels) {
    const top = Math.max(0, ...panel.bars.map((b) => Math.max(b.value, b.max ?? 0)));
    const scale = top > 0 ? plotWidth / top : 0;
    const fmt = panel.format ?? defaultFormat;
    out.push(`<text x="10" y="${y + 16}" class="title">${escapeXml(panel.title)}</text>`);
    y += titleHeight;
    for (const bar of panel.bars) {
      const x0 = o.labelWidth;
      const w = Math.max(1, bar.value * scale);
      const mid = y + o.barHeight / 2;
      out.push(
        `<text x="${x0 - 8}" y="${mid + 4}" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${o.barHeight}" class="${bar.highlight ? "hi" : "bar"}"/>`,
      );
      if (bar.min !== undefined && bar.max !== undefined && bar.max > bar.min) {
        const a = (x0 + bar.min * scale).toFixed(1);
        const b = (x0 + bar.max * scale).toFixed(1);
        out.push(
          `<line x1="${a}" y1="${mid}" x2="${b}" y2="${mid}" class="wh"/>`,
          `<line x1="${a}" y1="${mid - 4}" x2="${a}" y2="${mid + 4}" class="wh"/>`,
          `<line x1="${b}" y1="${mid - 4}" x2="${b}" y2="${mid + 4}" class="wh"/>`,
        );
      }
      const textX = x0 + Math.max(w, (bar.max ?? 0) * scale) + 6;
      out.push(`<text x="${textX.toFixed(1)}" y="${mid + 4}">${escapeXml(fmt(bar.value))}</text>`);
      y += o.barHeight + o.gap;
    }
    y += 12;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${o.width}" height="${height}" viewBox="0 0 ${o.width} ${height}" font-family="sans-serif" font-size="12">`,
    "<style>.title{font-weight:bold;font-size:13px}.bar{fill:#7a8fa6}.hi{fill:#d9822b}.wh{stroke:#222;stroke-width:1}</style>",
    `<rect width="${o.width}" height="${height}" fill="#fff"/>`,
    ...out,
    "</svg>",
    "",
  ].join("\n");
}
