/** Statistics of every stored weight tensor, read one tensor at a time so memory stays at the largest one. */
import type { ParsedModel } from '../formats/types';
import type { WeightStats } from '../protocol/model';
import { valueStats } from './stats';

export async function weightStatistics(parsed: ParsedModel): Promise<WeightStats[]> {
  const stats: WeightStats[] = [];
  for (const weight of parsed.weights) {
    const values = await parsed.readTensor(weight.path);
    stats.push({ path: weight.path, ...valueStats(values) });
  }
  return stats;
}
