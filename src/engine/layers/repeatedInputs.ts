/**
 * Self-attention calls a layer with the same tensor twice (`attention([x, x])`,
 * `mha(x, x)`). tfjs-layers' executor counts the consumers of a tensor once
 * per layer but releases it once per input slot, so it frees `x` while later
 * layers (the residual `Add([x, attention])` of every transformer block) still
 * need it. Our multi-input layers therefore wire each distinct tensor once and
 * put the repeats back inside the layer. A single input stands for itself
 * repeated: the wiring a saved model keeps.
 */
export class RepeatedInputs {
  /** For each input of the first call: its index among the distinct inputs. */
  private positions: number[] | null = null;

  /** The distinct inputs of the first (graph-building) call; later calls pass through unchanged. */
  dedupe<I>(inputs: I, firstCall: boolean): I {
    if (!firstCall || !Array.isArray(inputs)) return inputs;
    const distinct: unknown[] = [];
    this.positions = (inputs as unknown[]).map((input) => {
      const seen = distinct.indexOf(input);
      if (seen >= 0) return seen;
      distinct.push(input);
      return distinct.length - 1;
    });
    return (distinct.length === 1 ? distinct[0] : distinct) as I;
  }

  /** The full list of inputs (or their shapes or masks) from the distinct ones. */
  expand<T>(items: T[], minimum: number): T[] {
    const positions = this.positions;
    const distinctCount = positions ? Math.max(...positions) + 1 : 0;
    if (positions && items.length === distinctCount && distinctCount < positions.length) return positions.map((i) => items[i] as T);
    if (items.length === 1 && minimum > 1) return new Array<T>(minimum).fill(items[0] as T);
    return items;
  }
}
