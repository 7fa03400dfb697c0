/**
 * Places a diagram with dagre (top to bottom, like a model reads) and turns
 * its edge routes into SVG paths. No DOM: text width comes from a measure
 * function the page supplies (a canvas), with an estimate for tests.
 */
import dagre from '@dagrejs/dagre';
import type { Diagram, DiagramNode } from './graphModel';

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode extends DiagramNode {
  /** Centre of the node, px. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  points: Point[];
}

export interface GraphLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

/**
 * Dagre's layout takes about a second per thousand nodes and its recursion
 * overflows the stack a little beyond that, so larger diagrams are refused
 * with a word to pick a smaller depth.
 */
export const GRAPH_NODE_LIMIT = 1000;

/** Width of a text in px; `bold` for the node's title line. */
export type MeasureText = (text: string, bold: boolean) => number;

/** A rough width for a 12px UI font, for layouts computed without a DOM. */
export const estimateTextWidth: MeasureText = (text, bold) => text.length * (bold ? 7.2 : 6.6);

export const NODE_PADDING_X = 12;
export const LINE_HEIGHT = 16;
export const NODE_PADDING_Y = 7;
const MAX_NODE_WIDTH = 320;
const MIN_NODE_WIDTH = 96;

export class GraphTooLargeError extends Error {
  constructor(readonly nodeCount: number) {
    super(`${nodeCount} nodes are too many to lay out (the limit is ${GRAPH_NODE_LIMIT}); choose a smaller depth.`);
    this.name = 'GraphTooLargeError';
  }
}

/** The lines a node shows: title, then name when it says more than the title, then detail. */
export function nodeLines(node: DiagramNode): string[] {
  const lines = [node.title];
  if (node.name && node.name !== node.title) lines.push(node.name);
  if (node.detail) lines.push(node.detail);
  return lines;
}

export function layoutDiagram(diagram: Diagram, measure: MeasureText = estimateTextWidth): GraphLayout {
  if (diagram.nodes.length > GRAPH_NODE_LIMIT) throw new GraphTooLargeError(diagram.nodes.length);
  const graph = new dagre.graphlib.Graph({ compound: true, multigraph: false });
  graph.setGraph({
    rankdir: 'TB',
    nodesep: 24,
    ranksep: 32,
    marginx: 16,
    marginy: 16,
    // network-simplex gives the tidiest layout; tight-tree is faster on big diagrams.
    ranker: diagram.nodes.length > 300 ? 'tight-tree' : 'network-simplex',
  });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of diagram.nodes) {
    if (node.cluster) {
      graph.setNode(node.id, { width: 0, height: 0 });
      continue;
    }
    const lines = nodeLines(node);
    const textWidth = Math.max(...lines.map((line, index) => measure(line, index === 0)));
    graph.setNode(node.id, {
      width: Math.min(MAX_NODE_WIDTH, Math.max(MIN_NODE_WIDTH, Math.ceil(textWidth) + 2 * NODE_PADDING_X)),
      height: lines.length * LINE_HEIGHT + 2 * NODE_PADDING_Y,
    });
  }
  const ids = new Set(diagram.nodes.map((node) => node.id));
  for (const node of diagram.nodes) {
    if (node.parent !== undefined && ids.has(node.parent)) graph.setParent(node.id, node.parent);
  }
  for (const edge of diagram.edges) {
    if (ids.has(edge.from) && ids.has(edge.to)) graph.setEdge(edge.from, edge.to);
  }
  dagre.layout(graph);

  const nodes = diagram.nodes.map((node): PlacedNode => {
    const placed = graph.node(node.id) as { x?: number; y?: number; width?: number; height?: number };
    return { ...node, x: placed.x ?? 0, y: placed.y ?? 0, width: placed.width ?? 0, height: placed.height ?? 0 };
  });
  const edges = graph.edges().map((edge): PlacedEdge => {
    const label = graph.edge(edge) as { points?: Point[] } | undefined;
    return { from: edge.v, to: edge.w, points: (label?.points ?? []).map((point) => ({ x: point.x, y: point.y })) };
  });
  const label = graph.graph() as { width?: number; height?: number };
  return { nodes, edges, width: label.width ?? 0, height: label.height ?? 0 };
}

/** A smooth SVG path through an edge's route: straight ends, quadratic curves through the bends. */
export function edgePath(points: readonly Point[]): string {
  const first = points[0];
  if (!first) return '';
  const round = (value: number): number => Math.round(value * 10) / 10;
  let path = `M${round(first.x)},${round(first.y)}`;
  if (points.length === 2) {
    const last = points[1] as Point;
    return `${path} L${round(last.x)},${round(last.y)}`;
  }
  for (let i = 1; i < points.length - 1; i++) {
    const control = points[i] as Point;
    const next = points[i + 1] as Point;
    const end = i === points.length - 2 ? next : { x: (control.x + next.x) / 2, y: (control.y + next.y) / 2 };
    path += ` Q${round(control.x)},${round(control.y)} ${round(end.x)},${round(end.y)}`;
  }
  return path;
}

export interface View {
  x: number;
  y: number;
  scale: number;
}

/** Below this zoom node text is hard to read: the first view of a big graph shows its top instead. */
export const READABLE_SCALE = 0.6;

/**
 * The view of a drawing in a viewport: `whole` fits all of it (the Fit
 * button); otherwise all of it when that stays readable, else its top at a
 * readable zoom. Centred where it fits; never enlarged beyond 1:1.
 */
export function fitView(contentWidth: number, contentHeight: number, viewWidth: number, viewHeight: number, whole: boolean): View {
  if (contentWidth <= 0 || contentHeight <= 0 || viewWidth <= 0 || viewHeight <= 0) return { x: 0, y: 0, scale: 1 };
  let scale = Math.min(1, viewWidth / contentWidth, viewHeight / contentHeight);
  if (!whole && scale < READABLE_SCALE) scale = Math.max(READABLE_SCALE, Math.min(1, viewWidth / contentWidth));
  scale = Math.max(MIN_SCALE, scale);
  const centre = (content: number, view: number): number => Math.max(0, (view - content * scale) / 2);
  return { x: centre(contentWidth, viewWidth), y: centre(contentHeight, viewHeight), scale };
}

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 4;

/** Zooms by `factor` keeping the point under the cursor (px in the viewport) in place. */
export function zoomAt(view: View, factor: number, cursorX: number, cursorY: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const ratio = scale / view.scale;
  return { x: cursorX - (cursorX - view.x) * ratio, y: cursorY - (cursorY - view.y) * ratio, scale };
}
