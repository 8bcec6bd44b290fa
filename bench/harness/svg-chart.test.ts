import { describe, expect, test } from "bun:test";
import { barChartSvg, escapeXml } from "./svg-chart.ts";

describe("barChartSvg", () => {
  const svg = barChartSvg([
    {
      title: "W1 publish (msg/s)",
      bars: [
        { label: "redis <always>", value: 1000, min: 900, max: 1100 },
        { label: "bunmq", value: 2000, highlight: true },
      ],
    },
    { title: "W3 p99 (ms)", bars: [{ label: "nats", value: 1.25 }], format: (v) => `${v} ms` },
  ]);

  test("is one well-formed svg element with a bar per target", () => {
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg.match(/<rect x=/g)?.length).toBe(3);
    expect(svg).toContain('class="hi"');
  });

  test("scales bars to the longest value in each panel", () => {
    const widths = [...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    // 2000 is the top of panel 1, 1.25 of panel 2: both fill the plot; 1000 fills half.
    expect(widths[1]).toBeCloseTo(widths[2], 5);
    expect(widths[0]).toBeCloseTo(widths[1] / 2, 5);
  });

  test("escapes labels and uses the panel's formatter", () => {
    expect(svg).toContain("redis &#60;always&#62;");
    expect(svg).toContain("1.25 ms");
    expect(svg).toContain("1,000");
    expect(escapeXml(`a&"b'`)).toBe("a&#38;&#34;b&#39;");
  });

  test("draws a whisker only when min and max are given", () => {
    expect(svg.match(/class="wh"/g)?.length).toBe(3);
  });
});
