/**
 * The graph tab: the model as a DAG laid out by dagre, drawn as SVG. Drag or
 * scroll to pan, Ctrl/Cmd + wheel (or pinch) to zoom, click a node to select
 * its layer. Laid out only when the tab is shown, once per depth.
 */
import type { LayerSummary } from '../../src/protocol/model';
import { button, h, type Control } from '../shared/ui';
import type { PageContext } from './context';
import { depthControl, depthValue } from './depthControl';
import { formatInteger, formatMacs, formatOutputShapes, formatPercent } from './format';
import { layerCategory, type Diagram } from './graphModel';
import {
  GRAPH_NODE_LIMIT,
  LINE_HEIGHT,
  NODE_PADDING_X,
  NODE_PADDING_Y,
  edgePath,
  fitView,
  layoutDiagram,
  nodeLines,
  zoomAt,
  type GraphLayout,
  type MeasureText,
  type PlacedNode,
  type View,
} from './graphLayout';
import { maxLayerDepth } from './layerRows';
import { svg } from './svg';

const DRAG_THRESHOLD_PX = 4;
const CLUSTER_LABEL_BAND = 18;
const PAN_STEP_PX = 48;
const ZOOM_STEP = 1.25;

/** Text widths from a canvas with the page's own font, so node boxes fit their labels. */
function canvasMeasure(): MeasureText {
  const context = document.createElement('canvas').getContext('2d');
  const family = getComputedStyle(document.body).fontFamily || 'sans-serif';
  if (!context) return (text, bold) => text.length * (bold ? 7.2 : 6.6);
  return (text, bold) => {
    context.font = `${bold ? 600 : 400} 12px ${family}`;
    return context.measureText(text).width;
  };
}

/** Cuts a line with an ellipsis to fit `width` px. */
function fitText(text: string, width: number, bold: boolean, measure: MeasureText): string {
  if (measure(text, bold) <= width) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (measure(`${text.slice(0, middle)}…`, bold) <= width) low = middle;
    else high = middle - 1;
  }
  return `${text.slice(0, low)}…`;
}

export class GraphTab {
  readonly element: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly canvas: SVGElement;
  private readonly message: HTMLElement;
  private readonly details: HTMLElement;
  private readonly status: HTMLElement;
  private readonly depth: Control | null;
  private readonly layers: Map<string, LayerSummary>;
  private readonly nodeElements = new Map<string, SVGElement>();
  private edgeElements: Array<{ from: string; to: string; element: SVGElement }> = [];
  private layout: GraphLayout | undefined;
  private laidOutDepth: number | null | undefined = undefined;
  private view: View = { x: 0, y: 0, scale: 1 };
  private measure: MeasureText | undefined;
  private pending = 0;

