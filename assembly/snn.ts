// The spiking network's per-step plumbing between layers (SCIENCE.md §2): event-driven propagation
// of spikes through a weight matrix, the neurons' input current, and the output readout. The LIF
// step itself is lif.ts's, the synaptic filters synapse.ts's.

/**
 * out[b, :] = Σ_i s[b, i]·wT[i, :] over the inputs that spiked (s ≠ 0), for B rows: the weighted
 * input of one simulation step. wT is the transposed weight matrix (nIn × nOut, row i holds input
 * i's outgoing weights), so each spike adds one contiguous row. Spikes are sparse — a few percent
 * of neurons fire in a 1 ms step — so this costs events·nOut where the dense product costs
 * nIn·nOut. `scratch` holds nIn indices of the row's events. Each output sums its events in index
 * order from 0, whatever the blocking, so the result has fixed bits. Returns the number of events.
 */
export function propagateSpikes(B: i32, nIn: i32, nOut: i32, spikes: usize, wT: usize, out: usize, scratch: usize): i32 {
  let events = 0;
  const rowBytes = <usize>nOut << 2;
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const s = spikes + (<usize>b * <usize>nIn << 2);
    const y = out + <usize>b * rowBytes;
    // Gather the events, skipping silent inputs four at a time.
    let m = 0;
    let i = 0;
    for (; i + 4 <= nIn; i += 4) {
      if (!v128.any_true(f32x4.ne(v128.load(s + (<usize>i << 2)), zero))) continue;
      for (let k = i; k < i + 4; k++) {
        if (load<f32>(s + (<usize>k << 2)) != 0) store<i32>(scratch + (<usize>(m++) << 2), k);
      }
    }
    for (; i < nIn; i++) {
      if (load<f32>(s + (<usize>i << 2)) != 0) store<i32>(scratch + (<usize>(m++) << 2), i);
    }
    events += m;
    // Sixteen outputs at a time stay in registers while every event adds to them: the weights are
    // read once and the outputs written once.
    let j = 0;
    for (; j + 16 <= nOut; j += 16) {
      const o = <usize>j << 2;
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      for (let e = 0; e < m; e++) {
        const k = load<i32>(scratch + (<usize>e << 2));
        const v = f32x4.splat(load<f32>(s + (<usize>k << 2)));
        const w = wT + <usize>k * rowBytes + o;
        a0 = f32x4.add(a0, f32x4.mul(v, v128.load(w)));
        a1 = f32x4.add(a1, f32x4.mul(v, v128.load(w, 16)));
        a2 = f32x4.add(a2, f32x4.mul(v, v128.load(w, 32)));
        a3 = f32x4.add(a3, f32x4.mul(v, v128.load(w, 48)));
      }
      v128.store(y + o, a0);
      v128.store(y + o, a1, 16);
      v128.store(y + o, a2, 32);
      v128.store(y + o, a3, 48);
    }
    for (; j + 4 <= nOut; j += 4) {
      const o = <usize>j << 2;
      let a = zero;
      for (let e = 0; e < m; e++) {
        const k = load<i32>(scratch + (<usize>e << 2));
        a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(s + (<usize>k << 2))), v128.load(wT + <usize>k * rowBytes + o)));
      }
      v128.store(y + o, a);
    }
    for (; j < nOut; j++) {
      const o = <usize>j << 2;
      let a: f32 = 0;
      for (let e = 0; e < m; e++) {
        const k = load<i32>(scratch + (<usize>e << 2));
        a += load<f32>(s + (<usize>k << 2)) * load<f32>(wT + <usize>k * rowBytes + o);
      }
      store<f32>(y + o, a);
    }
  }
  return events;
}

/**
 * out[b, j] = gain·(y[b, j] + bias[j]) for B rows of n neurons: the input current of a layer whose
 * (filtered) weighted input is y — the same j = gain·(W·a + b) the rate network's activation sees.
 * out may alias y.
 */
export function neuronCurrent(B: i32, n: i32, y: usize, bias: usize, gain: f32, out: usize): void {
  const g = f32x4.splat(gain);
  for (let b = 0; b < B; b++) {
    const row = <usize>b * <usize>n << 2;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + row + o, f32x4.mul(g, f32x4.add(v128.load(y + row + o), v128.load(bias + o))));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(out + row + o, gain * (load<f32>(y + row + o) + load<f32>(bias + o)));
    }
  }
}

/**
 * The readout's bookkeeping after a lifStep over n neurons that ended at time tEnd: for each neuron
 * that fired (spikes ≠ 0), counts[i] += 1, and first[i] takes its spike time if it has none yet
 * (first[i] = +Inf until then). The spike time is the crossing lifStep interpolated: its refractory
 * period t_ref started then, so with `refractory` left at the end of the step the crossing was
 * t_ref − refractory before tEnd (never earlier than the step's start, tEnd − dt).
 */
export function recordSpikes(n: i32, tEnd: f32, dt: f32, tRef: f32, spikes: usize, refractory: usize, counts: usize, first: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    if (load<f32>(spikes + o) == 0) continue;
    store<f32>(counts + o, load<f32>(counts + o) + 1);
    if (load<f32>(first + o) == Infinity) {
      const since = min<f32>(tRef - load<f32>(refractory + o), dt);
      store<f32>(first + o, tEnd - since);
    }
  }
}
