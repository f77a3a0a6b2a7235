/** ROC-AUC by the rank statistic (ties count half): the probability a positive outscores a negative. */
export function rocAuc(pos: readonly number[], neg: readonly number[]): number {
  if (pos.length === 0 || neg.length === 0) return NaN;
  const all = [...pos.map((s) => ({ s, p: 1 })), ...neg.map((s) => ({ s, p: 0 }))].sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const avg = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (all[k]!.p === 1) rankSum += avg;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

export interface Confusion {
  precision: number;
  recall: number;
  tp: number;
  fp: number;
  fn: number;
}

/** Precision and recall of "flagged" for one anomaly kind against all normal documents. */
export function confusion(posFlags: readonly boolean[], negFlags: readonly boolean[]): Confusion {
  const tp = posFlags.filter(Boolean).length;
  const fp = negFlags.filter(Boolean).length;
  const fn = posFlags.length - tp;
  return { tp, fp, fn, precision: tp + fp === 0 ? NaN : tp / (tp + fp), recall: posFlags.length === 0 ? NaN : tp / posFlags.length };
}