  constructor(
    private readonly context: PageContext,
    private readonly diagramFor: (depth: number | null) => Diagram,
  ) {
    const { summary } = context;
    this.layers = new Map(summary.layers.map((layer) => [layer.id, layer]));
    this.depth = summary.layers.length > 0 ? depthControl(context, maxLayerDepth(summary.layers)) : null;
    this.canvas = svg('g', { class: 'graph-canvas' });
    const drawing = svg(
      'svg',
      { class: 'graph-svg', role: 'img', 'aria-label': 'Model graph' },
      svg(
        'defs',
        {},
        svg('marker', { id: 'graph-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' })),
      ),
      this.canvas,
    );
    this.message = h('div', { class: 'graph-message', role: 'status', 'aria-live': 'polite' });
    this.viewport = h(
      'div',
      { class: 'graph-viewport', tabindex: '0', 'aria-label': 'Model graph: arrow keys pan, plus and minus zoom, 0 fits; Tab moves through the nodes' },
      drawing,
      this.message,
    );
    this.details = h('div', { class: 'graph-details', 'aria-live': 'polite' });
    this.status = h('span', { class: 'muted table-status' });
    this.element = h(
      'div',
      { class: 'tab-content fill' },
      h(
        'div',
        { class: 'toolbar' },
        this.depth?.element,
        button('Fit', () => this.fit(true), { title: 'Show the whole graph (0)' }),
        button('+', () => this.zoomBy(ZOOM_STEP), { ariaLabel: 'Zoom in', title: 'Zoom in (+)' }),
        button('−', () => this.zoomBy(1 / ZOOM_STEP), { ariaLabel: 'Zoom out', title: 'Zoom out (-)' }),
        button('1:1', () => this.zoomTo(1), { ariaLabel: 'Actual size', title: 'Actual size' }),
        h('span', { class: 'spacer' }),
        this.status,
      ),
      this.viewport,
      this.details,
    );
    this.attachGestures();
  }

  /** Called when the tab is shown: lays out the graph for the current depth if it is not yet. */
  activate(): void {
    if (this.laidOutDepth === this.context.view.depth && (this.layout || this.message.textContent)) {
      this.centreOnSelectionIfHidden();
      return;
    }
    this.relayout();
  }

  onDepthChanged(): void {
    this.depth?.setValue(depthValue(this.context.view.depth));
    // A saved pan/zoom belongs to the old drawing.
    this.context.view.graph = undefined;
    if (this.element.isConnected && this.element.offsetParent !== null) this.relayout();
    else this.laidOutDepth = undefined;
  }

  private relayout(): void {
    const depth = this.context.view.depth;
    this.laidOutDepth = depth;
    this.layout = undefined;
    this.canvas.replaceChildren();
    this.nodeElements.clear();
    this.edgeElements = [];
    const diagram = this.diagramFor(depth);
    if (diagram.nodes.length > GRAPH_NODE_LIMIT) {
      const canNarrow = depth !== 0 && maxLayerDepth(this.context.summary.layers) > 0;
      this.showMessage(
        `${formatInteger(diagram.nodes.length)} nodes are too many to draw here (the limit is ${formatInteger(GRAPH_NODE_LIMIT)}). ` +
          (canNarrow ? 'Choose a smaller nesting depth, or use the table, which lists every layer.' : 'The table lists every layer.'),
        false,
      );
      this.status.textContent = `${formatInteger(diagram.nodes.length)} nodes`;
      return;
    }
    this.showMessage(diagram.nodes.length > 150 ? `Laying out ${formatInteger(diagram.nodes.length)} nodes…` : '', false);
    // Let the message paint before a layout that can take a second.
    const ticket = ++this.pending;
    window.setTimeout(() => {
      if (ticket !== this.pending) return;
      try {
        this.measure ??= canvasMeasure();
        this.layout = layoutDiagram(diagram, this.measure);
      } catch (error) {
        this.showMessage(`The graph could not be laid out: ${error instanceof Error ? error.message : String(error)}`, true);
        return;
      }
      this.showMessage('', false);
      this.draw(this.layout);
      const constantsHidden = this.context.summary.graph && this.context.summary.layers.length === 0 ? ' (Const ops hidden)' : '';
      this.status.textContent = `${formatInteger(diagram.nodes.filter((node) => !node.cluster).length)} nodes${constantsHidden} · ${formatInteger(diagram.edges.length)} edges · drag or scroll to pan, Ctrl+wheel to zoom`;
      const saved = this.context.view.graph;
      if (saved) this.setView(saved, false);
      else this.fit(false);
      this.select(this.context.view.selected);
    }, 16);
  }

  private showMessage(text: string, isError: boolean): void {
    this.message.textContent = text;
    this.message.classList.toggle('error', isError);
    this.message.hidden = text === '';
  }

  private draw(layout: GraphLayout): void {
    const measure = this.measure ?? ((text: string) => text.length * 7);
    const clusters = layout.nodes.filter((node) => node.cluster);
    const leaves = layout.nodes.filter((node) => !node.cluster);
    // A nested model's box grows upwards by a band that holds its name; the
    // names are drawn over the edges, on a plate, so a crossing edge cannot hide them.
    const clusterBoxes = clusters.map((node) =>
      svg('rect', {
        class: 'cluster-box',
        x: node.x - node.width / 2,
        y: node.y - node.height / 2 - CLUSTER_LABEL_BAND,
        width: node.width,
        height: node.height + CLUSTER_LABEL_BAND,
        rx: 6,
      }),
    );
    const clusterLabels = clusters.map((node) => {
      const text = fitText(`${node.name} (${node.title})`, node.width - 16, true, measure);
      const x = node.x - node.width / 2 + 8;
      const y = node.y - node.height / 2 - CLUSTER_LABEL_BAND + 4;
      return svg(
        'g',
        { class: 'cluster-label' },
        svg('rect', { class: 'cluster-label-plate', x: x - 3, y, width: measure(text, true) + 6, height: 16, rx: 2 }),
        svg('text', { x, y: y + 12 }, text),
      );
    });
    const edgeElements = layout.edges.map((edge) => {
      const element = svg('path', { class: 'edge', d: edgePath(edge.points), 'marker-end': 'url(#graph-arrow)' });
      this.edgeElements.push({ from: edge.from, to: edge.to, element });
      return element;
    });
    const nodeElements = leaves.map((node) => this.drawNode(node, measure));
    this.canvas.replaceChildren(...clusterBoxes, ...edgeElements, ...clusterLabels, ...nodeElements);
  }

  private drawNode(node: PlacedNode, measure: MeasureText): SVGElement {
    const lines = nodeLines(node);
    const textWidth = node.width - 2 * NODE_PADDING_X;
    const layer = this.layers.get(node.id);
    const describe = layer
      ? `${layer.name}, ${layer.className}, output ${formatOutputShapes(layer.outputShapes)}, ${formatInteger(layer.params)} params`
      : `${node.name}, ${node.title}${node.detail ? `, ${node.detail}` : ''}`;
    const group = svg(
      'g',
      {
        class: `node category-${layerCategory(node.title)}`,
        transform: `translate(${node.x - node.width / 2},${node.y - node.height / 2})`,
        tabindex: 0,
        role: 'button',
        'aria-label': describe,
        'data-id': node.id,
      },
      svg('title', {}, describe),
      svg('rect', { class: 'node-box', width: node.width, height: node.height, rx: 4 }),
      svg('rect', { class: 'node-stripe', width: 4, height: node.height, rx: 2 }),
      ...lines.map((line, index) =>
        svg(
          'text',
          { class: index === 0 ? 'node-title' : index === 1 && lines.length === 3 ? 'node-name' : 'node-detail', x: NODE_PADDING_X, y: NODE_PADDING_Y + LINE_HEIGHT * index + 12 },
          fitText(line, textWidth, index === 0, measure),
        ),
      ),
    );
    group.addEventListener('click', () => {
      if (!this.dragged) this.context.select(node.id);
    });
    group.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this.context.select(node.id);
      }
    });
    this.nodeElements.set(node.id, group);
    return group;
  }

  /** Highlights a node and its edges and describes it below the drawing. */
  select(id: string | undefined): void {
    for (const [nodeId, element] of this.nodeElements) element.classList.toggle('selected', nodeId === id);
    for (const edge of this.edgeElements) edge.element.classList.toggle('active', edge.from === id || edge.to === id);
    this.details.replaceChildren(...this.describe(id));
    this.centreOnSelectionIfHidden();
  }

  private describe(id: string | undefined): Array<HTMLElement | string> {
    if (id === undefined) return [h('span', { class: 'muted' }, 'Click a node to see its layer here.')];
    const layer = this.layers.get(id);
    const { summary } = this.context;
    if (layer) {
      return [
        h('strong', {}, layer.name),
        h('span', { class: 'muted' }, layer.className),
        h('code', {}, formatOutputShapes(layer.outputShapes)),
        h('span', {}, `${formatInteger(layer.params)} params (${formatPercent(layer.params, summary.totalParams)})`),
        h('span', {}, layer.macs === null ? 'MACs unknown' : `${formatMacs(layer.macs, true)} MACs`),
        ...Object.entries(layer.settings).map(([key, value]) => h('span', { class: 'setting' }, `${key}=${value}`)),
        button('Show in Table', () => this.context.showInTable(layer.id)),
      ];
    }
    const node = summary.graph?.nodes.find((candidate) => candidate.name === id);
    if (node) {
      return [
        h('strong', {}, node.name),
        h('span', { class: 'muted' }, node.op),
        ...Object.entries(node.attributes).map(([key, value]) => h('span', { class: 'setting' }, `${key}=${value}`)),
        button('Show in Table', () => this.context.showInTable(node.name)),
      ];
    }
    return [];
  }

  // -------------------------------------------------------------------------
  // Pan and zoom

  private dragged = false;

  private setView(view: View, save: boolean): void {
    this.view = view;
    this.canvas.setAttribute('transform', `translate(${view.x.toFixed(1)},${view.y.toFixed(1)}) scale(${view.scale.toFixed(4)})`);
    if (save) {
      this.context.view.graph = { ...view };
      this.context.save();
    }
  }

  private fit(whole: boolean): void {
    if (!this.layout) return;
    const { clientWidth, clientHeight } = this.viewport;
    this.setView(fitView(this.layout.width, this.layout.height, clientWidth, clientHeight, whole), whole);
  }

  private zoomBy(factor: number): void {
    this.setView(zoomAt(this.view, factor, this.viewport.clientWidth / 2, this.viewport.clientHeight / 2), true);
  }

  private zoomTo(scale: number): void {
    this.zoomBy(scale / this.view.scale);
  }

  private centreOnSelectionIfHidden(): void {
    const id = this.context.view.selected;
    const node = id === undefined ? undefined : this.layout?.nodes.find((candidate) => candidate.id === id);
    if (!node || this.viewport.clientWidth === 0) return;
    const left = this.view.x + (node.x - node.width / 2) * this.view.scale;
    const top = this.view.y + (node.y - node.height / 2) * this.view.scale;
    const right = left + node.width * this.view.scale;
    const bottom = top + node.height * this.view.scale;
    if (left >= 0 && top >= 0 && right <= this.viewport.clientWidth && bottom <= this.viewport.clientHeight) return;
    this.setView(
      { scale: this.view.scale, x: this.viewport.clientWidth / 2 - node.x * this.view.scale, y: this.viewport.clientHeight / 2 - node.y * this.view.scale },
      true,
    );
  }

  private attachGestures(): void {
    let start: { x: number; y: number; view: View; pointer: number } | undefined;
    this.viewport.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      start = { x: event.clientX, y: event.clientY, view: this.view, pointer: event.pointerId };
      this.dragged = false;
    });
    this.viewport.addEventListener('pointermove', (event) => {
      if (!start || event.pointerId !== start.pointer) return;
      const dx = event.clientX - start.x;
      const dy = event.clientY - start.y;
      if (!this.dragged && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
      if (!this.dragged) {
        this.dragged = true;
        this.viewport.setPointerCapture(event.pointerId);
        this.viewport.classList.add('dragging');
      }
      this.setView({ ...start.view, x: start.view.x + dx, y: start.view.y + dy }, false);
    });
    const end = (event: PointerEvent): void => {
      if (!start || event.pointerId !== start.pointer) return;
      start = undefined;
      this.viewport.classList.remove('dragging');
      if (this.dragged) {
        this.setView(this.view, true);
        // The click that ends a drag must not select the node under the pointer.
        window.setTimeout(() => (this.dragged = false), 0);
      }
    };
    this.viewport.addEventListener('pointerup', end);
    this.viewport.addEventListener('pointercancel', end);
    this.viewport.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        const rect = this.viewport.getBoundingClientRect();
        if (event.ctrlKey || event.metaKey) {
          this.setView(zoomAt(this.view, Math.exp(-event.deltaY * 0.002), event.clientX - rect.left, event.clientY - rect.top), true);
        } else {
          const delta = event.deltaMode === 1 ? 16 : 1;
          this.setView({ ...this.view, x: this.view.x - event.deltaX * delta, y: this.view.y - event.deltaY * delta }, true);
        }
      },
      { passive: false },
    );
    this.viewport.addEventListener('keydown', (event) => {
      if (event.target !== this.viewport) return;
      const pan = (dx: number, dy: number): void => this.setView({ ...this.view, x: this.view.x + dx, y: this.view.y + dy }, true);
      const actions: Record<string, () => void> = {
        ArrowLeft: () => pan(PAN_STEP_PX, 0),
        ArrowRight: () => pan(-PAN_STEP_PX, 0),
        ArrowUp: () => pan(0, PAN_STEP_PX),
        ArrowDown: () => pan(0, -PAN_STEP_PX),
        '+': () => this.zoomBy(ZOOM_STEP),
        '=': () => this.zoomBy(ZOOM_STEP),
        '-': () => this.zoomBy(1 / ZOOM_STEP),
        '0': () => this.fit(true),
      };
      const action = actions[event.key];
      if (action) {
        event.preventDefault();
        action();
      }
    });
  }
}
