// ECharts, with only the parts the screen draws (a smaller bundle), and a chart helper that
// resizes with its container and is disposed when the page changes.

import * as echarts from 'echarts/core';
import { BarChart, LineChart, ScatterChart, EffectScatterChart, CustomChart, TreemapChart } from 'echarts/charts';
import {
  GridComponent,
  TooltipComponent,
  LegendComponent,
  DataZoomComponent,
  MarkLineComponent,
  TitleComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  BarChart,
  LineChart,
  ScatterChart,
  EffectScatterChart,
  CustomChart,
  TreemapChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  DataZoomComponent,
  MarkLineComponent,
  TitleComponent,
  CanvasRenderer,
]);

export type Chart = echarts.ECharts;
export { echarts };

const live = new Set<Chart>();
const observer = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const chart = echarts.getInstanceByDom(entry.target as HTMLElement);
    chart?.resize();
  }
});

export function makeChart(el: HTMLElement): Chart {
  const chart = echarts.init(el, undefined, { renderer: 'canvas' });
  observer.observe(el);
  live.add(chart);
  return chart;
}

export function disposeCharts(): void {
  for (const chart of live) {
    const dom = chart.getDom();
    if (dom) observer.unobserve(dom);
    chart.dispose();
  }
  live.clear();
}

export const palette = {
  text: '#c8d6f0',
  muted: '#7f93b8',
  grid: 'rgba(127,147,184,0.18)',
  allow: '#35c18b',
  deny: '#ff6b5b',
  accent: '#4aa3ff',
  red: '#e5484d',
  orange: '#f5a524',
  yellow: '#f2d600',
  blue: '#3e8ef7',
};

export const axisStyle = {
  axisLine: { lineStyle: { color: palette.grid } },
  axisLabel: { color: palette.muted },
  splitLine: { lineStyle: { color: palette.grid } },
};
